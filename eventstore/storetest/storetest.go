// Package storetest is the conformance suite of the event store's contract: the
// same tests run against the PostgreSQL store (eventstore.Store) and the
// in-memory one (eventstore.Memory), so that a command test that passes on one
// passes on the other. It covers appends and reads, expected versions,
// multi-stream atomicity, invalid appends, idempotency keys (also concurrent),
// read-set checks, concurrent appends to one stream, content and chain hashes,
// and each cross-stream lookup (StreamsWhere, EventsWhere, EventsOfTypes,
// StreamsWithMore, Count).
//
// Use it from a test of the implementation:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Store { return eventstore.NewMemory() },
//			storetest.Options{ReadSetChecks: true})
//	}
//
// The tests name their streams, event types, values and idempotency keys with a
// random suffix, so a store shared with other tests works; only Count's test
// needs no other writer while it runs.
package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
)

// Store is what the suite exercises: the contract that the application layer
// relies on (app.Store, declared by its consumer), plus Count.
type Store interface {
	app.Store
	Count(ctx context.Context) (readable, stored int64, err error)
}

// Options switches on the parts of the contract that not every implementation
// has yet.
type Options struct {
	// ReadSetChecks: a StreamAppend without events is a read-set check (exact
	// expectation, writes nothing, fails the whole append with a *ConflictError
	// when its stream moved). Without it, the suite only checks that an append
	// that writes nothing at all, or a read-set check that expects Any, is
	// ErrInvalidAppend (which both rules agree on).
	ReadSetChecks bool
	// NoIdempotencyKeys: the store refuses every idempotency key
	// (ErrInvalidAppend), as eventstore.Loader does; the suite checks that
	// refusal instead of the keys' contract.
	NoIdempotencyKeys bool
}

// Run runs the suite; newStore is called once per subtest and returns the store
// under test (a new one, or one shared by the subtests).
func Run(t *testing.T, newStore func(t *testing.T) Store, opts Options) {
	tests := []struct {
		name string
		run  func(t *testing.T, s Store)
	}{
		{"AppendAndRead", testAppendAndRead},
		{"ExpectedVersions", testExpectedVersions},
		{"InvalidAppendsWriteNothing", testInvalidAppends},
		{"MultiStreamAtomicity", testMultiStreamAtomicity},
		{"Idempotency", testIdempotency},
		{"ConcurrentAppendsOneWins", testConcurrentAppendsOneWins},
		{"ConcurrentAnyAppends", testConcurrentAnyAppends},
		{"Hashes", testHashes},
		{"StreamsWhere", testStreamsWhere},
		{"EventsWhere", testEventsWhere},
		{"EventsOfTypes", testEventsOfTypes},
		{"StreamsWithMore", testStreamsWithMore},
		{"Count", testCount},
	}
	if opts.ReadSetChecks {
		tests = append(tests, struct {
			name string
			run  func(t *testing.T, s Store)
		}{"ReadSetChecks", testReadSetChecks})
	}
	if opts.NoIdempotencyKeys {
		for i := range tests {
			if tests[i].name == "Idempotency" {
				tests[i].name, tests[i].run = "IdempotencyKeysRefused", testIdempotencyKeysRefused
			}
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t)) })
	}
}

func uniq(prefix string) string { return fmt.Sprintf("%s-%016x", prefix, rand.Uint64()) }

// uniqType is an event type no other test writes (a plain name).
func uniqType(prefix string) string { return fmt.Sprintf("%s_%016x", prefix, rand.Uint64()) }

func ev(typ string, payload any) eventstore.EventData {
	b, err := json.Marshal(payload)
	if err != nil {
		panic(err)
	}
	return eventstore.EventData{Type: typ, Payload: b}
}

func one(stream string, expected eventstore.ExpectedVersion, events ...eventstore.EventData) eventstore.StreamAppend {
	return eventstore.StreamAppend{Stream: stream, Expected: expected, Events: events}
}

