package app_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// countingStore counts the reads of each stream that reach the store.
type countingStore struct {
	*eventstore.Memory
	mu    sync.Mutex
	reads map[string]int
}

func (s *countingStore) ReadStreams(ctx context.Context, streams []string) (map[string][]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	for _, st := range streams {
		s.reads[st]++
	}
	s.mu.Unlock()
	return s.Memory.ReadStreams(ctx, streams)
}

// An App made with WithOwnClock stamps its commands with its own clock, while
// the App it came from keeps its own; both share one stream cache, so a stream
// one of them read is not read again by the other.
func TestWithOwnClockSharesTheCache(t *testing.T) {
	ctx := context.Background()
	store := &countingStore{Memory: eventstore.NewMemory(), reads: map[string]int{}}
	base := newApp(t, store)
	later := today.Add(36 * time.Hour)
	other := base.WithOwnClock(func() time.Time { return later })
	if !base.Now().Equal(today) || !other.Now().Equal(later) {
		t.Fatalf("clocks: base %s, derived %s; want %s and %s", base.Now(), other.Now(), today, later)
	}

	res := must(t)(base.RegisterPlace(ctx, md, domain.RegisterPlaceCommand{Name: "EPN", SIRET: "73282932000074", Territory: "63"}))
	place := res.Events()[0].(domain.PlaceRegistered).PlaceID
	stream := domain.PlaceStream(place)
	must(t)(base.ChangePlaceLabel(ctx, md, domain.ChangePlaceLabelCommand{PlaceID: place, Action: "grant", EffectiveOn: domain.MustDate("2026-01-01")}))
	readsByBase := store.reads[stream]
	res = must(t)(other.ChangePlaceLabel(ctx, md, domain.ChangePlaceLabelCommand{PlaceID: place, Action: "suspend", EffectiveOn: domain.MustDate("2026-03-16")}))
	if n := store.reads[stream]; n != readsByBase {
		t.Errorf("the derived App read %s again (%d reads, %d before): the cache is not shared", stream, n, readsByBase)
	}
	if got := res.Events(); len(got) != 1 {
		t.Fatalf("suspension wrote %d events", len(got))
	}
	granted := labelChange(t, store, stream, 1)
	suspended := labelChange(t, store, stream, 2)
	if !granted.ChangedAt.Equal(today) || !suspended.ChangedAt.Equal(later) {
		t.Errorf("label changed at %s and %s, want %s (base clock) and %s (derived clock)", granted.ChangedAt, suspended.ChangedAt, today, later)
	}
}

// labelChange decodes the i-th event of stream as a PlaceLabelChanged.
func labelChange(t *testing.T, store *countingStore, stream string, i int) domain.PlaceLabelChanged {
	t.Helper()
	evs, err := store.Memory.ReadStreams(context.Background(), []string{stream})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs[stream]) <= i {
		t.Fatalf("%s holds %d events", stream, len(evs[stream]))
	}
	ev, err := domain.DecodeEvent(evs[stream][i].Type, evs[stream][i].Payload)
	if err != nil {
		t.Fatal(err)
	}
	changed, ok := ev.(domain.PlaceLabelChanged)
	if !ok {
		t.Fatalf("event %d of %s is %T", i, stream, ev)
	}
	return changed
}
