package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// Keys are the server secrets the domain needs: the check-code key (derives each
// cheque's check code from its serial) and the beneficiary key (HMAC of the
// pseudonymous beneficiary reference). Both at least domain.MinKeyLength bytes.
type Keys struct {
	CheckCode   []byte
	Beneficiary []byte
}

// App runs commands against the event store.
type App struct {
	store Store
	cache *streamCache
	folds *foldMemo
	keys  Keys
	now   func() time.Time
}

// Option configures an App.
type Option func(*App)

// WithStreamCache sets how many reference streams (programmes, carnets, places…)
// the App keeps decoded in memory (default 100,000; 0 turns the cache off). See
// streamCache for why a stale entry never leads to a wrong decision.
func WithStreamCache(entries int) Option {
	return func(a *App) {
		if entries <= 0 {
			a.cache = nil
			return
		}
		a.cache = newStreamCache(entries)
	}
}

// WithClock replaces time.Now (tests).
func WithClock(now func() time.Time) Option { return func(a *App) { a.now = now } }

// WithOwnClock returns an App that shares a's store, keys, stream cache and memo
// of folded states but reads the clock now: for writers that run commands side by
// side, each at its own instant (the simulation's workers), without each warming
// caches of its own. Both are safe for concurrent use, as they are for concurrent
// requests on one App.
func (a *App) WithOwnClock(now func() time.Time) *App {
	b := *a
	b.now = now
	return &b
}

