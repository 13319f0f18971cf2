package eventstore

import (
	"sync"
	"time"
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
