package projections

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// Batch is a run of consecutive events of the log, in gap-free reading order, and
// the cursor of the event just before the first one (After; the zero Cursor when
// the batch starts the log). Carrying After lets a receiver tell a repeat (After is
// before its checkpoint) from a gap (After is after its checkpoint) whatever the
// transport did to the messages: lost, repeated or reordered.
type Batch struct {
	After  eventstore.Cursor
	Events []core.Event
}

// Last returns the cursor of the batch's last event (After when it is empty).
func (b Batch) Last() eventstore.Cursor {
	if len(b.Events) == 0 {
		return b.After
	}
	return b.Events[len(b.Events)-1].Cursor()
}

// Result says what ApplyBatch did.
type Result struct {
	// Applied counts the batch's events applied; Skipped those at or before the
	// checkpoint (already applied: a redelivery); Filled the events of a gap read
	// from the store and applied first.
	Applied, Skipped, Filled int
	// Checkpoint is the projection's checkpoint afterwards.
	Checkpoint eventstore.Cursor
}

// DefaultGapChunk bounds the events of a gap that one transaction applies.
const DefaultGapChunk = 5000

// Runner applies batches to projections with exactly-once effect: the rows and the
// checkpoint move in one transaction. It is safe for concurrent use, also by several
// processes on one database: the checkpoint row lock serialises the writers of a
// projection.
type Runner struct {
	pool  *pgxpool.Pool
	store *eventstore.Store
	// GapChunk bounds how many missing events one transaction fills (default
	// DefaultGapChunk); a larger gap is filled in several transactions.
	GapChunk int

	// beforeCommit, set by tests, runs after the rows and the checkpoint are written
	// and before the commit; an error (or a cancelled context) rolls everything back.
	beforeCommit func(ctx context.Context, name string, last eventstore.Cursor) error
}

// NewRunner returns a Runner writing through pool and reading gaps from store.
func NewRunner(pool *pgxpool.Pool, store *eventstore.Store) *Runner {
	return &Runner{pool: pool, store: store, GapChunk: DefaultGapChunk}
}

