package core_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

func TestHandlersRouteByType(t *testing.T) {
	type seen struct{ log []string }
	h := core.NewHandlers[*seen]()
	core.On(h, func(s *seen, ev core.Event, e domain.ChequeRedeemed) error {
		s.log = append(s.log, "redeemed "+e.Serial)
		return nil
	})
	core.On(h, func(s *seen, ev core.Event, e domain.CarnetIssued) error {
		s.log = append(s.log, "issued "+e.CarnetID)
		return nil
	})
	events := []core.Event{
		{RecordedEvent: eventstore.RecordedEvent{Position: 1}, Data: domain.CarnetIssued{CarnetID: "C1"}},
		{RecordedEvent: eventstore.RecordedEvent{Position: 2}, Data: domain.ChequeExpired{Serial: "S0"}}, // no handler: skipped
		{RecordedEvent: eventstore.RecordedEvent{Position: 3}, Data: domain.ChequeRedeemed{Serial: "S1"}},
	}
	var s seen
	if err := h.HandleAll(&s, events); err != nil {
		t.Fatal(err)
	}
	if want := []string{"issued C1", "redeemed S1"}; !slices.Equal(s.log, want) {
		t.Fatalf("log = %v, want %v", s.log, want)
	}
	if want := []string{"CarnetIssued", "ChequeRedeemed"}; !slices.Equal(h.Types(), want) {
		t.Fatalf("Types() = %v, want %v", h.Types(), want)
	}
}

func TestHandlersStopAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	h := core.NewHandlers[*int]()
	core.On(h, func(_ *int, _ core.Event, _ domain.ChequeRedeemed) error { calls++; return boom })
	events := []core.Event{{Data: domain.ChequeRedeemed{}}, {Data: domain.ChequeRedeemed{}}}
	if err := h.HandleAll(nil, events); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("err = %v after %d calls, want boom after 1", err, calls)
	}
}

func TestHandlersRefuseASecondRegistration(t *testing.T) {
	h := core.NewHandlers[*int]()
	core.On(h, func(_ *int, _ core.Event, _ domain.ChequeRedeemed) error { return nil })
	defer func() {
		if recover() == nil {
			t.Fatal("a second handler for ChequeRedeemed did not panic")
		}
	}()
	core.On(h, func(_ *int, _ core.Event, _ domain.ChequeRedeemed) error { return nil })
}

func TestCollect(t *testing.T) {
	type keys struct{ carnets, serials map[string]bool }
	h := core.NewHandlers[*keys]()
	carnets := func(k *keys) map[string]bool { return k.carnets }
	core.Collect(h, carnets, func(e domain.CarnetIssued) string { return e.CarnetID })
	core.Collect(h, carnets, func(e domain.CarnetCancelled) string { return e.CarnetID })
	core.Collect(h, func(k *keys) map[string]bool { return k.serials }, func(e domain.ChequeRedeemed) string { return e.Serial })
	events := []core.Event{
		{Data: domain.CarnetIssued{CarnetID: "C1"}},
		{Data: domain.ChequeRedeemed{Serial: "S1"}},
		{Data: domain.ChequeExpired{Serial: "S2"}}, // no collector: skipped
		{Data: domain.CarnetCancelled{CarnetID: "C2"}},
		{Data: domain.CarnetIssued{CarnetID: "C1"}},
	}
	k := keys{carnets: map[string]bool{}, serials: map[string]bool{}}
	if err := h.HandleAll(&k, events); err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"C1": true, "C2": true}; !maps.Equal(k.carnets, want) {
		t.Errorf("carnets = %v, want %v", k.carnets, want)
	}
	if want := map[string]bool{"S1": true}; !maps.Equal(k.serials, want) {
		t.Errorf("serials = %v, want %v", k.serials, want)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("a second collector for ChequeRedeemed did not panic")
		}
	}()
	core.Collect(h, carnets, func(e domain.ChequeRedeemed) string { return e.Serial })
}
