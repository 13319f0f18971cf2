package eventstore

import (
	"context"
	"fmt"
)

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	// Events is the number of events checked.
	Events int64 `json:"events"`
	// Checkpoints is the number of chain checkpoints checked.
	Checkpoints int `json:"checkpoints"`
	// OK is true when every event and checkpoint matched.
	OK bool `json:"ok"`
	// FirstBadPosition is the first position, in reading order, that does not match
	// (0 when OK).
	FirstBadPosition int64 `json:"first_bad_position,omitempty"`
	// Reason explains the mismatch.
	Reason string `json:"reason,omitempty"`
}

// verifyBatch is how many events Verify reads per query.
const verifyBatch = 20000

type streamHead struct {
	version int64
	hash    []byte
}

// Verify recomputes every event's content hash and its stream's chain, and every
// checkpoint over the gap-free order, and reports the first position that does not
// match. progress, if not nil, is called after each batch with the events checked.
//
// It detects: an altered event (content or chain hash), a deleted event (a version
// gap in its stream, or a checkpoint whose range no longer hashes the same), and
// reordered events (a version out of order, or a checkpoint mismatch).
func (s *Store) Verify(ctx context.Context, progress func(checked int64)) (VerifyReport, error) {
	cps, err := s.loadCheckpoints(ctx)
	if err != nil {
		return VerifyReport{}, err
	}
	rep := VerifyReport{}
	heads := make(map[string]streamHead)
	cpIdx := 0
	prevCP := zeroHash
	var cph *checkpointHasher
	var cpFirst int64
	if len(cps) > 0 {
		cph = newCheckpointHasher(prevCP)
	}
	fail := func(pos int64, format string, args ...any) (VerifyReport, error) {
		rep.FirstBadPosition = pos
		rep.Reason = fmt.Sprintf(format, args...)
		return rep, nil
	}
	pages := s.prefetch(ctx, verifyBatch)
	defer pages.stop()
	for {
		evs, err := pages.next()
		if err != nil {
			return rep, err
		}
		for i := range evs {
			e := &evs[i]
			content := ContentHash(e.EventID, e.StreamID, e.Type, e.RecordedAt, e.Payload, e.Metadata)
			if !equalHash(content, e.ContentHash) {
				return fail(e.Position, "event %d (%s v%d): content does not match its hash", e.Position, e.StreamID, e.Version)
			}
			head := heads[e.StreamID]
			if e.Version != head.version+1 {
				return fail(e.Position, "event %d (%s): version %d follows version %d", e.Position, e.StreamID, e.Version, head.version)
			}
			prev := head.hash
			if prev == nil {
				prev = zeroHash
			}
			chained := ChainHash(prev, e.Version, content)
			if !equalHash(chained, e.Hash) {
				return fail(e.Position, "event %d (%s v%d): chain hash does not match", e.Position, e.StreamID, e.Version)
			}
			heads[e.StreamID] = streamHead{version: e.Version, hash: chained}
			rep.Events++

			if cph != nil {
				if cph.count == 0 {
					cpFirst = e.Position
				}
				cph.add(e.Position, e.Hash, e.Cursor())
				cp := cps[cpIdx]
				if cph.count == cp.EventCount {
					if cpFirst != cp.FirstPosition || e.Position != cp.LastPosition ||
						!equalHash(cp.PrevHash, prevCP) || !equalHash(cph.sum(), cp.Hash) {
						return fail(cp.FirstPosition, "checkpoint %d (positions %d..%d): the events it covers changed (deleted, inserted or reordered)",
							cp.Seq, cp.FirstPosition, cp.LastPosition)
					}
					rep.Checkpoints++
					prevCP = cp.Hash
					cpIdx++
					cph = nil
					if cpIdx < len(cps) {
						cph = newCheckpointHasher(prevCP)
					}
				}
			}
		}
		if progress != nil && len(evs) > 0 {
			progress(rep.Events)
		}
		if len(evs) < verifyBatch {
			break
		}
	}
	if cpIdx < len(cps) {
		cp := cps[cpIdx]
		return fail(cp.FirstPosition, "checkpoint %d (positions %d..%d) covers %d events, but fewer remain: events were deleted",
			cp.Seq, cp.FirstPosition, cp.LastPosition, cp.EventCount)
	}
	rep.OK = true
	return rep, nil
}

// pager reads the log page by page in a goroutine, one page ahead of its consumer,
// so that PostgreSQL produces the next page while the caller works on this one.
type pager struct {
	pages  chan pageResult
	cancel context.CancelFunc
}

type pageResult struct {
	events []RecordedEvent
	err    error
}

func (s *Store) prefetch(ctx context.Context, size int) *pager {
	ctx, cancel := context.WithCancel(ctx)
	p := &pager{pages: make(chan pageResult, 1), cancel: cancel}
	go func() {
		defer close(p.pages)
		after := Cursor{}
		for {
			evs, err := s.ReadFrom(ctx, after, size)
			select {
			case p.pages <- pageResult{evs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || len(evs) < size {
				return
			}
			after = evs[len(evs)-1].Cursor()
		}
	}()
	return p
}

func (p *pager) next() ([]RecordedEvent, error) {
	r, ok := <-p.pages
	if !ok {
		return nil, nil
	}
	return r.events, r.err
}

func (p *pager) stop() { p.cancel() }
