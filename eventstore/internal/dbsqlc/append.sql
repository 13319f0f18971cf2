-- The group commit (eventstore/group.go). Its first phase is one pgx.Batch
-- (BEGIN, LockKeys, IdempotencyRecords, StreamHeads) and its last another
-- (InsertIdempotencyRecords, COMMIT): batch.go queues these statements.

-- name: Begin :exec
BEGIN;

-- name: Commit :exec
COMMIT;

-- name: Rollback :exec
ROLLBACK;

-- LockKeys takes the advisory locks of a group's streams and keys, in the order
-- given (sorted by the caller), shared or exclusive.
-- name: LockKeys :one
SELECT count(CASE WHEN u.shared THEN pg_advisory_xact_lock_shared(u.k) ELSE pg_advisory_xact_lock(u.k) END)
FROM ROWS FROM (unnest(@keys::int8[]), unnest(@shared::bool[])) AS u(k, shared);

-- IdempotencyRecords and StreamHeads read their array through a scalar
-- subquery, (SELECT @array)::type, which the planner cannot look into: their
-- plans do not depend on the array's length, so PostgreSQL keeps one generic
-- plan per connection after five executions instead of planning each call anew
-- (a custom plan for an array of one key looks cheaper than the generic plan,
-- which assumes ten, so it won every time: 117 µs of planning per StreamHeads
-- and 71 µs per IdempotencyRecords against 59 and 29 µs of execution, measured
-- with pg_stat_statements over make test, docs/benchmarks.md "Plans kept"). The
-- generic plans are index plans at any table size: a primary-key lookup here,
-- and one backward index step per stream (LIMIT 1) in StreamHeads; a plan
-- made on an empty table is the one a large table wants.
-- name: IdempotencyRecords :many
SELECT key, request_hash, result, response FROM event_idempotency
WHERE key = ANY((SELECT @keys::text[])::text[]);

-- StreamHeads returns each stream's last version and hash (0 and NULL when empty).
-- name: StreamHeads :many
SELECT s.stream_id::text AS stream_id, coalesce(h.stream_version, 0)::int8 AS stream_version, h.hash
FROM unnest((SELECT @streams::text[])) AS s(stream_id)
LEFT JOIN LATERAL (
    SELECT e.stream_version, e.hash FROM events e
    WHERE e.stream_id = s.stream_id ORDER BY e.stream_version DESC LIMIT 1
) h ON true;

-- InsertEvents writes a group's events in the order of the arrays and returns
-- their positions and transaction id in that order.
-- name: InsertEvents :many
INSERT INTO events (event_id, stream_id, stream_version, event_type, payload,
                    metadata, recorded_at, content_hash, hash)
SELECT u.event_id, u.stream_id, u.stream_version, u.event_type, u.payload::json,
       u.metadata::json, u.recorded_at, u.content_hash, u.hash
  FROM ROWS FROM (unnest(@event_ids::uuid[]), unnest(@stream_ids::text[]), unnest(@stream_versions::int8[]),
                  unnest(@event_types::text[]), unnest(@payloads::text[]), unnest(@metadata::text[]),
                  unnest(@recorded_at::timestamptz[]), unnest(@content_hashes::bytea[]), unnest(@hashes::bytea[]))
       WITH ORDINALITY AS u(event_id, stream_id, stream_version, event_type, payload,
                            metadata, recorded_at, content_hash, hash, ord)
 ORDER BY u.ord
RETURNING events.position, events.transaction_id::text AS transaction_id;

-- name: InsertIdempotencyRecords :exec
INSERT INTO event_idempotency (key, request_hash, result, response)
SELECT u.key, u.request_hash, u.result, u.response
  FROM ROWS FROM (unnest(@keys::text[]), unnest(@request_hashes::bytea[]), unnest(@results::jsonb[]),
                  unnest(@responses::bytea[])) AS u(key, request_hash, result, response);
