package eventstore_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
)

// readAllRows is storetest.ReadAll without transaction ids (which say which
// transaction wrote an event, not what was written).
func readAllRows(t *testing.T, s *eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	out := storetest.ReadAll(t, context.Background(), s)
	for i := range out {
		out[i].TxID = 0
	}
	return out
}

// newLoader returns a store over a database of the test's own and a Loader
// into it.
func newLoader(t *testing.T) (*eventstore.Store, *eventstore.Loader) {
	t.Helper()
	s := eventstore.New(db.Fresh(t).Pool)
	l, err := s.NewLoader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, l
}

// verified checks every hash chain of s with Verify.
func verified(t *testing.T, s *eventstore.Store, want int) {
	t.Helper()
	storetest.WaitVisible(t, context.Background(), s) // Verify checks what readers can see
	rep, err := s.Verify(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || rep.Events != int64(want) {
		t.Fatalf("verify: %+v, want OK over %d events", rep, want)
	}
}

// The conformance suite on a Loader (one, shared by the subtests, over a
// database of its own); then everything it acknowledged is in the database,
// exactly as its reads returned it, and the chains verify.
func TestConformanceLoader(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, l := newLoader(t)
	storetest.Run(t, func(*testing.T) storetest.Store { return l }, storetest.Options{ReadSetChecks: true, NoIdempotencyKeys: true})

	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	_, acknowledged, err := l.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAllRows(t, s)
	if int64(len(rows)) != acknowledged || l.Written() != acknowledged {
		t.Fatalf("database holds %d events, written %d, acknowledged %d", len(rows), l.Written(), acknowledged)
	}
	streams := map[string]bool{}
	for _, e := range rows {
		streams[e.StreamID] = true
	}
	var names []string
	for s := range streams {
		names = append(names, s)
	}
	fromMemory, err := l.ReadStreams(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	byPosition := map[int64]eventstore.RecordedEvent{}
	for _, evs := range fromMemory {
		for _, e := range evs {
			e.TxID = 0
			byPosition[e.Position] = e
		}
	}
	for _, e := range rows {
		if m := byPosition[e.Position]; !reflect.DeepEqual(m, e) {
			t.Fatalf("position %d: database %+v, loader read %+v", e.Position, e, m)
		}
	}
	verified(t, s, len(rows))
	if _, err := l.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: "late", Events: []eventstore.EventData{ev("A", 1)}}); err == nil {
		t.Fatal("an append after Close was accepted")
	}
}

// The same appends — several streams per command, given out of stream order,
// read-set checks, fixed ids and clock — written by the group commit into one
// database and by a Loader into another leave the same rows (positions,
// versions, ids, payloads, metadata, times and hashes), and the Loader answers
// each append with the positions the group commit gave.
func TestLoaderWritesWhatStoreWrites(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)
	clock := eventstore.WithClock(func() time.Time { return at })
	live := eventstore.New(db.Fresh(t).Pool, clock)
	bulk := eventstore.New(db.Fresh(t).Pool, clock)
	release := bulk.HoldLoaders() // everything waits: the batches are full
	l, err := bulk.NewLoader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const batch = 250 // several batches, one of them part full
	l.SetBatch(batch)
	id := func(i, j int) string { return fmt.Sprintf("00000000-0000-4000-8000-%06d%06d", i, j) }
	version := map[string]int64{}
	var acknowledged [][]int64 // each loader append's positions
	for i := range 3 * batch / 2 {
		zeta, alpha, fund := fmt.Sprintf("zeta-%d", i%7), fmt.Sprintf("alpha-%d", i%11), "fund-1"
		md := eventstore.Metadata{Actor: "loader-test", CorrelationID: fmt.Sprint(i)}
		appends := []eventstore.StreamAppend{
			{Stream: zeta, Expected: eventstore.Exactly(version[zeta]), Events: []eventstore.EventData{
				{ID: id(i, 1), Type: "Zeta", Payload: fmt.Appendf(nil, `{"n": %d, "s": "é\u00e9"}`, i)},
				{ID: id(i, 2), Type: "Zeta2", Payload: []byte(`[1, 2.50, null]`)}}},
			{Stream: alpha, Expected: eventstore.Any, Events: []eventstore.EventData{{ID: id(i, 3), Type: "Alpha", Payload: []byte(`{}`)}}},
		}
		if i > 0 {
			appends = append(appends, eventstore.StreamAppend{Stream: fund, Expected: eventstore.Exactly(1)})
		} else {
			appends = append(appends, eventstore.StreamAppend{Stream: fund, Expected: eventstore.NoStream,
				Events: []eventstore.EventData{{ID: id(i, 4), Type: "Fund", Payload: []byte(`{"id":"fund-1"}`)}}})
		}
		want, err := live.AppendMulti(ctx, md, appends...)
		if err != nil {
			t.Fatalf("append %d to the store: %v", i, err)
		}
		got, err := l.AppendMulti(ctx, md, appends...)
		if err != nil {
			t.Fatalf("append %d to the loader: %v", i, err)
		}
		acknowledged = append(acknowledged, got.Positions)
		if !reflect.DeepEqual(got.Positions, want.Positions) || !reflect.DeepEqual(got.Versions, want.Versions) || got.LastPosition != want.LastPosition {
			t.Fatalf("append %d: loader answered %+v, store %+v", i, got, want)
		}
		version[zeta] = want.Versions[zeta]
	}
	// A conflict is refused by both, and writes nothing.
	stale := eventstore.StreamAppend{Stream: "zeta-0", Expected: eventstore.Exactly(1), Events: []eventstore.EventData{ev("Late", 1)}}
	if _, err := l.AppendMulti(ctx, eventstore.Metadata{}, stale); !errorsIsConflict(err) {
		t.Fatalf("stale append to the loader: %v", err)
	}
	release()
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Whole appends per transaction, at most batch events but for the rest of
	// the append that crosses the limit (up to 4 events per append here).
	txOf := map[int64]uint64{}
	perTx := map[uint64]int{}
	for _, e := range storetest.ReadAll(t, context.Background(), bulk) {
		txOf[e.Position] = e.TxID
		perTx[e.TxID]++
	}
	for i, ps := range acknowledged {
		for _, p := range ps {
			if txOf[p] != txOf[ps[0]] {
				t.Fatalf("append %d written in two transactions (positions %v)", i, ps)
			}
		}
	}
	for tx, n := range perTx {
		if n > batch+3 {
			t.Fatalf("transaction %d wrote %d events, batch %d", tx, n, batch)
		}
	}
	if len(perTx) < 4 {
		t.Fatalf("%d transactions for %d events in batches of %d", len(perTx), len(txOf), batch)
	}
	want, got := readAllRows(t, live), readAllRows(t, bulk)
	if len(got) != len(want) {
		t.Fatalf("loader wrote %d events, store %d", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("event %d: loader wrote\n%+v\nstore wrote\n%+v", i, got[i], want[i])
		}
	}
	verified(t, bulk, len(want))
}

