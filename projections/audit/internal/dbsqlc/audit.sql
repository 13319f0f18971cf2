-- The audit projection (projections/audit). Apply copies redemptions into
-- audit_redemptions with a binary COPY (projections/audit/audit.go), loads the
-- programmes and redemptions a page needs, and queues the writes below in one
-- pgx.Batch (core.Queue); the reads are Audit's (projections/audit/trail.go).
-- Amounts travel as whole cents (bigint) and become numeric(18,2) here. A flow
-- key is its columns but the date joined by '|', so that a funder's or a
-- programme's rows are one range of the primary key.

-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: ProgrammeTerritories :many
SELECT p.programme_id, p.territory FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM audit_programmes WHERE programme_id = k.id LIMIT 1) AS p;

-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: Redemptions :many
SELECT r.redemption_id, r.programme_id, r.place_id, r.territory, r.amount
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM audit_redemptions WHERE redemption_id = k.id LIMIT 1) AS r;

-- UpsertFunderFlows adds to funder_flows (flow key "funder|kind|programme|fund|territory|place").
-- name: UpsertFunderFlows :exec
INSERT INTO funder_flows (flow_key, effective_date, funder_id, kind, programme_id, fund_id, territory, place_id, amount)
SELECT u.k, u.d, u.f, u.kd, u.p, u.fd, u.t, u.pl, u.a::numeric / 100
FROM ROWS FROM (unnest(@flow_keys::text[]), unnest(@dates::date[]), unnest(@funder_ids::text[]), unnest(@kinds::text[]),
                unnest(@programme_ids::text[]), unnest(@fund_ids::text[]), unnest(@territories::text[]),
                unnest(@place_ids::text[]), unnest(@cents::bigint[]))
     AS u(k, d, f, kd, p, fd, t, pl, a)
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = funder_flows.amount + EXCLUDED.amount;

-- UpsertProgrammeFlows adds to audit_programme_flows (flow key "programme|kind|territory|place").
-- name: UpsertProgrammeFlows :exec
INSERT INTO audit_programme_flows (flow_key, effective_date, programme_id, kind, territory, place_id, amount)
SELECT u.k, u.d, u.p, u.kd, u.t, u.pl, u.a::numeric / 100
FROM ROWS FROM (unnest(@flow_keys::text[]), unnest(@dates::date[]), unnest(@programme_ids::text[]), unnest(@kinds::text[]),
                unnest(@territories::text[]), unnest(@place_ids::text[]), unnest(@cents::bigint[]))
     AS u(k, d, p, kd, t, pl, a)
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = audit_programme_flows.amount + EXCLUDED.amount;

-- name: UpsertFunders :exec
INSERT INTO audit_funders (funder_id, name, kind)
SELECT u.f, u.n, u.k FROM ROWS FROM (unnest(@funder_ids::text[]), unnest(@names::text[]), unnest(@kinds::text[])) AS u(f, n, k)
ON CONFLICT (funder_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind;

-- name: InsertProgrammes :exec
INSERT INTO audit_programmes (programme_id, territory, total_funding, created_on)
SELECT u.p, u.t, u.f, u.d
FROM ROWS FROM (unnest(@programme_ids::text[]), unnest(@territories::text[]), unnest(@total_fundings::numeric[]),
                unnest(@created_on::date[])) AS u(p, t, f, d)
ON CONFLICT DO NOTHING;

-- name: InsertProgrammeFunders :exec
INSERT INTO audit_programme_funders (programme_id, seq, funder_id, via_fund_id, amount)
SELECT u.p, u.s, u.f, u.v, u.a
FROM ROWS FROM (unnest(@programme_ids::text[]), unnest(@seqs::int[]), unnest(@funder_ids::text[]),
                unnest(@via_fund_ids::text[]), unnest(@amounts::numeric[])) AS u(p, s, f, v, a)
ON CONFLICT DO NOTHING;

-- name: UpsertMinted :exec
INSERT INTO audit_programme_minted (programme_id, effective_date, value)
SELECT u.p, u.d, u.v::numeric / 100
FROM ROWS FROM (unnest(@programme_ids::text[]), unnest(@dates::date[]), unnest(@cents::bigint[])) AS u(p, d, v)
ON CONFLICT (programme_id, effective_date) DO UPDATE SET value = audit_programme_minted.value + EXCLUDED.value;

-- UpsertBatchShares adds to each batch's amount per programme and place (share
-- key "batch|programme|place").
-- name: UpsertBatchShares :exec
INSERT INTO audit_batch_shares (share_key, batch_id, programme_id, place_id, territory, amount)
SELECT u.k, u.b, u.p, u.pl, u.t, u.a::numeric / 100
FROM ROWS FROM (unnest(@share_keys::text[]), unnest(@batch_ids::text[]), unnest(@programme_ids::text[]),
                unnest(@place_ids::text[]), unnest(@territories::text[]), unnest(@cents::bigint[]))
     AS u(k, b, p, pl, t, a)
