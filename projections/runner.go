package projections

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/internal/dbsqlc"
)

// Batch is a run of consecutive events of the log, in gap-free reading order, and
// the cursor of the event just before the first one (After; the zero Cursor when
// the batch starts the log). Carrying After lets a receiver tell a repeat (After is
// before its checkpoint) from a gap (After is after its checkpoint) whatever the
// transport did to the messages: lost, repeated or reordered.
//
// A batch decoded from a page message (the handlers' pageCache) carries its events
// with their payloads not decoded yet (Data nil): the Runner decodes, through the
// page, those the projection applies — every one for a whole projection, only those
// routed to it for a partition — each at most once per process.
type Batch struct {
	After  eventstore.Cursor
	Events []core.Event
	// page, when set, is the page Events come from (Events are page.evs).
	page *page
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

	// applied are the batch's events handed to the projection (decoded): those
	// routed to it for a partition, all those applied otherwise.
	applied []core.Event
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
//  1. lock p's checkpoint row, that of its partition when p is one (Partition),
//     created at the zero Cursor with the other rows of its split when missing
//     (ensureSplit): a concurrent ApplyBatch of p, in this process or another,
//     waits here;
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
	resplit := false
	for {
		done, err := r.step(ctx, p, b, &res)
		var ws *wrongSplitError
		if errors.As(err, &ws) && !resplit {
			// The checkpoints say another split (or none yet): make them this
			// one's if they allow it, and try again once.
			resplit = true
			if err = ensureSplit(ctx, r.pool, p.Name(), PartOf(p).Count); err == nil {
				continue
			}
		}
		if err != nil {
			return res, fmt.Errorf("projections: %s: %w", p.Name(), err)
		}
		if done {
			return res, nil
		}
	}
}

// asyncCommitSQL is the one statement of the Runner that is not in sqlc
// (projections/internal/dbsqlc): a SET, which sqlc does not compile.
const asyncCommitSQL = `SET LOCAL synchronous_commit TO off`

// wrongSplitError says that the checkpoint rows of a projection are not those of
// the partition asked for: another split, or none yet.
type wrongSplitError struct {
	name      string
	part      Part
	found     int
	isMissing bool
}

func (e *wrongSplitError) Error() string {
	if e.isMissing {
		return fmt.Sprintf("no checkpoint row for partition %s of %s", e.part, e.name)
	}
	return fmt.Sprintf("%s runs as %d partition(s), not %d", e.name, e.found, e.part.Count)
}

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
	part := PartOf(p)
	cp, err := lockCheckpoint(ctx, tx, p.Name(), part)
	if err != nil {
		return false, err
	}
	res.Checkpoint = cp
	var evs []core.Event
	// decode returns evs[i] decoded (nil when evs are decoded already).
	var decode func(i int) (core.Event, error)
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
			evs = make([]core.Event, n)
			for i := range evs {
				evs[i].RecordedEvent = recs[i]
			}
			decode = func(i int) (core.Event, error) { return core.DecodeRecord(recs[i]) }
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
		if b.page != nil {
			decode = func(i int) (core.Event, error) { return b.page.event(k + i) }
		}
	}
	applied, err := apply(ctx, tx, p, evs, decode)
	if err != nil {
		return false, err
	}
	last := evs[len(evs)-1].Cursor()
	if err := queries.SetCheckpoint(ctx, tx, dbsqlc.SetCheckpointParams{Name: p.Name(), Partition: int32(part.Index),
		TransactionID: last.TxID, Position: last.Position}); err != nil {
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
	res.applied = applied
	return true, nil
}

// apply hands p the events of evs it applies and returns them. When decode is
// set, evs are not decoded yet (Data nil) and decode(i) gives evs[i] decoded: a
// partition (Partition) decodes only the events routed to it, a whole projection
// all of them.
func apply(ctx context.Context, tx pgx.Tx, p core.Projection, evs []core.Event, decode func(i int) (core.Event, error)) ([]core.Event, error) {
	if q, ok := p.(*partitioned); ok {
		return q.apply(ctx, tx, evs, decode)
	}
	if decode != nil {
		full := make([]core.Event, len(evs))
		for i := range evs {
			var err error
			if full[i], err = decode(i); err != nil {
				return nil, err
			}
		}
		evs = full
	}
	return evs, p.Apply(ctx, tx, evs)
}

func (r *Runner) gapChunk() int {
	if r.GapChunk <= 0 {
		return DefaultGapChunk
	}
	return r.GapChunk
}

var queries = dbsqlc.New()

