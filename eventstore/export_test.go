package eventstore

import (
	"context"
	"sync"
	"time"

	"github.com/passnumerique/passledger/eventstore/internal/dbsqlc"
)

// SetTxDelay makes every append run in an explicit transaction that sleeps d() after
// writing, before committing: the late commits that a gap-free reader must not skip.
func (s *Store) SetTxDelay(d func() time.Duration) { s.txDelay = d }

// SetBatch sets how many events each of l's writes holds at most (before its
// first append): tests cross batch boundaries without thousands of appends.
func (l *Loader) SetBatch(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.batch = n
}

// HoldLoaders makes the writer of every Loader made from s afterwards wait until
// release is called (before or at Close): everything appended meanwhile is
// written in full batches.
func (s *Store) HoldLoaders() (release func()) {
	hold := make(chan struct{})
	s.loaderHold = hold
	var once sync.Once
	return func() { once.Do(func() { close(hold) }) }
}

// PlannedReads runs the reads whose plans PostgreSQL must keep — the group
// commit's per-group reads (IdempotencyRecords, StreamHeads) and ReadStreams —
// on db, with keys and streams as given: the test of those plans.
func PlannedReads(ctx context.Context, db dbsqlc.DBTX, keys, streams []string) error {
	q := dbsqlc.New()
	if _, err := q.IdempotencyRecords(ctx, db, keys); err != nil {
		return err
	}
	if _, err := q.StreamHeads(ctx, db, streams); err != nil {
		return err
	}
	rows, err := dbsqlc.ReadStreamsRows(ctx, db, streams)
	if err != nil {
		return err
	}
	rows.Close()
	return rows.Err()
}
