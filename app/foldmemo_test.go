package app

import (
	"testing"

	"github.com/passnumerique/passledger/domain"
)

// foldAt folds a stream once per version: the same version is served from the
// memo (the same state, even if other events are passed), a new version is
// folded again from its events, and an older version never replaces a newer one.
func TestFoldAtFoldsOncePerVersion(t *testing.T) {
	created := domain.ProgrammeCreated{ProgrammeID: "prg-1", Name: "Pass 63", Territory: "63"}
	closed := domain.ProgrammeClosed{ProgrammeID: "prg-1"}
	m := newFoldMemo(10)
	const stream = "programme-prg-1"

	v1 := foldAt[domain.ProgrammeState](m, stream, 1, []domain.Event{created})
	if !v1.Created || v1.Closed || v1.Territory != "63" {
		t.Fatalf("version 1 folded to %+v", v1)
	}
	// Same version: the memo answers (it does not fold the events given again).
	again := foldAt[domain.ProgrammeState](m, stream, 1, []domain.Event{created, closed})
	if again.Closed {
		t.Fatal("version 1 was folded again instead of served from the memo")
	}
	// A new version is folded from its events.
	v2 := foldAt[domain.ProgrammeState](m, stream, 2, []domain.Event{created, closed})
	if !v2.Closed {
		t.Fatal("version 2 (closed) was served the state of version 1")
	}
	// An older version read late is folded but does not replace the newer one.
	if old := foldAt[domain.ProgrammeState](m, stream, 1, []domain.Event{created}); old.Closed {
		t.Fatal("version 1 got the state of version 2")
	}
	if latest := foldAt[domain.ProgrammeState](m, stream, 2, nil); !latest.Closed {
		t.Fatal("version 2 is no longer memoised after a late read of version 1")
	}
	// Full: the memo starts again empty rather than growing.
	for i := range 20 {
		foldAt[domain.ProgrammeState](m, stream+string(rune('a'+i)), 1, []domain.Event{created})
	}
	if len(m.entries) > m.max {
		t.Fatalf("%d entries in a memo of %d", len(m.entries), m.max)
	}
	// No memo: plain fold.
	if st := foldAt[domain.ProgrammeState](nil, stream, 2, []domain.Event{created, closed}); !st.Closed {
		t.Fatal("without a memo the events are not folded")
	}
}
