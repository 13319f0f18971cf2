package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// RebuildPageSize is how many events Rebuild reads, decodes and applies at a time
// (larger pages mean fewer transactions and fewer updates of the same daily sums;
// 10,000 events take a few tens of megabytes once decoded).
const RebuildPageSize = 10000

// Rebuild truncates the tables of ps and resets their checkpoints in one
// transaction, then replays the whole log into them, until the head, and returns.
//
// The log is read in pages of RebuildPageSize in gap-free order; the next page is
// read while the current one is decoded and applied. Each event is decoded once
// (on all cores) and the page is applied to every projection concurrently, each
// through Runner.ApplyBatch (its own transaction and checkpoint per page), so a
// rebuild that stops half-way (error, cancelled context, crash) leaves every
// projection consistent at its own checkpoint, and `serve` or a new Rebuild
// continues from there or from zero.
//
// progress, if not nil, is called from one goroutine after each page that every
// projection applied, with the events done and the events in the log when the
// rebuild started (done may pass total when events are appended meanwhile).
//
// Rebuild may run while `serve` keeps the same projections live: the checkpoint
// lock serialises the two, and each applies only what the other has not; but the
// projections show partial figures until the rebuild ends.
//
// A rebuild allocates a lot of short-lived memory (decoded events); a process that
// runs it alone may raise the garbage collector's target (replay sets GOGC to 400),
// which saves about a fifth of its Go CPU.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, ps []core.Projection, progress func(done, total int64)) error {
	return rebuild(ctx, pool, store, ps, RebuildPageSize, progress)
}

func rebuild(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, ps []core.Projection, pageSize int, progress func(done, total int64)) error {
	if len(ps) == 0 {
		return nil
	}
	if err := Reset(ctx, pool, ps); err != nil {
		return err
	}
	total, _, err := store.Count(ctx)
	if err != nil {
		return fmt.Errorf("projections: rebuild: %w", err)
	}
	if progress != nil {
		progress(0, total)
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	runner := NewRunner(pool, store)

	// reader → decoder → one worker per projection; each stage runs ahead of the
	// next by a few pages.
	raw := make(chan []eventstore.RecordedEvent, 2)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(raw)
		var after eventstore.Cursor
		for {
			recs, err := store.ReadFrom(ctx, after, pageSize)
			if err != nil {
				cancel(fmt.Errorf("projections: rebuild: read: %w", err))
				return
			}
			if len(recs) == 0 {
				return
			}
			select {
			case raw <- recs:
			case <-ctx.Done():
				return
			}
			after = recs[len(recs)-1].Cursor()
		}
	}()

	type page struct {
		index int
		batch Batch
	}
	inputs := make([]chan page, len(ps))
	for i := range inputs {
		inputs[i] = make(chan page, 3)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() {
			for _, in := range inputs {
				close(in)
			}
		}()
		var after eventstore.Cursor
		for i := 0; ; i++ {
			var recs []eventstore.RecordedEvent
			var ok bool
			select {
			case recs, ok = <-raw:
			case <-ctx.Done():
				return
			}
			if !ok {
				return
			}
			evs, err := decodeParallel(recs)
			if err != nil {
				cancel(err)
				return
			}
			b := Batch{After: after, Events: evs}
			after = b.Last()
			for _, in := range inputs {
				select {
				case in <- page{index: i, batch: b}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()

	type doneMsg struct{ proj, index, events int }
	done := make(chan doneMsg, len(ps)*4)
	var workers sync.WaitGroup
	sem := make(chan struct{}, rebuildConcurrency(len(ps)))
	for pi, p := range ps {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for pg := range inputs[pi] {
				sem <- struct{}{}
				_, err := runner.ApplyBatch(ctx, p, pg.batch)
				<-sem
				if err != nil {
					cancel(fmt.Errorf("projections: rebuild: %w", err))
					return
				}
				select {
				case done <- doneMsg{proj: pi, index: pg.index, events: len(pg.batch.Events)}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		workers.Wait()
		close(done)
	}()

	// Progress: a page is done when every projection applied it.
	counts := map[int]int{}
	sizes := map[int]int{}
	next, doneEvents := 0, int64(0)
	for d := range done {
		counts[d.index]++
		sizes[d.index] = d.events
		for counts[next] == len(ps) {
			doneEvents += int64(sizes[next])
			delete(counts, next)
			delete(sizes, next)
			next++
			if progress != nil {
				progress(doneEvents, total)
			}
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// decodeParallel decodes a page on every core (decoding is most of the CPU a
// rebuild spends outside PostgreSQL).
func decodeParallel(recs []eventstore.RecordedEvent) ([]core.Event, error) {
	n := runtime.GOMAXPROCS(0)
	if n < 2 || len(recs) < 256 {
		return core.Decode(recs)
	}
	out := make([]core.Event, len(recs))
	errs := make([]error, n)
	chunk := (len(recs) + n - 1) / n
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(recs))
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			evs, err := core.Decode(recs[lo:hi])
			if err != nil {
				errs[w] = err
				return
			}
			copy(out[lo:hi], evs)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Reset truncates the tables of ps and sets their checkpoints back to the start of
// the log, in one transaction: either every one of them is empty at position zero,
// or nothing changed. A projection that ran split into partitions is whole again
// afterwards (its partitions' checkpoint rows are deleted, partition 0 of 1 stays);
// partitions started later split it again from position zero.
func Reset(ctx context.Context, pool *pgxpool.Pool, ps []core.Projection) error {
	var tables, names []string
	for _, p := range ps {
		for _, t := range p.Tables() {
			tables = append(tables, pgx.Identifier{t}.Sanitize())
		}
		names = append(names, p.Name())
	}
	names = slices.Compact(slices.Sorted(slices.Values(names)))
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		// Lock the checkpoint rows first, so a live handler applying a page waits
		// and then sees the reset.
		if err := queries.EnsureWhole(ctx, tx, names); err != nil {
			return err
		}
		if err := queries.LockProjections(ctx, tx, names); err != nil {
			return err
		}
		if len(tables) > 0 {
			if _, err := tx.Exec(ctx, truncateSQL+strings.Join(slices.Compact(slices.Sorted(slices.Values(tables))), ", ")); err != nil {
				return err
			}
		}
		if err := queries.DeletePartitions(ctx, tx, names); err != nil {
			return err
		}
		return queries.ResetWhole(ctx, tx, names)
	})
	if err != nil {
		return fmt.Errorf("projections: reset: %w", err)
	}
	return nil
}

// truncateSQL starts the one statement of Reset that is not in sqlc
// (projections/internal/dbsqlc): a TRUNCATE of the tables of the projections
// reset, a list known only at run time (each projection's Tables, quoted with
// pgx.Identifier), which sqlc's static statements cannot express.
const truncateSQL = "TRUNCATE "

// rebuildConcurrency bounds how many projections apply a page at the same time:
// one more than the cores, so that PostgreSQL always has work while Go decodes,
// but not every projection at once (seven concurrent writers on two cores spend
// more CPU in contention than they gain; measured in docs/benchmarks.md).
func rebuildConcurrency(n int) int {
	return max(1, min(n, runtime.GOMAXPROCS(0)+1))
}
