package eventstore

import "time"

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
