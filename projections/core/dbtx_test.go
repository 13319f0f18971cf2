package core

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/projections/internal/dbsqlc"
)

// A DBTX made here is a DBTX of sqlc's generated code (the same method set).
var _ dbsqlc.DBTX = DBTX(nil)

// TestQueue queues two different statements through Queue, sends them in one
// batch and reads their effect back through ReadOnly.
func TestQueue(t *testing.T) {
	ctx := context.Background()
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE queue_probe (k text PRIMARY KEY, n int8 NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	q := Queue(b)
	if _, err := q.Exec(ctx, `INSERT INTO queue_probe VALUES ($1, $2), ($3, $4)`, "a", 1, "b", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Exec(ctx, `UPDATE queue_probe SET n = n + $1 WHERE k = $2`, 40, "a"); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 {
		t.Fatalf("batch holds %d statements, want 2", b.Len())
	}
	if _, err := q.Query(ctx, `SELECT 1`); err == nil {
		t.Error("Query on a Queue: no error")
	}
	var one int
	if err := q.QueryRow(ctx, `SELECT 1`).Scan(&one); err == nil {
		t.Error("QueryRow on a Queue: no error")
	}
	if b.Len() != 2 {
		t.Fatalf("Query and QueryRow queued something: %d statements", b.Len())
	}
	// Nothing ran yet: the statements wait for SendBatch.
	r := ReadOnly(tx)
	var count int
	if err := r.QueryRow(ctx, `SELECT count(*) FROM queue_probe`).Scan(&count); err != nil || count != 0 {
		t.Fatalf("before SendBatch: %d rows, %v; want 0", count, err)
	}
	if err := SendBatch(ctx, tx, b); err != nil {
		t.Fatal(err)
	}
	rows, err := r.Query(ctx, `SELECT k, n FROM queue_probe ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]any, error) {
		var k string
		var n int64
		err := row.Scan(&k, &n)
		return [2]any{k, n}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := [][2]any{{"a", int64(41)}, {"b", int64(2)}}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("rows %v, want %v", got, want)
	}
	// ReadOnly refuses to write, even on a querier that could.
	if _, err := r.Exec(ctx, `DELETE FROM queue_probe`); !errors.Is(err, errReadOnly) {
		t.Errorf("Exec on ReadOnly: %v, want errReadOnly", err)
	}
	if err := r.QueryRow(ctx, `SELECT count(*) FROM queue_probe`).Scan(&count); err != nil || count != 2 {
		t.Errorf("after the refused Exec: %d rows, %v; want 2", count, err)
	}
}
