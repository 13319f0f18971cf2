package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/internal/history"
)

// BenchmarkNATSCatchUp measures how fast workers over JetStream bring every
// projection from zero to the head of a pre-written history (relay and workers
// in this process, each with its own connections).
func BenchmarkNATSCatchUp(b *testing.B) {
	ctx := context.Background()
	d := db.Fresh(b)
	store := eventstore.New(d.Pool)
	h, err := history.Generate(ctx, store, history.Options{Events: 50000, Seed: 9})
	if err != nil {
		b.Fatal(err)
	}
	waitVisible(b, ctx, store)
	url := startNATS(b)
	for i := 0; i < b.N; i++ {
		if err := projections.Reset(ctx, d.Pool, projections.All()); err != nil {
			b.Fatal(err)
		}
		ncfg := projections.NATSConfig{URL: url, Stream: "BENCH" + string(rune('A'+i))}
		start := time.Now()
		relay := startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
			Transport: natsTransport(b, ncfg), DisableHandlers: true, Logger: quiet})
		w := startService(b, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
			Transport: natsTransport(b, ncfg), DisableRelay: true, Logger: loud})
		waitHead(b, ctx, d.Pool, store, projections.All(), 10*time.Minute)
		el := time.Since(start)
		b.ReportMetric(float64(h.Appended)/el.Seconds(), "events/s")
		_ = w.Close()
		_ = relay.Close()
	}
}
