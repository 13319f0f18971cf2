package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// queries are the statements of internal/dbsqlc/*.sql, compiled by sqlc; each
// method takes the pool, connection or transaction to run on.
var queries = dbsqlc.New()

// Store appends and reads events. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	metrics *Metrics
	now     func() time.Time
	// txDelay, set only by tests, makes each group sleep this long after its
	// INSERT and before its commit: the late commits a gap-free reader must not
	// skip.
	txDelay func() time.Duration

	groupOpts  GroupOptions
	commitOnce sync.Once
	commit     *committer
	// loaderHold, set only by tests, is given to the Loaders made after it: their
	// writer waits until it is closed.
	loaderHold chan struct{}
}

// Option configures a Store.
type Option func(*Store)

// WithMetrics records appends in m.
func WithMetrics(m *Metrics) Option { return func(s *Store) { s.metrics = m } }

// WithClock replaces time.Now for recorded_at (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns a Store over pool, whose database must be migrated.
func New(pool *pgxpool.Pool, opts ...Option) *Store {
	s := &Store{pool: pool, now: time.Now}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Append writes events to one stream atomically (see AppendMulti).
func (s *Store) Append(ctx context.Context, stream string, expected ExpectedVersion, md Metadata, events ...EventData) (AppendResult, error) {
	return s.AppendMulti(ctx, md, StreamAppend{Stream: stream, Expected: expected, Events: events})
}

// AppendMulti writes the events of one command, possibly to several streams,
// atomically: all or nothing, in one transaction shared with the other appends
// that arrive at the same time (group commit, see group.go). Each stream's
// expectation is checked; a mismatch is a *ConflictError and nothing is written.
// A StreamAppend without events is a read-set check: the stream must be at
// Expected (an exact version) when the others are written, and is share-locked
// until then. When md.IdempotencyKey is set and an append with that key already
// happened, its result is returned with Duplicate set and nothing is written, also
// when both run concurrently.
//
// When ctx carries a Command (WithCommand), the append is that command's: the
// Command's key is used, the result comes back before the commit, and the
// transaction commits only after the Command's Finish gave the response to store
// with the key (see Command).
func (s *Store) AppendMulti(ctx context.Context, md Metadata, appends ...StreamAppend) (AppendResult, error) {
	start := time.Now()
	res, err := s.appendMulti(ctx, md, appends)
	if s.metrics != nil {
		outcome := "ok"
		switch {
		case errors.Is(err, ErrConflict):
			outcome = "conflict"
			s.metrics.Conflicts.Inc()
		case err != nil:
			outcome = "error"
		case res.Duplicate:
			outcome = "duplicate"
			s.metrics.Replays.Inc()
		}
		s.metrics.AppendDuration.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	}
	return res, err
}

func (s *Store) appendMulti(ctx context.Context, md Metadata, appends []StreamAppend) (AppendResult, error) {
	cmd := commandFrom(ctx)
	if cmd != nil && md.IdempotencyKey == "" {
		md.IdempotencyKey = cmd.key
	}
	m, err := s.prepare(md, appends)
	if err != nil {
		return AppendResult{}, err
	}
	if cmd != nil {
		return cmd.append(ctx, m)
	}
	m.key = md.IdempotencyKey
	if err := s.committer().submit(ctx, m); err != nil {
		return AppendResult{}, err
	}
	var out memberOutcome
	select {
	case out = <-m.outcome:
	case <-ctx.Done():
		return AppendResult{}, ctx.Err()
	}
	if out.err != nil {
		return AppendResult{}, out.err
	}
	if out.record != nil {
		return m.inCallerOrder(out.record.Result), nil
	}
	return out.res, nil
}

// prepare checks an append (validateAppends, the same rules as Memory) and
// computes what the group needs to write it.
func (s *Store) prepare(md Metadata, appends []StreamAppend) (*member, error) {
	if err := validateAppends(appends); err != nil {
		return nil, err
	}
	metadata, err := json.Marshal(md)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrInvalidAppend, err)
	}
	m := &member{metadata: metadata, recordedAt: s.now().UTC().Truncate(time.Microsecond)}
	// Streams in id order: the group writes them in this order.
	sorted := slices.Clone(appends)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Stream < sorted[j].Stream })
	callerIndex := make(map[string]int, len(appends))
	offset := 0
	for _, a := range appends {
		callerIndex[a.Stream] = offset
		offset += len(a.Events)
	}
	for _, a := range sorted {
		ps := preparedStream{stream: a.Stream, expected: a.Expected}
		for j, e := range a.Events {
			var id string
			if e.ID != "" {
				// Canonical form, as PostgreSQL stores it (and Memory writes it):
				// the content hash must cover the id as stored. Validated above.
				id = uuid.MustParse(e.ID).String()
			} else {
				id = uuid.NewString()
			}
			ps.events = append(ps.events, preparedEvent{id: id, typ: e.Type, payload: e.Payload,
				contentHash: ContentHash(id, a.Stream, e.Type, m.recordedAt, e.Payload, metadata), order: callerIndex[a.Stream] + j})
			m.nEvents++
		}
		m.streams = append(m.streams, ps)
	}
	return m, nil
}

// inCallerOrder reorders the positions of a stored result (kept in writing order)
// into the order the caller gave the events.
func (m *member) inCallerOrder(r AppendResult) AppendResult {
	if len(r.Positions) != m.nEvents {
		return r
	}
	out := make([]int64, len(r.Positions))
	i := 0
	for _, ps := range m.streams {
		for _, e := range ps.events {
			out[e.order] = r.Positions[i]
			i++
		}
	}
	r.Positions = out
	return r
}

