package projections_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
)

// probe is a projection that records the positions it applies in a table whose
// primary key refuses a second application.
type probe struct{}

func (probe) Name() string     { return "probe" }
func (probe) Tables() []string { return []string{"probe_applied"} }
func (probe) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	rows := make([][]any, len(events))
	for i, e := range events {
		rows[i] = []any{e.Position}
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"probe_applied"}, []string{"position"}, pgx.CopyFromRows(rows))
	return err
}

// appendFunders appends the small events from..n-1 in appends of 10 and returns
// every event of the store decoded, in reading order.
func appendFunders(t *testing.T, ctx context.Context, store *eventstore.Store, from, n int) []core.Event {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := from; i < n; i += 10 {
		var as []eventstore.StreamAppend
		for j := i; j < i+10 && j < n; j++ {
			id := fmt.Sprintf("F%04d", j)
			evs, err := domain.RegisterFunder(domain.RegisterFunderCommand{FunderID: id, Name: id, Kind: domain.FunderKindCommune, Now: now}, domain.FunderState{})
			if err != nil {
				t.Fatal(err)
			}
			p, _ := domain.EncodeEvent(evs[0])
			as = append(as, eventstore.StreamAppend{Stream: domain.FunderStream(id), Expected: eventstore.NoStream,
				Events: []eventstore.EventData{{Type: evs[0].EventType(), Payload: p}}})
		}
		if _, err := store.AppendMulti(ctx, eventstore.Metadata{}, as...); err != nil {
			t.Fatal(err)
		}
	}
	storetest.WaitVisible(t, ctx, store)
	recs, err := store.ReadFrom(ctx, eventstore.Cursor{}, n+10)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := core.Decode(recs)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n {
		t.Fatalf("read %d events, want %d", len(evs), n)
	}
	return evs
}

func batchOf(evs []core.Event, from, to int) projections.Batch {
	b := projections.Batch{Events: evs[from:to]}
	if from > 0 {
		b.After = evs[from-1].Cursor()
	}
	return b
}

