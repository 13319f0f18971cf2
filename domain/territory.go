package domain

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// ValidDepartementCode reports whether code is the code of a French
// département as the INSEE official geographic code writes it: "01" to "95"
// except "20" (Corsica is split into "2A" and "2B", both accepted, upper case
// only), and the overseas codes "971" to "976" (Guadeloupe, Martinique,
// Guyane, La Réunion, Saint-Pierre-et-Miquelon, Mayotte). Territories in the
// ledger (programmes, places, prescribers, funds, need records) are
// départements.
func ValidDepartementCode(code string) bool {
	switch len(code) {
	case 2:
		if code == "2A" || code == "2B" {
			return true
		}
		if !isDigit(code[0]) || !isDigit(code[1]) {
			return false
		}
		n := int(code[0]-'0')*10 + int(code[1]-'0')
		return n >= 1 && n <= 95 && n != 20
	case 3:
		return code[0] == '9' && code[1] == '7' && code[2] >= '1' && code[2] <= '6'
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func checkTerritory(field, code string) error {
	if !ValidDepartementCode(code) {
		return fmt.Errorf("%w: %s %q", ErrInvalidTerritory, field, code)
	}
	return nil
}

// TerritoryNeedRecorded records a territory's population and fragility rate
// (the share of its population in digital difficulty) from a named source at
// a date. A territory may have many records; the latest by AsOf (then by
// order of recording) is the current one. Need = Population × FragilityRate,
// as péréquation uses it. Stream: TerritoryStream(Code). No money moves.
type TerritoryNeedRecorded struct {
	Code          string          `json:"code"`
	Population    int64           `json:"population"`
	FragilityRate decimal.Decimal `json:"fragility_rate"`
	Need          decimal.Decimal `json:"need"`
	Source        string          `json:"source"`
	AsOf          Date            `json:"as_of"`
	RecordedAt    time.Time       `json:"recorded_at"`
}

// EventType returns "TerritoryNeedRecorded".
func (TerritoryNeedRecorded) EventType() string { return "TerritoryNeedRecorded" }

// TerritoryState is the fold of a territory stream: its current need record.
type TerritoryState struct {
	// Recorded is true once a need record exists.
	Recorded      bool
	Code          string
	Population    int64
	FragilityRate decimal.Decimal
	Need          decimal.Decimal
	Source        string
	AsOf          Date
	// Records counts the need records applied.
	Records int
}

// Apply folds one event into the state; other events are ignored.
func (s *TerritoryState) Apply(e Event) {
	ev, ok := e.(TerritoryNeedRecorded)
	if !ok {
		return
	}
	s.Records++
	if s.Recorded && ev.AsOf.Before(s.AsOf) {
		return // an older record: kept in history, not current
	}
	s.Recorded = true
	s.Code, s.Population, s.FragilityRate, s.Need = ev.Code, ev.Population, ev.FragilityRate, ev.Need
	s.Source, s.AsOf = ev.Source, ev.AsOf
}

// RecordTerritoryNeedCommand records a territory's need data.
type RecordTerritoryNeedCommand struct {
	// Code is a département code (ValidDepartementCode).
	Code string
	// Population is the number of inhabitants, > 0.
	Population int64
	// FragilityRate is the share of the population in digital difficulty,
	// in [0, 1], with at most 6 decimals.
	FragilityRate decimal.Decimal
	// Source names where the figures come from (e.g. "INSEE RP 2022 /
	// indice de fragilité numérique 2024"); required.
	Source string
	// AsOf is the date the figures describe; required.
	AsOf Date
	// Now is when the command is decided.
	Now time.Time
}

// MaxFragilityRateDecimals bounds the precision of a fragility rate.
const MaxFragilityRateDecimals = 6

// RecordTerritoryNeed validates a need record and returns a
// TerritoryNeedRecorded for TerritoryStream(cmd.Code). Population must be
// positive and the fragility rate in [0, 1] (ErrInvalidArgument); the code
// must be a département (ErrInvalidTerritory). Several records per territory
// are allowed (new census, new index); state is the territory's current state,
// used only to check that the code matches.
func RecordTerritoryNeed(cmd RecordTerritoryNeedCommand, state TerritoryState) ([]Event, error) {
	if err := checkTerritory("territory", cmd.Code); err != nil {
		return nil, err
	}
	if state.Recorded && state.Code != cmd.Code {
		return nil, invalid("territory state is for %q, not %q", state.Code, cmd.Code)
	}
	if cmd.Population <= 0 {
		return nil, invalid("population must be positive, got %d", cmd.Population)
	}
	if err := checkRate("fragility rate", cmd.FragilityRate, decimal.NewFromInt(1), MaxFragilityRateDecimals); err != nil {
		return nil, err
	}
	if err := checkText("source", cmd.Source, true, MaxNameLength); err != nil {
		return nil, err
	}
	if err := requireDate("as_of", cmd.AsOf); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{TerritoryNeedRecorded{
		Code:          cmd.Code,
		Population:    cmd.Population,
		FragilityRate: cmd.FragilityRate,
		Need:          decimal.NewFromInt(cmd.Population).Mul(cmd.FragilityRate),
		Source:        trimSpace(cmd.Source),
		AsOf:          cmd.AsOf,
		RecordedAt:    now,
	}}, nil
}

// checkRate checks 0 <= r <= max with at most decimals decimals.
func checkRate(field string, r, max decimal.Decimal, decimals int32) error {
	if r.IsNegative() || r.GreaterThan(max) {
		return invalid("%s %s is not in [0, %s]", field, r.String(), max.String())
	}
	if !r.Equal(r.Truncate(decimals)) {
		return invalid("%s %s has more than %d decimals", field, r.String(), decimals)
	}
	return nil
}
