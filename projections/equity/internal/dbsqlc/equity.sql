-- The equity projection (projections/equity). Apply loads the territories of the
-- programmes a page names and queues the writes below in one pgx.Batch
-- (core.Queue); the reads are Report's (projections/equity/report.go). Amounts
-- travel as whole cents (bigint) and become numeric(18,2) here.

-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: ProgrammeTerritories :many
SELECT p.programme_id, p.territory FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM equity_programmes WHERE programme_id = k.id LIMIT 1) AS p;

-- name: InsertNeeds :exec
INSERT INTO equity_needs (territory, position, as_of, population, fragility_rate, need)
SELECT u.t, u.p, u.d, u.pop, u.r, u.n
FROM ROWS FROM (unnest(@territories::text[]), unnest(@positions::bigint[]), unnest(@as_of::date[]),
                unnest(@populations::bigint[]), unnest(@fragility_rates::numeric[]), unnest(@needs::numeric[]))
     AS u(t, p, d, pop, r, n)
ON CONFLICT DO NOTHING;

-- name: InsertFundTerritories :exec
INSERT INTO equity_fund_territories (fund_id, territory)
SELECT u.f, u.t FROM ROWS FROM (unnest(@fund_ids::text[]), unnest(@territories::text[])) AS u(f, t)
ON CONFLICT DO NOTHING;

-- name: InsertProgrammes :exec
INSERT INTO equity_programmes (programme_id, territory)
SELECT u.p, u.t FROM ROWS FROM (unnest(@programme_ids::text[]), unnest(@territories::text[])) AS u(p, t)
ON CONFLICT DO NOTHING;

-- UpsertAllocations adds péréquation allocations per fund, territory and day.
-- name: UpsertAllocations :exec
INSERT INTO equity_allocations (fund_id, territory, effective_date, amount)
SELECT u.f, u.t, u.d, u.a::numeric / 100
FROM ROWS FROM (unnest(@fund_ids::text[]), unnest(@territories::text[]), unnest(@dates::date[]), unnest(@cents::bigint[]))
     AS u(f, t, d, a)
ON CONFLICT (fund_id, territory, effective_date) DO UPDATE SET amount = equity_allocations.amount + EXCLUDED.amount;

-- UpsertProgrammeFlows adds each programme's figures per day.
-- name: UpsertProgrammeFlows :exec
INSERT INTO equity_programme_flows (programme_id, effective_date, territory, minted, issued, redeemed, expired, blocked)
SELECT u.p, u.d, u.t, u.mi::numeric / 100, u.i::numeric / 100, u.r::numeric / 100, u.e::numeric / 100, u.b::numeric / 100
FROM ROWS FROM (unnest(@programme_ids::text[]), unnest(@dates::date[]), unnest(@territories::text[]),
                unnest(@minted::bigint[]), unnest(@issued::bigint[]), unnest(@redeemed::bigint[]),
                unnest(@expired::bigint[]), unnest(@blocked::bigint[]))
     AS u(p, d, t, mi, i, r, e, b)
ON CONFLICT (programme_id, effective_date) DO UPDATE SET
  minted = equity_programme_flows.minted + EXCLUDED.minted,
  issued = equity_programme_flows.issued + EXCLUDED.issued,
  redeemed = equity_programme_flows.redeemed + EXCLUDED.redeemed,
  expired = equity_programme_flows.expired + EXCLUDED.expired,
  blocked = equity_programme_flows.blocked + EXCLUDED.blocked;

-- name: FundTerritories :many
SELECT territory FROM equity_fund_territories WHERE fund_id = @fund_id;

-- Allocations sums the allocations per territory and fund (of one fund, or of
-- every fund when fund_id is ''), as of a date (NULL: all).
-- name: Allocations :many
SELECT territory, fund_id, sum(amount)::numeric AS amount FROM equity_allocations
WHERE (@fund_id::text = '' OR fund_id = @fund_id::text) AND (sqlc.narg(as_of)::date IS NULL OR effective_date <= sqlc.narg(as_of)::date)
GROUP BY territory, fund_id ORDER BY territory, fund_id;

-- Needs gives each territory's latest need record as of a date (NULL: all; ties:
-- the last recorded).
-- name: Needs :many
SELECT DISTINCT ON (territory) territory, population, fragility_rate, need FROM equity_needs
WHERE (sqlc.narg(as_of)::date IS NULL OR as_of <= sqlc.narg(as_of)::date) ORDER BY territory, as_of DESC, position DESC;

-- name: TerritoryFigures :many
SELECT territory, sum(minted)::numeric AS minted, sum(issued)::numeric AS issued, sum(redeemed)::numeric AS redeemed,
       sum(expired)::numeric AS expired, sum(blocked)::numeric AS blocked
FROM equity_programme_flows WHERE (sqlc.narg(as_of)::date IS NULL OR effective_date <= sqlc.narg(as_of)::date) GROUP BY territory;
