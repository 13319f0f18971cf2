package eventstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Memory is an event store held in memory, for unit tests that run commands
// without a database. It keeps the contract of Store for everything it
// implements — AppendMulti (atomic, expected versions, read-set checks,
// idempotency keys, the same validation and errors), ReadStreams and the
// cross-stream lookups (StreamsWhere, EventsWhere, EventsOfTypes,
// StreamsWithMore, Count) — and the conformance suite eventstore/storetest
// checks both against the same tests.
//
// One mutex serialises every call, so an append is atomic and isolated, and
// positions, transaction ids and reading order all follow the order of appends:
// every stored event is readable at once (Count's readable equals stored). Events
// carry their content and chain hashes like the PostgreSQL store's. Nothing is
// persisted. It is safe for concurrent use; the zero value is not: use NewMemory.
type Memory struct {
	mu       sync.Mutex
	now      func() time.Time
	events   []RecordedEvent
	streams  map[string][]int // indexes into events, in version order
	eventIDs map[string]bool
	results  map[string]AppendResult // by idempotency key
	txID     uint64
	// byType indexes events by type, in position order; fields indexes, for each
	// (type, payload field) pair a lookup has named, the events of that type by
	// the field's text (see fieldIndex). The lookups read these instead of
	// scanning every event, so a simulated year of 200,000 events is not
	// quadratic.
	byType map[string][]int
	fields map[PayloadField]*fieldIndex
}

// fieldIndex maps one payload field's text (payload->>field) to the events of
// one type that carry it, in position order. It is built when a lookup first
// names the pair and brought up to date by each later lookup: indexed counts
// the events of byType[type] already read.
type fieldIndex struct {
	indexed int
	values  map[string][]int
}

// NewMemory returns an empty in-memory store whose events are recorded at
// time.Now.
func NewMemory() *Memory {
	return &Memory{
		now:      time.Now,
		streams:  map[string][]int{},
		eventIDs: map[string]bool{},
		results:  map[string]AppendResult{},
		byType:   map[string][]int{},
		fields:   map[PayloadField]*fieldIndex{},
	}
}

