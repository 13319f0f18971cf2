// Package dbsqlc is the SQL of the prescribers projection
// (projections/prescribers): prescribers.sql, compiled by sqlc (sqlc.yaml at the
// repository root, `make sqlc`) against the migrations; every other file here is
// generated. The projection runs the generated writes on core.Queue (queued in one
// pgx.Batch) and the generated reads on core.ReadOnly (a core.Querier).
package dbsqlc
