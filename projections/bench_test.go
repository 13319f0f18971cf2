package projections_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/migrations"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/equity"
)

// Benchmarks (never run by `go test` without -bench):
//
//	BenchmarkRebuild        all projections together, and each alone, on a
//	                        simulated history of about PASSLEDGER_BENCH_EVENTS
//	                        events (default 1,000,000; internal/simulate over the
//	                        101 départements), written once into the database
//	                        passledger_bench_sim_<N> and reused by later runs;
//	BenchmarkEquityReport   p50/p95/p99 of equity.Report on that history;
//	BenchmarkLiveLag        append-to-visible latency of the live path (relay,
//	                        GoChannel, router, handlers) under a sustained write
//	                        load of PASSLEDGER_BENCH_RATE events/s (default 2,000).
//
// Besides wall time they report CPU per event, of this process and of the
// PostgreSQL backends serving it (read from /proc), which stays meaningful when
// other work shares the machine.

func benchEvents() int {
	if n, err := strconv.Atoi(os.Getenv("PASSLEDGER_BENCH_EVENTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

var benchDBOnce sync.Map

// benchHistory returns a pool on a database holding a simulated history of about
// n events, writing it the first time (internal/simulate through app: minutes for
// a million events), and the number of events it holds.
func benchHistory(b *testing.B, n int) (*pgxpool.Pool, int) {
	b.Helper()
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		b.Skip("DATABASE_URL not set: run through `make bench` or cmd/pgenv")
	}
	ctx := context.Background()
	name := fmt.Sprintf("passledger_bench_sim_%d", n)
	url, err := ledgerdb.WithDatabase(admin, name)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	ready := func() int {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return -1
		}
		defer c.Close(ctx)
		var appended int
		if err := c.QueryRow(ctx, `SELECT appended FROM bench_history`).Scan(&appended); err != nil {
			return -1
		}
		return appended
	}
	appended := ready()
	if appended >= 0 {
		if _, err := migrations.Up(ctx, url, nil); err != nil {
			b.Logf("benchmark database %s is stale (%v): generating it again", name, err)
			appended = -1
		}
	}
	if appended < 0 {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			var pgErr *pgconn.PgError
			if !errors.As(err, &pgErr) || pgErr.Code != "42P04" {
				b.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, url, nil); err != nil {
			b.Fatal(err)
		}
		pool := newPool(b, url)
		store := eventstore.New(pool)
		loadWorld(b, ctx, store, simulate.Config{Seed: 42, Scale: simulate.ScaleFor(n), Departements: simulate.MaxDepartements,
			Concurrency: 16, Year: 2026})
		_, stored, err := store.Count(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, q := range []string{`VACUUM ANALYZE events`, `CREATE TABLE bench_history (appended int NOT NULL)`} {
			if _, err := pool.Exec(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := pool.Exec(ctx, `INSERT INTO bench_history VALUES ($1)`, stored); err != nil {
			b.Fatal(err)
		}
		pool.Close()
		appended = int(stored)
	}
	pool := newPool(b, url)
	b.Cleanup(pool.Close)
	return pool, appended
}

func newPool(b testing.TB, url string) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 24
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return pool
}

// cpuMeter measures the CPU time of this process and of the database's backends.
type cpuMeter struct {
	pool   *pgxpool.Pool
	self   time.Duration
	before map[int]time.Duration
}

func startCPU(ctx context.Context, pool *pgxpool.Pool) *cpuMeter {
	// Open the connections the work will use, so that their backends are counted.
	var conns []*pgxpool.Conn
	for i := 0; i < 12; i++ {
		if c, err := pool.Acquire(ctx); err == nil {
			conns = append(conns, c)
		}
	}
	for _, c := range conns {
		c.Release()
	}
	m := &cpuMeter{pool: pool, self: selfCPUTime(), before: map[int]time.Duration{}}
	for _, pid := range backendPIDs(ctx, pool) {
		m.before[pid] = backendCPU(pid)
	}
	return m
}

func (m *cpuMeter) stop(ctx context.Context) (self, pg time.Duration) {
	self = selfCPUTime() - m.self
	for _, pid := range backendPIDs(ctx, m.pool) {
		pg += backendCPU(pid) - m.before[pid]
	}
	return self, pg
}

func selfCPUTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func backendPIDs(ctx context.Context, pool *pgxpool.Pool) []int {
	rows, err := pool.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database()`)
	if err != nil {
		return nil
	}
	pids, _ := pgx.CollectRows(rows, pgx.RowTo[int])
	return pids
}

// backendCPU reads utime+stime of a process (clock ticks of 10 ms); 0 when the
// process is not visible (a server on another machine).
func backendCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * 10 * time.Millisecond
}

func BenchmarkRebuild(b *testing.B) {
	n := benchEvents()
	pool, appended := benchHistory(b, n)
	store := eventstore.New(pool)
	ctx := context.Background()
	run := func(b *testing.B, ps func() []core.Projection) {
		var wall, self, pg time.Duration
		for i := 0; i < b.N; i++ {
			m := startCPU(ctx, pool)
			start := time.Now()
			if err := projections.Rebuild(ctx, pool, store, ps(), nil); err != nil {
				b.Fatal(err)
			}
			wall += time.Since(start)
			s, p := m.stop(ctx)
			self, pg = self+s, pg+p
		}
		ev := float64(appended) * float64(b.N)
		b.ReportMetric(ev/wall.Seconds(), "events/s")
		b.ReportMetric(float64(self.Microseconds())/ev, "go-µs/event")
		b.ReportMetric(float64(pg.Microseconds())/ev, "pg-µs/event")
		b.ReportMetric(float64(appended), "events")
	}
	// As `passledger replay` does (see Rebuild's documentation).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	b.Run("all", func(b *testing.B) { run(b, projections.All) })
	for _, name := range projections.Names() {
		b.Run(name, func(b *testing.B) {
			run(b, func() []core.Projection {
				p, _ := projections.ByName(name)
				return []core.Projection{p}
			})
		})
	}
}

func BenchmarkEquityReport(b *testing.B) {
	n := benchEvents()
	pool, appended := benchHistory(b, n)
	ctx := context.Background()
	cp, err := projections.Checkpoint(ctx, pool, equity.Name)
	if err != nil {
		b.Fatal(err)
	}
	if cp.Position == 0 {
		p, _ := projections.ByName(equity.Name)
		if err := projections.Rebuild(ctx, pool, eventstore.New(pool), []core.Projection{p}, nil); err != nil {
			b.Fatal(err)
		}
	}
	// The fund of the simulated world, as the log names it.
	funds, err := eventstore.New(pool).EventsOfTypes(ctx, domain.FundCreated{}.EventType())
	if err != nil || len(funds) == 0 {
		b.Fatalf("no fund in the history (%v)", err)
	}
	fund, err := domain.DecodeEvent(funds[0].Type, funds[0].Payload)
	if err != nil {
		b.Fatal(err)
	}
	day := domain.MustDate("2026-06-30")
	for _, c := range []struct {
		name string
		fund string
		asOf *domain.Date
	}{{"all-funds", "", nil}, {"one-fund-as-of", fund.(domain.FundCreated).FundID, &day}} {
		b.Run(c.name, func(b *testing.B) {
			var lat []time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := equity.Report(ctx, pool, c.fund, c.asOf); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.95), "p95-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(float64(appended), "events")
		})
	}
}

func BenchmarkLiveLag(b *testing.B) {
	if os.Getenv("DATABASE_URL") == "" {
		b.Skip("DATABASE_URL not set")
	}
	rate := 2000
	if r, err := strconv.Atoi(os.Getenv("PASSLEDGER_BENCH_RATE")); err == nil && r > 0 {
		rate = r
	}
	events := 20 * rate // about 20 s of sustained load: a simulated year of that size
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		d := db.Fresh(b)
		store := eventstore.New(d.Pool)
		ps := projections.All()
		svc, err := projections.Start(ctx, projections.Config{Pool: d.Pool, Store: store, Projections: ps, Logger: quiet})
		if err != nil {
			b.Fatal(err)
		}
		type pending struct {
			cur eventstore.Cursor
			at  time.Time
		}
		var mu sync.Mutex
		var queue []pending
		var lags []time.Duration
		var maxBehind int64
		stop := make(chan struct{})
		watched := make(chan struct{})
		go func() { // polls checkpoints and resolves appends the slowest projection has applied
			defer close(watched)
			for {
				cps, err := projections.Checkpoints(ctx, d.Pool)
				if err == nil && len(cps) == len(ps) {
					var low eventstore.Cursor
					first := true
					for _, c := range cps {
						if first || c.Less(low) {
							low, first = c, false
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
					if len(queue) > 0 {
						maxBehind = max(maxBehind, queue[len(queue)-1].cur.Position-low.Position)
					}
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
			k := sort.Search(len(queue), func(k int) bool { return res.Cursor.Less(queue[k].cur) })
			queue = slices.Insert(queue, k, pending{res.Cursor, time.Now()})
		}}
		sum := simulateWorld(b, ctx, paced, simulate.Config{Seed: 3, Scale: simulate.ScaleFor(events),
			Departements: simulate.MaxDepartements, Concurrency: 8, Year: 2026})
		genTime := time.Since(start)
		for {
			mu.Lock()
			left := len(queue)
			mu.Unlock()
			if left == 0 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		close(stop)
		<-watched
		_ = svc.Close()
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		pct := func(p float64) float64 {
			return float64(lags[min(len(lags)-1, int(p*float64(len(lags))))].Microseconds()) / 1000
		}
		b.ReportMetric(float64(sum.Events)/genTime.Seconds(), "written-events/s")
		b.ReportMetric(pct(0.50), "lag-p50-ms")
		b.ReportMetric(pct(0.95), "lag-p95-ms")
		b.ReportMetric(pct(0.99), "lag-p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "lag-max-ms")
		b.ReportMetric(float64(maxBehind), "max-positions-behind")
	}
}

// pacedStore is the store as BenchmarkLiveLag's simulation sees it: each append
// waits until the events appended so far are due at rate events/s from start, and
// onAppend is told of every append that wrote events.
type pacedStore struct {
	*eventstore.Store
	rate     int
	start    time.Time
	onAppend func(eventstore.AppendResult)

	mu     sync.Mutex
	events int
}

func (p *pacedStore) AppendMulti(ctx context.Context, md eventstore.Metadata, appends ...eventstore.StreamAppend) (eventstore.AppendResult, error) {
	n := 0
	for _, a := range appends {
		n += len(a.Events)
	}
	p.mu.Lock()
	p.events += n
	due := p.start.Add(time.Duration(float64(p.events) / float64(p.rate) * float64(time.Second)))
	p.mu.Unlock()
	if d := time.Until(due); d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return eventstore.AppendResult{}, ctx.Err()
		}
	}
	res, err := p.Store.AppendMulti(ctx, md, appends...)
	if err == nil && n > 0 {
		p.onAppend(res)
	}
	return res, err
}
