package projections_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/internal/history"
)

// BenchmarkNATSCatchUp measures how fast projection workers over JetStream bring
// every projection from zero to the head of a pre-written history: a relay
// publishes the log to a fresh stream and 1, 2 or 3 workers (each with its own
// connections, the seven projections split between them) consume it, all in
// this process; compared with an in-process Rebuild of the same history.
// BENCH_EVENTS sets the history's size (default 50,000).
func BenchmarkNATSCatchUp(b *testing.B) {
	ctx := context.Background()
	d := db.Fresh(b)
	store := eventstore.New(d.Pool)
	events := envInt("BENCH_EVENTS", 50000)
	h, err := history.Generate(ctx, store, history.Options{Events: events, Seed: 9})
	if err != nil {
		b.Fatal(err)
	}
	waitVisible(b, ctx, store)
	url := startNATS(b)
	splits := map[int][][]string{
		1: {{"balances", "cheques", "equity", "audit", "places", "prescribers", "treasury"}},
		2: {{"balances", "cheques", "places"}, {"equity", "audit", "prescribers", "treasury"}},
		3: {{"balances", "cheques", "equity"}, {"audit", "places"}, {"prescribers", "treasury"}},
	}
	run := 0
	for _, workers := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				run++
				if err := projections.Reset(ctx, d.Pool, projections.All()); err != nil {
					b.Fatal(err)
				}
				ncfg := projections.NATSConfig{URL: url, Stream: fmt.Sprintf("BENCH%d", run)}
				start := time.Now()
				var svcs []*projections.Service
				svcs = append(svcs, startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
					Transport: natsTransport(b, ncfg), DisableHandlers: true, Logger: quiet}))
				for _, names := range splits[workers] {
					var ps []core.Projection
					for _, n := range names {
						p, _ := projections.ByName(n)
						ps = append(ps, p)
					}
					svcs = append(svcs, startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: ps,
						Transport: natsTransport(b, ncfg), DisableRelay: true, Logger: loud}))
				}
				waitHead(b, ctx, d.Pool, store, projections.All(), 30*time.Minute)
				el := time.Since(start)
				b.ReportMetric(float64(h.Appended)/el.Seconds(), "events/s")
				for _, s := range svcs {
					_ = s.Close()
				}
			}
		})
	}
	b.Run("in-process-rebuild", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			start := time.Now()
			if err := projections.Rebuild(ctx, d.Pool, store, projections.All(), nil); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(h.Appended)/time.Since(start).Seconds(), "events/s")
		}
	})
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
