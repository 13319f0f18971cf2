package simulate_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/simulate"
)

// BenchmarkSimulate measures how fast the simulation writes a year through the
// application layer into a fresh database: the rate at which every test and
// benchmark history of the repository is built (events/s).
//
// Environment: BENCH_SIM_SCALE (default 0.02: about 75,000 events over the 101
// départements), BENCH_SIM_CONCURRENCY (default 8 workers), and, to try larger
// group commits, BENCH_SIM_GROUP_WAIT (a duration: the committer waits that long
// for up to 256 appends per transaction) with BENCH_SIM_GROUP_WORKERS (groups in
// flight, default 2); without BENCH_SIM_GROUP_WAIT the store's defaults apply.
// Two ways: Run on the store (every command appended by the group commit, as
// the ledger appends it) and Load (the store's Loader: decided in memory,
// written in batches; the rate counts until every event is in the database).
func BenchmarkSimulate(b *testing.B) {
	scale, concurrency := 0.02, 8
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_SIM_SCALE"), 64); err == nil {
		scale = v
	}
	if v, err := strconv.Atoi(os.Getenv("BENCH_SIM_CONCURRENCY")); err == nil {
		concurrency = v
	}
	var opts []eventstore.Option
	if wait, err := time.ParseDuration(os.Getenv("BENCH_SIM_GROUP_WAIT")); err == nil {
		workers := 2
		if v, err := strconv.Atoi(os.Getenv("BENCH_SIM_GROUP_WORKERS")); err == nil {
			workers = v
		}
		opts = append(opts, eventstore.WithGroupCommit(eventstore.GroupOptions{Workers: workers, MaxSize: 256, MaxWait: wait}))
	}
	cfg := simulate.Config{Seed: 42, Scale: scale, Departements: simulate.MaxDepartements, Concurrency: concurrency, Year: 2026}
	b.Run("store=group-commit", func(b *testing.B) {
		for b.Loop() {
			fresh := db.Fresh(b)
			store := eventstore.New(fresh.Pool, opts...)
			sum, err := simulate.Run(context.Background(), store, keys, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sum.Events), "events")
			b.ReportMetric(sum.EventsPerSecond(), "events/s")
		}
	})
	b.Run("store=loader", func(b *testing.B) {
		for b.Loop() {
			sum, err := simulate.Load(context.Background(), eventstore.New(db.Fresh(b).Pool), keys, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(sum.Events), "events")
			b.ReportMetric(sum.EventsPerSecond(), "events/s")
		}
	})
}
