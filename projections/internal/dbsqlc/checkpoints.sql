-- name: SetCheckpoint :exec
UPDATE projection_checkpoints SET transaction_id = @transaction_id, position = @position, updated_at = now()
WHERE name = @name AND partition = @partition;

-- CheckpointOf is a projection's checkpoint as readers see it: the least advanced
-- of its partitions (the only one when it is whole).
-- name: CheckpointOf :one
SELECT transaction_id, position FROM projection_checkpoints WHERE name = @name
ORDER BY transaction_id, position LIMIT 1;

-- name: PartitionCheckpoints :many
SELECT name, partition, partitions, transaction_id, position FROM projection_checkpoints
ORDER BY name, partition;

-- LockSplit locks every partition row of a projection (to change its split).
-- name: LockSplit :many
SELECT partition, partitions, transaction_id, position FROM projection_checkpoints
WHERE name = @name ORDER BY partition FOR UPDATE;

-- name: DeleteSplit :exec
DELETE FROM projection_checkpoints WHERE name = @name;

-- InsertSplit creates the rows of partitions 0 … partitions-1 of a projection, all
-- at one cursor.
-- name: InsertSplit :exec
INSERT INTO projection_checkpoints (name, partition, partitions, transaction_id, position)
SELECT sqlc.arg(name)::text, p, sqlc.arg(partitions)::int, sqlc.arg(transaction_id)::xid8, sqlc.arg(position)::bigint
FROM generate_series(0, sqlc.arg(partitions)::int - 1) AS p
ON CONFLICT (name, partition) DO NOTHING;

-- EnsureWhole creates the checkpoint rows (partition 0 of 1) of projections that
-- have none.
-- name: EnsureWhole :exec
INSERT INTO projection_checkpoints (name) SELECT unnest(@names::text[])
ON CONFLICT (name, partition) DO NOTHING;

-- name: LockProjections :exec
SELECT 1 FROM projection_checkpoints WHERE name = ANY(@names::text[]) ORDER BY name, partition FOR UPDATE;

-- DeletePartitions deletes the rows of every partition but 0 (Reset, before
-- ResetWhole).
-- name: DeletePartitions :exec
DELETE FROM projection_checkpoints WHERE name = ANY(@names::text[]) AND partition <> 0;

-- ResetWhole sets projections back to the start of the log, whole: partition 0 of 1.
-- name: ResetWhole :exec
UPDATE projection_checkpoints SET transaction_id = '0', position = 0, partitions = 1, updated_at = now()
WHERE name = ANY(@names::text[]);

-- LockPartition locks the checkpoint row of one partition of a projection (0 of 1
-- when it is whole) for the transaction. The rows of a split are created together
-- (InsertSplit), never one by one.
-- name: LockPartition :one
SELECT transaction_id, position, partitions FROM projection_checkpoints
WHERE name = @name AND partition = @part FOR UPDATE;
