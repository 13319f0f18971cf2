package projections

import (
	"context"
	"time"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// WaitFor waits until projection name has applied the event at position: its
// checkpoint is at or after that event's cursor in the gap-free reading order. It
// is how a reader sees its own write: the API passes the position an append returned
// (eventstore.AppendResult.LastPosition) as min_position. It polls the checkpoint
// (every 2 ms at first, backing off to 25 ms) until it is reached or ctx ends
// (ctx.Err()). Position 0 returns at once; a position that holds no event gives
// core.ErrUnknownPosition. Any process connected to the database may wait: the
// checkpoint is in the database (read through q), not in memory; the position's
// cursor comes from store. A projection split into partitions (Partition), whose
// partitions run in several workers, has applied position when every partition
// has: the checkpoint read is the least advanced of theirs (core.CheckpointOf), so
// the rows of whatever département the reader looks at are there.
func WaitFor(ctx context.Context, q core.Querier, store *eventstore.Store, name string, position int64) error {
	return waitFor(ctx, q, store, name, position, func(attempt int) (<-chan struct{}, time.Duration) {
		return nil, min(2*time.Millisecond<<attempt, 25*time.Millisecond)
	})
}

// waitFor is the one wait loop behind WaitFor and Service.WaitFor: it reads the
// projection's checkpoint until it is at or after position's cursor. Before each
// read, wake gives a channel that fires when a re-read is worth it (nil: none)
// and the longest wait before re-reading anyway; taking the channel before the
// read means a commit between the read and the wait is never missed.
func waitFor(ctx context.Context, q core.Querier, store *eventstore.Store, name string, position int64,
	wake func(attempt int) (<-chan struct{}, time.Duration)) error {
	if position <= 0 {
		return nil
	}
	cur, err := core.CursorOfPosition(ctx, store, position)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		ch, wait := wake(min(attempt, 8))
		cp, err := core.CheckpointOf(ctx, q, name)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if !cp.Less(cur) {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-ch:
			t.Stop()
		case <-t.C:
		}
	}
}
