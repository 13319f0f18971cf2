package domain

import (
	"fmt"
	"time"
)

// PlaceRegistered registers a place of digital mediation (EPN, tiers-lieu,
// médiathèque, France Services desk). A place can accept cheques only while
// its label is active (PlaceLabelChanged). Stream: PlaceStream(PlaceID).
type PlaceRegistered struct {
	PlaceID      string    `json:"place_id"`
	Name         string    `json:"name"`
	SIRET        string    `json:"siret"`
	Territory    string    `json:"territory"`
	RegisteredAt time.Time `json:"registered_at"`
}

// EventType returns "PlaceRegistered".
func (PlaceRegistered) EventType() string { return "PlaceRegistered" }

// PlaceState is the fold of a place stream: identity and label history.
type PlaceState struct {
	Registered bool
	PlaceID    string
	Name       string
	SIRET      string
	Territory  string
	// Labels is the label history in stream order; effective dates never go
	// backwards (ChangePlaceLabel refuses it).
	Labels []LabelChange
	// IBAN, BIC and BankHolder are the current bank account
	// (PlaceBankAccountSet); IBAN is empty when none was set.
	IBAN, BIC, BankHolder string
}

// LabelChange is one step of a place's label history.
type LabelChange struct {
	Action      LabelAction
	EffectiveOn Date
}

// Apply folds one event into the state; other events are ignored.
func (s *PlaceState) Apply(e Event) {
	switch ev := e.(type) {
	case PlaceRegistered:
		s.Registered = true
		s.PlaceID, s.Name, s.SIRET, s.Territory = ev.PlaceID, ev.Name, ev.SIRET, ev.Territory
	case PlaceLabelChanged:
		s.Labels = append(s.Labels, LabelChange{Action: ev.Action, EffectiveOn: ev.EffectiveOn})
	case PlaceBankAccountSet:
		s.IBAN, s.BIC, s.BankHolder = ev.IBAN, ev.BIC, ev.Holder
	}
}

// RegisterPlaceCommand registers a place.
type RegisterPlaceCommand struct {
	PlaceID string
	Name    string
	// SIRET is the establishment's 14-digit SIRET (spaces are not removed:
	// the caller normalises input).
	SIRET string
	// Territory is the département the place is located in.
	Territory string
	Now       time.Time
}

// RegisterPlace returns a PlaceRegistered for PlaceStream(cmd.PlaceID).
// Rules: ValidID and non-empty name (ErrInvalidArgument), SIRET valid
// (ErrInvalidSIRET, see ValidSIRET), territory a département
// (ErrInvalidTerritory), not registered yet (ErrAlreadyExists). A new place
// has no label: grant it with ChangePlaceLabel.
func RegisterPlace(cmd RegisterPlaceCommand, existing PlaceState) ([]Event, error) {
	if err := checkID("place_id", cmd.PlaceID); err != nil {
		return nil, err
	}
	if existing.Registered {
		return nil, fmt.Errorf("%w: place %s", ErrAlreadyExists, cmd.PlaceID)
	}
	if err := checkText("name", cmd.Name, true, MaxNameLength); err != nil {
		return nil, err
	}
	if !ValidSIRET(cmd.SIRET) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidSIRET, cmd.SIRET)
	}
	if err := checkTerritory("territory", cmd.Territory); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{PlaceRegistered{
		PlaceID: cmd.PlaceID, Name: trimSpace(cmd.Name), SIRET: cmd.SIRET,
		Territory: cmd.Territory, RegisteredAt: now,
	}}, nil
}

// laPosteSIREN is the SIREN of La Poste, whose thousands of establishments
// (many of them France Services desks) have SIRETs that do not follow the
// Luhn rule: for them the sum of the 14 digits is a multiple of 5.
const laPosteSIREN = "356000000"

// ValidSIRET reports whether s is exactly 14 ASCII digits that pass the Luhn
// check (the INSEE rule for SIRET numbers), or, for La Poste establishments
// (SIREN 356000000), whose digit sum is a multiple of 5 (INSEE's documented
// exception). It catches any single mistyped digit and most swaps of two
// adjacent digits.
func ValidSIRET(s string) bool {
	if len(s) != 14 {
		return false
	}
	sum, digitSum := 0, 0
	for i := 0; i < 14; i++ {
		c := s[i]
		if !isDigit(c) {
			return false
		}
		d := int(c - '0')
		digitSum += d
		// Luhn: from the right, double every second digit; here index 13 is
		// the rightmost, so double the digits at even indexes.
		if i%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	if sum%10 == 0 {
		return true
	}
	return s[:9] == laPosteSIREN && digitSum%5 == 0
}