func errorsIsConflict(err error) bool {
	_, ok := err.(*eventstore.ConflictError)
	return ok
}

// A Loader refuses a database that holds events; when someone else writes
// beside it, the position check fails its next batch, and Close and every later
// append report it.
func TestLoaderRefusesOtherWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, l := newLoader(t)
	if _, err := s.Append(ctx, "intruder", eventstore.NoStream, eventstore.Metadata{}, ev("A", 1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewLoader(ctx); err == nil || !strings.Contains(err.Error(), "already holds 1 events") {
		t.Fatalf("loader over a database with an event: %v", err)
	}
	if _, err := l.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: "mine", Events: []eventstore.EventData{ev("B", 2)}}); err != nil {
		t.Fatal(err) // acknowledged: the writer has not tried yet
	}
	err := l.Close(ctx)
	if err == nil || !strings.Contains(err.Error(), "another writer") {
		t.Fatalf("close after a foreign write: %v", err)
	}
	// The failed batch was rolled back: only the intruder's event is stored.
	if _, stored, err := s.Count(ctx); err != nil || stored != 1 {
		t.Fatalf("%d events stored after the failed batch (%v), want the intruder's 1", stored, err)
	}
	if _, err := l.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: "mine", Events: []eventstore.EventData{ev("C", 3)}}); err == nil {
		t.Fatal("append after a failed batch accepted")
	}
}

// Many writers at once: every acknowledged append is written once, in
// acknowledgement order, while the batches run.
func TestLoaderConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, l := newLoader(t)
	const writers, each = 8, 1500
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				stream := fmt.Sprintf("w%d-%d", w, i%5)
				if _, err := l.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: stream, Expected: eventstore.Any,
					Events: []eventstore.EventData{ev("N", i)}}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := l.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rows := readAllRows(t, s)
	if len(rows) != writers*each {
		t.Fatalf("%d events written, want %d", len(rows), writers*each)
	}
	for i, e := range rows {
		if e.Position != int64(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
	}
	verified(t, s, writers*each)
}

// An event id given in another form than the canonical one (upper case, braces)
// is stored and hashed in its canonical form by both stores: the chain verifies.
func TestEventIDsAreCanonical(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := eventstore.New(db.Fresh(t).Pool)
	const given, canonical = "{6BA7B810-9DAD-11D1-80B4-00C04FD430C8}", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
	if _, err := s.Append(ctx, "ids", eventstore.NoStream, eventstore.Metadata{}, eventstore.EventData{ID: given, Type: "A", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	m := eventstore.NewMemory()
	if _, err := m.AppendMulti(ctx, eventstore.Metadata{}, eventstore.StreamAppend{Stream: "ids", Expected: eventstore.NoStream,
		Events: []eventstore.EventData{{ID: given, Type: "A", Payload: []byte(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	rows := readAllRows(t, s)
	fromMemory, err := m.ReadStreams(ctx, []string{"ids"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].EventID != canonical || fromMemory["ids"][0].EventID != canonical {
		t.Fatalf("stored ids %+v, in memory %+v", rows, fromMemory["ids"])
	}
	verified(t, s, 1)
}
