package eventstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// DefaultLoaderBatch is how many events a Loader writes per transaction at most
// (a batch that would end inside an append takes the rest of that append).
const DefaultLoaderBatch = 4096

// Loader fills an empty event store with a world written by many commands —
// the histories of the tests and benchmarks (internal/simulate) — an order of
// magnitude faster than appending them one command at a time: batched appends,
// as an option of the store. It implements what package app needs of a store
// (app.Store) and Count.
//
// Each append is decided at once against the Loader's own copy of the history,
// held in memory (a Memory: the same validation, expectations, read-set checks
// and hashes as Store), and acknowledged before it is written. One goroutine
// writes the acknowledged events to PostgreSQL in their order, up to
// DefaultLoaderBatch per transaction (whole appends) with the group commit's
// INSERT, so the database fills while the commands run, in a few large
// transactions instead of one per group of commands. Reads (ReadStreams and the
// lookups) are answered from memory, which holds every acknowledged event.
//
// What it gives up, and why it is never used to serve: an acknowledged append is
// not durable until Close returns (a crash before loses it); it assumes it is the
// only writer (an append by anyone else, or a position the database assigns
// differently from the one it acknowledged, fails the next batch and then every
// call); and it takes no idempotency key and no Command (ErrInvalidAppend). Positions are the
// ones the database assigns — each batch checks them — but the transaction ids
// of its results and reads (Cursor.TxID, RecordedEvent.TxID) are its own
// numbering of the appends, as Memory's: the database's are not known until a
// batch is written, and a batch holds many appends.
type Loader struct {
	store *Store
	mem   *Memory
	batch int

	mu      sync.Mutex
	wake    chan struct{} // signalled (non-blocking) when events are appended
	written int           // events of mem written to the database
	err     error         // the first write failure: every later call returns it
	closed  bool
	done    chan struct{} // closed when the writer has ended
	stop    chan struct{} // closed by Close: write what is left, then end
	hold    chan struct{} // tests: the writer starts when it is closed (nil: at once)
}

// NewLoader returns a Loader that writes into s's database, which must hold no
// event yet. The Loader records events at s's clock (WithClock). Close it to
// write what is left.
func (s *Store) NewLoader(ctx context.Context) (*Loader, error) {
	_, stored, err := s.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("eventstore: loader: %w", err)
	}
	if stored != 0 {
		return nil, fmt.Errorf("eventstore: loader: the database already holds %d events: a Loader writes into an empty store only", stored)
	}
	mem := NewMemory()
	mem.now = s.now
	l := &Loader{store: s, mem: mem, batch: DefaultLoaderBatch, hold: s.loaderHold,
		wake: make(chan struct{}, 1), done: make(chan struct{}), stop: make(chan struct{})}
	go l.write()
	return l, nil
}

// AppendMulti decides one command's append against what the Loader holds, with
// Store.AppendMulti's contract, and acknowledges it before it is written (see
// Loader). The events of an append are ordered by stream id, as Store writes
// them; Positions come back in the caller's order.
func (l *Loader) AppendMulti(ctx context.Context, md Metadata, appends ...StreamAppend) (AppendResult, error) {
	if md.IdempotencyKey != "" || commandFrom(ctx) != nil {
		return AppendResult{}, fmt.Errorf("%w: a Loader takes no idempotency key and no Command", ErrInvalidAppend)
	}
	if err := ctx.Err(); err != nil {
		return AppendResult{}, err
	}
	sorted := slices.Clone(appends)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Stream < sorted[j].Stream })
	// Under l.mu, so that no append lands after Close's last look at what is
	// pending (it would be acknowledged and never written). Memory serialises
	// appends anyway.
	l.mu.Lock()
	if err := l.failedLocked(); err != nil {
		l.mu.Unlock()
		return AppendResult{}, err
	}
	res, err := l.mem.AppendMulti(ctx, md, sorted...)
	l.mu.Unlock()
	if err != nil {
		return AppendResult{}, err
	}
	// Positions in the caller's order (Memory gave them in the sorted order).
	at := make(map[string]int, len(sorted))
	n := 0
	for _, a := range sorted {
		at[a.Stream] = n
		n += len(a.Events)
	}
	positions := make([]int64, 0, n)
	for _, a := range appends {
		positions = append(positions, res.Positions[at[a.Stream]:at[a.Stream]+len(a.Events)]...)
	}
	res.Positions = positions
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return res, nil
}

// failedLocked returns the writer's error, or an error once the Loader is
// closed. l.mu must be held.
func (l *Loader) failedLocked() error {
	if l.err != nil {
		return l.err
	}
	if l.closed {
		return errors.New("eventstore: loader: closed")
	}
	return nil
}

