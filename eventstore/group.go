package eventstore

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// Group commit.
//
// Every append goes through a committer: a few workers that each take the appends
// waiting in a queue (up to GroupOptions.MaxSize, waiting at most MaxWait for more)
// and write them in ONE PostgreSQL transaction:
//
//  1. one pipelined round trip: BEGIN; advisory locks on every stream (exclusive
//     for written streams, shared for read-set checks) and every idempotency key of
//     the group, taken in one sorted sweep so two groups can never deadlock; the
//     idempotency records of the group's keys; the head (version, hash) of every
//     stream. No row is written before the heads are read, so the transaction's xid
//     is assigned after every head it read was committed: within a stream, versions
//     stay in the gap-free reading order (see doc.go).
//  2. each append is decided in Go, in queue order, against the heads as updated by
//     the appends before it in the group: a key already recorded is a replay, a
//     stream not at its expected version is a conflict for that append alone, and
//     the others are chained (ChainHash) and inserted by one INSERT.
//  3. appends made for a Command (an HTTP request) are handed their result before
//     the commit; the request builds its response and hands it back (Finish); the
//     responses are stored with the idempotency records, and the transaction
//     commits. Only then does any caller learn that its append succeeded: a
//     response never goes out before its commit, and a crash before the commit
//     leaves neither events nor record (the key is free for the retry).
//
// A group that fails as a whole (the database went away, a unique violation from a
// writer that took no lock, a Command that aborted) is rolled back; its appends get
// the error (retryable ones are retried transparently while nothing was handed out).
//
// Appends naming more than maxLockedStreams streams (a programme close expiring
// thousands of cheques) run alone, without per-stream locks: a concurrent writer
// then shows up as a unique violation on (stream_id, stream_version), which fails
// that transaction only, and the append is reported as a conflict.

// GroupOptions bound the groups of the committer.
type GroupOptions struct {
	// Workers is the number of groups in flight at once (default 4).
	Workers int
	// MaxSize is the largest number of appends in one transaction (default 32).
	MaxSize int
	// MaxWait is how long a worker that found fewer than MaxSize appends waits for
	// more before it starts the transaction (default 0: take what is queued).
	MaxWait time.Duration
	// ResponseTimeout bounds how long a group waits for its Commands' responses
	// before it rolls back (default 5 s).
	ResponseTimeout time.Duration
}

func (o GroupOptions) withDefaults() GroupOptions {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxSize <= 0 {
		o.MaxSize = 32
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = 5 * time.Second
	}
	return o
}

// WithGroupCommit sets the group-commit bounds.
func WithGroupCommit(o GroupOptions) Option { return func(s *Store) { s.groupOpts = o } }

// maxLockedStreams: an append naming more streams than this runs alone, unlocked.
const maxLockedStreams = 64

// groupAttempts bounds the transparent retries of a group that failed as a whole
// before anything was handed out.
const groupAttempts = 5

// preparedStream is one stream of an append, ready to write.
type preparedStream struct {
	stream   string
	expected ExpectedVersion
	events   []preparedEvent
}

type preparedEvent struct {
	id, typ     string
	payload     []byte
	contentHash []byte
	order       int // index in the caller's order
}

// member is one append waiting in, or taking part in, a group.
type member struct {
	ctx        context.Context
	key        string
	reqHash    []byte
	metadata   []byte
	recordedAt time.Time
	streams    []preparedStream // sorted by stream id
	nEvents    int
	// command is set for appends made for a Command: the group hands the result
	// out before the commit and waits for the response.
	command bool
	// response is the stored answer of an append without events (a refused
	// request whose answer must be kept for its key).
	response []byte

	outcome  chan memberOutcome // phase 1: result, conflict, replay or error
	respond  chan []byte        // phase 2 (command members): the response, nil to abort
	finished chan error         // phase 3: the commit's outcome
}

type memberOutcome struct {
	res    AppendResult
	record *CommandRecord // key already recorded: the first answer
	err    error
}

// CommandRecord is what the store keeps for an idempotency key: the request's hash,
// the append's result and the response given, all written in the transaction that
// wrote the events.
type CommandRecord struct {
	RequestHash []byte
	Result      AppendResult
	Response    []byte
}

