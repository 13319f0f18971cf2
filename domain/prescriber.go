package domain

import (
	"fmt"
	"time"
)

// PrescriberKind is the public category of a prescriber, the organisation
// that hands carnets to beneficiaries.
type PrescriberKind string

// The prescriber kinds of SPEC §1.
const (
	PrescriberKindCCAS           PrescriberKind = "ccas"            // centre communal d'action sociale
	PrescriberKindCentreSocial   PrescriberKind = "centre_social"   // centre social
	PrescriberKindMDPH           PrescriberKind = "mdph"            // maison départementale des personnes handicapées
	PrescriberKindMissionLocale  PrescriberKind = "mission_locale"  // mission locale (young people)
	PrescriberKindFranceTravail  PrescriberKind = "france_travail"  // France Travail agency
	PrescriberKindFranceServices PrescriberKind = "france_services" // France Services desk
	PrescriberKindDepartement    PrescriberKind = "departement"     // départemental social services
	PrescriberKindAssociation    PrescriberKind = "association"     // association
	PrescriberKindSocialWorker   PrescriberKind = "social_worker"   // independent social worker
	PrescriberKindOther          PrescriberKind = "other"
)

// PrescriberKinds lists every valid PrescriberKind.
var PrescriberKinds = []PrescriberKind{
	PrescriberKindCCAS, PrescriberKindCentreSocial, PrescriberKindMDPH, PrescriberKindMissionLocale,
	PrescriberKindFranceTravail, PrescriberKindFranceServices, PrescriberKindDepartement,
	PrescriberKindAssociation, PrescriberKindSocialWorker, PrescriberKindOther,
}

// Valid reports whether k is one of PrescriberKinds.
func (k PrescriberKind) Valid() bool { return oneOf(k, PrescriberKinds) }

// PrescriberRegistered registers a prescriber. Stream:
// PrescriberStream(PrescriberID).
type PrescriberRegistered struct {
	PrescriberID string         `json:"prescriber_id"`
	Name         string         `json:"name"`
	Kind         PrescriberKind `json:"kind"`
	Territory    string         `json:"territory"`
	RegisteredAt time.Time      `json:"registered_at"`
}

// EventType returns "PrescriberRegistered".
func (PrescriberRegistered) EventType() string { return "PrescriberRegistered" }

// PrescriberState is the fold of a prescriber stream.
type PrescriberState struct {
	Registered   bool
	PrescriberID string
	Name         string
	Kind         PrescriberKind
	Territory    string
}

// Apply folds one event into the state; other events are ignored.
func (s *PrescriberState) Apply(e Event) {
	if ev, ok := e.(PrescriberRegistered); ok {
		*s = PrescriberState{Registered: true, PrescriberID: ev.PrescriberID, Name: ev.Name, Kind: ev.Kind, Territory: ev.Territory}
	}
}

// RegisterPrescriberCommand registers a prescriber.
type RegisterPrescriberCommand struct {
	PrescriberID string
	Name         string
	Kind         PrescriberKind
	// Territory is the département the prescriber works in.
	Territory string
	Now       time.Time
}

// RegisterPrescriber returns a PrescriberRegistered for
// PrescriberStream(cmd.PrescriberID). Rules: ValidID, non-empty name, kind
// among PrescriberKinds (ErrInvalidArgument), territory a département code
// (ErrInvalidTerritory), not registered yet (ErrAlreadyExists).
func RegisterPrescriber(cmd RegisterPrescriberCommand, existing PrescriberState) ([]Event, error) {
	if err := checkID("prescriber_id", cmd.PrescriberID); err != nil {
		return nil, err
	}
	if existing.Registered {
		return nil, fmt.Errorf("%w: prescriber %s", ErrAlreadyExists, cmd.PrescriberID)
	}
	if err := checkText("name", cmd.Name, true, MaxNameLength); err != nil {
		return nil, err
	}
	if !cmd.Kind.Valid() {
		return nil, invalid("prescriber kind %q is not one of %v", cmd.Kind, PrescriberKinds)
	}
	if err := checkTerritory("territory", cmd.Territory); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{PrescriberRegistered{
		PrescriberID: cmd.PrescriberID, Name: trimSpace(cmd.Name), Kind: cmd.Kind,
		Territory: cmd.Territory, RegisteredAt: now,
	}}, nil
}