ON CONFLICT (share_key) DO UPDATE SET amount = audit_batch_shares.amount + EXCLUDED.amount;

-- InsertReimbursed turns a paid batch's shares into reimbursed programme flows.
-- name: InsertReimbursed :exec
INSERT INTO audit_programme_flows (flow_key, effective_date, programme_id, kind, territory, place_id, amount)
SELECT programme_id || '|reimbursed|' || territory || '|' || place_id, @paid_on::date,
       programme_id, 'reimbursed', territory, place_id, amount
FROM audit_batch_shares WHERE batch_id = @batch_id
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = audit_programme_flows.amount + EXCLUDED.amount;

-- name: Funder :one
SELECT name, kind FROM audit_funders WHERE funder_id = @funder_id;

-- FunderFlows sums a funder's own flows as of a date (NULL: all). Its flow keys
-- start with "funder|": a range of the primary key ('}' follows '|').
-- name: FunderFlows :many
SELECT kind, territory, place_id, sum(amount)::numeric AS amount FROM funder_flows
WHERE flow_key >= @funder_id::text || '|' AND flow_key < @funder_id::text || '}' AND funder_id = @funder_id::text
  AND (sqlc.narg(as_of)::date IS NULL OR effective_date <= sqlc.narg(as_of)::date)
GROUP BY kind, territory, place_id;

-- ProgrammeFunders lists the funding lines of every programme a funder co-funds,
-- created on or before a date (NULL: all).
-- name: ProgrammeFunders :many
SELECT f.programme_id, p.territory, f.funder_id, f.via_fund_id, f.amount
FROM audit_programme_funders f JOIN audit_programmes p USING (programme_id)
WHERE f.programme_id IN (SELECT pf.programme_id FROM audit_programme_funders pf WHERE pf.funder_id = @funder_id::text)
  AND (sqlc.narg(as_of)::date IS NULL OR p.created_on <= sqlc.narg(as_of)::date)
ORDER BY f.programme_id, f.seq;

-- name: ProgrammesMinted :many
SELECT programme_id, sum(value)::numeric AS value FROM audit_programme_minted
WHERE programme_id = ANY(@programme_ids::text[]) AND (sqlc.narg(as_of)::date IS NULL OR effective_date <= sqlc.narg(as_of)::date)
GROUP BY programme_id;

-- ProgrammeFlows sums the programmes' flows as of a date (NULL: all), each
-- programme's rows one range of the primary key.
-- name: ProgrammeFlows :many
SELECT f.programme_id, f.kind, f.territory, f.place_id, sum(f.amount)::numeric AS amount
FROM unnest(@programme_ids::text[]) AS k(id)
JOIN audit_programme_flows f ON f.flow_key >= k.id || '|' AND f.flow_key < k.id || '}'
WHERE (sqlc.narg(as_of)::date IS NULL OR f.effective_date <= sqlc.narg(as_of)::date)
GROUP BY f.programme_id, f.kind, f.territory, f.place_id;
