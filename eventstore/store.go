package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store appends and reads events. It is safe for concurrent use.
type Store struct {
	pool    *pgxpool.Pool
	metrics *Metrics
	now     func() time.Time
	// txDelay, set only by tests, runs each append in an explicit transaction that
	// sleeps this long after writing and before committing.
	txDelay func() time.Duration
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

const appendSQL = `SELECT position, stream_id, stream_version, transaction_id, duplicate
FROM passledger_append($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

const storedResultSQL = `SELECT result FROM event_idempotency WHERE key = $1`

// maxAnyRetries bounds the retries of an append whose streams all expect Any and
// that lost an insert race.
const maxAnyRetries = 10

// AppendMulti writes the events of one command, possibly to several streams,
// atomically: all or nothing. Each stream's expectation is checked; a mismatch is a
// *ConflictError and nothing is written. When md.IdempotencyKey is set and an append
// with that key already happened, its result is returned with Duplicate set and
// nothing is written, also when both run concurrently.
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
		default:
			s.metrics.EventsAppended.Add(float64(len(res.Positions)))
		}
		s.metrics.AppendDuration.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	}
	return res, err
}

func (s *Store) appendMulti(ctx context.Context, md Metadata, appends []StreamAppend) (AppendResult, error) {
	if len(appends) == 0 {
		return AppendResult{}, fmt.Errorf("%w: no streams", ErrInvalidAppend)
	}
	metadata, err := json.Marshal(md)
	if err != nil {
		return AppendResult{}, fmt.Errorf("%w: metadata: %v", ErrInvalidAppend, err)
	}
	recordedAt := s.now().UTC().Truncate(time.Microsecond)

	var (
		streams, ids, types, payloads, metas []string
		hashes                               [][]byte
		expStreams                           []string
		expVersions                          []int64
		allAny                               = true
	)
	// Write streams in id order: two multi-stream appends that share streams then
	// take their row locks in the same order and cannot deadlock. order[i] is where
	// the i-th written event stands in the caller's order.
	sorted := slices.Clone(appends)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Stream < sorted[j].Stream })
	callerIndex := make(map[string]int, len(appends))
	offset := 0
	for _, a := range appends {
		callerIndex[a.Stream] = offset
		offset += len(a.Events)
	}
	var order []int
	seen := make(map[string]bool, len(appends))
	for _, a := range sorted {
		if !ValidStreamID(a.Stream) {
			return AppendResult{}, fmt.Errorf("%w: stream id %q", ErrInvalidAppend, a.Stream)
		}
		if seen[a.Stream] {
			return AppendResult{}, fmt.Errorf("%w: stream %s named twice", ErrInvalidAppend, a.Stream)
		}
		seen[a.Stream] = true
		if len(a.Events) == 0 {
			return AppendResult{}, fmt.Errorf("%w: no events for stream %s", ErrInvalidAppend, a.Stream)
		}
		if a.Expected < Any {
			return AppendResult{}, fmt.Errorf("%w: expected version %d", ErrInvalidAppend, a.Expected)
		}
		if a.Expected != Any {
			allAny = false
		}
		expStreams = append(expStreams, a.Stream)
		expVersions = append(expVersions, int64(a.Expected))
		for j, e := range a.Events {
			if e.Type == "" {
				return AppendResult{}, fmt.Errorf("%w: event without type", ErrInvalidAppend)
			}
			if !json.Valid(e.Payload) {
				return AppendResult{}, fmt.Errorf("%w: payload of %s is not JSON", ErrInvalidAppend, e.Type)
			}
			id := e.ID
			if id == "" {
				id = uuid.NewString()
			} else if _, err := uuid.Parse(id); err != nil {
				return AppendResult{}, fmt.Errorf("%w: event id %q: %v", ErrInvalidAppend, id, err)
			}
			order = append(order, callerIndex[a.Stream]+j)
			streams = append(streams, a.Stream)
			ids = append(ids, id)
			types = append(types, e.Type)
			payloads = append(payloads, string(e.Payload))
			metas = append(metas, string(metadata))
			hashes = append(hashes, ContentHash(id, a.Stream, e.Type, recordedAt, e.Payload, metadata))
		}
	}
	var key *string
	if md.IdempotencyKey != "" {
		key = &md.IdempotencyKey
	}

	for attempt := 0; ; attempt++ {
		res, err := s.callAppend(ctx, streams, ids, types, payloads, metas, hashes, recordedAt, expStreams, expVersions, key)
		if err == nil {
			return res.inCallerOrder(order), nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			return AppendResult{}, fmt.Errorf("eventstore: append: %w", err)
		}
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "event_idempotency_pkey":
			res, err := s.storedResult(ctx, *key)
			return res.inCallerOrder(order), err
		case pgErr.Code == "PLC01" || pgErr.Code == "40P01" ||
			(pgErr.Code == "23505" && pgErr.ConstraintName == "events_stream_version_key"):
			if key != nil {
				if res, err := s.storedResult(ctx, *key); err == nil {
					return res.inCallerOrder(order), nil
				}
			}
			if allAny && pgErr.Code != "PLC01" && attempt < maxAnyRetries {
				continue
			}
			return AppendResult{}, conflictFrom(pgErr, appends)
		case pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
			return AppendResult{}, fmt.Errorf("%w: event id already stored: %s", ErrInvalidAppend, pgErr.Detail)
		case pgErr.Code == "22P02" || pgErr.Code == "22023" || pgErr.Code == "22021":
			return AppendResult{}, fmt.Errorf("%w: %s", ErrInvalidAppend, pgErr.Message)
		default:
			return AppendResult{}, fmt.Errorf("eventstore: append: %w", err)
		}
	}
}

func (s *Store) callAppend(ctx context.Context, streams, ids, types, payloads, metas []string, hashes [][]byte,
	recordedAt time.Time, expStreams []string, expVersions []int64, key *string) (AppendResult, error) {
	var q interface {
		Query(context.Context, string, ...any) (pgx.Rows, error)
	} = s.pool
	var tx pgx.Tx
	if s.txDelay != nil {
		var err error
		if tx, err = s.pool.Begin(ctx); err != nil {
			return AppendResult{}, err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // no-op after commit
		q = tx
	}
	rows, err := q.Query(ctx, appendSQL, streams, ids, types, payloads, metas, hashes, recordedAt, expStreams, expVersions, key)
	if err != nil {
		return AppendResult{}, err
	}
	res, err := scanAppend(rows)
	if err != nil || tx == nil {
		return res, err
	}
	if d := s.txDelay(); d > 0 {
		time.Sleep(d)
	}
	return res, tx.Commit(ctx)
}

func scanAppend(rows pgx.Rows) (AppendResult, error) {
	defer rows.Close()
	res := AppendResult{Versions: make(map[string]int64)}
	for rows.Next() {
		var (
			pos, version int64
			stream, tx   string
			dup          bool
		)
		if err := rows.Scan(&pos, &stream, &version, &tx, &dup); err != nil {
			return AppendResult{}, err
		}
		if err := res.add(pos, stream, version, tx); err != nil {
			return AppendResult{}, err
		}
		res.Duplicate = dup
	}
	if err := rows.Err(); err != nil {
		return AppendResult{}, err
	}
	return res, nil
}

// inCallerOrder reorders Positions (returned in writing order) into the order the
// caller gave the events.
func (r AppendResult) inCallerOrder(order []int) AppendResult {
	if len(r.Positions) != len(order) {
		return r
	}
	out := make([]int64, len(order))
	for i, p := range r.Positions {
		out[order[i]] = p
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

// storedResult returns the result of the first append made with key.
func (s *Store) storedResult(ctx context.Context, key string) (AppendResult, error) {
	var raw []byte
	if err := s.pool.QueryRow(ctx, storedResultSQL, key).Scan(&raw); err != nil {
		return AppendResult{}, fmt.Errorf("eventstore: idempotency key %q: %w", key, err)
	}
	var rows []struct {
		Position      int64  `json:"position"`
		StreamID      string `json:"stream_id"`
		StreamVersion int64  `json:"stream_version"`
		TransactionID string `json:"transaction_id"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return AppendResult{}, fmt.Errorf("eventstore: idempotency key %q: %w", key, err)
	}
	res := AppendResult{Versions: make(map[string]int64), Duplicate: true}
	for _, r := range rows {
		if err := res.add(r.Position, r.StreamID, r.StreamVersion, r.TransactionID); err != nil {
			return AppendResult{}, err
		}
	}
	return res, nil
}

