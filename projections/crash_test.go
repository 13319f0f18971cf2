package projections_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/simulate"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

// crashWorld is the simulated year of TestCrashSafety: a few thousand events
// over three départements, enough pages of 250 for every kill below.
var crashWorld = simulate.Config{Seed: 11, Scale: 0.1, Departements: 3, Concurrency: 4, Year: 2026}

// TestCrashSafety kills a projection worker in the middle of a page — between the
// row writes and the commit, and between the commit and the acknowledgement —
// restarts the service, and checks that the projections end exactly as a rebuild
// from zero makes them: no event applied twice, none skipped. A third case makes a
// projection fail a page more often than the retries allow (poison queue): the
// page is not lost either.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.Fresh(t)
	store := eventstore.New(d.Pool)
	loadWorld(t, ctx, store, crashWorld)
	ps := projections.All()
	head := storetest.WaitVisible(t, ctx, store)
	if err := projections.Rebuild(ctx, d.Pool, store, ps, nil); err != nil {
		t.Fatal(err)
	}
	want := state(t, ctx, d.Pool, ps)
	t.Logf("events up to position %d; reference dump made by a rebuild", head.Position)

	for _, tc := range []struct {
		name  string
		stage string // "before-commit", "after-commit"
		proj  string
		page  int
	}{
		{"killed between row write and commit", "before-commit", "cheques", 3},
		{"killed between commit and ack", "after-commit", "audit", 4},
		{"killed mid-page in balances", "before-commit", "balances", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := projections.Reset(ctx, d.Pool, projections.All()); err != nil {
				t.Fatal(err)
			}
			var (
				svc    atomic.Pointer[projections.Service]
				ready  = make(chan struct{})
				pages  atomic.Int32
				killed = make(chan eventstore.Cursor, 1)
				once   sync.Once
			)
			kill := func(ctx context.Context, last eventstore.Cursor) error {
				if int(pages.Add(1)) != tc.page {
					return nil
				}
				var err error
				once.Do(func() {
					go func() { <-ready; _ = svc.Load().Close() }() // the process dies
					<-ctx.Done()                                    // …and takes the transaction with it
					err = ctx.Err()
					killed <- last
				})
				return err
			}
			before := func(ctx context.Context, name string, last eventstore.Cursor) error {
				if name != tc.proj || tc.stage != "before-commit" {
					return nil
				}
				return kill(ctx, last)
			}
			after := func(ctx context.Context, name string, res projections.Result) error {
				if name != tc.proj || tc.stage != "after-commit" {
					return nil
				}
				return kill(ctx, res.Checkpoint)
			}
			cfg := projections.WithTestHooks(projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
				PageSize: 250, Logger: quiet, Registerer: prometheus.NewRegistry()}, before, after)
			started, err := projections.Start(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			svc.Store(started)
			close(ready)
			var last eventstore.Cursor
			select {
			case last = <-killed:
			case <-time.After(time.Minute):
				t.Fatal("the kill never happened")
			}
			_ = started.Close()
			cp, err := projections.Checkpoint(ctx, d.Pool, tc.proj)
			if err != nil {
				t.Fatal(err)
			}
			switch tc.stage {
			case "before-commit":
				if !cp.Less(last) {
					t.Fatalf("checkpoint %s moved to the killed page's end %s: its transaction was not rolled back", cp, last)
				}
			case "after-commit":
				if cp != last {
					t.Fatalf("checkpoint %s, want the committed page's end %s", cp, last)
				}
			}
			// Restart; the relay starts again from the lowest checkpoint.
			svc2 := startService(t, ctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(), PageSize: 250, Logger: quiet})
			waitHead(t, ctx, d.Pool, store, projections.All(), time.Minute)
			_ = svc2.Close()
			projectiontest.Same(t, "after restart vs rebuild", state(t, ctx, d.Pool, ps), want)
		})
	}

	t.Run("poisoned page is retried from the store", func(t *testing.T) {
		if err := projections.Reset(ctx, d.Pool, projections.All()); err != nil {
			t.Fatal(err)
		}
		var failures atomic.Int32
		var failingPage eventstore.Cursor
		var mu sync.Mutex
		before := func(ctx context.Context, name string, last eventstore.Cursor) error {
			if name != "places" {
				return nil
			}
			mu.Lock()
			defer mu.Unlock()
			if failingPage == (eventstore.Cursor{}) && last.Position > head.Position/3 {
				failingPage = last
			}
			if last == failingPage && failures.Add(1) <= 4 {
				return errors.New("simulated failure")
			}
			return nil
		}
		reg := prometheus.NewRegistry()
		cfg := projections.WithTestHooks(projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(),
			PageSize: 250, Logger: quiet, Registerer: reg, MaxRetries: 1, ResyncInterval: 300 * time.Millisecond}, before, nil)
		svc := startService(t, ctx, cfg)
		waitHead(t, ctx, d.Pool, store, projections.All(), time.Minute)
		_ = svc.Close()
		if n := failures.Load(); n < 4 {
			t.Fatalf("the page failed %d times, want at least 4", n)
		}
		if poisoned := counterSum(t, reg, "passledger_projection_poisoned_total"); poisoned < 1 {
			t.Errorf("poisoned pages counter = %v, want at least 1", poisoned)
		}
		projectiontest.Same(t, "after poison vs rebuild", state(t, ctx, d.Pool, ps), want)
	})
}