func mustAppend(t *testing.T, s Store, appends ...eventstore.StreamAppend) eventstore.AppendResult {
	t.Helper()
	res, err := s.AppendMulti(context.Background(), eventstore.Metadata{Actor: "storetest"}, appends...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func read(t *testing.T, s Store, stream string) []eventstore.RecordedEvent {
	t.Helper()
	got, err := s.ReadStreams(context.Background(), []string{stream})
	if err != nil {
		t.Fatal(err)
	}
	return got[stream]
}

func positions(evs []eventstore.RecordedEvent) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Position
	}
	return out
}

func testAppendAndRead(t *testing.T, s Store) {
	ctx := context.Background()
	stream := uniq("carnet")
	res, err := s.AppendMulti(ctx, eventstore.Metadata{Actor: "t", CorrelationID: "c-1"},
		one(stream, eventstore.NoStream, ev("A", map[string]int{"n": 1}), ev("B", map[string]int{"n": 2})))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Positions) != 2 || res.Positions[1] <= res.Positions[0] || res.Versions[stream] != 2 ||
		res.LastPosition != res.Positions[1] || res.Cursor.Position != res.LastPosition || res.Duplicate {
		t.Fatalf("result %+v", res)
	}
	got := read(t, s, stream)
	if len(got) != 2 || got[0].Type != "A" || got[1].Type != "B" || got[0].Version != 1 || got[1].Version != 2 ||
		string(got[1].Payload) != `{"n":2}` || !slices.Equal(positions(got), res.Positions) {
		t.Fatalf("read back %+v", got)
	}
	if got[1].Cursor() != res.Cursor || got[0].EventID == "" || got[0].EventID == got[1].EventID ||
		got[0].StreamID != stream || got[0].RecordedAt.IsZero() {
		t.Fatalf("recorded events %+v, result cursor %s", got, res.Cursor)
	}
	md, err := got[0].DecodeMetadata()
	if err != nil || md.Actor != "t" || md.CorrelationID != "c-1" {
		t.Fatalf("metadata %+v %v", md, err)
	}
	// Payload bytes are kept as given; an event id given is kept.
	id := "0b5e5c4e-7e0a-4d5e-9a53-6f0c2f7d8e11"
	raw := []byte(`{"b": 1,  "a": [true, null]}`)
	res = mustAppend(t, s, one(stream, eventstore.Exactly(2), eventstore.EventData{ID: id, Type: "C", Payload: raw}))
	got = read(t, s, stream)
	if len(got) != 3 || !bytes.Equal(got[2].Payload, raw) || got[2].EventID != id || res.Versions[stream] != 3 {
		t.Fatalf("third event %+v", got[2])
	}
	// Several streams at once, and a stream that has no event.
	other, absent := uniq("cheque"), uniq("absent")
	mustAppend(t, s, one(other, eventstore.NoStream, ev("X", 1)))
	all, err := s.ReadStreams(ctx, []string{stream, other, absent})
	if err != nil || len(all[stream]) != 3 || len(all[other]) != 1 || len(all[absent]) != 0 {
		t.Fatalf("read streams: %d, %d, %d events, %v", len(all[stream]), len(all[other]), len(all[absent]), err)
	}
}

func wantConflict(t *testing.T, err error, stream string, expected eventstore.ExpectedVersion, actual int64) {
	t.Helper()
	var ce *eventstore.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConflict) {
		t.Fatalf("want a *ConflictError, got %v", err)
	}
	if ce.Stream != stream || ce.Expected != expected || ce.Actual != actual {
		t.Fatalf("conflict %+v, want stream %s expected %d actual %d", ce, stream, expected, actual)
	}
}