func conflictFrom(pgErr *pgconn.PgError, appends []StreamAppend) error {
	ce := &ConflictError{Actual: -1}
	if pgErr.Code == "PLC01" {
		parts := strings.Split(pgErr.Detail, "|")
		if len(parts) == 3 {
			ce.Stream = parts[0]
			exp, _ := strconv.ParseInt(parts[1], 10, 64)
			ce.Expected = ExpectedVersion(exp)
			ce.Actual, _ = strconv.ParseInt(parts[2], 10, 64)
		}
		return ce
	}
	// Lost the insert race: the detail names the (stream_id, stream_version) key.
	for _, a := range appends {
		if strings.Contains(pgErr.Detail, "("+a.Stream+",") {
			ce.Stream, ce.Expected = a.Stream, a.Expected
			return ce
		}
	}
	if len(appends) > 0 {
		ce.Stream, ce.Expected = appends[0].Stream, appends[0].Expected
	}
	return ce
}

const readStreamSQL = `SELECT ` + eventColumns + ` FROM events
WHERE stream_id = $1 AND stream_version > $2 ORDER BY stream_version LIMIT $3`

// ReadStream returns the stream's events with a version above afterVersion, in
// version order (at most limit; limit <= 0 means all).
func (s *Store) ReadStream(ctx context.Context, stream string, afterVersion int64, limit int) ([]RecordedEvent, error) {
	lim := int64(limit)
	if limit <= 0 {
		lim = 1 << 62
	}
	rows, err := s.pool.Query(ctx, readStreamSQL, binaryResults, stream, afterVersion, lim)
	if err != nil {
		return nil, fmt.Errorf("eventstore: read stream %s: %w", stream, err)
	}
	return scanEvents(rows)
}