// New returns an App over store with the given secrets.
func New(store Store, keys Keys, opts ...Option) (*App, error) {
	if len(keys.CheckCode) < domain.MinKeyLength || len(keys.Beneficiary) < domain.MinKeyLength {
		return nil, fmt.Errorf("app: %w: keys must be at least %d bytes", domain.ErrMissingKey, domain.MinKeyLength)
	}
	a := &App{store: store, keys: keys, now: time.Now, cache: newStreamCache(defaultCacheEntries), folds: newFoldMemo(defaultFoldEntries)}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// Store returns the event store the App appends to.
func (a *App) Store() Store { return a.store }

// Keys returns the secrets (the API prints check codes at minting).
func (a *App) Keys() Keys { return a.keys }

// Now is the App's clock.
func (a *App) Now() time.Time { return a.now() }

// Meta is who asks, and the request's identity, recorded in every event's metadata.
type Meta struct {
	Actor          string
	Organisation   string
	CorrelationID  string
	IdempotencyKey string
}

// Result is what a command wrote.
type Result struct {
	// Position is the global position of the last event written: a reader that
	// waits until a projection reached it sees this command.
	Position int64
	// Changes are the decided events, by stream.
	Changes []domain.Change
	// Duplicate is true when the event store answered from an earlier append with
	// the same idempotency key (nothing was written; Changes are this attempt's
	// decision, not the stored one).
	Duplicate bool
}

// Events returns every decided event, in order.
func (r Result) Events() []domain.Event {
	var out []domain.Event
	for _, c := range r.Changes {
		out = append(out, c.Events...)
	}
	return out
}

// ErrContention is returned when a command kept losing version races.
var ErrContention = errors.New("app: too much contention, try again")

// defaultCacheEntries bounds the stream cache.
const defaultCacheEntries = 100_000

// defaultFoldEntries bounds the memo of folded states (foldMemo): one entry per
// programme; when full it starts again empty.
const defaultFoldEntries = 10_000

// maxAttempts bounds decide-append rounds of one command.
const maxAttempts = 8

// unit is one attempt of a command: the streams it read, their versions, and
// which of them came from the cache (or were assumed new) rather than the
// database.
type unit struct {
	app      *App
	versions map[string]int64
	// unverified streams were not read from the database in this attempt: they
	// go into the append as expectations (read-set checks when not written).
	unverified map[string]bool
	// fresh: read everything from the database (a retry after a conflict, or the
	// confirmation of a refusal).
	fresh bool
}

// read loads streams, records their versions and decodes their events. Cacheable
// streams come from the cache when they are there; the rest is one query.
func (u *unit) read(ctx context.Context, streams ...string) (map[string][]domain.Event, error) {
	out := make(map[string][]domain.Event, len(streams))
	missing := streams[:0:0]
	for _, s := range streams {
		if !u.fresh && cacheable(s) {
			if e, ok := u.app.cache.get(s); ok {
				out[s] = e.events
				u.versions[s] = e.version
				u.unverified[s] = true
				continue
			}
		}
		missing = append(missing, s)
	}
	if len(missing) == 0 {
		return out, nil
	}
	raw, err := u.app.store.ReadStreams(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, s := range missing {
		evs := raw[s]
		decoded, err := decodeEvents(evs)
		if err != nil {
			return nil, fmt.Errorf("app: stream %s: %w", s, err)
		}
		var version int64
		if len(evs) > 0 {
			version = evs[len(evs)-1].Version
		}
		u.versions[s] = version
		delete(u.unverified, s)
		out[s] = decoded
		u.app.cache.put(s, decoded, version)
	}
	return out, nil
}

// readNew is read for a stream that the command expects to be new in the common
// case (a cheque before its first redemption): on the first attempt it is
// assumed empty without a query; the append then expects "no stream", so if the
// stream does exist the append conflicts and the next attempt reads it.
func (u *unit) readNew(ctx context.Context, stream string) ([]domain.Event, error) {
	if u.fresh {
		evs, err := u.read(ctx, stream)
		return evs[stream], err
	}
	u.versions[stream] = 0
	u.unverified[stream] = true
	return nil, nil
}

// fold reads one stream into the state T.
func fold[T any, P interface {
	*T
	Apply(domain.Event)
}](ctx context.Context, u *unit, stream string) (T, error) {
	evs, err := u.read(ctx, stream)
	if err != nil {
		var zero T
		return zero, err
	}
	return domain.Fold[T, P](evs[stream]), nil
}

// execute runs decide and appends its changes with the versions read, retrying on
// a version conflict. The first attempt may decide on cached streams (see
// streamCache); a retry after a conflict, and the confirmation of a refusal made
// on cached state, read everything from the database.
func (a *App) execute(ctx context.Context, md Meta, decide func(ctx context.Context, u *unit) ([]domain.Change, error)) (Result, error) {
	fresh := a.cache == nil
	for attempt := 0; attempt < maxAttempts; attempt++ {
		u := &unit{app: a, versions: map[string]int64{}, unverified: map[string]bool{}, fresh: fresh}
		changes, err := decide(ctx, u)
		if err != nil {
			if len(u.unverified) > 0 && !fresh {
				fresh = true // confirm the refusal from the database
				continue
			}
			return Result{}, err
		}
		appends := make([]eventstore.StreamAppend, 0, len(changes))
		written := map[string]bool{}
		for _, c := range changes {
			if len(c.Events) == 0 {
				continue
			}
			version, read := u.versions[c.Stream]
			if !read {
				return Result{}, fmt.Errorf("app: stream %s written without being read", c.Stream)
			}
			written[c.Stream] = true
			sa := eventstore.StreamAppend{Stream: c.Stream, Expected: eventstore.Exactly(version)}
			for _, e := range c.Events {
				payload, err := domain.EncodeEvent(e)
				if err != nil {
					return Result{}, fmt.Errorf("app: encode %s: %w", e.EventType(), err)
				}
				sa.Events = append(sa.Events, eventstore.EventData{Type: e.EventType(), Payload: payload})
			}
			appends = append(appends, sa)
		}
		if len(appends) == 0 {
			return Result{Changes: changes}, nil
		}
		for s := range u.unverified {
			if !written[s] {
				appends = append(appends, eventstore.StreamAppend{Stream: s, Expected: eventstore.Exactly(u.versions[s])})
			}
		}
		res, err := a.store.AppendMulti(ctx, eventstore.Metadata{
			Actor: md.Actor, Organisation: md.Organisation, CorrelationID: md.CorrelationID,
			IdempotencyKey: md.IdempotencyKey,
		}, appends...)
		if errors.Is(err, eventstore.ErrConflict) {
			var ce *eventstore.ConflictError
			if errors.As(err, &ce) {
				a.cache.forget(ce.Stream)
			}
			fresh = true
			continue
		}
		if err != nil {
			return Result{}, err
		}
		if !res.Duplicate {
			for _, c := range changes {
				if len(c.Events) > 0 && cacheable(c.Stream) {
					a.cache.extend(c.Stream, u.versions[c.Stream], c.Events, res.Versions[c.Stream])
				}
			}
		}
		return Result{Position: res.LastPosition, Changes: changes, Duplicate: res.Duplicate}, nil
	}
	return Result{}, ErrContention
}

// decideOn runs a command that reads and writes one stream: fold the stream into
// the state S, let decide choose the events, append them at the version read.
func decideOn[S any, P interface {
	*S
	Apply(domain.Event)
}](ctx context.Context, a *App, md Meta, stream string, decide func(S) ([]domain.Event, error)) (Result, error) {
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		st, err := fold[S, P](ctx, u, stream)
		if err != nil {
			return nil, err
		}
		evs, err := decide(st)
		return single(stream, evs, err)
	})
}

// single wraps a one-stream decision.
func single(stream string, events []domain.Event, err error) ([]domain.Change, error) {
	if err != nil {
		return nil, err
	}
	return []domain.Change{{Stream: stream, Events: events}}, nil
}

// NewID returns a server-chosen id: prefix, '_', 12 characters of Crockford base32.
func NewID(prefix string) string { return prefix + "_" + randomBase32(12) }

// NewCarnetID returns a carnet id: 10 upper-case letters and digits.
func NewCarnetID() string { return randomBase32(10) }

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

func randomBase32(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(crockford[int(c)%32])
	}
	return sb.String()
}