func testExpectedVersions(t *testing.T, s Store) {
	ctx := context.Background()
	stream := uniq("cheque")
	_, err := s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Exactly(1), ev("A", 1)))
	wantConflict(t, err, stream, eventstore.Exactly(1), 0)
	mustAppend(t, s, one(stream, eventstore.NoStream, ev("A", 1), ev("B", 1)))
	mustAppend(t, s, one(stream, eventstore.Exactly(2), ev("C", 1)))
	_, err = s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Exactly(2), ev("D", 1)))
	wantConflict(t, err, stream, eventstore.Exactly(2), 3)
	_, err = s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.NoStream, ev("E", 1)))
	wantConflict(t, err, stream, eventstore.NoStream, 3)
	_, err = s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Exactly(10), ev("F", 1)))
	wantConflict(t, err, stream, eventstore.Exactly(10), 3)
	res := mustAppend(t, s, one(stream, eventstore.Any, ev("G", 1)))
	if res.Versions[stream] != 4 {
		t.Fatalf("any: %+v", res)
	}
	fresh := uniq("fresh")
	if res := mustAppend(t, s, one(fresh, eventstore.Any, ev("H", 1))); res.Versions[fresh] != 1 {
		t.Fatalf("any on a new stream: %+v", res)
	}
	if got := read(t, s, stream); len(got) != 4 || got[3].Type != "G" {
		t.Fatalf("stream holds %d events", len(got))
	}
}

func testInvalidAppends(t *testing.T, s Store) {
	ctx := context.Background()
	stream, other := uniq("bad"), uniq("bad")
	okEvent := []eventstore.EventData{ev("A", 1)}
	cases := map[string][]eventstore.StreamAppend{
		"no streams":         nil,
		"bad stream id":      {{Stream: "has space", Events: okEvent}},
		"empty stream id":    {{Stream: "", Events: okEvent}},
		"nothing to write":   {{Stream: stream}},
		"payload not json":   {{Stream: stream, Events: []eventstore.EventData{{Type: "A", Payload: []byte("{")}}}},
		"no type":            {{Stream: stream, Events: []eventstore.EventData{{Payload: []byte("1")}}}},
		"payload not utf-8":  {{Stream: stream, Events: []eventstore.EventData{{Type: "A", Payload: []byte("{\"a\":\"\xff\"}")}}}},
		"type with nul":      {{Stream: stream, Events: []eventstore.EventData{{Type: "A\x00B", Payload: []byte("1")}}}},
		"type not utf-8":     {{Stream: stream, Events: []eventstore.EventData{{Type: "A\xffB", Payload: []byte("1")}}}},
		"event id not uuid":  {{Stream: stream, Events: []eventstore.EventData{{ID: "nope", Type: "A", Payload: []byte("1")}}}},
		"expected below any": {{Stream: stream, Expected: -2, Events: okEvent}},
		"stream twice":       {{Stream: stream, Events: okEvent}, {Stream: stream, Events: okEvent}},
		"read-set check expecting any": {{Stream: stream, Events: okEvent},
			{Stream: other, Expected: eventstore.Any}},
	}
	for name, appends := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := s.AppendMulti(ctx, eventstore.Metadata{}, appends...); !errors.Is(err, eventstore.ErrInvalidAppend) {
				t.Fatalf("want ErrInvalidAppend, got %v", err)
			}
		})
	}
	// An event id already stored.
	id := "5d1f0c9e-2b8a-4f3e-8c6d-0a9b8c7d6e5f"
	mustAppend(t, s, one(other, eventstore.NoStream, eventstore.EventData{ID: id, Type: "A", Payload: []byte("1")}))
	if _, err := s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Any,
		eventstore.EventData{ID: id, Type: "A", Payload: []byte("1")})); !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Fatalf("event id stored twice: %v", err)
	}
	if got := read(t, s, stream); len(got) != 0 {
		t.Fatalf("invalid appends wrote %d events", len(got))
	}
}

