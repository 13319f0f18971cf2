-- LoadCarnets reads the stored rows of the carnets ids names (those a batch
-- issues or cancels), face value in cents.
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadCarnets :many
SELECT carnet_id, programme_id, prescriber_id, ordinal, cheque_count, (cheque_value * 100)::bigint AS value_cents,
       status, was_issued, territory, need_level, job_seeker, minted_at, issued_at, cancelled_at, cancel_reason
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM cheque_carnets WHERE carnet_id = k.id LIMIT 1) AS cheque_carnets;

-- LoadCheques reads the stored rows of the cheques serials names (those a batch
-- redeems, reverses, expires or blocks), amount in cents (has_amount: not NULL).
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadCheques :many
SELECT serial, carnet_id, programme_id, status, redemption_id, place_id, place_territory, session_date, redeemed_at,
       coalesce((amount * 100)::bigint, 0)::bigint AS amount_cents, (amount IS NOT NULL)::bool AS has_amount,
       reversals, closed_on, last_position
FROM unnest((SELECT @serials::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM cheques WHERE serial = k.id LIMIT 1) AS cheques;

-- LoadBatches reads the stored rows of the batches ids names (those a batch pays).
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadBatches :many
SELECT batch_id, cut_off, created_at, paid_on, bank_reference
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM cheque_batches WHERE batch_id = k.id LIMIT 1) AS cheque_batches;

-- UpsertProgramme records a programme and the day it closed (NULL: open).
-- name: UpsertProgramme :exec
INSERT INTO cheque_programmes (programme_id, closed_on) VALUES (@programme_id, @closed_on)
ON CONFLICT (programme_id) DO UPDATE SET closed_on = EXCLUDED.closed_on;

-- UpsertCarnets writes back carnets that LoadCarnets read (value in cents), one
-- per array index. New carnets are copied in instead (COPY, see doc.go).
-- name: UpsertCarnets :exec
INSERT INTO cheque_carnets (carnet_id, programme_id, prescriber_id, ordinal, cheque_count, cheque_value, status,
                            was_issued, territory, need_level, job_seeker, minted_at, issued_at, cancelled_at, cancel_reason)
SELECT u.id, u.p, u.pr, u.o, u.c, u.v::numeric / 100, u.s, u.wi, u.t, u.nl, u.js, u.m, u.i, u.ca, u.r
FROM ROWS FROM (unnest(@ids::text[]), unnest(@programme_ids::text[]), unnest(@prescriber_ids::text[]),
                unnest(@ordinals::int[]), unnest(@cheque_counts::int[]), unnest(@value_cents::bigint[]),
                unnest(@statuses::text[]), unnest(@was_issued::bool[]), unnest(@territories::text[]),
                unnest(@need_levels::text[]), unnest(@job_seekers::bool[]), unnest(@minted_at::timestamptz[]),
                unnest(@issued_at::timestamptz[]), unnest(@cancelled_at::timestamptz[]),
                unnest(@cancel_reasons::text[]))
     AS u(id, p, pr, o, c, v, s, wi, t, nl, js, m, i, ca, r)
ON CONFLICT (carnet_id) DO UPDATE SET status = EXCLUDED.status, was_issued = EXCLUDED.was_issued,
  territory = EXCLUDED.territory, need_level = EXCLUDED.need_level, job_seeker = EXCLUDED.job_seeker,
  issued_at = EXCLUDED.issued_at, cancelled_at = EXCLUDED.cancelled_at, cancel_reason = EXCLUDED.cancel_reason;

-- UpsertCheques writes back cheques that LoadCheques read (amount in cents, NULL
-- where has_amount is false), one per array index. New cheques are copied in instead (COPY, see doc.go).
-- name: UpsertCheques :exec
INSERT INTO cheques (serial, carnet_id, programme_id, status, redemption_id, place_id, place_territory,
                     session_date, redeemed_at, amount, reversals, closed_on, last_position)
