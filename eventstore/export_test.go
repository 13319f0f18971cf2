package eventstore

import "time"

// SetTxDelay makes every append run in an explicit transaction that sleeps d() after
// writing, before committing: the late commits that a gap-free reader must not skip.
func (s *Store) SetTxDelay(d func() time.Duration) { s.txDelay = d }
