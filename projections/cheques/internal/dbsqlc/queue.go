// Package dbsqlc is the SQL of the cheques projection (projections/cheques):
// cheques.sql, compiled by sqlc (sqlc.yaml at the repository root, `make sqlc`)
// against the migrations, and this file, which is not generated.
package dbsqlc

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Queue returns a DBTX on which the generated :exec methods queue their statement
// and arguments on b instead of running it, so that Apply sends all its writes in
// one round trip (pgx.Batch): sqlc's :batchexec runs one statement over many
// argument sets in a batch of its own, not different statements in one batch.
// Exec returns an empty command tag and no error: the statement's error, if any,
// comes from the caller's SendBatch. Query and QueryRow cannot be queued and fail.
// No SQL is written here.
func Queue(b *pgx.Batch) DBTX { return queue{b} }

type queue struct{ b *pgx.Batch }

// Reader is what the projection's query functions receive (core.Querier: a pool, a
// connection or a transaction).
type Reader interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReadOnly returns r as a DBTX for the generated methods that read; Exec fails on
// it.
func ReadOnly(r Reader) DBTX { return readOnly{r} }

type readOnly struct{ Reader }

var errReadOnly = errors.New("dbsqlc: a statement that writes on a read-only querier")

func (readOnly) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errReadOnly
}

var errQueueRows = errors.New("dbsqlc: a statement that returns rows cannot be queued")

func (q queue) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	q.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (queue) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errQueueRows }

func (queue) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

type errRow struct{}

func (errRow) Scan(...any) error { return errQueueRows }