// write is the one writer: it writes what was acknowledged, in order, batch by
// batch, until Close asks it to end and nothing is left.
func (l *Loader) write() {
	defer close(l.done)
	if l.hold != nil {
		<-l.hold
	}
	for {
		pending := l.pending()
		l.mu.Lock()
		batch := l.batch
		l.mu.Unlock()
		for len(pending) > 0 {
			// A batch ends with an append: an append's events share one
			// transaction, as the group commit writes them (Memory numbers its
			// appends as transactions).
			n := min(len(pending), batch)
			for n < len(pending) && pending[n].TxID == pending[n-1].TxID {
				n++
			}
			if err := l.insert(pending[:n]); err != nil {
				l.mu.Lock()
				l.err = fmt.Errorf("eventstore: loader: %w", err)
				l.mu.Unlock()
				return
			}
			l.mu.Lock()
			l.written += n
			l.mu.Unlock()
			pending = pending[n:]
		}
		select {
		case <-l.wake:
		case <-l.stop:
			if len(l.pending()) == 0 {
				return
			}
		}
	}
}

// pending returns the acknowledged events not written yet. Stored events never
// change, so the slice can be read after the lock is released.
func (l *Loader) pending() []RecordedEvent {
	l.mu.Lock()
	written := l.written
	l.mu.Unlock()
	l.mem.mu.Lock()
	defer l.mem.mu.Unlock()
	return l.mem.events[written:len(l.mem.events):len(l.mem.events)]
}

// insert writes events with the group commit's statement (one transaction) and
// checks that the database gave each the position the Loader acknowledged.
func (l *Loader) insert(events []RecordedEvent) error {
	p := dbsqlc.InsertEventsParams{
		EventIds: make([]string, len(events)), StreamIds: make([]string, len(events)),
		StreamVersions: make([]int64, len(events)), EventTypes: make([]string, len(events)),
		Payloads: make([]string, len(events)), Metadata: make([]string, len(events)),
		RecordedAt: make([]time.Time, len(events)), ContentHashes: make([][]byte, len(events)),
		Hashes: make([][]byte, len(events)),
	}
	for i, e := range events {
		p.EventIds[i], p.StreamIds[i], p.StreamVersions[i], p.EventTypes[i] = e.EventID, e.StreamID, e.Version, e.Type
		p.Payloads[i], p.Metadata[i], p.RecordedAt[i] = string(e.Payload), string(e.Metadata), e.RecordedAt
		p.ContentHashes[i], p.Hashes[i] = e.ContentHash, e.Hash
	}
	ctx := context.Background()
	tx, err := l.store.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(ctx) }()
	rows, err := queries.InsertEvents(ctx, tx, p)
	if err != nil {
		return err
	}
	if len(rows) != len(events) {
		return fmt.Errorf("inserted %d events of %d", len(rows), len(events))
	}
	for i, r := range rows {
		if r.Position != events[i].Position {
			return fmt.Errorf("event %s of stream %s would be stored at position %d, acknowledged at %d: another writer, or a database that was not empty; the batch is rolled back",
				events[i].EventID, events[i].StreamID, r.Position, events[i].Position)
		}
	}
	return tx.Commit(ctx)
}

// Close writes every acknowledged event that is not written yet, waits until it
// is (or ctx ends: the writing goes on in the background), and returns the
// first write failure. After Close, appends fail; reads still answer from
// memory.
func (l *Loader) Close(ctx context.Context) error {
	l.mu.Lock()
	if !l.closed {
		l.closed = true
		close(l.stop)
	}
	l.mu.Unlock()
	select {
	case <-l.done:
	case <-ctx.Done():
		return fmt.Errorf("eventstore: loader: %w", ctx.Err())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Written returns how many events are written to the database so far.
func (l *Loader) Written() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(l.written)
}

// ReadStreams answers from memory (see Store.ReadStreams).
func (l *Loader) ReadStreams(ctx context.Context, streams []string) (map[string][]RecordedEvent, error) {
	return l.mem.ReadStreams(ctx, streams)
}

// StreamsWhere answers from memory (see Store.StreamsWhere).
func (l *Loader) StreamsWhere(ctx context.Context, value string, fields ...PayloadField) ([]string, error) {
	return l.mem.StreamsWhere(ctx, value, fields...)
}

// EventsWhere answers from memory (see Store.EventsWhere).
func (l *Loader) EventsWhere(ctx context.Context, value string, fields ...PayloadField) ([]RecordedEvent, error) {
	return l.mem.EventsWhere(ctx, value, fields...)
}

// EventsOfTypes answers from memory (see Store.EventsOfTypes).
func (l *Loader) EventsOfTypes(ctx context.Context, types ...string) ([]RecordedEvent, error) {
	return l.mem.EventsOfTypes(ctx, types...)
}

// StreamsWithMore answers from memory (see Store.StreamsWithMore).
func (l *Loader) StreamsWithMore(ctx context.Context, types, than []string) ([]string, error) {
	return l.mem.StreamsWithMore(ctx, types, than)
}

// Count returns how many events were acknowledged (readable and stored alike:
// the Loader's reads see every one of them), written to the database or not;
// Written says how many are.
func (l *Loader) Count(ctx context.Context) (readable, stored int64, err error) {
	return l.mem.Count(ctx)
}
