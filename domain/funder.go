package domain

import (
	"fmt"
	"time"
)

// FunderKind is the public category of a funder.
type FunderKind string

// The funder kinds of SPEC §1.
const (
	FunderKindState            FunderKind = "state"
	FunderKindDepartement      FunderKind = "departement"
	FunderKindIntercommunalite FunderKind = "intercommunalite"
	FunderKindCommune          FunderKind = "commune"
	FunderKindCAF              FunderKind = "caf"
	FunderKindFranceTravail    FunderKind = "france_travail"
	FunderKindEUFSE            FunderKind = "eu_fse"
	FunderKindEUFEDER          FunderKind = "eu_feder"
	FunderKindEUFEADER         FunderKind = "eu_feader"
	FunderKindPrivate          FunderKind = "private"
	FunderKindOther            FunderKind = "other"
)

// FunderKinds lists every valid FunderKind.
var FunderKinds = []FunderKind{
	FunderKindState, FunderKindDepartement, FunderKindIntercommunalite, FunderKindCommune, FunderKindCAF,
	FunderKindFranceTravail, FunderKindEUFSE, FunderKindEUFEDER, FunderKindEUFEADER, FunderKindPrivate, FunderKindOther,
}

// Valid reports whether k is one of FunderKinds.
func (k FunderKind) Valid() bool { return oneOf(k, FunderKinds) }

// FunderRegistered registers a funder. Stream: FunderStream(FunderID).
type FunderRegistered struct {
	FunderID     string     `json:"funder_id"`
	Name         string     `json:"name"`
	Kind         FunderKind `json:"kind"`
	RegisteredAt time.Time  `json:"registered_at"`
}

// EventType returns "FunderRegistered".
func (FunderRegistered) EventType() string { return "FunderRegistered" }

// FunderState is the fold of a funder stream.
type FunderState struct {
	Registered bool
	FunderID   string
	Name       string
	Kind       FunderKind
}

// Apply folds one event into the state; other events are ignored.
func (s *FunderState) Apply(e Event) {
	if ev, ok := e.(FunderRegistered); ok {
		*s = FunderState{Registered: true, FunderID: ev.FunderID, Name: ev.Name, Kind: ev.Kind}
	}
}

// RegisterFunderCommand registers a funder.
type RegisterFunderCommand struct {
	FunderID string
	Name     string
	Kind     FunderKind
	Now      time.Time
}

// RegisterFunder returns a FunderRegistered for FunderStream(cmd.FunderID).
// The id must be a ValidID, the name non-empty (trimmed, at most
// MaxNameLength characters) and the kind one of FunderKinds
// (ErrInvalidArgument); existing must be the stream's state and not be
// registered yet (ErrAlreadyExists).
func RegisterFunder(cmd RegisterFunderCommand, existing FunderState) ([]Event, error) {
	if err := checkID("funder_id", cmd.FunderID); err != nil {
		return nil, err
	}
	if existing.Registered {
		return nil, fmt.Errorf("%w: funder %s", ErrAlreadyExists, cmd.FunderID)
	}
	if err := checkText("name", cmd.Name, true, MaxNameLength); err != nil {
		return nil, err
	}
	if !cmd.Kind.Valid() {
		return nil, invalid("funder kind %q is not one of %v", cmd.Kind, FunderKinds)
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{FunderRegistered{FunderID: cmd.FunderID, Name: trimSpace(cmd.Name), Kind: cmd.Kind, RegisteredAt: now}}, nil
}
