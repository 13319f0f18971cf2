// Package dbsqlc is the SQL of the projections' checkpoints (projection_checkpoints:
// one row per projection and partition, a cursor of the event store's gap-free
// order), compiled by sqlc (sqlc.yaml; `make sqlc`) from checkpoints.sql against the
// schema the migrations build. projections/core (CheckpointOf), projections' Runner
// and Reset use it; the projections' own tables are their packages' business.
package dbsqlc
