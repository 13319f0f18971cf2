package domain

import (
	"fmt"
	"time"
)

// FundCreated creates a support fund (fonds de soutien) that pools
// contributions and shares them between Territories by péréquation.
// Stream: FundStream(FundID). No money moves (contributions are pledged on
// their own streams).
type FundCreated struct {
	FundID      string    `json:"fund_id"`
	Name        string    `json:"name"`
	Territories []string  `json:"territories"`
	CreatedAt   time.Time `json:"created_at"`
}

// EventType returns "FundCreated".
func (FundCreated) EventType() string { return "FundCreated" }

// FundState is the fold of a fund stream: its territories, what each was
// allocated by péréquation runs, and what programmes drew from it.
type FundState struct {
	Created     bool
	FundID      string
	Name        string
	Territories []string
	// Allocated and Drawn are per territory code.
	Allocated map[string]Money
	Drawn     map[string]Money
	// TotalAllocated is the sum of Allocated.
	TotalAllocated Money
	// RunIDs and ProgrammeDraws hold the ids already used by péréquation runs
	// and the programmes that drew from the fund.
	RunIDs         map[string]bool
	ProgrammeDraws map[string]bool
}

// Apply folds one event into the state; other events are ignored.
func (s *FundState) Apply(e Event) {
	switch ev := e.(type) {
	case FundCreated:
		s.Created = true
		s.FundID, s.Name = ev.FundID, ev.Name
		s.Territories = append([]string(nil), ev.Territories...)
	case PerequationRun:
		if s.Allocated == nil {
			s.Allocated = map[string]Money{}
		}
		if s.RunIDs == nil {
			s.RunIDs = map[string]bool{}
		}
		s.RunIDs[ev.RunID] = true
		for _, a := range ev.Allocations {
			s.Allocated[a.Code] = s.Allocated[a.Code].Add(a.Amount)
			s.TotalAllocated = s.TotalAllocated.Add(a.Amount)
		}
	case FundDrawn:
		if s.Drawn == nil {
			s.Drawn = map[string]Money{}
		}
		if s.ProgrammeDraws == nil {
			s.ProgrammeDraws = map[string]bool{}
		}
		s.Drawn[ev.Territory] = s.Drawn[ev.Territory].Add(ev.Amount)
		s.ProgrammeDraws[ev.ProgrammeID] = true
	}
}

// HasTerritory reports whether code is one of the fund's territories.
func (s FundState) HasTerritory(code string) bool {
	for _, t := range s.Territories {
		if t == code {
			return true
		}
	}
	return false
}

// Undrawn returns what territory code was allocated and has not drawn yet.
func (s FundState) Undrawn(code string) Money { return s.Allocated[code].Sub(s.Drawn[code]) }

// CreateFundCommand creates a support fund.
type CreateFundCommand struct {
	FundID string
	Name   string
	// Territories are the département codes the fund may allocate to:
	// at least one, no duplicates.
	Territories []string
	Now         time.Time
}

// CreateFund returns a FundCreated for FundStream(cmd.FundID). Rules:
// ValidID, non-empty name, at least one territory and no duplicate
// (ErrInvalidArgument), every territory a département (ErrInvalidTerritory),
// not created yet (ErrAlreadyExists).
func CreateFund(cmd CreateFundCommand, existing FundState) ([]Event, error) {
	if err := checkID("fund_id", cmd.FundID); err != nil {
		return nil, err
	}
	if existing.Created {
		return nil, fmt.Errorf("%w: fund %s", ErrAlreadyExists, cmd.FundID)
	}
	if err := checkText("name", cmd.Name, true, MaxNameLength); err != nil {
		return nil, err
	}
	if len(cmd.Territories) == 0 {
		return nil, invalid("a fund needs at least one territory")
	}
	seen := map[string]bool{}
	for _, t := range cmd.Territories {
		if err := checkTerritory("territory", t); err != nil {
			return nil, err
		}
		if seen[t] {
			return nil, invalid("territory %q listed twice", t)
		}
		seen[t] = true
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{FundCreated{
		FundID: cmd.FundID, Name: trimSpace(cmd.Name),
		Territories: append([]string(nil), cmd.Territories...), CreatedAt: now,
	}}, nil
}

func checkFund(id string, f FundState) error {
	if err := checkID("fund_id", id); err != nil {
		return err
	}
	if !f.Created {
		return fmt.Errorf("%w: fund %s", ErrNotFound, id)
	}
	if f.FundID != id {
		return invalid("fund state is for %q, not %q", f.FundID, id)
	}
	return nil
}
