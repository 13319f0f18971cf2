package projections_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

// state reads the fingerprint of every projection table and of the checkpoints
// (projectiontest.Take), for a row-for-row comparison (projectiontest.Same).
func state(t testing.TB, ctx context.Context, pool *pgxpool.Pool, ps []core.Projection) projectiontest.State {
	t.Helper()
	out, err := projectiontest.Take(ctx, pool, projectiontest.Tables(ps))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitHead waits until every projection's checkpoint reached the last event stored.
func waitHead(t testing.TB, ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, ps []core.Projection, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	head := storetest.WaitVisible(t, ctx, store)
	for {
		cps, err := projections.Checkpoints(ctx, pool)
		if err != nil {
			t.Fatal(err)
		}
		behind := ""
		for _, p := range ps {
			if cps[p.Name()].Less(head) {
				behind += fmt.Sprintf(" %s@%s", p.Name(), cps[p.Name()])
			}
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projections not at head %s after %s:%s", head, timeout, behind)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func startService(t testing.TB, ctx context.Context, cfg projections.Config) *projections.Service {
	t.Helper()
	if cfg.Registerer == nil {
		cfg.Registerer = prometheus.NewRegistry()
	}
	svc, err := projections.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return svc
}

func names(ps []core.Projection) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Name())
	}
	return out
}

type dbT = *pgtest.DB

// worldKeys are the application keys of the simulated worlds of these tests.
var worldKeys = app.Keys{CheckCode: []byte("check-code-key-for-tests-0123456"), Beneficiary: []byte("beneficiary-key-for-tests-012345")}

// simulateWorld writes a simulated year into store (which must be empty) the way
// the ledger writes one: internal/simulate, every command decided by the domain
// through package app and appended by the store's group commit, one transaction
// per group of commands. The tests that read the log while it is written (live
// projections, paced benchmarks) use it; the others load their history with
// loadWorld. It returns what the simulation says it wrote; a test that asserts a
// figure recomputes it from the store (readLog, newModel).
func simulateWorld(t testing.TB, ctx context.Context, store simulate.Store, cfg simulate.Config) simulate.Summary {
	t.Helper()
	sum, err := simulate.Run(ctx, store, worldKeys, cfg, loud)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("simulated %d events (%d commands) in %s (%.0f events/s)", sum.Events, sum.Commands,
		sum.Elapsed.Round(time.Millisecond), sum.EventsPerSecond())
	return sum
}

// loadWorld writes the same simulated year as simulateWorld — the same commands
// through package app, the same events — through the store's Loader
// (simulate.Load), several times faster, and returns once every event is in the
// database. For the tests whose history is written before anything reads it.
func loadWorld(t testing.TB, ctx context.Context, store *eventstore.Store, cfg simulate.Config) simulate.Summary {
	t.Helper()
	sum, err := simulate.Load(ctx, store, worldKeys, cfg, loud)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d events (%d commands) in %s (%.0f events/s)", sum.Events, sum.Commands,
		sum.Elapsed.Round(time.Millisecond), sum.EventsPerSecond())
	return sum
}

// logEvent is one event of the log as the tests read it back: its stream and its
// decoded payload.
type logEvent struct {
	Stream string
	Event  domain.Event
}

// readLog reads every event of store in the gap-free reading order (waiting until
// every stored event is visible) and decodes it.
func readLog(t testing.TB, ctx context.Context, store *eventstore.Store) []logEvent {
	t.Helper()
	recs := storetest.ReadAll(t, ctx, store)
	out := make([]logEvent, 0, len(recs))
	for _, r := range recs {
		ev, err := domain.DecodeEvent(r.Type, r.Payload)
		if err != nil {
			t.Fatalf("position %d: %v", r.Position, err)
		}
		out = append(out, logEvent{Stream: r.StreamID, Event: ev})
	}
	return out
}