// lockCheckpoint locks the checkpoint row of a projection's partition (partition
// 0 of 1 when it is whole) for the transaction and returns it, in one round trip
// and without writing. A *wrongSplitError says the row is missing (ensureSplit
// creates it, with the other rows of its split) or belongs to another split.
func lockCheckpoint(ctx context.Context, tx pgx.Tx, name string, part Part) (eventstore.Cursor, error) {
	row, err := queries.LockPartition(ctx, tx, dbsqlc.LockPartitionParams{Name: name, Part: int32(part.Index)})
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, &wrongSplitError{name: name, part: part, isMissing: true}
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("lock checkpoint: %w", err)
	}
	c := eventstore.Cursor{TxID: row.TransactionID, Position: row.Position}
	if int(row.Partitions) != part.Count {
		return c, &wrongSplitError{name: name, part: part, found: int(row.Partitions)}
	}
	return c, nil
}

// ensureSplit makes the checkpoint rows of projection name those of a split into
// n partitions, in one transaction that locks them all: nothing to do when they
// are; created at the zero Cursor when there are none; when they are another
// split's, they are replaced by n rows at their common cursor if every one of
// them is at the same cursor (the tables then hold the effect of exactly that
// prefix of the log, whichever partitions wrote it: a projection replayed whole,
// or stopped at the head, may be split again), and otherwise it is an error: the
// rows of partitions at different places cannot be re-cut, replay the projection.
func ensureSplit(ctx context.Context, pool *pgxpool.Pool, name string, n int) error {
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		rows, err := queries.LockSplit(ctx, tx, name)
		if err != nil {
			return err
		}
		same, ok := true, len(rows) == n
		for _, r := range rows {
			ok = ok && int(r.Partitions) == n
			same = same && r.TransactionID == rows[0].TransactionID && r.Position == rows[0].Position
		}
		if ok {
			return nil
		}
		var at eventstore.Cursor
		if len(rows) > 0 {
			if !same {
				var cps []string
				for _, r := range rows {
					cps = append(cps, fmt.Sprintf("%d/%d at %s", r.Partition, r.Partitions,
						eventstore.Cursor{TxID: r.TransactionID, Position: r.Position}))
				}
				return fmt.Errorf("%s runs as %d partition(s) that are not at the same position (%s): "+
					"its split can change only when they are (stop its workers at the head) or after `passledger replay --projection %s`",
					name, rows[0].Partitions, strings.Join(cps, ", "), name)
			}
			at = eventstore.Cursor{TxID: rows[0].TransactionID, Position: rows[0].Position}
			if err := queries.DeleteSplit(ctx, tx, name); err != nil {
				return err
			}
		}
		return queries.InsertSplit(ctx, tx, dbsqlc.InsertSplitParams{Name: name, Partitions: int32(n),
			TransactionID: at.TxID, Position: at.Position})
	})
	if err != nil {
		return fmt.Errorf("split %s in %d: %w", name, n, err)
	}
	return nil
}

// Checkpoint returns the cursor of the last event projection name applied (the zero
// Cursor when it applied nothing yet): the least advanced of its partitions' when it
// is split (core.CheckpointOf).
func Checkpoint(ctx context.Context, q core.Querier, name string) (eventstore.Cursor, error) {
	return core.CheckpointOf(ctx, q, name)
}

// Checkpoints returns every projection's checkpoint, by name: for a split
// projection, the least advanced of its partitions' (as Checkpoint).
func Checkpoints(ctx context.Context, q core.Querier) (map[string]eventstore.Cursor, error) {
	parts, err := PartitionCheckpoints(ctx, q)
	if err != nil {
		return nil, err
	}
	out := map[string]eventstore.Cursor{}
	for _, pc := range parts {
		if c, ok := out[pc.Name]; !ok || pc.Cursor.Less(c) {
			out[pc.Name] = pc.Cursor
		}
	}
	return out, nil
}

// PartitionCheckpoint is the checkpoint of one partition of a projection (Whole
// when it is not split).
type PartitionCheckpoint struct {
	Name   string
	Part   Part
	Cursor eventstore.Cursor
}

// PartitionCheckpoints returns the checkpoint of every partition of every
// projection, by name then partition.
func PartitionCheckpoints(ctx context.Context, q core.Querier) ([]PartitionCheckpoint, error) {
	rows, err := core.PartitionCheckpoints(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]PartitionCheckpoint, len(rows))
	for i, r := range rows {
		out[i] = PartitionCheckpoint{Name: r.Name, Part: Part{Index: r.Partition, Count: r.Partitions}, Cursor: r.Cursor}
	}
	return out, nil
}
