// Command loadgen is the ledger's HTTP load driver for `make bench`: it creates a
// fresh database on the server named by DATABASE_URL, serves the API in-process on
// a loopback port, builds a programme through the API, then redeems cheques from
// many concurrent clients over real HTTP and reports throughput and latency
// percentiles. It sends traffic to 127.0.0.1 only, in a bounded number of requests,
// and drops its database at the end.
//
//	go run ./cmd/pgenv -- go run ./cmd/loadgen -redemptions 5000 -clients 32
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/passnumerique/passledger/internal/credentials"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/migrations"
	"github.com/passnumerique/passledger/projections"
)

func main() {
	redemptions := flag.Int("redemptions", 5000, "cheques to redeem (bounded)")
	clients := flag.Int("clients", 32, "concurrent HTTP clients")
	live := flag.Bool("projections", true, "keep the projections live while loading (measures their lag too)")
	keys := flag.Bool("keys", true, "send a fresh Idempotency-Key with every redemption")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (server and clients) during the load")
	flag.Parse()
	if err := run(*redemptions, *clients, *live, *keys, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

func run(redemptions, clients int, live, keys bool, cpuProfile string) error {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	adminURL := os.Getenv("DATABASE_URL")
	if adminURL == "" {
		return fmt.Errorf("DATABASE_URL is not set (run through cmd/pgenv)")
	}
	name := fmt.Sprintf("passledger_load_%d", time.Now().UnixNano())
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return err
	}
	defer func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	}()
	dbURL, err := ledgerdb.WithDatabase(adminURL, name)
	if err != nil {
		return err
	}
	if _, err := migrations.Up(ctx, dbURL, nil); err != nil {
		return err
	}
	pool, err := ledgerdb.NewPool(ctx, dbURL, "passledger_app", 64)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := eventstore.New(pool)
	secrets, err := credentials.LoadSecrets(ctx, pool)
	if err != nil {
		return err
	}
	ledger, err := app.New(store, secrets.Domain)
	if err != nil {
		return err
	}
	var waiter api.Waiter
	var svc *projections.Service
	if live {
		if svc, err = projections.Start(ctx, projections.Config{Pool: pool, Store: store, Logger: logger, Projections: projections.All()}); err != nil {
			return err
		}
		defer svc.Close()
		waiter = svc
	}
	srv, err := api.NewServer(api.Config{Pool: pool, Store: store, App: ledger, Secrets: secrets, Waiter: waiter, Logger: logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	httpSrv := &http.Server{Handler: srv.Handler()}
	go func() { _ = httpSrv.Serve(ln) }()
	defer httpSrv.Close()
	base := "http://" + ln.Addr().String()
	_, admin, err := api.CreateToken(ctx, pool, api.RoleAdmin, "", "loadgen")
	if err != nil {
		return err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2}}
	post := func(path, token string, body any, out any, headers ...string) error {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", base+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, raw)
		}
		if out != nil {
			return json.Unmarshal(raw, out)
		}
		return nil
	}

	// The world: one programme in 63 large enough, a prescriber, a labelled place.
	var f, prs, plc api.CreatedResponse
	if err := post("/v1/funders", admin, map[string]any{"name": "État", "kind": "state"}, &f); err != nil {
		return err
	}
	if err := post("/v1/prescribers", admin, map[string]any{"name": "CCAS", "kind": "ccas", "territory": "63"}, &prs); err != nil {
		return err
	}
	if err := post("/v1/places", admin, map[string]any{"name": "EPN", "siret": "73282932000074", "territory": "63"}, &plc); err != nil {
		return err
	}
	if err := post("/v1/places/"+plc.ID+"/label", admin, map[string]any{"action": "grant", "effective_on": "2020-01-01"}, nil); err != nil {
		return err
	}
	today := time.Now().UTC()
	var pgm api.ProgrammeResponse
	if err := post("/v1/programmes", admin, map[string]any{"name": "Load", "territory": "63",
		"valid_from": today.AddDate(0, -1, 0).Format("2006-01-02"), "valid_until": today.AddDate(1, 0, 0).Format("2006-01-02"),
		"cheque_value": "10.00", "cheques_per_carnet": 50,
		"funding": []map[string]any{{"funder_id": f.ID, "amount": fmt.Sprintf("%d.00", redemptions*10+1000)}}}, &pgm); err != nil {
		return err
	}
	carnets := (redemptions + 49) / 50
	_, prsTok, _ := api.CreateToken(ctx, pool, api.RolePrescriber, prs.ID, "loadgen")
	_, plcTok, _ := api.CreateToken(ctx, pool, api.RolePlace, plc.ID, "loadgen")
	var cheques []api.MintedCheque
	for minted := 0; minted < carnets; minted += 100 {
		var m api.MintResponse
		if err := post("/v1/programmes/"+pgm.ID+"/mint", admin, map[string]any{"carnets": min(100, carnets-minted), "prescriber_id": prs.ID}, &m); err != nil {
			return err
		}
		for i, c := range m.Carnets {
			if err := post("/v1/carnets/"+c.ID+"/issue", prsTok, map[string]any{"beneficiary_ref": fmt.Sprintf("LOAD-%d-%d", minted, i), "need_level": "inclusion"}, nil); err != nil {
				return err
			}
			cheques = append(cheques, c.Cheques...)
		}
	}
	cheques = cheques[:redemptions]

	// The load: every client takes the next cheque and redeems it.
	latencies := make([]time.Duration, len(cheques))
	var next atomic.Int64
	var failures atomic.Int64
	var last atomic.Int64
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	cpu0, pg0 := processCPU(), postgresCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cheques) {
					return
				}
				t0 := time.Now()
				var r api.RedemptionResponse
				var hdr []string
				if keys {
					hdr = []string{"Idempotency-Key", fmt.Sprintf("load-%d-%d", start.UnixNano(), i)}
				}
				err := post("/v1/redemptions", plcTok, map[string]any{"serial": cheques[i].Serial, "check_code": cheques[i].CheckCode,
					"session_date": today.Format("2006-01-02"), "service": "atelier"}, &r, hdr...)
				latencies[i] = time.Since(t0)
				if err != nil {
					failures.Add(1)
					continue
				}
				for {
					old := last.Load()
					if r.Position <= old || last.CompareAndSwap(old, r.Position) {
						break
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, pg1 := processCPU(), postgresCPU()
	if cpuProfile != "" {
		pprof.StopCPUProfile()
	}
	var lag time.Duration
	if svc != nil {
		t0 := time.Now()
		wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := svc.WaitForAll(wctx, last.Load())
		cancel()
		if err != nil {
			return fmt.Errorf("projections did not catch up: %w", err)
		}
		lag = time.Since(t0)
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	fmt.Printf("loadgen: %d redemptions over HTTP by %d clients in %s: %.0f redemptions/s, %d failures\n",
		len(cheques), clients, elapsed.Round(time.Millisecond), float64(len(cheques))/elapsed.Seconds(), failures.Load())
	fmt.Printf("loadgen: latency p50 %s p95 %s p99 %s max %s\n", pct(0.50).Round(time.Microsecond), pct(0.95).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), latencies[len(latencies)-1].Round(time.Microsecond))
	n := time.Duration(len(cheques))
	fmt.Printf("loadgen: CPU per redemption: this process (server, projections and clients) %s, PostgreSQL %s\n",
		((cpu1 - cpu0) / n).Round(time.Microsecond), ((pg1 - pg0) / n).Round(time.Microsecond))
	if svc != nil {
		fmt.Printf("loadgen: projections (all 7, live) caught up %s after the last redemption\n", lag.Round(time.Millisecond))
	}
	// One machine-readable line for scripts/bench.sh.
	fmt.Printf("SUMMARY clients=%d projections=%t rate=%.0f p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f cpu_process_us=%d cpu_postgres_us=%d\n",
		clients, live, float64(len(cheques))/elapsed.Seconds(), ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)),
		((cpu1 - cpu0) / n).Microseconds(), ((pg1 - pg0) / n).Microseconds())
	if failures.Load() > 0 {
		return fmt.Errorf("%d redemptions failed", failures.Load())
	}
	return nil
}

// processCPU is the CPU time (user + system) this process used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time (user + system) used so far by every process of the
// machine named postgres (the server's backends, WAL writer, checkpointer…), read
// from /proc: the database's share of the cost of a redemption.
func postgresCPU() time.Duration {
	const ticks = 100 // USER_HZ on Linux
	var total int64
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(raw)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open || s[open+1:end] != "postgres" {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) < 15 {
			continue
		}
		// utime, stime, and the children's (cutime, cstime): the postmaster's
		// children are the backends, whose time is kept there when they exit.
		for _, i := range []int{11, 12, 13, 14} {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			total += v
		}
	}
	return time.Duration(total) * time.Second / ticks
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