SELECT u.s, u.c, u.p, u.st, u.r, u.pl, u.pt, u.sd, u.ra, CASE WHEN u.h THEN u.a::numeric / 100 END, u.rv, u.co, u.lp
FROM ROWS FROM (unnest(@serials::text[]), unnest(@carnet_ids::text[]), unnest(@programme_ids::text[]),
                unnest(@statuses::text[]), unnest(@redemption_ids::text[]), unnest(@place_ids::text[]),
                unnest(@place_territories::text[]), unnest(@session_dates::date[]),
                unnest(@redeemed_at::timestamptz[]), unnest(@amount_cents::bigint[]), unnest(@has_amount::bool[]),
                unnest(@reversals::int[]), unnest(@closed_on::date[]), unnest(@last_positions::bigint[]))
     AS u(s, c, p, st, r, pl, pt, sd, ra, a, h, rv, co, lp)
ON CONFLICT (serial) DO UPDATE SET status = EXCLUDED.status, redemption_id = EXCLUDED.redemption_id,
  place_id = EXCLUDED.place_id, place_territory = EXCLUDED.place_territory, session_date = EXCLUDED.session_date,
  redeemed_at = EXCLUDED.redeemed_at, amount = EXCLUDED.amount, reversals = EXCLUDED.reversals,
  closed_on = EXCLUDED.closed_on, last_position = EXCLUDED.last_position;

-- UpsertBatches writes reimbursement batches, one per array index; only their
-- payment can change.
-- name: UpsertBatches :exec
INSERT INTO cheque_batches (batch_id, cut_off, created_at, paid_on, bank_reference)
SELECT u.id, u.cut_off, u.created_at, u.paid_on, u.ref
FROM ROWS FROM (unnest(@ids::text[]), unnest(@cut_offs::date[]), unnest(@created_at::timestamptz[]),
                unnest(@paid_on::date[]), unnest(@bank_references::text[]))
     AS u(id, cut_off, created_at, paid_on, ref)
ON CONFLICT (batch_id) DO UPDATE SET paid_on = EXCLUDED.paid_on, bank_reference = EXCLUDED.bank_reference;

-- Carnet is a carnet with the day its programme closed (NULL: open, or a
-- programme this projection has not seen).
-- name: Carnet :one
SELECT k.programme_id, k.prescriber_id, k.cheque_count, k.cheque_value, k.status, k.territory, k.need_level,
       k.issued_at, k.cancelled_at, p.closed_on
FROM cheque_carnets k LEFT JOIN cheque_programmes p ON p.programme_id = k.programme_id
WHERE k.carnet_id = @carnet_id;

-- Cheque is the row of a cheque that was redeemed at least once, with the batch
-- that claimed its standing redemption and the day that batch was paid.
-- name: Cheque :one
SELECT c.status, c.redemption_id, c.place_id, c.place_territory, c.session_date, c.redeemed_at, c.amount,
       coalesce(k.batch_id, '')::text AS batch_id, c.reversals, c.closed_on, b.paid_on
FROM cheques c
LEFT JOIN cheque_claims k ON k.redemption_id = c.redemption_id AND c.status = 'redeemed'
LEFT JOIN cheque_batches b ON b.batch_id = k.batch_id
WHERE c.serial = @serial;

-- UnclaimedRedemptions lists, sorted, the serials of the cheques whose standing
-- redemption no batch claimed and that were redeemed before redeemed_before.
-- name: UnclaimedRedemptions :many
SELECT c.serial FROM cheques c
WHERE c.status = 'redeemed' AND c.redeemed_at < @redeemed_before
  AND NOT EXISTS (SELECT 1 FROM cheque_claims k WHERE k.redemption_id = c.redemption_id)
ORDER BY c.serial;

-- CountByStatus counts the cheques that have a row by status, then the others by
-- the status their carnet and programme give them (a status can come twice).
-- name: CountByStatus :many
SELECT status, count(*)::bigint AS cheques FROM cheques GROUP BY status
UNION ALL
SELECT CASE WHEN k.status = 'cancelled' THEN 'blocked' WHEN p.closed_on IS NOT NULL THEN 'expired' ELSE k.status END,
       sum(k.cheque_count - coalesce(t.n, 0))::bigint
FROM cheque_carnets k
LEFT JOIN cheque_programmes p ON p.programme_id = k.programme_id
LEFT JOIN (SELECT r.carnet_id, count(*) AS n FROM cheques r GROUP BY r.carnet_id) t ON t.carnet_id = k.carnet_id
GROUP BY 1;