type committer struct {
	s       *Store
	opts    GroupOptions
	queue   chan *member
	mu      sync.Mutex
	running int
}

func newCommitter(s *Store, o GroupOptions) *committer {
	o = o.withDefaults()
	return &committer{s: s, opts: o, queue: make(chan *member, 4096)}
}

// submit queues m and makes sure workers run.
func (c *committer) submit(ctx context.Context, m *member) error {
	m.ctx = ctx
	m.outcome = make(chan memberOutcome, 1)
	m.respond = make(chan []byte, 1)
	m.finished = make(chan error, 1)
	c.mu.Lock()
	if c.running < c.opts.Workers {
		c.running++
		go c.work()
	}
	c.mu.Unlock()
	select {
	case c.queue <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

const workerIdle = 2 * time.Second

func (c *committer) work() {
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	var carry []*member
	for {
		var group []*member
		if len(carry) > 0 {
			group, carry = carry, nil
		} else {
			select {
			case m := <-c.queue:
				group = append(group, m)
			case <-idle.C:
				c.mu.Lock()
				if len(c.queue) == 0 {
					c.running--
					c.mu.Unlock()
					return
				}
				c.mu.Unlock()
				idle.Reset(workerIdle)
				continue
			}
		}
		group = c.fill(group)
		group, carry = splitGroup(group, c.opts.MaxSize)
		c.commit(group)
		if !idle.Stop() {
			select {
			case <-idle.C:
			default:
			}
		}
		idle.Reset(workerIdle)
	}
}

// fill adds queued members to group, up to MaxSize, waiting at most MaxWait.
func (c *committer) fill(group []*member) []*member {
	if bigMember(group[0]) {
		return group
	}
	var deadline <-chan time.Time
	if c.opts.MaxWait > 0 {
		t := time.NewTimer(c.opts.MaxWait)
		defer t.Stop()
		deadline = t.C
	}
	for len(group) < c.opts.MaxSize {
		select {
		case m := <-c.queue:
			group = append(group, m)
			if bigMember(m) {
				return group
			}
			continue
		default:
		}
		if deadline == nil {
			return group
		}
		select {
		case m := <-c.queue:
			group = append(group, m)
			if bigMember(m) {
				return group
			}
		case <-deadline:
			return group
		}
	}
	return group
}

func bigMember(m *member) bool { return len(m.streams) > maxLockedStreams }

// splitGroup keeps what can go in one transaction and returns the rest for the
// next: a big member goes alone, and a key met twice waits for the next group (it
// will then find the first one's record).
func splitGroup(group []*member, maxSize int) (now, later []*member) {
	keys := map[string]bool{}
	for i, m := range group {
		switch {
		case bigMember(m) && i > 0:
			later = append(later, m)
		case bigMember(m):
			now = append(now, m)
		case len(now) > 0 && bigMember(now[0]):
			later = append(later, m)
		case m.key != "" && keys[m.key]:
			later = append(later, m)
		case len(now) >= maxSize:
			later = append(later, m)
		default:
			if m.key != "" {
				keys[m.key] = true
			}
			now = append(now, m)
		}
	}
	return now, later
}

// errHandedOut marks a failure that attempt already reported to each member.
type errHandedOut struct{ err error }

func (e errHandedOut) Error() string { return e.err.Error() }
func (e errHandedOut) Unwrap() error { return e.err }

// errGroupRetry marks a failure of the whole group that happened before any
// outcome was handed out: the group may be run again as it is.
type errGroupRetry struct{ err error }

func (e errGroupRetry) Error() string { return e.err.Error() }
func (e errGroupRetry) Unwrap() error { return e.err }

// commit writes one group.
func (c *committer) commit(group []*member) {
	start := time.Now()
	live := group[:0:0]
	for _, m := range group {
		if err := m.ctx.Err(); err != nil {
			m.outcome <- memberOutcome{err: err}
			continue
		}
		live = append(live, m)
	}
	if len(live) == 0 {
		return
	}
	if m := c.s.metrics; m != nil {
		m.GroupSize.Observe(float64(len(live)))
	}
	var err error
	for attempt := 0; attempt < groupAttempts; attempt++ {
		err = c.attempt(live)
		var retry errGroupRetry
		if !errors.As(err, &retry) {
			break
		}
		err = retry.err
		var pgErr *pgconn.PgError
		if attempt == groupAttempts-1 && errors.As(err, &pgErr) && pgErr.Code == "23505" {
			// Still racing an unlocked writer: each append decides again.
			err = &ConflictError{Stream: pgErr.Detail, Expected: Any, Actual: -1}
		}
	}
	var handed errHandedOut
	if err != nil && !errors.As(err, &handed) {
		// Nothing was handed out: every member gets the error.
		for _, m := range live {
			m.outcome <- memberOutcome{err: err}
		}
	}
	if m := c.s.metrics; m != nil {
		m.GroupDuration.Observe(time.Since(start).Seconds())
	}
}

// groupTimeout bounds one group's transaction.
const groupTimeout = 30 * time.Second

type head struct {
	version int64
	hash    []byte
}

// attempt runs the group's transaction once. It returns errGroupRetry when the
// whole group may be run again (nothing handed out), another error when it failed
// after outcomes were handed out (each member was told), nil on commit.
func (c *committer) attempt(group []*member) error {
	ctx, cancel := context.WithTimeout(context.Background(), groupTimeout)
	defer cancel()
	conn, err := c.s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("eventstore: group: %w", err)
	}
	committed := false
	defer func() {
		if !committed && !conn.Conn().PgConn().IsClosed() {
			rctx, rcancel := context.WithTimeout(context.Background(), time.Second)
			_ = queries.Rollback(rctx, conn)
			rcancel()
		}
		conn.Release()
	}()

	// Phase 1: locks, records, heads.
	big := len(group) == 1 && bigMember(group[0])
	lockSet := map[int64]bool{} // key → shared
	var keys []string
	streamSet := map[string]bool{}
	var streams []string
	for _, m := range group {
		if m.key != "" {
			keys = append(keys, m.key)
			lockSet[lockKey("k", m.key)] = false
		}
		for _, ps := range m.streams {
			if !streamSet[ps.stream] {
				streamSet[ps.stream] = true
				streams = append(streams, ps.stream)
			}
			if big {
				continue
			}
			k := lockKey("s", ps.stream)
			shared, seen := lockSet[k]
			lockSet[k] = (!seen || shared) && len(ps.events) == 0
		}
	}
	lockKeys := make([]int64, 0, len(lockSet))
	for k := range lockSet {
		lockKeys = append(lockKeys, k)
	}
	slices.Sort(lockKeys)
	lockShared := make([]bool, len(lockKeys))
	for i, k := range lockKeys {
		lockShared[i] = lockSet[k]
	}

	b := &pgx.Batch{}
	dbsqlc.QueueBegin(b)
	dbsqlc.QueueLockKeys(b, dbsqlc.LockKeysParams{Keys: lockKeys, Shared: lockShared})
	dbsqlc.QueueIdempotencyRecords(b, keys)
	dbsqlc.QueueStreamHeads(b, streams)
	br := conn.SendBatch(ctx, b)
	records, heads, err := readPhase1(br)
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return groupError(err)
	}

	// Decide each member against the heads, in queue order.
	type written struct {
		m    *member
		rows []int // indexes into the insert arrays
	}
	var (
		ids, rowStreams, types, payloads, metas []string
		versions                                []int64
		times                                   []time.Time
		contents, hashes                        [][]byte
		ok                                      []written
		outcomes                                = make([]memberOutcome, len(group))
		decided                                 = make([]bool, len(group))
	)
	for i, m := range group {
		if m.key != "" {
			if rec, found := records[m.key]; found {
				outcomes[i] = memberOutcome{record: rec, res: rec.Result}
				decided[i] = true
				continue
			}
		}
		var conflict *ConflictError
		for _, ps := range m.streams {
			h := heads[ps.stream]
			if ps.expected != Any && int64(ps.expected) != h.version {
				conflict = &ConflictError{Stream: ps.stream, Expected: ps.expected, Actual: h.version}
				break
			}
		}
		if conflict != nil {
			outcomes[i] = memberOutcome{err: conflict}
			decided[i] = true
			continue
		}
		w := written{m: m}
		for _, ps := range m.streams {
			h := heads[ps.stream]
			for _, e := range ps.events {
				h.version++
				h.hash = ChainHash(h.hash, h.version, e.contentHash)
				w.rows = append(w.rows, len(ids))
				ids = append(ids, e.id)
				rowStreams = append(rowStreams, ps.stream)
				versions = append(versions, h.version)
				types = append(types, e.typ)
				payloads = append(payloads, string(e.payload))
				metas = append(metas, string(m.metadata))
				times = append(times, m.recordedAt)
				contents = append(contents, e.contentHash)
				hashes = append(hashes, h.hash)
			}
			heads[ps.stream] = h
		}
		ok = append(ok, w)
	}

	positions := make([]int64, len(ids))
	txids := make([]uint64, len(ids))
	if len(ids) > 0 {
		rows, err := queries.InsertEvents(ctx, conn, dbsqlc.InsertEventsParams{
			EventIds: ids, StreamIds: rowStreams, StreamVersions: versions, EventTypes: types, Payloads: payloads,
			Metadata: metas, RecordedAt: times, ContentHashes: contents, Hashes: hashes})
		if err != nil {
			return groupError(err)
		}
		if len(rows) != len(ids) {
			return groupError(fmt.Errorf("eventstore: group inserted %d events of %d", len(rows), len(ids)))
		}
		for n, r := range rows {
			positions[n] = r.Position
			if txids[n], err = parseTxID(r.TransactionID); err != nil {
				return groupError(err)
			}
		}
		if c.s.txDelay != nil {
			if d := c.s.txDelay(); d > 0 {
				time.Sleep(d)
			}
		}
	}

	// Results of the written members.
	results := make(map[*member]AppendResult, len(ok))
	for _, w := range ok {
		res := AppendResult{Versions: map[string]int64{}, Positions: make([]int64, w.m.nEvents)}
		k := 0
		for _, ps := range w.m.streams {
			for _, e := range ps.events {
				row := w.rows[k]
				k++
				res.Positions[e.order] = positions[row]
				if versions[row] > res.Versions[ps.stream] {
					res.Versions[ps.stream] = versions[row]
				}
				if positions[row] > res.LastPosition {
					res.LastPosition = positions[row]
					res.Cursor = Cursor{TxID: txids[row], Position: positions[row]}
				}
			}
		}
		results[w.m] = res
	}

	// Phase 1 outcomes go out now, for everyone but the written members that
	// wait for the commit (plain appends).
	for i, m := range group {
		if decided[i] {
			m.outcome <- outcomes[i]
		} else if m.command {
			m.outcome <- memberOutcome{res: results[m]}
		}
	}
	handedOut := func(err error) error {
		for _, w := range ok {
			if w.m.command {
				w.m.finished <- err
			} else {
				w.m.outcome <- memberOutcome{err: err}
			}
		}
		return errHandedOut{err: err}
	}

	// Phase 2: the responses of command members.
	var (
		recKeys            []string
		recHashes, recResp [][]byte
		recResults         [][]byte
	)
	timeout := time.NewTimer(c.opts.ResponseTimeout)
	defer timeout.Stop()
	for _, w := range ok {
		resp := w.m.response
		if w.m.command {
			select {
			case r := <-w.m.respond:
				if r == nil {
					return handedOut(ErrGroupAborted)
				}
				resp = r
			case <-timeout.C:
				return handedOut(fmt.Errorf("%w: no response within %s", ErrGroupAborted, c.opts.ResponseTimeout))
			}
		}
		if w.m.key == "" {
			continue
		}
		raw, err := json.Marshal(storedRows(results[w.m], w.m))
		if err != nil {
			return handedOut(err)
		}
		recKeys = append(recKeys, w.m.key)
		recHashes = append(recHashes, w.m.reqHash)
		recResults = append(recResults, raw)
		recResp = append(recResp, resp)
	}

	// Phase 3: records, commit.
	b = &pgx.Batch{}
	if len(recKeys) > 0 {
		dbsqlc.QueueInsertIdempotencyRecords(b, dbsqlc.InsertIdempotencyRecordsParams{
			Keys: recKeys, RequestHashes: recHashes, Results: recResults, Responses: recResp})
	}
	dbsqlc.QueueCommit(b)
	br = conn.SendBatch(ctx, b)
	for range b.QueuedQueries {
		if _, err = br.Exec(); err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return handedOut(fmt.Errorf("eventstore: group commit: %w", err))
	}
	committed = true
	if m := c.s.metrics; m != nil {
		m.EventsAppended.Add(float64(len(ids)))
	}
	for _, w := range ok {
		if w.m.command {
			w.m.finished <- nil
		} else {
			w.m.outcome <- memberOutcome{res: results[w.m]}
		}
	}
	return nil
}