// AppendMulti writes the events of one command, possibly to several streams,
// atomically, with Store.AppendMulti's contract: each StreamAppend's Expected is
// checked (NoStream, an exact version, or Any); a StreamAppend without events is a
// read-set check, which must carry an exact expectation (NoStream or a version, not
// Any), writes nothing and fails the whole append with a *ConflictError when its
// stream has moved; a mismatch writes nothing and returns a *ConflictError
// (errors.Is ErrConflict) naming the stream, the expectation and the version found.
// An append must write at least one event. Input that can never succeed is
// ErrInvalidAppend. When md.IdempotencyKey was used by an earlier append, that
// append's result is returned with Duplicate set and nothing is written.
func (m *Memory) AppendMulti(_ context.Context, md Metadata, appends ...StreamAppend) (AppendResult, error) {
	metadata, err := json.Marshal(md)
	if err != nil {
		return AppendResult{}, fmt.Errorf("%w: metadata: %v", ErrInvalidAppend, err)
	}
	if err := validateAppends(appends); err != nil {
		return AppendResult{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if md.IdempotencyKey != "" {
		if res, ok := m.results[md.IdempotencyKey]; ok {
			res.Duplicate = true
			return cloneResult(res), nil
		}
	}
	ids := map[string]bool{}
	for _, a := range appends {
		actual := int64(len(m.streams[a.Stream]))
		if a.Expected != Any && int64(a.Expected) != actual {
			return AppendResult{}, &ConflictError{Stream: a.Stream, Expected: a.Expected, Actual: actual}
		}
		for _, e := range a.Events {
			if e.ID == "" {
				continue
			}
			id := uuid.MustParse(e.ID).String() // validated above
			if m.eventIDs[id] || ids[id] {
				return AppendResult{}, fmt.Errorf("%w: event id already stored: %s", ErrInvalidAppend, id)
			}
			ids[id] = true
		}
	}
	m.txID++
	recordedAt := m.now().UTC().Truncate(time.Microsecond)
	res := AppendResult{Versions: map[string]int64{}}
	for _, a := range appends {
		for _, e := range a.Events {
			id := uuid.NewString()
			if e.ID != "" {
				id = uuid.MustParse(e.ID).String()
			}
			idx := m.streams[a.Stream]
			version := int64(len(idx)) + 1
			prev := make([]byte, 32)
			if len(idx) > 0 {
				prev = m.events[idx[len(idx)-1]].Hash
			}
			payload := bytes.Clone(e.Payload)
			content := ContentHash(id, a.Stream, e.Type, recordedAt, payload, metadata)
			rec := RecordedEvent{
				Position: int64(len(m.events)) + 1, TxID: m.txID, EventID: id, StreamID: a.Stream,
				Version: version, Type: e.Type, Payload: payload, Metadata: bytes.Clone(metadata),
				RecordedAt: recordedAt, ContentHash: content, Hash: ChainHash(prev, version, content),
			}
			m.streams[a.Stream] = append(idx, len(m.events))
			m.byType[e.Type] = append(m.byType[e.Type], len(m.events))
			m.events = append(m.events, rec)
			m.eventIDs[id] = true
			res.Positions = append(res.Positions, rec.Position)
			res.Versions[a.Stream] = version
			res.LastPosition, res.Cursor = rec.Position, rec.Cursor()
		}
	}
	if md.IdempotencyKey != "" {
		m.results[md.IdempotencyKey] = cloneResult(res)
	}
	return res, nil
}

// validateAppends is the one check of an append, for Store (prepare) and Memory
// alike: an append either store refuses, the other refuses too.
func validateAppends(appends []StreamAppend) error {
	if len(appends) == 0 {
		return fmt.Errorf("%w: no streams", ErrInvalidAppend)
	}
	seen := make(map[string]bool, len(appends))
	events := 0
	for _, a := range appends {
		if !ValidStreamID(a.Stream) {
			return fmt.Errorf("%w: stream id %q", ErrInvalidAppend, a.Stream)
		}
		if seen[a.Stream] {
			return fmt.Errorf("%w: stream %s named twice", ErrInvalidAppend, a.Stream)
		}
		seen[a.Stream] = true
		if a.Expected < Any {
			return fmt.Errorf("%w: expected version %d", ErrInvalidAppend, a.Expected)
		}
		if len(a.Events) == 0 && a.Expected == Any {
			return fmt.Errorf("%w: read-set check of stream %s expects any version", ErrInvalidAppend, a.Stream)
		}
		events += len(a.Events)
		for _, e := range a.Events {
			if e.Type == "" {
				return fmt.Errorf("%w: event without type", ErrInvalidAppend)
			}
			// PostgreSQL's text refuses NUL and invalid UTF-8: refused here, the
			// same way by every store (the Loader acknowledges before writing).
			if !utf8.ValidString(e.Type) || strings.IndexByte(e.Type, 0) >= 0 {
				return fmt.Errorf("%w: event type %q is not UTF-8 text", ErrInvalidAppend, e.Type)
			}
			if !json.Valid(e.Payload) || !utf8.Valid(e.Payload) {
				return fmt.Errorf("%w: payload of %s is not JSON in UTF-8", ErrInvalidAppend, e.Type)
			}
			if e.ID != "" {
				if _, err := uuid.Parse(e.ID); err != nil {
					return fmt.Errorf("%w: event id %q: %v", ErrInvalidAppend, e.ID, err)
				}
			}
		}
	}
	if events == 0 {
		return fmt.Errorf("%w: no events", ErrInvalidAppend)
	}
	return nil
}

func cloneResult(r AppendResult) AppendResult {
	r.Positions = slices.Clone(r.Positions)
	versions := make(map[string]int64, len(r.Versions))
	for s, v := range r.Versions {
		versions[s] = v
	}
	r.Versions = versions
	return r
}

// ReadStreams returns the events of each named stream that has any, in version
// order, keyed by stream id (a stream without events has no key), as
// Store.ReadStreams does.
func (m *Memory) ReadStreams(_ context.Context, streams []string) (map[string][]RecordedEvent, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string][]RecordedEvent, len(streams))
	for _, s := range streams {
		for _, i := range m.streams[s] {
			out[s] = append(out[s], m.events[i])
		}
	}
	return out, nil
}