// ReadStreams returns the events of several streams, each in version order, grouped
// by stream. It is one query, for commands that decide over many streams (a carnet's
// cheques).
func (s *Store) ReadStreams(ctx context.Context, streams []string) (map[string][]RecordedEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+eventColumns+` FROM events
WHERE stream_id = ANY($1) ORDER BY stream_id, stream_version`, binaryResults, streams)
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

const readFromSQL = `SELECT ` + eventColumns + ` FROM events
WHERE (transaction_id, position) > ($1::text::xid8, $2)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id, events.position
LIMIT $3`

// ReadFrom returns up to limit events after cursor in the gap-free global order. An
// event not returned yet will never appear before the last one returned.
func (s *Store) ReadFrom(ctx context.Context, after Cursor, limit int) ([]RecordedEvent, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.pool.Query(ctx, readFromSQL, binaryResults, strconv.FormatUint(after.TxID, 10), after.Position, limit)
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
	var tx string
	err := s.pool.QueryRow(ctx, `SELECT transaction_id::text FROM events WHERE position = $1`, position).Scan(&tx)
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
	var tx *string
	var pos *int64
	err := s.pool.QueryRow(ctx, `SELECT transaction_id::text AS txid, position FROM events
WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1`).Scan(&tx, &pos)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("eventstore: head: %w", err)
	}
	txid, err := parseTxID(*tx)
	if err != nil {
		return Cursor{}, err
	}
	return Cursor{TxID: txid, Position: *pos}, nil
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
