package domain

import (
	"fmt"
	"time"
)

// PerequationRun records one péréquation run of a fund: its inputs (budget,
// optional floor per territory and cap per inhabitant, each territory's
// population and fragility rate) and its outputs (each territory's need and
// amount, from Perequation), so that anyone can recompute the run and get the
// same cents. Runs add up: a fund may share its money in several tranches.
// Stream: FundStream(FundID).
//
// Postings: for each allocation, Dr fund:{X}:unallocated / Cr
// fund:{X}:territory:{T}.
type PerequationRun struct {
	FundID           string                  `json:"fund_id"`
	RunID            string                  `json:"run_id"`
	Budget           Money                   `json:"budget"`
	Floor            *Money                  `json:"floor,omitempty"`
	CapPerInhabitant *Money                  `json:"cap_per_inhabitant,omitempty"`
	Territories      []PerequationTerritory  `json:"territories"`
	Allocations      []PerequationAllocation `json:"allocations"`
	RanAt            time.Time               `json:"ran_at"`
}

// EventType returns "PerequationRun".
func (PerequationRun) EventType() string { return "PerequationRun" }

// RunPerequationCommand shares part of a fund between its territories.
type RunPerequationCommand struct {
	FundID string
	RunID  string
	// Budget is the amount to share, positive.
	Budget Money
	// Floor and CapPerInhabitant are optional bounds (see Perequation).
	Floor            *Money
	CapPerInhabitant *Money
	// Territories are the run's inputs; each must be one of the fund's
	// territories. The caller takes population and fragility rate from the
	// territories' current TerritoryNeedRecorded.
	Territories []PerequationTerritory
	// Available is the fund's unallocated cash-backed amount, computed by the
	// caller from the projections (money received into cash:fund:X, plus
	// advances, minus what runs already allocated). The budget may not
	// exceed it.
	Available Money
	Now       time.Time
}

// RunPerequation returns a PerequationRun for FundStream(cmd.FundID). Rules:
// the fund exists (ErrNotFound), the run id is new (ErrAlreadyExists), the
// budget is positive (ErrNonPositiveAmount) and at most cmd.Available
// (*LimitError wrapping ErrBudgetExceedsAvailable), every territory is a
// département (ErrInvalidTerritory) of the fund (ErrTerritoryNotInFund); then
// Perequation's own errors (ErrPerequation…, e.g. ErrPerequationInfeasible)
// are returned as they are.
func RunPerequation(cmd RunPerequationCommand, fund FundState) ([]Event, error) {
	if err := checkFund(cmd.FundID, fund); err != nil {
		return nil, err
	}
	if err := checkID("run_id", cmd.RunID); err != nil {
		return nil, err
	}
	if fund.RunIDs[cmd.RunID] {
		return nil, fmt.Errorf("%w: péréquation run %s", ErrAlreadyExists, cmd.RunID)
	}
	if err := requirePositive("budget", cmd.Budget); err != nil {
		return nil, err
	}
	for _, t := range cmd.Territories {
		if err := checkTerritory("territory", t.Code); err != nil {
			return nil, err
		}
		if !fund.HasTerritory(t.Code) {
			return nil, fmt.Errorf("%w: %s not in fund %s", ErrTerritoryNotInFund, t.Code, fund.FundID)
		}
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if cmd.Budget.GreaterThan(cmd.Available) {
		return nil, limitErr(ErrBudgetExceedsAvailable, "fund "+fund.FundID, cmd.Budget, cmd.Available)
	}
	in := PerequationInput{
		Budget:           cmd.Budget,
		Territories:      append([]PerequationTerritory(nil), cmd.Territories...),
		Floor:            copyMoneyPtr(cmd.Floor),
		CapPerInhabitant: copyMoneyPtr(cmd.CapPerInhabitant),
	}
	allocs, err := Perequation(in)
	if err != nil {
		return nil, err
	}
	return []Event{PerequationRun{
		FundID: fund.FundID, RunID: cmd.RunID, Budget: in.Budget, Floor: in.Floor,
		CapPerInhabitant: in.CapPerInhabitant, Territories: in.Territories,
		Allocations: allocs, RanAt: now,
	}}, nil
}

func copyMoneyPtr(m *Money) *Money {
	if m == nil {
		return nil
	}
	v := *m
	return &v
}
