-- The hash chain's checkpoints (eventstore/chain.go).

-- name: TryChainerLock :one
SELECT pg_try_advisory_xact_lock(@lock_id::int8);

-- name: LastCheckpoint :one
SELECT seq, last_position, last_transaction_id::text AS last_transaction_id, hash
FROM event_chain_checkpoints ORDER BY seq DESC LIMIT 1;

-- ChainRange is ReadFrom's page, reduced to what a checkpoint hashes.
-- name: ChainRange :many
SELECT position, transaction_id::text AS transaction_id, hash FROM events
WHERE (transaction_id, position) > ((@after_txid::text)::xid8, @after_position::int8)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id, events.position LIMIT @max_events::int8;

-- name: InsertCheckpoint :exec
INSERT INTO event_chain_checkpoints
(seq, first_position, last_position, last_transaction_id, event_count, prev_hash, hash)
VALUES (@seq, @first_position, @last_position, (@last_transaction_id::text)::xid8, @event_count, @prev_hash, @hash);

-- name: Checkpoints :many
SELECT seq, first_position, last_position, last_transaction_id::text AS last_transaction_id,
       event_count, prev_hash, hash
FROM event_chain_checkpoints ORDER BY seq;