// ErrGroupAborted reports a group rolled back because one of its commands gave no
// response (it failed, or took too long). Nothing of the group was written; the
// request may be retried.
var ErrGroupAborted = errors.New("eventstore: group rolled back")

// groupError classifies a failure before any outcome was handed out: a unique
// violation on stream versions (a writer that took no lock) or a deadlock is
// retried; the rest is returned.
func groupError(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505" && pgErr.ConstraintName == "events_stream_version_key",
			pgErr.Code == "40P01", pgErr.Code == "40001":
			return errGroupRetry{err: err}
		case pgErr.Code == "22P02" || pgErr.Code == "22023" || pgErr.Code == "22021":
			return fmt.Errorf("%w: %s", ErrInvalidAppend, pgErr.Message)
		case pgErr.Code == "23505" && pgErr.ConstraintName == "events_event_id_key":
			return fmt.Errorf("%w: event id already stored: %s", ErrInvalidAppend, pgErr.Detail)
		}
	}
	return fmt.Errorf("eventstore: group: %w", err)
}

func readPhase1(br pgx.BatchResults) (map[string]*CommandRecord, map[string]head, error) {
	if _, err := br.Exec(); err != nil { // BEGIN
		return nil, nil, err
	}
	if _, err := br.Exec(); err != nil { // locks
		return nil, nil, err
	}
	records := map[string]*CommandRecord{}
	rows, err := br.Query()
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var (
			key          string
			hash, resp   []byte
			resultJSON   []byte
			storedResult AppendResult
		)
		if err := rows.Scan(&key, &hash, &resultJSON, &resp); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if storedResult, err = decodeStoredResult(resultJSON); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("eventstore: idempotency key %q: %w", key, err)
		}
		records[key] = &CommandRecord{RequestHash: hash, Result: storedResult, Response: resp}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	heads := map[string]head{}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var (
			stream string
			h      head
		)
		if err := rows.Scan(&stream, &h.version, &h.hash); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if h.hash == nil {
			h.hash = zeroHash[:]
		}
		heads[stream] = h
	}
	rows.Close()
	return records, heads, rows.Err()
}

