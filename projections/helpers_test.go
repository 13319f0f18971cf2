package projections_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
)

// dump returns every projection table (and the checkpoints' cursors) as sorted text
// rows, for a row-for-row comparison.
func dump(t testing.TB, ctx context.Context, pool *pgxpool.Pool, ps []core.Projection) map[string][]string {
	t.Helper()
	out, err := dumpTables(ctx, pool, ps)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dumpTables is dump without a testing.TB, for a goroutine of its own. It reads
// the tables two at a time (a table's rows are sorted and turned into text by
// its own server process), so that a dump uses both cores of the machine when
// nothing else does — at the end of TestNATSWorkers, the last test of the run.
func dumpTables(ctx context.Context, pool *pgxpool.Pool, ps []core.Projection) (map[string][]string, error) {
	queries := map[string]string{
		"projection_checkpoints": `SELECT name || ' ' || transaction_id::text || '/' || position FROM projection_checkpoints ORDER BY 1`,
	}
	for _, p := range ps {
		for _, table := range p.Tables() {
			queries[table] = fmt.Sprintf(`SELECT x::text FROM %s x ORDER BY 1`, pgx.Identifier{table}.Sanitize())
		}
	}
	var (
		mu   sync.Mutex
		out  = make(map[string][]string, len(queries))
		errs []error
		wg   sync.WaitGroup
		slot = make(chan struct{}, 2)
	)
	for table, query := range queries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot <- struct{}{}
			defer func() { <-slot }()
			rows, err := pool.Query(ctx, query)
			var lines []string
			if err == nil {
				lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("dump %s: %w", table, err))
				return
			}
			out[table] = lines
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// sameDump fails the test at the first difference between two dumps.
func sameDump(t testing.TB, what string, a, b map[string][]string) {
	t.Helper()
	var tables []string
	for k := range a {
		tables = append(tables, k)
	}
	sort.Strings(tables)
	if len(a) != len(b) {
		t.Fatalf("%s: %d tables vs %d", what, len(a), len(b))
	}
	for _, table := range tables {
		x, y := a[table], b[table]
		if len(x) != len(y) {
			t.Errorf("%s: %s has %d rows vs %d", what, table, len(x), len(y))
			continue
		}
		for i := range x {
			if x[i] != y[i] {
				t.Errorf("%s: %s row %d differs:\n  %s\n  %s", what, table, i, x[i], y[i])
				break
			}
		}
	}
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
