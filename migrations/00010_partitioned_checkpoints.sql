-- Partitioned projections (issue 12): a projection that can be split by
-- département (cheques, places, prescribers, equity) may run as n partitions,
-- each applying the events whose département falls in it and keeping its own
-- checkpoint, in the same transaction as its rows. A checkpoint is therefore keyed
-- by (name, partition), and says how many partitions the projection was split
-- into (partitions), so that a worker started with another split is refused.
--
-- Existing checkpoints stay valid unchanged: a whole projection is partition 0 of
-- 1. A projection's checkpoint, as readers (min_position, Reached) see it, is the
-- least advanced of its partitions' (projections/core.CheckpointOf).

-- +goose Up
ALTER TABLE projection_checkpoints
    ADD COLUMN partition  int NOT NULL DEFAULT 0,
    ADD COLUMN partitions int NOT NULL DEFAULT 1,
    ADD CONSTRAINT projection_checkpoints_partition_check CHECK (partition >= 0 AND partition < partitions);
ALTER TABLE projection_checkpoints DROP CONSTRAINT projection_checkpoints_pkey;
ALTER TABLE projection_checkpoints ADD PRIMARY KEY (name, partition);

-- +goose Down
DELETE FROM projection_checkpoints WHERE partition <> 0;
ALTER TABLE projection_checkpoints DROP CONSTRAINT projection_checkpoints_pkey;
ALTER TABLE projection_checkpoints ADD PRIMARY KEY (name);
ALTER TABLE projection_checkpoints DROP CONSTRAINT projection_checkpoints_partition_check,
    DROP COLUMN partition, DROP COLUMN partitions;