// ApplyBatch applies b to p, each event exactly once, in one transaction per step:
//
//  1. lock p's checkpoint row (SELECT … FOR UPDATE; the row is created at the zero
//     Cursor when missing): a concurrent ApplyBatch of p, in this process or
//     another, waits here;
//  2. if b.After is after the checkpoint, events are missing (lost or reordered
//     messages, a projection that started late): read them from the store
//     (ReadFrom, at most GapChunk per transaction), apply them and move the
//     checkpoint, commit, and go back to 1;
//  3. drop the batch's events whose cursor is not after the checkpoint (already
//     applied: a redelivery after a crash between commit and acknowledgement);
//  4. Apply the rest, move the checkpoint to the last one, commit.
//
// A crash (or cancelled context) before the commit leaves neither rows nor
// checkpoint; after it, a redelivery applies nothing twice. So whatever the
// transport does, the projection's tables always equal the effect of exactly the
// log prefix up to its checkpoint. Transactions run with synchronous_commit off:
// a transaction lost in a server crash loses its rows and its checkpoint together,
// and is replayed.
func (r *Runner) ApplyBatch(ctx context.Context, p core.Projection, b Batch) (Result, error) {
	var res Result
	for i := 1; i < len(b.Events); i++ {
		if !b.Events[i-1].Cursor().Less(b.Events[i].Cursor()) {
			return res, fmt.Errorf("projections: batch for %s is not in reading order at position %d", p.Name(), b.Events[i].Position)
		}
	}
	if len(b.Events) > 0 && !b.After.Less(b.Events[0].Cursor()) {
		return res, fmt.Errorf("projections: batch for %s starts at %s, not after %s", p.Name(), b.Events[0].Cursor(), b.After)
	}
	for {
		done, err := r.step(ctx, p, b, &res)
		if err != nil {
			return res, fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		if done {
			return res, nil
		}
	}
}

const asyncCommitSQL = `SET LOCAL synchronous_commit TO off`

// step runs one transaction; done is false when it only filled (part of) a gap.
func (r *Runner) step(ctx context.Context, p core.Projection, b Batch, res *Result) (done bool, err error) {
	tx, err := r.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // no-op after commit
	// A projection's commit need not wait for its WAL flush: its rows and its
	// checkpoint are one transaction, so a crash that loses the last few
	// projection commits (at most ~3 × wal_writer_delay) loses them whole, and
	// they are applied again from the older checkpoint — never half, never twice.
	// The events themselves are always committed synchronously.
	if _, err := tx.Exec(ctx, asyncCommitSQL); err != nil {
		return false, err
	}
	cp, err := lockCheckpoint(ctx, tx, p.Name())
	if err != nil {
		return false, err
	}
	res.Checkpoint = cp
	var evs []core.Event
	filling := false
	if cp.Less(b.After) {
		recs, err := r.store.ReadFrom(ctx, cp, r.gapChunk())
		if err != nil {
			return false, err
		}
		n := 0
		for n < len(recs) && !b.After.Less(recs[n].Cursor()) {
			n++
		}
		switch {
		case n > 0:
			if evs, err = core.Decode(recs[:n]); err != nil {
				return false, err
			}
			filling = true
		case len(recs) == 0:
			return false, fmt.Errorf("checkpoint %s is before batch start %s but the store shows no event after it", cp, b.After)
		}
		// n == 0 with events read: nothing lies between the checkpoint and b.After
		// (b.After is not an event's cursor); apply the batch itself.
	}
	if !filling {
		k := 0
		for k < len(b.Events) && !cp.Less(b.Events[k].Cursor()) {
			k++
		}
		res.Skipped += k
		evs = b.Events[k:]
		if len(evs) == 0 {
			return true, nil
		}
	}
	if err := p.Apply(ctx, tx, evs); err != nil {
		return false, err
	}
	last := evs[len(evs)-1].Cursor()
	if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET transaction_id = $2, position = $3, updated_at = now() WHERE name = $1`,
		p.Name(), last.TxID, last.Position); err != nil {
		return false, err
	}
	if r.beforeCommit != nil {
		if err := r.beforeCommit(ctx, p.Name(), last); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	res.Checkpoint = last
	if filling {
		res.Filled += len(evs)
		return false, nil
	}
	res.Applied += len(evs)
	return true, nil
}

func (r *Runner) gapChunk() int {
	if r.GapChunk <= 0 {
		return DefaultGapChunk
	}
	return r.GapChunk
}

// lockCheckpoint creates the projection's checkpoint row if needed, locks it for the
// transaction and returns it. One round trip.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string) (eventstore.Cursor, error) {
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit = off`)
	b.Queue(`INSERT INTO projection_checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, name)
	b.Queue(`SELECT transaction_id, position FROM projection_checkpoints WHERE name = $1 FOR UPDATE`, name)
	br := tx.SendBatch(ctx, b)
	var c eventstore.Cursor
	_, err1 := br.Exec()
	_, err2 := br.Exec()
	err3 := br.QueryRow().Scan(&c.TxID, &c.Position)
	if err := errors.Join(err1, err2, err3, br.Close()); err != nil {
		return eventstore.Cursor{}, fmt.Errorf("lock checkpoint: %w", err)
	}
	return c, nil
}

// Checkpoint returns the cursor of the last event projection name applied (the zero
// Cursor when it applied nothing yet).
func Checkpoint(ctx context.Context, q core.Querier, name string) (eventstore.Cursor, error) {
	return core.CheckpointOf(ctx, q, name)
}

// Checkpoints returns every projection's checkpoint, by name.
func Checkpoints(ctx context.Context, q core.Querier) (map[string]eventstore.Cursor, error) {
	rows, err := q.Query(ctx, `SELECT name, transaction_id, position FROM projection_checkpoints`)
	if err != nil {
		return nil, fmt.Errorf("projections: checkpoints: %w", err)
	}
	defer rows.Close()
	out := map[string]eventstore.Cursor{}
	for rows.Next() {
		var name string
		var c eventstore.Cursor
		if err := rows.Scan(&name, &c.TxID, &c.Position); err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, rows.Err()
}