func testMultiStreamAtomicity(t *testing.T, s Store) {
	ctx := context.Background()
	// z sorts after a: positions still come in the caller's order.
	z, a := uniq("z"), uniq("a")
	mustAppend(t, s, one(a, eventstore.NoStream, ev("X", 1)))
	_, err := s.AppendMulti(ctx, eventstore.Metadata{},
		one(z, eventstore.NoStream, ev("Y", 1)),
		one(a, eventstore.NoStream, ev("Y", 1)))
	wantConflict(t, err, a, eventstore.NoStream, 1)
	if got := read(t, s, z); len(got) != 0 {
		t.Fatalf("stream %s got %d events from a failed append", z, len(got))
	}
	res := mustAppend(t, s,
		one(z, eventstore.NoStream, ev("Y", 1)),
		one(a, eventstore.Exactly(1), ev("Y", 2), ev("Z", 3)))
	if res.Versions[z] != 1 || res.Versions[a] != 3 || len(res.Positions) != 3 {
		t.Fatalf("result %+v", res)
	}
	zs, as := read(t, s, z), read(t, s, a)
	if want := []int64{zs[0].Position, as[1].Position, as[2].Position}; !slices.Equal(res.Positions, want) {
		t.Fatalf("positions %v, want the caller's order %v", res.Positions, want)
	}
	if res.LastPosition != slices.Max(res.Positions) {
		t.Fatalf("last position %d of %v", res.LastPosition, res.Positions)
	}
}

// testIdempotencyKeysRefused: an append with a key is refused and writes nothing.
func testIdempotencyKeysRefused(t *testing.T, s Store) {
	stream := uniq("funder")
	_, err := s.AppendMulti(context.Background(), eventstore.Metadata{IdempotencyKey: uniq("key")},
		one(stream, eventstore.NoStream, ev("A", 1)))
	if !errors.Is(err, eventstore.ErrInvalidAppend) {
		t.Fatalf("append with a key: %v, want ErrInvalidAppend", err)
	}
	if got := read(t, s, stream); len(got) != 0 {
		t.Fatalf("%d events written by a refused append", len(got))
	}
}

func testIdempotency(t *testing.T, s Store) {
	ctx := context.Background()
	stream, key := uniq("funder"), uniq("key")
	md := eventstore.Metadata{IdempotencyKey: key}
	first, err := s.AppendMulti(ctx, md, one(stream, eventstore.NoStream, ev("A", 1), ev("B", 2)))
	if err != nil || first.Duplicate {
		t.Fatalf("first: %+v %v", first, err)
	}
	// A repeat, even of another append (which would conflict), answers the first.
	other := uniq("other")
	again, err := s.AppendMulti(ctx, md, one(stream, eventstore.NoStream, ev("C", 3)), one(other, eventstore.Any, ev("D", 4)))
	if err != nil || !again.Duplicate || !slices.Equal(again.Positions, first.Positions) ||
		again.Versions[stream] != 2 || again.LastPosition != first.LastPosition || again.Cursor != first.Cursor {
		t.Fatalf("repeat: %+v %v, first %+v", again, err, first)
	}
	if got := read(t, s, stream); len(got) != 2 {
		t.Fatalf("%d events after a repeat", len(got))
	}
	if got := read(t, s, other); len(got) != 0 {
		t.Fatalf("a repeat wrote %d events to another stream", len(got))
	}
	got := read(t, s, stream)
	if md, _ := got[0].DecodeMetadata(); md.IdempotencyKey != key {
		t.Fatalf("metadata %+v", md)
	}

	// Concurrent appends with one key: one write, one answer for all.
	for _, expected := range []eventstore.ExpectedVersion{eventstore.Any, eventstore.NoStream} {
		stream, key := uniq("redemption"), uniq("key")
		const n = 20
		results := make([]eventstore.AppendResult, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = s.AppendMulti(ctx, eventstore.Metadata{IdempotencyKey: key},
					one(stream, expected, ev("ChequeRedeemed", map[string]int{"attempt": i})))
			}()
		}
		close(start)
		wg.Wait()
		firsts := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("expected %d, goroutine %d: %v", expected, i, errs[i])
			}
			if !results[i].Duplicate {
				firsts++
			}
			if results[i].LastPosition != results[0].LastPosition || results[i].Versions[stream] != 1 {
				t.Fatalf("goroutine %d got %+v, goroutine 0 got %+v", i, results[i], results[0])
			}
		}
		if firsts != 1 {
			t.Fatalf("%d appends claim to be the first", firsts)
		}
		if got := read(t, s, stream); len(got) != 1 || got[0].Position != results[0].LastPosition {
			t.Fatalf("%d events written for one key", len(got))
		}
	}
}

