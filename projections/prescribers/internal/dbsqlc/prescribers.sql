-- LoadCarnets reads the stored rows of the carnets ids names (those a batch
-- issues or cancels), face value in cents.
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadCarnets :many
SELECT carnet_id, prescriber_id, programme_id, cheque_count, (value * 100)::bigint AS value_cents, status,
       was_issued, need_level, job_seeker, minted_at, issued_at, cancelled_at
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM prescriber_carnets WHERE carnet_id = k.id LIMIT 1) AS prescriber_carnets;

-- UpsertInfo registers prescribers, one per array index.
-- name: UpsertInfo :exec
INSERT INTO prescriber_info (prescriber_id, name, kind, territory)
SELECT u.id, u.name, u.kind, u.territory
FROM ROWS FROM (unnest(@ids::text[]), unnest(@names::text[]), unnest(@kinds::text[]), unnest(@territories::text[]))
     AS u(id, name, kind, territory)
ON CONFLICT (prescriber_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, territory = EXCLUDED.territory;

-- UpsertCarnets writes back carnets that LoadCarnets read (value in cents), one
-- per array index. New carnets are copied in instead (COPY, see doc.go).
-- name: UpsertCarnets :exec
INSERT INTO prescriber_carnets (carnet_id, prescriber_id, programme_id, cheque_count, value, status, was_issued,
                                need_level, job_seeker, minted_at, issued_at, cancelled_at)
SELECT u.id, u.pr, u.pg, u.c, u.v::numeric / 100, u.s, u.w, u.nl, u.js, u.m, u.i, u.ca
FROM ROWS FROM (unnest(@ids::text[]), unnest(@prescriber_ids::text[]), unnest(@programme_ids::text[]),
                unnest(@cheque_counts::int[]), unnest(@value_cents::bigint[]), unnest(@statuses::text[]),
                unnest(@was_issued::bool[]), unnest(@need_levels::text[]), unnest(@job_seekers::bool[]),
                unnest(@minted_at::timestamptz[]), unnest(@issued_at::timestamptz[]),
                unnest(@cancelled_at::timestamptz[]))
     AS u(id, pr, pg, c, v, s, w, nl, js, m, i, ca)
ON CONFLICT (carnet_id) DO UPDATE SET status = EXCLUDED.status, was_issued = EXCLUDED.was_issued,
  need_level = EXCLUDED.need_level, job_seeker = EXCLUDED.job_seeker, issued_at = EXCLUDED.issued_at,
  cancelled_at = EXCLUDED.cancelled_at;

-- Info is a prescriber's registration.
-- name: Info :one
SELECT name, kind, territory FROM prescriber_info WHERE prescriber_id = @prescriber;

-- StockGroups counts a prescriber's carnets by programme, status, need level and
-- job-seeker flag, with their face value.
-- name: StockGroups :many
SELECT programme_id, status, was_issued, need_level, job_seeker, count(*) AS carnets, sum(value)::numeric AS value
FROM prescriber_carnets WHERE prescriber_id = @prescriber
GROUP BY programme_id, status, was_issued, need_level, job_seeker ORDER BY programme_id;

-- Carnets lists a prescriber's carnets in stock (oldest minted first), then those
-- it issued (latest first), at most lim of each (NULL: no limit).
-- name: Carnets :many
(SELECT s.carnet_id, s.programme_id, s.cheque_count, s.value, s.status, s.need_level, s.job_seeker, s.minted_at,
        s.issued_at, s.cancelled_at
  FROM prescriber_carnets s WHERE s.prescriber_id = @prescriber AND s.status = 'in_stock'
  ORDER BY s.minted_at, s.carnet_id LIMIT sqlc.narg(lim)::bigint)
UNION ALL
(SELECT i.carnet_id, i.programme_id, i.cheque_count, i.value, i.status, i.need_level, i.job_seeker, i.minted_at,
        i.issued_at, i.cancelled_at
  FROM prescriber_carnets i WHERE i.prescriber_id = @prescriber AND i.was_issued
  ORDER BY i.issued_at DESC, i.carnet_id LIMIT sqlc.narg(lim)::bigint);
