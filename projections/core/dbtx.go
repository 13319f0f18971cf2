package core

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DBTX is the method set sqlc generates as the DBTX of every projection's
// internal/dbsqlc package (and of projections/internal/dbsqlc): Go interfaces are
// structural, so a DBTX made here (Queue, ReadOnly) can be handed to any of their
// generated methods. A *pgxpool.Pool, a *pgx.Conn and a pgx.Tx are DBTXs too.
type DBTX interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Queue returns a DBTX on which the generated :exec methods queue their statement
// and arguments on b instead of running it, so that Apply sends all the different
// statements of a page in one round trip (SendBatch). sqlc's :batchexec does not
// fit: it runs ONE statement over many argument sets, in a pgx.Batch of its own.
// Exec returns an empty command tag and no error: the statement's error, if any,
// comes from the caller's SendBatch. Query and QueryRow cannot be queued and fail.
// No SQL is written here.
func Queue(b *pgx.Batch) DBTX { return queue{b} }

type queue struct{ b *pgx.Batch }

var errQueueRows = errors.New("projections: a statement that returns rows cannot be queued")

func (q queue) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	q.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (queue) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errQueueRows }

func (queue) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

// errRow is the row of a QueryRow that could not run: its Scan reports why.
type errRow struct{}

func (errRow) Scan(...any) error { return errQueueRows }

// ReadOnly returns q as a DBTX for the generated methods that read (the query
// functions take a Querier, which has no Exec): Query and QueryRow go to q, Exec
// fails without reaching the database.
func ReadOnly(q Querier) DBTX { return readOnly{q} }

type readOnly struct{ Querier }

var errReadOnly = errors.New("projections: a statement that writes on a read-only querier")

func (readOnly) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errReadOnly
}