// Appends racing for one stream version: exactly one wins, every time.
func testConcurrentAppendsOneWins(t *testing.T, s Store) {
	ctx := context.Background()
	for round := range 20 {
		stream := uniq("cheque")
		mustAppend(t, s, one(stream, eventstore.NoStream, ev("ChequeIssued", 0)))
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Exactly(1), ev("ChequeRedeemed", i)))
			}()
		}
		close(start)
		wg.Wait()
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, eventstore.ErrConflict):
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if got := read(t, s, stream); wins != 1 || len(got) != 2 {
			t.Fatalf("round %d: %d wins, %d events stored", round, wins, len(got))
		}
	}
}

// Appends expecting any version all succeed, each at its own version.
func testConcurrentAnyAppends(t *testing.T, s Store) {
	ctx := context.Background()
	stream := uniq("log")
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.AppendMulti(ctx, eventstore.Metadata{}, one(stream, eventstore.Any, ev("Line", i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	got := read(t, s, stream)
	if len(got) != n {
		t.Fatalf("%d events stored, want %d", len(got), n)
	}
	for i, e := range got {
		if e.Version != int64(i+1) {
			t.Fatalf("event %d at version %d", i, e.Version)
		}
	}
}

// Each event's content hash covers what is stored; its hash chains it to the
// previous event of its stream.
func testHashes(t *testing.T, s Store) {
	stream := uniq("chain")
	mustAppend(t, s, one(stream, eventstore.NoStream, ev("A", 1), ev("B", map[string]string{"x": "é"})))
	mustAppend(t, s, one(stream, eventstore.Exactly(2), ev("C", 3)))
	prev := make([]byte, 32)
	for _, e := range read(t, s, stream) {
		content := eventstore.ContentHash(e.EventID, e.StreamID, e.Type, e.RecordedAt, e.Payload, e.Metadata)
		if !bytes.Equal(content, e.ContentHash) {
			t.Fatalf("version %d: content hash does not cover the stored event", e.Version)
		}
		if h := eventstore.ChainHash(prev, e.Version, content); !bytes.Equal(h, e.Hash) {
			t.Fatalf("version %d: hash does not chain to the previous event", e.Version)
		}
		prev = e.Hash
	}
}

func wantInvalidQuery(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	for name, fields := range map[string][]eventstore.PayloadField{
		"no field":   nil,
		"quote":      {{EventType: "A", Field: "x' OR '1'='1"}},
		"empty type": {{EventType: "", Field: "x"}},
	} {
		if _, err := s.StreamsWhere(ctx, "v", fields...); !errors.Is(err, eventstore.ErrInvalidQuery) {
			t.Errorf("StreamsWhere, %s: want ErrInvalidQuery, got %v", name, err)
		}
		if _, err := s.EventsWhere(ctx, "v", fields...); !errors.Is(err, eventstore.ErrInvalidQuery) {
			t.Errorf("EventsWhere, %s: want ErrInvalidQuery, got %v", name, err)
		}
	}
}

// lookupWorld writes, for a value v, events of type pledged with fund_id = v in
// two streams (one of them twice), an event of another type with the same field
// and value, one with another value, one with a number field, and returns them.
type lookupWorld struct {
	value, pledged, drawn string
	s1, s2, s3, s4, s5    string
}

func newLookupWorld(t *testing.T, s Store) lookupWorld {
	w := lookupWorld{value: uniq("fund"), pledged: uniqType("Pledged"), drawn: uniqType("Drawn"),
		s1: uniq("c1"), s2: uniq("c2"), s3: uniq("c3"), s4: uniq("c4"), s5: uniq("c5")}
	mustAppend(t, s, one(w.s2, eventstore.NoStream, ev(w.pledged, map[string]any{"fund_id": w.value, "amount": "1.00"})))
	mustAppend(t, s, one(w.s1, eventstore.NoStream, ev(w.pledged, map[string]any{"fund_id": w.value})))
	mustAppend(t, s,
		one(w.s2, eventstore.Exactly(1), ev(w.pledged, map[string]any{"fund_id": w.value})),
		one(w.s3, eventstore.NoStream, ev(w.drawn, map[string]any{"fund_id": w.value, "programme_id": w.value})),
		one(w.s4, eventstore.NoStream, ev(w.pledged, map[string]any{"fund_id": w.value + "x"}), ev(w.pledged, map[string]any{"fund_id": nil})),
		one(w.s5, eventstore.NoStream, ev(w.pledged, map[string]any{"n": 42, "fund_id": []int{1}})))
	return w
}

func testStreamsWhere(t *testing.T, s Store) {
	ctx := context.Background()
	w := newLookupWorld(t, s)
	got, err := s.StreamsWhere(ctx, w.value, eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"})
	if want := slices.Sorted(slices.Values([]string{w.s1, w.s2})); err != nil || !slices.Equal(got, want) {
		t.Fatalf("pledged streams %v (%v), want %v", got, err, want)
	}
	got, err = s.StreamsWhere(ctx, w.value,
		eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"},
		eventstore.PayloadField{EventType: w.drawn, Field: "programme_id"})
	if want := slices.Sorted(slices.Values([]string{w.s1, w.s2, w.s3})); err != nil || !slices.Equal(got, want) {
		t.Fatalf("pledged or drawn streams %v (%v), want %v", got, err, want)
	}
	// A number matches its text; nothing matches an unknown value or field.
	if got, err := s.StreamsWhere(ctx, "42", eventstore.PayloadField{EventType: w.pledged, Field: "n"}); err != nil || !slices.Equal(got, []string{w.s5}) {
		t.Fatalf("number field: %v %v", got, err)
	}
	if got, err := s.StreamsWhere(ctx, uniq("none"), eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"}); err != nil || len(got) != 0 {
		t.Fatalf("unknown value: %v %v", got, err)
	}
	if got, err := s.StreamsWhere(ctx, w.value, eventstore.PayloadField{EventType: w.pledged, Field: "missing"}); err != nil || len(got) != 0 {
		t.Fatalf("unknown field: %v %v", got, err)
	}
	wantInvalidQuery(t, s)
}

func testEventsWhere(t *testing.T, s Store) {
	ctx := context.Background()
	w := newLookupWorld(t, s)
	s1, s2, s3 := read(t, s, w.s1), read(t, s, w.s2), read(t, s, w.s3)
	got, err := s.EventsWhere(ctx, w.value, eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"})
	if want := []int64{s2[0].Position, s1[0].Position, s2[1].Position}; err != nil || !slices.Equal(positions(got), want) {
		t.Fatalf("pledges at %v (%v), want %v", positions(got), err, want)
	}
	if got[0].StreamID != w.s2 || got[0].Type != w.pledged || got[0].Version != 1 || !bytes.Equal(got[0].Payload, s2[0].Payload) {
		t.Fatalf("first pledge %+v", got[0])
	}
	// The draw matches on both of its fields: it comes once.
	got, err = s.EventsWhere(ctx, w.value,
		eventstore.PayloadField{EventType: w.drawn, Field: "fund_id"},
		eventstore.PayloadField{EventType: w.drawn, Field: "programme_id"},
		eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"})
	if want := []int64{s2[0].Position, s1[0].Position, s2[1].Position, s3[0].Position}; err != nil || !slices.Equal(positions(got), want) {
		t.Fatalf("pledges and draws at %v (%v), want %v", positions(got), err, want)
	}
	if got, err := s.EventsWhere(ctx, uniq("none"), eventstore.PayloadField{EventType: w.drawn, Field: "fund_id"}); err != nil || len(got) != 0 {
		t.Fatalf("unknown value: %v %v", got, err)
	}
	// Events of a looked-up type appended after the lookup are found by the next
	// one (an index built by the first lookup must follow), in position order.
	s6 := uniq("c6")
	late := mustAppend(t, s, one(s6, eventstore.NoStream, ev(w.pledged, map[string]any{"fund_id": w.value})),
		one(w.s4, eventstore.Exactly(2), ev(w.pledged, map[string]any{"fund_id": w.value})))
	got, err = s.EventsWhere(ctx, w.value, eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"})
	if want := append([]int64{s2[0].Position, s1[0].Position, s2[1].Position}, slices.Sorted(slices.Values(late.Positions))...); err != nil || !slices.Equal(positions(got), want) {
		t.Fatalf("pledges after two more at %v (%v), want %v", positions(got), err, want)
	}
	streams, err := s.StreamsWhere(ctx, w.value, eventstore.PayloadField{EventType: w.pledged, Field: "fund_id"})
	if want := slices.Sorted(slices.Values([]string{w.s1, w.s2, w.s4, s6})); err != nil || !slices.Equal(streams, want) {
		t.Fatalf("streams after two more pledges %v (%v), want %v", streams, err, want)
	}
	wantInvalidQuery(t, s)
}

func testEventsOfTypes(t *testing.T, s Store) {
	ctx := context.Background()
	a, b, c := uniqType("Paid"), uniqType("Created"), uniqType("Never")
	x, y := uniq("batch"), uniq("batch")
	mustAppend(t, s, one(x, eventstore.NoStream, ev(b, 1), ev(a, 2)))
	mustAppend(t, s, one(y, eventstore.NoStream, ev(b, 3)), one(x, eventstore.Exactly(2), ev(a, 4)))
	xs, ys := read(t, s, x), read(t, s, y)
	got, err := s.EventsOfTypes(ctx, a)
	if want := []int64{xs[1].Position, xs[2].Position}; err != nil || !slices.Equal(positions(got), want) {
		t.Fatalf("events of %s at %v (%v), want %v", a, positions(got), err, want)
	}
	got, err = s.EventsOfTypes(ctx, a, b, c)
	// Within one append, the store chooses the writing order of the streams
	// (by stream id): the positions, not the caller's order, say which comes first.
	want := []int64{xs[0].Position, xs[1].Position, ys[0].Position, xs[2].Position}
	slices.Sort(want)
	if err != nil || !slices.Equal(positions(got), want) {
		t.Fatalf("events of three types at %v (%v), want %v", positions(got), err, want)
	}
	if i := slices.Index(positions(got), ys[0].Position); got[i].Type != b || got[i].StreamID != y || string(got[i].Payload) != "3" {
		t.Fatalf("event of stream y %+v", got[i])
	}
	if got, err := s.EventsOfTypes(ctx, c); err != nil || len(got) != 0 {
		t.Fatalf("type never written: %v %v", got, err)
	}
	if got, err := s.EventsOfTypes(ctx); err != nil || len(got) != 0 {
		t.Fatalf("no type: %v %v", got, err)
	}
}

func testStreamsWithMore(t *testing.T, s Store) {
	ctx := context.Background()
	opened, reversed, claimed, other := uniqType("Redeemed"), uniqType("Reversed"), uniqType("Claimed"), uniqType("Other")
	streams := map[string][]string{
		"open":          {opened},
		"reversed":      {opened, reversed},
		"reopened":      {opened, reversed, opened},
		"claimed":       {opened, opened, reversed, claimed},
		"closed only":   {claimed},
		"other types":   {other, other},
		"open + others": {other, opened, other},
	}
	ids := map[string]string{}
	for name, types := range streams {
		ids[name] = uniq("cheque")
		var evs []eventstore.EventData
		for _, typ := range types {
			evs = append(evs, ev(typ, 1))
		}
		mustAppend(t, s, one(ids[name], eventstore.NoStream, evs...))
	}
	got, err := s.StreamsWithMore(ctx, []string{opened}, []string{reversed, claimed})
	want := slices.Sorted(slices.Values([]string{ids["open"], ids["reopened"], ids["open + others"]}))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("open streams %v (%v), want %v", got, err, want)
	}
	// Nothing to subtract: every stream with one of the types.
	got, err = s.StreamsWithMore(ctx, []string{claimed}, nil)
	want = slices.Sorted(slices.Values([]string{ids["claimed"], ids["closed only"]}))
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("claimed streams %v (%v), want %v", got, err, want)
	}
	// A type on both sides never makes a stream qualify.
	if got, err := s.StreamsWithMore(ctx, []string{opened}, []string{opened}); err != nil || len(got) != 0 {
		t.Fatalf("same type on both sides: %v %v", got, err)
	}
}

func testCount(t *testing.T, s Store) {
	ctx := context.Background()
	readable0, stored0, err := s.Count(ctx)
	if err != nil || readable0 > stored0 || readable0 < 0 {
		t.Fatalf("count: %d readable, %d stored, %v", readable0, stored0, err)
	}
	mustAppend(t, s, one(uniq("count"), eventstore.NoStream, ev("A", 1), ev("B", 2)), one(uniq("count"), eventstore.NoStream, ev("C", 3)))
	mustAppend(t, s, one(uniq("count"), eventstore.NoStream, ev("D", 4)))
	// Every event becomes readable, at the latest when the cluster's older
	// transactions end.
	deadline := time.Now().Add(30 * time.Second)
	for {
		readable, stored, err := s.Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored != stored0+4 || readable > stored {
			t.Fatalf("after 4 events: %d readable, %d stored (before: %d, %d)", readable, stored, readable0, stored0)
		}
		if readable == stored {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events readable after 30 s", readable, stored)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A StreamAppend without events checks that its stream is still at the version
// read, writes nothing, and fails the whole append otherwise.
func testReadSetChecks(t *testing.T, s Store) {
	ctx := context.Background()
	programme, cheque, absent := uniq("programme"), uniq("cheque"), uniq("place")
	mustAppend(t, s, one(programme, eventstore.NoStream, ev("ProgrammeCreated", 1)))
	res, err := s.AppendMulti(ctx, eventstore.Metadata{},
		one(cheque, eventstore.NoStream, ev("ChequeRedeemed", 1)),
		one(programme, eventstore.Exactly(1)),
		one(absent, eventstore.NoStream))
	if err != nil {
		t.Fatalf("read set unchanged: %v", err)
	}
	if len(res.Positions) != 1 || res.Versions[cheque] != 1 {
		t.Fatalf("result %+v", res)
	}
	if got := read(t, s, programme); len(got) != 1 {
		t.Fatalf("a read-set check wrote: %d events", len(got))
	}
	if got := read(t, s, absent); len(got) != 0 {
		t.Fatalf("a read-set check of an absent stream wrote: %d events", len(got))
	}
	// The programme moves: the same decision now conflicts, and writes nothing.
	mustAppend(t, s, one(programme, eventstore.Exactly(1), ev("ProgrammeClosed", 2)))
	_, err = s.AppendMulti(ctx, eventstore.Metadata{},
		one(cheque, eventstore.Exactly(1), ev("ChequeRedeemed", 2)),
		one(programme, eventstore.Exactly(1)))
	wantConflict(t, err, programme, eventstore.Exactly(1), 2)
	if got := read(t, s, cheque); len(got) != 1 {
		t.Fatalf("a failed read-set check let %d events through", len(got))
	}
	// An absent stream that appeared.
	mustAppend(t, s, one(absent, eventstore.NoStream, ev("PlaceRegistered", 1)))
	_, err = s.AppendMulti(ctx, eventstore.Metadata{},
		one(cheque, eventstore.Exactly(1), ev("ChequeRedeemed", 3)),
		one(absent, eventstore.NoStream))
	wantConflict(t, err, absent, eventstore.NoStream, 1)
	if got := read(t, s, cheque); len(got) != 1 {
		t.Fatalf("a failed read-set check let %d events through", len(got))
	}
}
