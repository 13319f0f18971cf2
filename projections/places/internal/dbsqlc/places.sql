-- LoadPlaces reads the stored rows of the places ids names (those a batch
-- relabels or gives a bank account).
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadPlaces :many
SELECT place_id, name, siret, territory, label_status, label_effective_on, iban, bic, bank_holder
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM place_info WHERE place_id = k.id LIMIT 1) AS place_info;

-- LoadRedemptions reads the stored rows of the redemptions ids names (those a
-- batch reverses), amount in cents.
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadRedemptions :many
SELECT redemption_id, place_id, serial, programme_id, session_date, redeemed_at, (amount * 100)::bigint AS amount_cents,
       reversed_at, position
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM place_redemptions WHERE redemption_id = k.id LIMIT 1) AS place_redemptions;

-- LoadBatches reads the stored rows of the batches ids names (those a batch pays).
-- One index lookup per key, whatever the table's size (projections/core: key lookups).
-- name: LoadBatches :many
SELECT batch_id, cut_off, created_at, paid_on, bank_reference
FROM unnest((SELECT @ids::text[])) AS k(id)
CROSS JOIN LATERAL (SELECT * FROM place_batches WHERE batch_id = k.id LIMIT 1) AS place_batches;

-- UpsertPlaces writes places, one per array index.
-- name: UpsertPlaces :exec
INSERT INTO place_info (place_id, name, siret, territory, label_status, label_effective_on, iban, bic, bank_holder)
SELECT u.id, u.name, u.siret, u.territory, u.label, u.label_on, u.iban, u.bic, u.holder
FROM ROWS FROM (unnest(@ids::text[]), unnest(@names::text[]), unnest(@sirets::text[]), unnest(@territories::text[]),
                unnest(@label_statuses::text[]), unnest(@label_effective_on::date[]), unnest(@ibans::text[]),
                unnest(@bics::text[]), unnest(@holders::text[]))
     AS u(id, name, siret, territory, label, label_on, iban, bic, holder)
ON CONFLICT (place_id) DO UPDATE SET name = EXCLUDED.name, siret = EXCLUDED.siret, territory = EXCLUDED.territory,
  label_status = EXCLUDED.label_status, label_effective_on = EXCLUDED.label_effective_on,
  iban = EXCLUDED.iban, bic = EXCLUDED.bic, bank_holder = EXCLUDED.bank_holder;

-- UpsertRedemptions writes back redemptions that LoadRedemptions read (amount in
-- cents), one per array index; only their reversal can change. New redemptions
-- are copied in instead (COPY, see doc.go).
-- name: UpsertRedemptions :exec
INSERT INTO place_redemptions (redemption_id, place_id, serial, programme_id, session_date, redeemed_at, amount,
                               reversed_at, position)
SELECT u.id, u.pl, u.s, u.p, u.sd, u.ra, u.a::numeric / 100, u.rv, u.pos
FROM ROWS FROM (unnest(@ids::text[]), unnest(@place_ids::text[]), unnest(@serials::text[]),
                unnest(@programme_ids::text[]), unnest(@session_dates::date[]), unnest(@redeemed_at::timestamptz[]),
                unnest(@amount_cents::bigint[]), unnest(@reversed_at::timestamptz[]), unnest(@positions::bigint[]))
     AS u(id, pl, s, p, sd, ra, a, rv, pos)
ON CONFLICT (redemption_id) DO UPDATE SET reversed_at = EXCLUDED.reversed_at;

-- UpsertBatches writes reimbursement batches, one per array index; only their
-- payment can change.
-- name: UpsertBatches :exec
INSERT INTO place_batches (batch_id, cut_off, created_at, paid_on, bank_reference)
SELECT u.id, u.cut_off, u.created_at, u.paid_on, u.ref
FROM ROWS FROM (unnest(@ids::text[]), unnest(@cut_offs::date[]), unnest(@created_at::timestamptz[]),
                unnest(@paid_on::date[]), unnest(@bank_references::text[]))
     AS u(id, cut_off, created_at, paid_on, ref)
ON CONFLICT (batch_id) DO UPDATE SET paid_on = EXCLUDED.paid_on, bank_reference = EXCLUDED.bank_reference;

-- InsertBatchLines inserts the lines of reimbursement batches (amount in cents),
-- one per array index; a line already there is left as it is.
-- name: InsertBatchLines :exec
INSERT INTO place_batch_lines (batch_id, place_id, amount, count)
SELECT u.b, u.p, u.a::numeric / 100, u.c
FROM ROWS FROM (unnest(@batch_ids::text[]), unnest(@place_ids::text[]), unnest(@amount_cents::bigint[]),
                unnest(@counts::int[]))
     AS u(b, p, a, c)
ON CONFLICT DO NOTHING;

-- Info is a place's registration and label.
-- name: Info :one
SELECT name, siret, territory, label_status FROM place_info WHERE place_id = @place;

-- StatementRedemptions lists a place's redemptions in the order they were
-- redeemed, each with the batch that claimed it and the day that batch was paid.
-- name: StatementRedemptions :many
SELECT r.redemption_id, r.serial, r.programme_id, r.session_date, r.redeemed_at, r.amount,
       coalesce(k.batch_id, '')::text AS batch_id, r.reversed_at, b.paid_on
FROM place_redemptions r
LEFT JOIN place_claims k ON k.redemption_id = r.redemption_id
LEFT JOIN place_batches b ON b.batch_id = k.batch_id
WHERE r.place_id = @place ORDER BY r.redeemed_at, r.redemption_id;

-- StatementBatches lists a place's lines of reimbursement batches, by creation.
-- name: StatementBatches :many
SELECT b.batch_id, b.cut_off, b.created_at, l.amount, l.count, b.paid_on, b.bank_reference
FROM place_batch_lines l JOIN place_batches b ON b.batch_id = l.batch_id
WHERE l.place_id = @place ORDER BY b.created_at, b.batch_id;

-- Batch is one reimbursement batch.
-- name: Batch :one
SELECT cut_off, created_at, paid_on, bank_reference FROM place_batches WHERE batch_id = @batch_id;

-- BatchLines lists a batch's lines by place, with each place's name and current
-- bank account.
-- name: BatchLines :many
SELECT l.place_id, coalesce(i.name, '')::text AS name, coalesce(i.siret, '')::text AS siret,
       coalesce(i.territory, '')::text AS territory, coalesce(i.iban, '')::text AS iban,
       coalesce(i.bic, '')::text AS bic, coalesce(i.bank_holder, '')::text AS bank_holder, l.amount, l.count
FROM place_batch_lines l LEFT JOIN place_info i ON i.place_id = l.place_id
WHERE l.batch_id = @batch_id ORDER BY l.place_id;

-- BatchList lists the reimbursement batches, the latest first, with the sums of
-- their lines.
-- name: BatchList :many
SELECT b.batch_id, b.cut_off, b.created_at, count(l.place_id) AS places, coalesce(sum(l.count), 0)::bigint AS redemptions,
       coalesce(sum(l.amount), 0)::numeric AS total, b.paid_on, b.bank_reference
FROM place_batches b LEFT JOIN place_batch_lines l ON l.batch_id = b.batch_id
GROUP BY b.batch_id ORDER BY b.created_at DESC, b.batch_id;
