package projections_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

// startNATS starts a NATS server with JetStream in this process (the real server,
// as a library), its store in a temporary folder, on a free port; it stops with
// the test.
func startNATS(t testing.TB) string {
	t.Helper()
	ns, err := server.NewServer(&server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true, StoreDir: t.TempDir(),
		NoLog: true, NoSigs: true, MaxPayload: 8 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("NATS server not ready")
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

func natsTransport(t testing.TB, cfg projections.NATSConfig) projections.Transport {
	t.Helper()
	tr, err := projections.NewNATSTransport(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// streamPositions reads every message of the stream, in stream order, and
// returns the event positions they carry; each message must start where the
// previous one ended, and its id must be the position of its first event. It
// reads through an ordered consumer, in batches: one request per message
// (JetStream's message-get API, its answer in JSON with the page in base64)
// cost as much CPU as the rest of the check.
func streamPositions(t testing.TB, url, stream string) []int64 {
	t.Helper()
	ctx := context.Background()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.FirstSeq > 1 || info.State.NumDeleted > 0 {
		t.Fatalf("stream %s lost messages: first seq %d, %d deleted", stream, info.State.FirstSeq, info.State.NumDeleted)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	var last eventstore.Cursor
	for seq := uint64(1); seq <= info.State.LastSeq; {
		// Pages are large (up to megabytes): a few at a time, and a wait short
		// enough to need no idle heartbeats (Fetch asks for them past 10 s).
		batch, err := cons.Fetch(int(min(16, info.State.LastSeq-seq+1)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			md, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			if md.Sequence.Stream != seq {
				t.Fatalf("message at stream seq %d, want %d", md.Sequence.Stream, seq)
			}
			b, err := projections.DecodePage(m.Data())
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Events) == 0 {
				t.Fatalf("seq %d carries no event", seq)
			}
			if b.After != last {
				t.Fatalf("seq %d starts after %s, the previous message ended at %s", seq, b.After, last)
			}
			if id := m.Headers().Get(nats.MsgIdHdr); id != strconv.FormatInt(b.Events[0].Position, 10) {
				t.Fatalf("seq %d: message id %q, first event position %d", seq, id, b.Events[0].Position)
			}
			for _, e := range b.Events {
				out = append(out, e.Position)
			}
			last = b.Last()
			seq++
		}
		if err := batch.Error(); err != nil {
			t.Fatalf("stream %s after seq %d: %v", stream, seq-1, err)
		}
		if got == 0 {
			t.Fatalf("stream %s: no message at seq %d of %d", stream, seq, info.State.LastSeq)
		}
	}
	return out
}

// checkStreamIsLog fails unless the stream holds every event of the store once,
// in the store's gap-free reading order.
func checkStreamIsLog(t testing.TB, ctx context.Context, store *eventstore.Store, url, stream string) {
	t.Helper()
	got := streamPositions(t, url, stream)
	var want []int64
	for _, r := range storetest.ReadAll(t, ctx, store) {
		want = append(want, r.Position)
	}
	seen := map[int64]bool{}
	for i, p := range got {
		if seen[p] {
			t.Fatalf("stream %s: event %d published twice (second at seq %d)", stream, p, i+1)
		}
		seen[p] = true
	}
	if len(got) != len(want) {
		t.Fatalf("stream %s holds %d events, the store %d", stream, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("stream %s: seq %d holds event %d, the gap-free order says %d", stream, i+1, got[i], want[i])
		}
	}
	t.Logf("stream %s holds the %d events of the store once each, in gap-free order", stream, len(got))
}

// dyingPublisher publishes through inner until its limit-th message, then
// kills the relay (cancels its context) and fails; with stored, that last
// message reached the broker first (the relay died before it saw the
// acknowledgement).
type dyingPublisher struct {
	inner  message.Publisher
	limit  int64
	stored bool
	n      atomic.Int64
	cancel context.CancelFunc
}

func (p *dyingPublisher) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		if p.n.Add(1) >= p.limit {
			if p.stored {
				if err := p.inner.Publish(topic, m); err != nil {
					return err
				}
			}
			p.cancel()
			return errors.New("relay killed")
		}
		if err := p.inner.Publish(topic, m); err != nil {
			return err
		}
	}
	return nil
}

func (p *dyingPublisher) Close() error { return nil }

// TestNATSRelayRestart publishes a history to JetStream and kills the relay
// twice while it publishes a page: once before the page reached the server,
// once after the server stored it but before the relay saw the acknowledgement.
// Each time the restarted relay resumes after the last event the stream holds.
// Then a relay that lost track publishes everything again from position zero:
// the server drops every page by its message id. The stream holds every event
// once, in the store's gap-free order.
func TestNATSRelayRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	loadWorld(t, ctx, store, simulate.Config{Seed: 5, Scale: 0.1, Departements: 12, Concurrency: 8, Year: 2026})
	head := storetest.WaitVisible(t, ctx, store)
	url := startNATS(t)
	cfg := projections.NATSConfig{URL: url, Stream: "RELAY_RESTART"}
	tr := natsTransport(t, cfg)
	defer tr.Close()
	zero := func(context.Context) (eventstore.Cursor, error) { return eventstore.Cursor{}, nil }
	relay := func(p message.Publisher, resume bool) *projections.Relay {
		r := &projections.Relay{Store: store, Publisher: p, PageSize: 500, From: zero, IDByPosition: true, Logger: quiet}
		if resume {
			r.Resume = tr.Resume
		}
		return r
	}

	for _, kill := range []struct {
		page   int64
		stored bool
		want   int
	}{{5, false, 4 * 500}, {9, true, (4 + 9) * 500}} {
		rctx, cancel := context.WithCancel(ctx)
		dying := &dyingPublisher{inner: tr.Publisher, limit: kill.page, stored: kill.stored, cancel: cancel}
		if err := relay(dying, true).Run(rctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("relay ended with %v", err)
		}
		if n := len(streamPositions(t, url, cfg.Stream)); n != kill.want {
			t.Fatalf("stream holds %d events after the kill, want %d", n, kill.want)
		}
	}

	runUntil := func(r *projections.Relay, last eventstore.Cursor) {
		t.Helper()
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		reached := make(chan struct{})
		var once sync.Once
		r.OnPublish = func(_, l eventstore.Cursor, _ int) {
			if !l.Less(last) {
				once.Do(func() { close(reached) })
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- r.Run(rctx) }()
		select {
		case <-reached:
		case err := <-errc:
			t.Fatalf("relay stopped: %v", err)
		case <-time.After(2 * time.Minute):
			t.Fatal("relay did not reach the head")
		}
		cancel()
		<-errc
	}
	start := time.Now()
	runUntil(relay(tr.Publisher, true), head)
	t.Logf("restarted relay published the remaining %d events in %s", head.Position-13*500, time.Since(start).Round(time.Millisecond))
	checkStreamIsLog(t, ctx, store, url, cfg.Stream)

	// A relay that does not ask the stream where it ends publishes the whole log
	// again: JetStream drops every page (same message id, within the window).
	runUntil(relay(tr.Publisher, false), head)
	checkStreamIsLog(t, ctx, store, url, cfg.Stream)
}

// TestNATSWorkers runs the ledger as separate parts over a real JetStream
// server: a relay (the server's side) publishes a simulated national history of
// more than 200,000 events, and three projection workers, each with its own NATS
// connections and durable consumers, apply it: they start when four fifths of it
// are stored, catch up on that backlog and follow the last fifth as it is written. The four
// projections that can be split (cheques, places, prescribers, equity) run as
// three partitions each, partition i/3 in worker i, beside one unsplit projection
// per worker (balances, audit, treasury). One worker is killed in the middle of a
// transaction and restarted; the relay is killed in the middle of a page and
// restarted. At the end every partition's checkpoint is at the head, every
// projection equals a single-process rebuild row for row, and the stream holds
// every event once, in gap-free order.
func TestNATSWorkers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	url := startNATS(t)
	ncfg := projections.NATSConfig{URL: url, Stream: "WORKERS", AckWait: 10 * time.Second}
	scale, wantEvents := 0.058, 200000
	if testing.Short() {
		scale, wantEvents = 0.005, 10000
	}

	startRelay := func() *projections.Service {
		return startService(t, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
			Transport: natsTransport(t, ncfg), DisableHandlers: true, Logger: quiet})
	}
	whole := []string{"balances", "audit", "treasury"}
	var workers []*projections.Service
	// Worker i runs partition i/3 of every split projection and one whole one.
	units := func(i int) []core.Projection {
		resolver := projections.NewResolver(store) // one per process
		p, err := projections.ByName(whole[i])
		if err != nil {
			t.Fatal(err)
		}
		ps := []core.Projection{p}
		for _, name := range projections.SplittableNames() {
			p, err := projections.ByName(name)
			if err != nil {
				t.Fatal(err)
			}
			q, err := projections.Partition(p, projections.Part{Index: i, Count: 3}, resolver)
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, q)
		}
		return ps
	}
	startWorker := func(i int, before func(ctx context.Context, name string, last eventstore.Cursor) error) *projections.Service {
		cfg := projections.WithTestHooks(projections.Config{Pool: d.Pool, Store: store, Projections: units(i),
			Transport: natsTransport(t, ncfg), DisableRelay: true, Logger: loud, Registerer: prometheus.NewRegistry(),
			ResyncInterval: time.Second}, before, nil)
		svc, err := projections.Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = svc.Close() })
		workers = append(workers, svc)
		return svc
	}

	// Worker 0 dies inside a transaction of its cheques partition (0/3) once 40 %
	// of the events were applied.
	var (
		w0     atomic.Pointer[projections.Service]
		killed = make(chan eventstore.Cursor, 1)
		once   sync.Once
	)
	killAt := int64(wantEvents * 2 / 5)
	var prev atomic.Int64
	kill := func(ctx context.Context, name string, last eventstore.Cursor) error {
		if name != "cheques" {
			return nil
		}
		if last.Position < killAt || prev.Swap(1) == 1 {
			return nil
		}
		var err error
		once.Do(func() {
			go func() { _ = w0.Load().Close() }() // the process dies…
			<-ctx.Done()                          // …and takes the open transaction with it
			err = ctx.Err()
			killed <- last
		})
		return err
	}
	// The history is written first without the ledger's other parts, then with
	// them: the relay and the workers start once four fifths of it is readable
	// (they catch up on that backlog, worker 0 dies during the catch-up) and
	// follow the rest live, as it is appended (unless the simulation ended
	// first: see the wait below). (Written entirely live, the history
	// took 7 to 15 minutes: the simulation shares the 2 cores with the relay, the
	// broker and three workers; on its own it writes several times faster.)
	// The history goes through the store's Loader (simulate.Load, as loadWorld):
	// the database fills in transactions of up to eventstore.DefaultLoaderBatch
	// events while the simulation runs.
	simErr := make(chan error, 1)
	var sum simulate.Summary
	start := time.Now()
	go func() {
		var err error
		sum, err = simulate.Load(ctx, store, worldKeys,
			simulate.Config{Seed: 3, Scale: scale, Departements: 101, Concurrency: 6, Year: 2026}, loud)
		simErr <- err
	}()
	// The wait polls the readable head (one index entry; the loader's
	// positions follow one another) rather than Count, which counts the table.
	// The readable head can trail what is stored by seconds: its watermark is
	// cluster-wide, held back by any open transaction, other packages' and
	// other tests' too (their loaders write in large transactions). So the
	// simulation may end before four fifths are readable; the workers then
	// catch up on the whole history (the kill still comes during the
	// catch-up) and this run has no live part, which the log says.
	backlog := int64(wantEvents * 4 / 5)
	simDone := false
	var readableBy time.Time
	for {
		head, err := store.Head(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if head.Position >= backlog {
			t.Logf("events readable up to position %d after %s: relay and workers start", head.Position, time.Since(start).Round(time.Millisecond))
			break
		}
		select {
		case err := <-simErr:
			if err != nil {
				t.Fatalf("simulation failed with events readable up to position %d, before the workers started: %v", head.Position, err)
			}
			t.Logf("simulation ended with events readable up to position %d, before the workers started: they catch up on the whole history, none of it live", head.Position)
			simDone = true
			simErr = nil // a nil channel: the select waits on the timer only
			readableBy = time.Now().Add(2 * time.Minute)
		case <-time.After(100 * time.Millisecond):
		}
		if simDone && time.Now().After(readableBy) {
			// A bound, not a timing assertion: stored events that never become
			// readable fail the test rather than hang it.
			t.Fatalf("events readable up to position %d two minutes after the simulation ended", head.Position)
		}
	}
	relay := startRelay()
	w0.Store(startWorker(0, kill))
	startWorker(1, nil)
	startWorker(2, nil)

	var last eventstore.Cursor
	for last == (eventstore.Cursor{}) {
		select {
		case last = <-killed:
			t.Logf("worker 0 killed inside the transaction of cheques 0/3 ending at %s after %s", last, time.Since(start).Round(time.Millisecond))
		case err := <-simErr:
			if err != nil {
				t.Fatal(err)
			}
			simDone = true // the workers still catch up; the kill comes
			simErr = nil
		case <-time.After(25 * time.Minute):
			// Not a timing assertion: a bound, so that a kill that cannot happen
			// (a worker that never reaches 40 %) fails rather than hangs.
			t.Fatal("the kill never happened")
		}
	}
	if cp := partitionCheckpoint(t, ctx, d.Pool, "cheques", projections.Part{Index: 0, Count: 3}); !cp.Less(last) {
		t.Fatalf("cheques 0/3 checkpoint %s reached the killed transaction's end %s: it was not rolled back", cp, last)
	}
	time.Sleep(500 * time.Millisecond) // dead for a while; the stream grows meanwhile
	startWorker(0, nil)
	t.Log("worker 0 restarted")

	// The relay dies in the middle of a page and comes back.
	time.Sleep(2 * time.Second)
	_ = relay.Close()
	t.Log("relay killed")
	time.Sleep(time.Second)
	relay = startRelay()
	t.Log("relay restarted")

	if !simDone {
		if err := <-simErr; err != nil {
			t.Fatal(err)
		}
	}
	wrote := sum.Elapsed // until the last event was written, however long ago
	_, stored, err := store.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stored < int64(wantEvents) {
		t.Fatalf("the simulation wrote %d events, want at least %d", stored, wantEvents)
	}
	t.Logf("simulation wrote %d events (%d redemptions) in %s", stored, sum.Redemptions, wrote.Round(time.Millisecond))
	ps := projections.All()
	waitHead(t, ctx, d.Pool, store, ps, 10*time.Minute)
	t.Logf("every projection at the head %s after the simulation ended", (time.Since(start) - wrote).Round(time.Millisecond))
	head := storetest.WaitVisible(t, ctx, store)
	cps, err := projections.PartitionCheckpoints(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(cps) != 3+3*len(projections.SplittableNames()) {
		t.Fatalf("%d checkpoint rows, want %d: %v", len(cps), 3+3*len(projections.SplittableNames()), cps)
	}
	for _, pc := range cps {
		if pc.Cursor != head {
			t.Errorf("%s %s at %s, head %s", pc.Name, pc.Part, pc.Cursor, head)
		}
	}
	// The projections' fingerprints and the stream's check read different
	// things: side by side.
	var live projectiontest.State
	taken := make(chan error, 1)
	go func() {
		var err error
		live, err = projectiontest.Take(ctx, d.Pool, projectiontest.Tables(ps))
		taken <- err
	}()
	checkStreamIsLog(t, ctx, store, url, ncfg.Stream)
	if err := <-taken; err != nil {
		t.Fatal(err)
	}
	_ = relay.Close()
	for _, w := range workers { // a replay is done with the workers stopped
		_ = w.Close()
	}

	if err := projections.Rebuild(ctx, d.Pool, store, projections.All(), nil); err != nil {
		t.Fatal(err)
	}
	rebuilt := state(t, ctx, d.Pool, ps)
	// A split projection has one checkpoint row per partition, the rebuild one:
	// the rows are compared, the checkpoints were checked above.
	delete(live, projectiontest.Checkpoints)
	delete(rebuilt, projectiontest.Checkpoints)
	projectiontest.Same(t, "three NATS workers running partitions vs single-process rebuild", live, rebuilt)
	t.Log(fmt.Sprintf("%d rows compared", live.Rows()))
}

// partitionCheckpoint returns the checkpoint of one partition of a projection.
func partitionCheckpoint(t testing.TB, ctx context.Context, q core.Querier, name string, part projections.Part) eventstore.Cursor {
	t.Helper()
	cps, err := projections.PartitionCheckpoints(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, pc := range cps {
		if pc.Name == name && pc.Part == part {
			return pc.Cursor
		}
	}
	t.Fatalf("no checkpoint for %s %s", name, part)
	return eventstore.Cursor{}
}
