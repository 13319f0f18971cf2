package domain

import (
	"testing"
	"time"
)

func TestRegisterFunder(t *testing.T) {
	ok := RegisterFunderCommand{FunderID: "F1", Name: "  Conseil départemental du Puy-de-Dôme ", Kind: FunderKindDepartement, Now: fxNow}
	tests := []struct {
		name     string
		mod      func(*RegisterFunderCommand)
		existing FunderState
		want     error
	}{
		{"accepted", func(*RegisterFunderCommand) {}, FunderState{}, nil},
		{"every kind", func(c *RegisterFunderCommand) { c.Kind = FunderKindEUFEADER }, FunderState{}, nil},
		{"already registered", func(*RegisterFunderCommand) {}, FunderState{Registered: true, FunderID: "F1"}, ErrAlreadyExists},
		{"unknown kind", func(c *RegisterFunderCommand) { c.Kind = "bank" }, FunderState{}, ErrInvalidArgument},
		{"empty name", func(c *RegisterFunderCommand) { c.Name = " " }, FunderState{}, ErrInvalidArgument},
		{"bad id", func(c *RegisterFunderCommand) { c.FunderID = "F:1" }, FunderState{}, ErrInvalidArgument},
		{"no now", func(c *RegisterFunderCommand) { c.Now = time.Time{} }, FunderState{}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := RegisterFunder(cmd, tt.existing)
			checkErr(t, err, tt.want)
			if err == nil {
				s := Fold[FunderState](evs)
				if !s.Registered || s.Name != "Conseil départemental du Puy-de-Dôme" || s.Kind != cmd.Kind {
					t.Fatalf("state %+v", s)
				}
			}
		})
	}
	for _, k := range FunderKinds {
		if !k.Valid() {
			t.Errorf("%s invalid", k)
		}
	}
}

func TestRegisterPrescriber(t *testing.T) {
	ok := RegisterPrescriberCommand{PrescriberID: "PR1", Name: "CCAS", Kind: PrescriberKindCCAS, Territory: "63", Now: fxNow}
	tests := []struct {
		name     string
		mod      func(*RegisterPrescriberCommand)
		existing PrescriberState
		want     error
	}{
		{"accepted", func(*RegisterPrescriberCommand) {}, PrescriberState{}, nil},
		{"corsica", func(c *RegisterPrescriberCommand) { c.Territory = "2B" }, PrescriberState{}, nil},
		{"already registered", func(*RegisterPrescriberCommand) {}, PrescriberState{Registered: true}, ErrAlreadyExists},
		{"bad kind", func(c *RegisterPrescriberCommand) { c.Kind = "bank" }, PrescriberState{}, ErrInvalidArgument},
		{"bad territory", func(c *RegisterPrescriberCommand) { c.Territory = "20" }, PrescriberState{}, ErrInvalidTerritory},
		{"no name", func(c *RegisterPrescriberCommand) { c.Name = "" }, PrescriberState{}, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := RegisterPrescriber(cmd, tt.existing)
			checkErr(t, err, tt.want)
			if err == nil {
				if s := Fold[PrescriberState](evs); !s.Registered || s.Territory != cmd.Territory {
					t.Fatalf("state %+v", s)
				}
			}
		})
	}
}
