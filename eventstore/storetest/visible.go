package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/passnumerique/passledger/eventstore"
)

// WaitVisible waits until every event stored in s is readable in the gap-free
// order, and returns the cursor of the last one. It is the one wait of the tests
// that read, verify or rebuild what they have just written.
//
// Readers see an event once no transaction that could still commit an earlier
// position is open, and that watermark is cluster-wide: a transaction in another
// database of the same PostgreSQL server (another test package, a benchmark)
// holds it back for its duration. A test that reads right after its writes
// without waiting sees a prefix: Verify, for one, reports OK over the events it
// could read. WaitVisible fails the test after a minute.
func WaitVisible(t testing.TB, ctx context.Context, s *eventstore.Store) eventstore.Cursor {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		settled, err := s.Settled(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if settled {
			head, err := s.Head(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return head
		}
		if time.Now().After(deadline) {
			readable, stored, err := s.Count(ctx)
			t.Fatalf("%d events stored, %d readable after a minute (%v)", stored, readable, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ReadAll waits until every stored event is readable (WaitVisible) and returns
// the whole log of s in the gap-free reading order: the one way the tests read
// back everything they wrote.
func ReadAll(t testing.TB, ctx context.Context, s *eventstore.Store) []eventstore.RecordedEvent {
	t.Helper()
	WaitVisible(t, ctx, s)
	var out []eventstore.RecordedEvent
	var after eventstore.Cursor
	for {
		page, err := s.ReadFrom(ctx, after, 5000)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Cursor()
	}
}