// checkFields refuses a lookup that names no pair or a pair that is not plain
// names, as Store's lookups do.
func checkFields(fields []PayloadField) error {
	if len(fields) == 0 {
		return fmt.Errorf("%w: no payload field to match", ErrInvalidQuery)
	}
	for _, f := range fields {
		if !ValidName(f.EventType) || !ValidName(f.Field) {
			return fmt.Errorf("%w: event type %q, field %q: not plain names", ErrInvalidQuery, f.EventType, f.Field)
		}
	}
	return nil
}

// whereLocked returns, in position order and each once, the indexes of the
// events that match one of fields with value, as PostgreSQL's event_type = 'T'
// AND payload->>'f' = value does. m.mu must be held.
func (m *Memory) whereLocked(value string, fields []PayloadField) []int {
	var out []int
	for _, f := range fields {
		idx := m.fields[f]
		if idx == nil {
			idx = &fieldIndex{values: map[string][]int{}}
			m.fields[f] = idx
		}
		ofType := m.byType[f.EventType]
		for _, i := range ofType[idx.indexed:] {
			if v, ok := payloadText(m.events[i].Payload, f.Field); ok {
				idx.values[v] = append(idx.values[v], i)
			}
		}
		idx.indexed = len(ofType)
		out = append(out, idx.values[value]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ofTypesLocked returns, in position order, the indexes of the events whose type
// is one of types. m.mu must be held.
func (m *Memory) ofTypesLocked(types []string) []int {
	var out []int
	for _, t := range slices.Compact(slices.Sorted(slices.Values(types))) {
		out = append(out, m.byType[t]...)
	}
	slices.Sort(out)
	return out
}

// payloadText is PostgreSQL's payload->>field on a json value: a string field's
// string, another value's JSON text, and nothing for null, a missing field or a
// payload that is not an object.
func payloadText(payload []byte, field string) (string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(payload, &obj) != nil {
		return "", false
	}
	raw, ok := obj[field]
	if !ok || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	return string(raw), true
}

// StreamsWhere returns, sorted and each once, the ids of the streams holding an
// event that matches one of fields with value (see Store.StreamsWhere).
func (m *Memory) StreamsWhere(_ context.Context, value string, fields ...PayloadField) ([]string, error) {
	if err := checkFields(fields); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, i := range m.whereLocked(value, fields) {
		out = append(out, m.events[i].StreamID)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// EventsWhere returns, in position order and each once, the events that match
// one of fields with value (see Store.EventsWhere).
func (m *Memory) EventsWhere(_ context.Context, value string, fields ...PayloadField) ([]RecordedEvent, error) {
	if err := checkFields(fields); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.eventsAt(m.whereLocked(value, fields)), nil
}

// eventsAt returns the events at the given indexes. m.mu must be held.
func (m *Memory) eventsAt(idx []int) []RecordedEvent {
	var out []RecordedEvent
	for _, i := range idx {
		out = append(out, m.events[i])
	}
	return out
}

// EventsOfTypes returns every event whose type is one of types, in position
// order (see Store.EventsOfTypes).
func (m *Memory) EventsOfTypes(_ context.Context, types ...string) ([]RecordedEvent, error) {
	if len(types) == 0 {
		return nil, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.eventsAt(m.ofTypesLocked(types)), nil
}

// StreamsWithMore returns, sorted, the streams holding more events of the types
// than of the than types (see Store.StreamsWithMore).
func (m *Memory) StreamsWithMore(_ context.Context, types, than []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	balance := map[string]int{}
	for _, i := range m.ofTypesLocked(append(slices.Clone(types), than...)) {
		e := m.events[i]
		if slices.Contains(types, e.Type) {
			balance[e.StreamID]++
		}
		if slices.Contains(than, e.Type) {
			balance[e.StreamID]--
		}
	}
	var out []string
	for s, n := range balance {
		if n > 0 {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Count returns how many events are readable and stored: always the same number,
// since every event is readable once its append returns.
func (m *Memory) Count(context.Context) (readable, stored int64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.events)), int64(len(m.events)), nil
}