type storedRow struct {
	Position      int64  `json:"position"`
	StreamID      string `json:"stream_id"`
	StreamVersion int64  `json:"stream_version"`
	TransactionID string `json:"transaction_id"`
}

// storedRows is the result kept for a key: one row per event, in position order
// (the format the SQL function passledger_append of migration 00001 kept).
func storedRows(res AppendResult, m *member) []storedRow {
	out := make([]storedRow, 0, len(res.Positions))
	tx := strconv.FormatUint(res.Cursor.TxID, 10)
	for _, ps := range m.streams {
		v := res.Versions[ps.stream] - int64(len(ps.events))
		for _, e := range ps.events {
			v++
			out = append(out, storedRow{Position: res.Positions[e.order], StreamID: ps.stream, StreamVersion: v, TransactionID: tx})
		}
	}
	slices.SortFunc(out, func(a, b storedRow) int { return cmp.Compare(a.Position, b.Position) })
	return out
}

func decodeStoredResult(raw []byte) (AppendResult, error) {
	var rows []storedRow
	if err := json.Unmarshal(raw, &rows); err != nil {
		return AppendResult{}, err
	}
	res := AppendResult{Versions: make(map[string]int64), Duplicate: true}
	for _, r := range rows {
		if err := res.add(r.Position, r.StreamID, r.StreamVersion, r.TransactionID); err != nil {
			return AppendResult{}, err
		}
	}
	return res, nil
}

// lockKey is the advisory-lock key of a stream ("s") or idempotency key ("k").
func lockKey(kind, name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(name))
	return int64(h.Sum64())
}
