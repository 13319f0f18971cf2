package domain

import (
	"testing"
)

func TestValidSIRET(t *testing.T) {
	tests := []struct {
		siret string
		ok    bool
	}{
		{"73282932000074", true},
		{"12345678901237", true},
		{"35600000000048", true},  // La Poste head office: passes Luhn too
		{"35600000049837", true},  // La Poste establishment: digit sum multiple of 5, not Luhn
		{"35600000049838", false}, // neither
		{"73282932000075", false}, // last digit mistyped
		{"73282932000047", false}, // adjacent digits swapped
		{"83282932000074", false}, // first digit mistyped
		{"7328293200007", false},
		{"732829320000740", false},
		{"732 829 320 00074", false},
		{"7328293200007A", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidSIRET(tt.siret); got != tt.ok {
			t.Errorf("ValidSIRET(%q) = %v, want %v", tt.siret, got, tt.ok)
		}
	}
}

func TestRegisterPlace(t *testing.T) {
	ok := RegisterPlaceCommand{PlaceID: "L1", Name: "EPN de Thiers", SIRET: fxSIRET, Territory: "63", Now: fxNow}
	tests := []struct {
		name     string
		mod      func(*RegisterPlaceCommand)
		existing PlaceState
		want     error
	}{
		{"accepted", func(*RegisterPlaceCommand) {}, PlaceState{}, nil},
		{"overseas", func(c *RegisterPlaceCommand) { c.Territory = "974" }, PlaceState{}, nil},
		{"already registered", func(*RegisterPlaceCommand) {}, PlaceState{Registered: true}, ErrAlreadyExists},
		{"bad siret", func(c *RegisterPlaceCommand) { c.SIRET = "73282932000075" }, PlaceState{}, ErrInvalidSIRET},
		{"bad territory", func(c *RegisterPlaceCommand) { c.Territory = "977" }, PlaceState{}, ErrInvalidTerritory},
		{"no name", func(c *RegisterPlaceCommand) { c.Name = "" }, PlaceState{}, ErrInvalidArgument},
		{"bad id", func(c *RegisterPlaceCommand) { c.PlaceID = "" }, PlaceState{}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := RegisterPlace(cmd, tt.existing)
			checkErr(t, err, tt.want)
			if err == nil {
				s := Fold[PlaceState](evs)
				if !s.Registered || s.SIRET != cmd.SIRET || s.LabelStatus() != LabelNone || s.LabelActiveOn(day("2026-01-01")) {
					t.Fatalf("state %+v", s)
				}
			}
		})
	}
}

