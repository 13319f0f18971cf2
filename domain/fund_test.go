package domain

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func fundWith(evs ...Event) FundState {
	return Fold[FundState](append([]Event{FundCreated{FundID: "X1", Name: "Fonds Auvergne", Territories: []string{"03", "15", "43", "63"}}}, evs...))
}

func runEvent(id string, allocs map[string]string) PerequationRun {
	r := PerequationRun{FundID: "X1", RunID: id}
	for _, code := range []string{"03", "15", "43", "63"} {
		if a, ok := allocs[code]; ok {
			r.Allocations = append(r.Allocations, PerequationAllocation{Code: code, Amount: eur(a)})
		}
	}
	return r
}

func TestCreateFund(t *testing.T) {
	tests := []struct {
		name        string
		territories []string
		existing    FundState
		want        error
	}{
		{"accepted", []string{"63", "15"}, FundState{}, nil},
		{"no territory", nil, FundState{}, ErrInvalidArgument},
		{"duplicate territory", []string{"63", "63"}, FundState{}, ErrInvalidArgument},
		{"bad territory", []string{"63", "20"}, FundState{}, ErrInvalidTerritory},
		{"already created", []string{"63"}, fundWith(), ErrAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := CreateFund(CreateFundCommand{FundID: "X1", Name: "Fonds", Territories: tt.territories, Now: fxNow}, tt.existing)
			checkErr(t, err, tt.want)
			if err == nil && len(Fold[FundState](evs).Territories) != len(tt.territories) {
				t.Fatal("territories lost")
			}
		})
	}
}

func TestRunPerequation(t *testing.T) {
	rate := decimal.RequireFromString("0.2")
	terrs := []PerequationTerritory{{Code: "63", Population: 600000, FragilityRate: rate}, {Code: "15", Population: 150000, FragilityRate: rate}}
	ok := RunPerequationCommand{FundID: "X1", RunID: "RUN1", Budget: eur("100000.00"), Territories: terrs, Available: eur("100000.00"), Now: fxNow}
	tests := []struct {
		name  string
		mod   func(*RunPerequationCommand)
		state FundState
		want  error
	}{
		{"accepted", func(*RunPerequationCommand) {}, fundWith(), nil},
		{"budget above available cash", func(c *RunPerequationCommand) { c.Available = eur("99999.99") }, fundWith(), ErrBudgetExceedsAvailable},
		{"zero budget", func(c *RunPerequationCommand) { c.Budget = Money{} }, fundWith(), ErrNonPositiveAmount},
		{"territory not in fund", func(c *RunPerequationCommand) {
			c.Territories = append([]PerequationTerritory{{Code: "75", Population: 1, FragilityRate: rate}}, terrs...)
		}, fundWith(), ErrTerritoryNotInFund},
		{"invalid territory", func(c *RunPerequationCommand) {
			c.Territories = []PerequationTerritory{{Code: "20", Population: 1, FragilityRate: rate}}
		}, fundWith(), ErrInvalidTerritory},
		{"run id reused", func(*RunPerequationCommand) {}, fundWith(runEvent("RUN1", nil)), ErrAlreadyExists},
		{"unknown fund", func(*RunPerequationCommand) {}, FundState{}, ErrNotFound},
		{"infeasible floor", func(c *RunPerequationCommand) { f := eur("60000.00"); c.Floor = &f }, fundWith(), ErrPerequationInfeasible},
		{"no territories", func(c *RunPerequationCommand) { c.Territories = nil }, fundWith(), ErrPerequationNoTerritories},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := RunPerequation(cmd, tt.state)
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			run := evs[0].(PerequationRun)
			// needs 120 000 and 30 000: 80 % / 20 %.
			got := map[string]Money{}
			for _, a := range run.Allocations {
				got[a.Code] = a.Amount
			}
			if !got["63"].Equal(eur("80000.00")) || !got["15"].Equal(eur("20000.00")) || len(run.Territories) != 2 {
				t.Fatalf("run %+v", run)
			}
			s := fundWith(run)
			if !s.Undrawn("63").Equal(eur("80000.00")) || !s.TotalAllocated.Equal(eur("100000.00")) {
				t.Fatalf("state %+v", s)
			}
		})
	}
	_, err := RunPerequation(RunPerequationCommand{FundID: "X1", RunID: "R", Budget: eur("10.00"), Territories: terrs, Available: eur("5.00"), Now: fxNow}, fundWith())
	var le *LimitError
	if !errors.As(err, &le) || !le.Limit.Equal(eur("5.00")) {
		t.Fatalf("limit error: %v", err)
	}
}

func TestDrawFund(t *testing.T) {
	allocated := fundWith(runEvent("RUN1", map[string]string{"63": "10000.00", "15": "5000.00"}))
	contributors := []ContributorReceipt{{FunderID: "STATE", Received: eur("6000.00")}, {FunderID: "REGION", Received: eur("3000.00")}, {FunderID: "STATE", Received: eur("3000.00")}}
	tests := []struct {
		name         string
		state        FundState
		territory    string
		amount       string
		contributors []ContributorReceipt
		want         error
	}{
		{"accepted", allocated, "63", "10000.00", contributors, nil},
		{"beyond allocation", allocated, "63", "10000.01", contributors, ErrFundAllocationExceeded},
		{"beyond what is left", fundWith(runEvent("RUN1", map[string]string{"63": "10000.00"}), FundDrawn{FundID: "X1", ProgrammeID: "PA", Territory: "63", Amount: eur("9000.00")}), "63", "1000.01", contributors, ErrFundAllocationExceeded},
		{"territory without allocation", allocated, "43", "1.00", contributors, ErrFundAllocationExceeded},
		{"territory not in fund", allocated, "75", "1.00", contributors, ErrTerritoryNotInFund},
		{"no receipts", allocated, "63", "1.00", []ContributorReceipt{{FunderID: "STATE", Received: Money{}}}, ErrFundHasNoReceipts},
		{"zero", allocated, "63", "0.00", contributors, ErrNonPositiveAmount},
		{"programme drew already", fundWith(runEvent("RUN1", map[string]string{"63": "10000.00"}), FundDrawn{FundID: "X1", ProgrammeID: "P1", Territory: "63", Amount: eur("1.00")}), "63", "1.00", contributors, ErrAlreadyExists},
		{"unknown fund", FundState{}, "63", "1.00", contributors, ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := DrawFund(DrawFundCommand{FundID: "X1", ProgrammeID: "P1", Territory: tt.territory, Amount: eur(tt.amount), Contributors: tt.contributors, Now: fxNow}, tt.state)
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			d := evs[0].(FundDrawn)
			// receipts STATE 9 000 (merged), REGION 3 000: 3/4 and 1/4, sorted by funder id.
			want := []FunderShare{{FunderID: "REGION", ViaFundID: "X1", Amount: eur("2500.00")}, {FunderID: "STATE", ViaFundID: "X1", Amount: eur("7500.00")}}
			if !sharesEqual(d.Attribution, want) {
				t.Fatalf("attribution %+v", d.Attribution)
			}
			if s := func() FundState { s := tt.state; s.Apply(d); return s }(); !s.Undrawn("63").IsZero() {
				t.Fatalf("undrawn after draw %s", s.Undrawn("63"))
			}
		})
	}
}
