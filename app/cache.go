package app

import (
	"strings"
	"sync"

	"github.com/passnumerique/passledger/domain"
)

// streamCache keeps the decoded events of reference streams that change rarely
// and that the hot path reads on every command: programme terms, carnet ownership
// and issue, place labels (and the other registers). It is never trusted blindly:
//
//   - a stream served from the cache and written by the command is appended with
//     the cached version as its expected version;
//   - a stream served from the cache and only read is named in the append as a
//     read-set check (eventstore.StreamAppend without events): the append fails
//     with a conflict if the stream moved since;
//   - on a conflict the stream is dropped from the cache and the command decided
//     again from the database;
//   - a refusal decided on cached state is confirmed from the database before it
//     is returned.
//
// So a stale entry (another process wrote the stream) costs one retry, never a
// wrong decision. Entries are bounded in number; when full, an arbitrary tenth is
// dropped.
type streamCache struct {
	mu      sync.Mutex
	max     int
	entries map[string]cachedStream
}

type cachedStream struct {
	events  []domain.Event
	version int64
}

// cachedKinds are the stream kinds worth caching: read by many commands, written
// by few.
var cachedKinds = []string{"programme-", "carnet-", "place-", "prescriber-", "funder-", "territory-", "fund-"}

func cacheable(stream string) bool {
	for _, k := range cachedKinds {
		if strings.HasPrefix(stream, k) {
			return true
		}
	}
	return false
}

func newStreamCache(max int) *streamCache {
	return &streamCache{max: max, entries: make(map[string]cachedStream)}
}

func (c *streamCache) get(stream string) (cachedStream, bool) {
	if c == nil {
		return cachedStream{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[stream]
	return e, ok
}

// put records the stream at version, unless a later version is cached already.
func (c *streamCache) put(stream string, events []domain.Event, version int64) {
	if c == nil || !cacheable(stream) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[stream]; ok && e.version >= version {
		return
	}
	if len(c.entries) >= c.max {
		drop := c.max/10 + 1
		for k := range c.entries {
			delete(c.entries, k)
			if drop--; drop == 0 {
				break
			}
		}
	}
	c.entries[stream] = cachedStream{events: events, version: version}
}

// extend appends events written at versions (from, to] to a cached stream that
// was at version from.
func (c *streamCache) extend(stream string, from int64, events []domain.Event, to int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	e, ok := c.entries[stream]
	c.mu.Unlock()
	if !ok || e.version != from {
		c.forget(stream)
		return
	}
	all := make([]domain.Event, 0, len(e.events)+len(events))
	all = append(append(all, e.events...), events...)
	c.put(stream, all, to)
}

func (c *streamCache) forget(stream string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, stream)
	c.mu.Unlock()
}

// foldMemo keeps the last folded state of streams that the hot path folds on
// every command although they rarely change (a programme's stream, folded by every
// redemption: its carnets' ordinals grow with every mint, so folding it again cost
// more as the programme grew). An entry is the state of one stream at one version:
// a stream is append-only, so its events up to a version never change and the
// state folded from them is the same whoever read them (cache or database). The
// states are shared between concurrent commands: only commands that read them
// without modifying them may use it (RedeemCheque and IssueCarnet pass the
// programme to the domain by value and the domain only reads it).
type foldMemo struct {
	mu      sync.Mutex
	max     int
	entries map[string]foldedState
}

type foldedState struct {
	version int64
	state   any
}

func newFoldMemo(max int) *foldMemo {
	return &foldMemo{max: max, entries: make(map[string]foldedState)}
}

// foldAt returns the state of stream at version, folded from events (the
// stream's events up to version), from the memo when it holds that version.
func foldAt[T any, P interface {
	*T
	Apply(domain.Event)
}](m *foldMemo, stream string, version int64, events []domain.Event) T {
	if m == nil {
		return domain.Fold[T, P](events)
	}
	m.mu.Lock()
	e, ok := m.entries[stream]
	m.mu.Unlock()
	if ok && e.version == version {
		if st, ok := e.state.(T); ok {
			return st
		}
	}
	st := domain.Fold[T, P](events)
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.entries[stream]; ok && cur.version > version {
		return st // a later version is memoised already
	}
	if len(m.entries) >= m.max {
		clear(m.entries)
	}
	m.entries[stream] = foldedState{version: version, state: st}
	return st
}