func TestChangePlaceLabel(t *testing.T) {
	type step struct {
		action LabelAction
		on     string
	}
	tests := []struct {
		name    string
		history []step
		next    step
		want    error
	}{
		{"grant a new place", nil, step{LabelGrant, "2026-01-01"}, nil},
		{"suspend without label", nil, step{LabelSuspend, "2026-01-01"}, ErrInvalidLabelChange},
		{"withdraw without label", nil, step{LabelWithdraw, "2026-01-01"}, ErrInvalidLabelChange},
		{"grant twice", []step{{LabelGrant, "2026-01-01"}}, step{LabelGrant, "2026-02-01"}, ErrInvalidLabelChange},
		{"suspend granted", []step{{LabelGrant, "2026-01-01"}}, step{LabelSuspend, "2026-02-01"}, nil},
		{"suspend twice", []step{{LabelGrant, "2026-01-01"}, {LabelSuspend, "2026-02-01"}}, step{LabelSuspend, "2026-03-01"}, ErrInvalidLabelChange},
		{"reinstate suspended", []step{{LabelGrant, "2026-01-01"}, {LabelSuspend, "2026-02-01"}}, step{LabelGrant, "2026-03-01"}, nil},
		{"withdraw granted", []step{{LabelGrant, "2026-01-01"}}, step{LabelWithdraw, "2026-02-01"}, nil},
		{"withdraw suspended", []step{{LabelGrant, "2026-01-01"}, {LabelSuspend, "2026-02-01"}}, step{LabelWithdraw, "2026-03-01"}, nil},
		{"withdrawn is final: grant", []step{{LabelGrant, "2026-01-01"}, {LabelWithdraw, "2026-02-01"}}, step{LabelGrant, "2026-03-01"}, ErrInvalidLabelChange},
		{"withdrawn is final: withdraw", []step{{LabelGrant, "2026-01-01"}, {LabelWithdraw, "2026-02-01"}}, step{LabelWithdraw, "2026-03-01"}, ErrInvalidLabelChange},
		{"same effective date", []step{{LabelGrant, "2026-01-01"}}, step{LabelSuspend, "2026-01-01"}, nil},
		{"effective date going back", []step{{LabelGrant, "2026-02-01"}}, step{LabelSuspend, "2026-01-31"}, ErrInvalidLabelChange},
		{"unknown action", nil, step{"revoke", "2026-01-01"}, ErrInvalidArgument},
		{"no date", nil, step{LabelGrant, ""}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fxWorld{t: t, store: fxStore{}}
			w.on(PlaceStream("L1"))(RegisterPlace(RegisterPlaceCommand{PlaceID: "L1", Name: "EPN", SIRET: fxSIRET, Territory: "63", Now: fxNow}, PlaceState{}))
			for _, s := range tt.history {
				w.on(PlaceStream("L1"))(ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "L1", Action: s.action, EffectiveOn: day(s.on), Now: fxNow}, w.place("L1")))
			}
			var on Date
			if tt.next.on != "" {
				on = day(tt.next.on)
			}
			_, err := ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "L1", Action: tt.next.action, EffectiveOn: on, Now: fxNow}, w.place("L1"))
			checkErr(t, err, tt.want)
		})
	}
	if _, err := ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "L9", Action: LabelGrant, EffectiveOn: day("2026-01-01"), Now: fxNow}, PlaceState{}); err == nil {
		t.Fatal("label of an unknown place accepted")
	} else {
		checkErr(t, err, ErrNotFound)
	}
}

func TestLabelActiveOn(t *testing.T) {
	p := Fold[PlaceState]([]Event{
		PlaceRegistered{PlaceID: "L1"},
		PlaceLabelChanged{PlaceID: "L1", Action: LabelGrant, EffectiveOn: day("2026-01-10")},
		PlaceLabelChanged{PlaceID: "L1", Action: LabelSuspend, EffectiveOn: day("2026-03-01")},
		PlaceLabelChanged{PlaceID: "L1", Action: LabelGrant, EffectiveOn: day("2026-04-01")},
		PlaceLabelChanged{PlaceID: "L1", Action: LabelWithdraw, EffectiveOn: day("2026-06-01")},
	})
	tests := []struct {
		on     string
		active bool
		status LabelStatus
	}{
		{"2026-01-09", false, LabelNone},
		{"2026-01-10", true, LabelGranted},
		{"2026-02-28", true, LabelGranted},
		{"2026-03-01", false, LabelSuspended},
		{"2026-03-31", false, LabelSuspended},
		{"2026-04-01", true, LabelGranted},
		{"2026-05-31", true, LabelGranted},
		{"2026-06-01", false, LabelWithdrawn},
		{"2030-01-01", false, LabelWithdrawn},
	}
	for _, tt := range tests {
		if got := p.LabelActiveOn(day(tt.on)); got != tt.active {
			t.Errorf("LabelActiveOn(%s) = %v", tt.on, got)
		}
		if got := p.LabelStatusOn(day(tt.on)); got != tt.status {
			t.Errorf("LabelStatusOn(%s) = %s", tt.on, got)
		}
	}
	if p.LabelStatus() != LabelWithdrawn {
		t.Error("final status")
	}
}