func (r *AppendResult) add(pos int64, stream string, version int64, tx string) error {
	txid, err := parseTxID(tx)
	if err != nil {
		return fmt.Errorf("eventstore: transaction id %q: %w", tx, err)
	}
	r.Positions = append(r.Positions, pos)
	if version > r.Versions[stream] {
		r.Versions[stream] = version
	}
	if pos > r.LastPosition {
		r.LastPosition = pos
		r.Cursor = Cursor{TxID: txid, Position: pos}
	}
	return nil
}

func (s *Store) committer() *committer {
	s.commitOnce.Do(func() { s.commit = newCommitter(s, s.groupOpts) })
	return s.commit
}

// ReadStream returns the stream's events with a version above afterVersion, in
// version order (at most limit; limit <= 0 means all).
func (s *Store) ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]RecordedEvent, error) {
	lim := int64(limit)
	if limit <= 0 {
		lim = 1 << 62
	}
	rows, err := dbsqlc.ReadStreamRows(ctx, s.pool, dbsqlc.ReadStreamParams{StreamID: stream, AfterVersion: afterVersion, MaxEvents: lim})
	if err != nil {
		return nil, fmt.Errorf("eventstore: read stream %s: %w", stream, err)
	}
	return scanEvents(rows)
}

// ReadStreams returns the events of several streams, each in version order, grouped
// by stream. It is one query, for commands that decide over many streams (a carnet's
// cheques).
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]RecordedEvent, error) {
	rows, err := dbsqlc.ReadStreamsRows(ctx, s.pool, streams)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read streams: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]RecordedEvent, len(streams))
	for _, e := range evs {
		out[e.StreamID] = append(out[e.StreamID], e)
	}
	return out, nil
}

// FirstEvents returns the first event (version 1) of each named stream that has
// any, by stream: what a reader needs that learns an immutable fact from the
// event that created a stream (a programme's territory, a carnet's programme)
// without reading the rest of it.
func (s *Store) FirstEvents(ctx context.Context, streams []string) (map[string]RecordedEvent, error) {
	rows, err := dbsqlc.FirstEventsRows(ctx, s.pool, streams)
	if err != nil {
		return nil, fmt.Errorf("eventstore: first events: %w", err)
	}
	evs, err := scanEvents(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[string]RecordedEvent, len(evs))
	for _, e := range evs {
		out[e.StreamID] = e
	}
	return out, nil
}

// ReadFrom returns up to limit events after cursor in the gap-free global order. An
// event not returned yet will never appear before the last one returned.
func (s *Store) ReadFrom(ctx context.Context, after Cursor, limit int) ([]RecordedEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := dbsqlc.ReadFromRows(ctx, s.pool, dbsqlc.ReadFromParams{
		AfterTxid: strconv.FormatUint(after.TxID, 10), AfterPosition: after.Position, MaxEvents: int64(limit)})
	if err != nil {
		return nil, fmt.Errorf("eventstore: read all: %w", err)
	}
	return scanEvents(rows)
}

// ReadAll returns up to limit events that come after the event at afterPosition in
// the gap-free global order (afterPosition 0: from the start).
func (s *Store) ReadAll(ctx context.Context, afterPosition int64, limit int) ([]RecordedEvent, error) {
	cur, err := s.CursorOf(ctx, afterPosition)
	if err != nil {
		return nil, err
	}
	return s.ReadFrom(ctx, cur, limit)
}

// CursorOf returns the reading-order cursor of the event at position (0: the start).
func (s *Store) CursorOf(ctx context.Context, position int64) (Cursor, error) {
	if position == 0 {
		return Cursor{}, nil
	}
	tx, err := queries.CursorOf(ctx, s.pool, position)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, fmt.Errorf("%w: position %d", ErrNotFound, position)
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("eventstore: cursor of %d: %w", position, err)
	}
	txid, err := parseTxID(tx)
	if err != nil {
		return Cursor{}, err
	}
	return Cursor{TxID: txid, Position: position}, nil
}

// Head returns the cursor of the last event readable now (zero when none), and the
// number of events stored.
func (s *Store) Head(ctx context.Context) (Cursor, error) {
	h, err := queries.Head(ctx, s.pool)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("eventstore: head: %w", err)
	}
	txid, err := parseTxID(h.TransactionID)
	if err != nil {
		return Cursor{}, err
	}
	return Cursor{TxID: txid, Position: h.Position}, nil
}

// Tail calls handle with each batch of events after cursor, in gap-free order, until
// ctx ends or handle fails. It polls, from minWait when events flow up to 250 ms when
// idle. It returns ctx.Err() or handle's error.
func (s *Store) Tail(ctx context.Context, after Cursor, batch int, handle func([]RecordedEvent) error) error {
	const minWait, maxWait = 5 * time.Millisecond, 250 * time.Millisecond
	wait := minWait
	for {
		evs, err := s.ReadFrom(ctx, after, batch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if len(evs) > 0 {
			if err := handle(evs); err != nil {
				return err
			}
			after = evs[len(evs)-1].Cursor()
			wait = minWait
			if len(evs) == batch {
				continue
			}
		} else if wait < maxWait {
			wait *= 2
			if wait > maxWait {
				wait = maxWait
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
