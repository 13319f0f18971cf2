package projections_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
)

// BenchmarkNATSCatchUp measures how fast projection workers over JetStream bring
// every projection from zero to the head of a pre-written history: a relay
// publishes the log to a fresh stream and 1, 2 or 3 workers (each with its own
// connections and Resolver, all in this process) consume it. With k workers,
// worker i runs partition i/k of each projection split by département (cheques,
// equity, places, prescribers) and the national projections (balances, audit,
// treasury) are dealt out one by one; with one worker everything runs whole.
// Compared with an in-process Rebuild of the same history. Besides events/s it
// reports cpu-µs/event: the CPU this process (relay, broker, workers; not
// PostgreSQL) used during the run, user and system, per event of the history — on
// a shared machine a steadier figure than the wall-clock rate. BENCH_EVENTS sets the
// history's size (default 50,000). It reports, per partition, the events that
// partition applied (routed to it) as routed-<projection>-<i>of<k>.
func BenchmarkNATSCatchUp(b *testing.B) {
	ctx := context.Background()
	d := db.Fresh(b)
	store := eventstore.New(d.Pool)
	events := envInt("BENCH_EVENTS", 50000)
	loadWorld(b, ctx, store, simulate.Config{Seed: 9, Scale: simulate.ScaleFor(events), Departements: simulate.MaxDepartements,
		Concurrency: 16, Year: 2026})
	head := storetest.WaitVisible(b, ctx, store)
	url := startNATS(b)
	run := 0
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				run++
				if err := projections.Reset(ctx, d.Pool, projections.All()); err != nil {
					b.Fatal(err)
				}
				ncfg := projections.NATSConfig{URL: url, Stream: fmt.Sprintf("BENCH%d", run)}
				start, cpu0 := time.Now(), processCPU(b)
				var svcs []*projections.Service
				svcs = append(svcs, startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
					Transport: natsTransport(b, ncfg), DisableHandlers: true, Logger: quiet}))
				for w := 0; w < workers; w++ {
					svcs = append(svcs, startService(b, ctx, projections.Config{Pool: d.Pool, Store: store,
						Projections: workerUnits(b, store, w, workers), Transport: natsTransport(b, ncfg), DisableRelay: true, Logger: loud}))
				}
				waitHead(b, ctx, d.Pool, store, projections.All(), 60*time.Minute)
				el := time.Since(start)
				b.ReportMetric(float64(head.Position)/el.Seconds(), "events/s")
				b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(head.Position), "cpu-µs/event")
				for _, s := range svcs {
					_ = s.Close()
				}
			}
		})
	}
	b.Run("in-process-rebuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start, cpu0 := time.Now(), processCPU(b)
			if err := projections.Rebuild(ctx, d.Pool, store, projections.All(), nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(head.Position)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(head.Position), "cpu-µs/event")
		}
	})
}

// workerUnits is what worker w of k runs: partition w/k of every projection that
// can be split, and every k-th national projection from the w-th (all of them
// whole when k is 1).
func workerUnits(b testing.TB, store *eventstore.Store, w, k int) []core.Projection {
	b.Helper()
	resolver := projections.NewResolver(store)
	var ps []core.Projection
	national := 0
	for _, p := range projections.All() {
		if !projections.Splittable(p.Name()) {
			if national%k == w {
				ps = append(ps, p)
			}
			national++
			continue
		}
		q, err := projections.Partition(p, projections.Part{Index: w, Count: k}, resolver)
		if err != nil {
			b.Fatal(err)
		}
		ps = append(ps, q)
	}
	return ps
}

// BenchmarkNATSLiveLag measures the append-to-visible latency over JetStream with
// the projections split between three workers (as TestNATSWorkers and compose run
// them), under a sustained write load of BENCH_RATE events/s (default 2,000): for
// each append, the time until every projection partition applied it (its
// checkpoint, polled every 2 ms, reached the append's cursor). Reports p50, p95,
// p99, the largest lag and the rate the writer reached. The history is a
// simulated year of 12 départements at scale 0.16 (39,323 events, about 20 s at
// 2,000 events/s), written by 16 writers: a year of the 101 départements at that
// size is mostly sequential steps (setup, receipts, batches per département),
// which kept the paced writer near 1,250 events/s whatever the rate asked.
func BenchmarkNATSLiveLag(b *testing.B) {
	ctx := context.Background()
	rate := envInt("BENCH_RATE", 2000)
	url := startNATS(b)
	for i := 0; i < b.N; i++ {
		d := db.Fresh(b)
		store := eventstore.New(d.Pool)
		ncfg := projections.NATSConfig{URL: url, Stream: fmt.Sprintf("LAG%d", i)}
		startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
			Transport: natsTransport(b, ncfg), DisableHandlers: true, Logger: quiet})
		for w := 0; w < 3; w++ {
			startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: workerUnits(b, store, w, 3),
				Transport: natsTransport(b, ncfg), DisableRelay: true, Logger: loud})
		}
		type pending struct {
			cur eventstore.Cursor
			at  time.Time
		}
		var mu sync.Mutex
		var queue []pending
		var lags []time.Duration
		stop, watched := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watched)
			for {
				if cps, err := projections.PartitionCheckpoints(ctx, d.Pool); err == nil && len(cps) > 0 {
					low := cps[0].Cursor
					for _, c := range cps {
						if c.Cursor.Less(low) {
							low = c.Cursor
						}
					}
					now := time.Now()
					mu.Lock()
					k := 0
					for k < len(queue) && !low.Less(queue[k].cur) {
						lags = append(lags, now.Sub(queue[k].at))
						k++
					}
					queue = queue[k:]
					mu.Unlock()
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		}()
		start := time.Now()
		paced := &pacedStore{Store: store, rate: rate, start: start, onAppend: func(res eventstore.AppendResult) {
			mu.Lock()
			defer mu.Unlock()
			// Appends run in parallel: keep the queue in reading order.
			k, _ := slices.BinarySearchFunc(queue, res.Cursor, func(p pending, c eventstore.Cursor) int {
				if c.Less(p.cur) {
					return 1
				}
				return -1
			})
			queue = slices.Insert(queue, k, pending{res.Cursor, time.Now()})
		}}
		sum := simulateWorld(b, ctx, paced, simulate.Config{Seed: 3, Scale: 0.16, Departements: 12, Concurrency: 16, Year: 2026})
		written := time.Since(start)
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(10 * time.Millisecond) {
			mu.Lock()
			left := len(queue)
			mu.Unlock()
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d appends still not applied after 5 minutes", left)
			}
		}
		close(stop)
		<-watched
		slices.Sort(lags)
		pct := func(p float64) float64 {
			return float64(lags[min(len(lags)-1, int(p*float64(len(lags))))].Microseconds()) / 1000
		}
		b.ReportMetric(float64(sum.Events)/written.Seconds(), "written-events/s")
		b.ReportMetric(pct(0.50), "lag-p50-ms")
		b.ReportMetric(pct(0.95), "lag-p95-ms")
		b.ReportMetric(pct(0.99), "lag-p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "lag-max-ms")
	}
}

// processCPU returns the CPU time (user and system) this process used so far.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