func applied(t *testing.T, ctx context.Context, q core.Querier) []int64 {
	t.Helper()
	rows, err := q.Query(ctx, `SELECT position FROM probe_applied ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func positions(evs []core.Event) []int64 {
	out := make([]int64, len(evs))
	for i, e := range evs {
		out[i] = e.Position
	}
	return out
}

func TestApplyBatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	if _, err := d.Pool.Exec(ctx, `CREATE TABLE probe_applied (position bigint PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	// Dropped before the database is released (cleanups run last first), so
	// that its schema is the template's again and pgtest reuses it.
	t.Cleanup(func() {
		if _, err := d.Pool.Exec(context.Background(), `DROP TABLE probe_applied`); err != nil {
			t.Error(err)
		}
	})
	store := eventstore.New(d.Pool)
	evs := appendFunders(t, ctx, store, 0, 400)
	r := projections.NewRunner(d.Pool, store)
	r.GapChunk = 30
	p := probe{}

	res, err := r.ApplyBatch(ctx, p, batchOf(evs, 0, 100))
	if err != nil || res.Applied != 100 || res.Checkpoint != evs[99].Cursor() {
		t.Fatalf("first batch: %+v, %v", res, err)
	}
	// A redelivery applies nothing.
	res, err = r.ApplyBatch(ctx, p, batchOf(evs, 0, 100))
	if err != nil || res.Applied != 0 || res.Skipped != 100 {
		t.Fatalf("redelivery: %+v, %v", res, err)
	}
	// A batch after a gap: the gap (100..149) is read from the store first, in
	// chunks of GapChunk.
	res, err = r.ApplyBatch(ctx, p, batchOf(evs, 150, 200))
	if err != nil || res.Filled != 50 || res.Applied != 50 || res.Checkpoint != evs[199].Cursor() {
		t.Fatalf("after a gap: %+v, %v", res, err)
	}
	// Overlapping batch.
	res, err = r.ApplyBatch(ctx, p, batchOf(evs, 180, 250))
	if err != nil || res.Skipped != 20 || res.Applied != 50 {
		t.Fatalf("overlap: %+v, %v", res, err)
	}
	if got := applied(t, ctx, d.Pool); !reflect.DeepEqual(got, positions(evs[:250])) {
		t.Fatalf("applied %d positions, want the first 250 once each", len(got))
	}
	// A batch out of reading order is refused.
	bad := projections.Batch{After: evs[249].Cursor(), Events: []core.Event{evs[251], evs[250]}}
	if _, err := r.ApplyBatch(ctx, p, bad); err == nil {
		t.Fatal("an unordered batch was accepted")
	}
	// A failing Apply leaves neither rows nor checkpoint.
	failing := failingProbe{}
	if _, err := r.ApplyBatch(ctx, failing, batchOf(evs, 250, 260)); err == nil {
		t.Fatal("no error")
	}
	if cp, _ := projections.Checkpoint(ctx, d.Pool, "probe"); cp != evs[249].Cursor() {
		t.Fatalf("checkpoint moved to %s after a failed apply", cp)
	}
	// Concurrent, overlapping, shuffled deliveries from several workers (as with
	// several processes): every event is applied exactly once.
	var pages []projections.Batch
	for from := 200; from < 400; from += 17 {
		pages = append(pages, batchOf(evs, from, min(from+23, 400)))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		order := rng.Perm(len(pages))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, i := range order {
				if _, err := r.ApplyBatch(ctx, p, pages[i]); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := applied(t, ctx, d.Pool); !reflect.DeepEqual(got, positions(evs)) {
		t.Fatalf("applied %d positions, want all 400 once each", len(got))
	}

	// WaitFor: reached, not reached, unknown position.
	if err := projections.WaitFor(ctx, d.Pool, store, "probe", evs[399].Position); err != nil {
		t.Fatal(err)
	}
	more := appendFunders(t, ctx, store, 400, 410)[400:]
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := projections.WaitFor(short, d.Pool, store, "probe", more[0].Position); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor of a position not applied: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- projections.WaitFor(ctx, d.Pool, store, "probe", more[9].Position) }()
	time.Sleep(30 * time.Millisecond)
	if _, err := r.ApplyBatch(ctx, p, projections.Batch{After: evs[399].Cursor(), Events: more}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("WaitFor did not return once the position was applied")
	}
	if err := projections.WaitFor(ctx, d.Pool, store, "probe", 1<<40); !errors.Is(err, core.ErrUnknownPosition) {
		t.Fatalf("unknown position: %v", err)
	}
}

type failingProbe struct{ probe }

func (failingProbe) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	if err := (probe{}).Apply(ctx, tx, events); err != nil {
		return err
	}
	return errors.New("boom after writing rows")
}

func TestPageMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	evs := appendFunders(t, ctx, store, 0, 30)
	recs, err := store.ReadFrom(ctx, evs[9].Cursor(), 20)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := projections.NewPageMessage(evs[9].Cursor(), recs)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := projections.NewPageMessage(evs[9].Cursor(), recs)
	if msg.UUID != again.UUID || msg.UUID != projections.PageUUID(evs[9].Cursor(), evs[29].Cursor()) {
		t.Fatalf("page UUID not deterministic: %s %s", msg.UUID, again.UUID)
	}
	b, err := projections.DecodePage(msg.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if b.After != evs[9].Cursor() || len(b.Events) != 20 {
		t.Fatalf("decoded page after %s with %d events", b.After, len(b.Events))
	}
	for i, e := range b.Events {
		w := evs[10+i]
		if e.Position != w.Position || e.TxID != w.TxID || e.EventID != w.EventID || e.StreamID != w.StreamID ||
			e.Version != w.Version || e.Type != w.Type || !e.RecordedAt.Equal(w.RecordedAt) || !reflect.DeepEqual(e.Data, w.Data) {
			t.Fatalf("event %d differs after the round trip:\n%+v\n%+v", i, e, w)
		}
	}
}
