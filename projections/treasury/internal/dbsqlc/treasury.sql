-- The treasury projection (projections/treasury). Apply copies advances and
-- repayments with COPY (projections/treasury/treasury.go), loads the bank lines
-- and movements a page matches, and queues the two upserts below in one
-- pgx.Batch (core.Queue); the reads are projections/treasury/query.go's.

-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: BankLinesByID :many
SELECT t.bank_line_id, t.value_date, t.amount, t.reference, t.label, t.movement_kind, t.movement_id, t.matched_at
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM treasury_bank_lines WHERE bank_line_id = k.id LIMIT 1) AS t;

-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: MovementsByKey :many
SELECT m.kind, m.movement_id, m.amount, m.value_date, m.reference, m.bank_line_id, m.matched_at
FROM ROWS FROM (unnest((SELECT @kinds::text[])), unnest((SELECT @ids::text[]))) AS u(k, id)
CROSS JOIN LATERAL (SELECT * FROM treasury_movements WHERE kind = u.k AND movement_id = u.id LIMIT 1) AS m;

-- UpsertBankLines writes bank lines whole (amounts in cents).
-- name: UpsertBankLines :exec
INSERT INTO treasury_bank_lines (bank_line_id, value_date, amount, reference, label, movement_kind, movement_id, matched_at)
SELECT u.id, u.d, u.a::numeric / 100, u.r, u.l, u.k, u.m, u.ma
FROM ROWS FROM (unnest(@ids::text[]), unnest(@dates::date[]), unnest(@cents::bigint[]), unnest(@refs::text[]),
                unnest(@labels::text[]), unnest(@movement_kinds::text[]), unnest(@movement_ids::text[]),
                unnest(@matched_at::timestamptz[]))
     AS u(id, d, a, r, l, k, m, ma)
ON CONFLICT (bank_line_id) DO UPDATE SET value_date = EXCLUDED.value_date, amount = EXCLUDED.amount,
  reference = EXCLUDED.reference, label = EXCLUDED.label, movement_kind = EXCLUDED.movement_kind,
  movement_id = EXCLUDED.movement_id, matched_at = EXCLUDED.matched_at;

-- UpsertMovements writes expected movements whole; an amount is NULL while only
-- the movement's match is known.
-- name: UpsertMovements :exec
INSERT INTO treasury_movements (kind, movement_id, amount, value_date, reference, bank_line_id, matched_at)
SELECT u.k, u.id, u.a, u.d, u.r, u.l, u.ma
FROM ROWS FROM (unnest(@kinds::text[]), unnest(@ids::text[]), unnest(@amounts::numeric[]), unnest(@dates::date[]),
                unnest(@refs::text[]), unnest(@bank_line_ids::text[]), unnest(@matched_at::timestamptz[]))
     AS u(k, id, a, d, r, l, ma)
ON CONFLICT (kind, movement_id) DO UPDATE SET amount = EXCLUDED.amount, value_date = EXCLUDED.value_date,
  reference = EXCLUDED.reference, bank_line_id = EXCLUDED.bank_line_id, matched_at = EXCLUDED.matched_at;

-- Advances lists the advances granted on or before a date with what was repaid by then.
-- name: Advances :many
SELECT a.contribution_id, a.advance_id, a.funder_id, a.fund_id, a.programme_id, a.amount, a.granted_on,
  coalesce((SELECT sum(r.amount) FROM treasury_repayments r
            WHERE r.contribution_id = a.contribution_id AND r.advance_id = a.advance_id AND r.repaid_on <= @as_of::date), 0)::numeric AS repaid
FROM treasury_advances a WHERE a.granted_on <= @as_of::date
ORDER BY a.granted_on, a.contribution_id, a.advance_id;

-- name: BankLines :many
SELECT bank_line_id, value_date, amount, reference, label, movement_kind, movement_id, matched_at
FROM treasury_bank_lines ORDER BY value_date, bank_line_id;

-- name: UnmatchedMovements :many
SELECT kind, movement_id, amount, value_date, reference FROM treasury_movements
WHERE bank_line_id = '' AND amount IS NOT NULL ORDER BY value_date, kind, movement_id;
