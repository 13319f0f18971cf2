package domain

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestCreateProgramme(t *testing.T) {
	fund := FundLineSource{
		Fund:         fundWith(runEvent("RUN1", map[string]string{"63": "12000.00"})),
		Contributors: []ContributorReceipt{{FunderID: "STATE", Received: eur("20000.00")}, {FunderID: "REGION", Received: eur("10000.00")}},
	}
	funds := map[string]FundLineSource{"X1": fund}
	base := func() CreateProgrammeCommand {
		return CreateProgrammeCommand{
			ProgrammeID: "P63", Name: "Pass numérique Puy-de-Dôme 2026", Territory: "63",
			ValidFrom: day("2026-01-01"), ValidUntil: day("2026-12-31"),
			FundingLines: []FundingLine{{FunderID: "DEP63", Amount: eur("30000.00")}, {FundID: "X1", Amount: eur("12000.00")}},
			Now:          fxNow,
		}
	}
	rate := func(s string) *decimal.Decimal { r := decimal.RequireFromString(s); return &r }
	tests := []struct {
		name     string
		mod      func(*CreateProgrammeCommand)
		existing ProgrammeState
		want     error
	}{
		{"accepted with defaults", func(*CreateProgrammeCommand) {}, ProgrammeState{}, nil},
		{"one-day window", func(c *CreateProgrammeCommand) { c.ValidUntil = c.ValidFrom }, ProgrammeState{}, nil},
		{"window reversed", func(c *CreateProgrammeCommand) { c.ValidUntil = day("2025-12-31") }, ProgrammeState{}, ErrInvalidArgument},
		{"no validity start", func(c *CreateProgrammeCommand) { c.ValidFrom = Date{} }, ProgrammeState{}, ErrInvalidArgument},
		{"negative cheque value", func(c *CreateProgrammeCommand) { c.ChequeValue = eur("-10.00") }, ProgrammeState{}, ErrNonPositiveAmount},
		{"5 cheques per carnet", func(c *CreateProgrammeCommand) { c.ChequesPerCarnet = 5 }, ProgrammeState{}, nil},
		{"20 cheques per carnet", func(c *CreateProgrammeCommand) { c.ChequesPerCarnet = 20 }, ProgrammeState{}, nil},
		{"51 cheques per carnet", func(c *CreateProgrammeCommand) { c.ChequesPerCarnet = 51 }, ProgrammeState{}, ErrInvalidArgument},
		{"negative cheques per carnet", func(c *CreateProgrammeCommand) { c.ChequesPerCarnet = -1 }, ProgrammeState{}, ErrInvalidArgument},
		{"grace 0", func(c *CreateProgrammeCommand) { c.GraceDays = intPtr(0) }, ProgrammeState{}, nil},
		{"negative grace", func(c *CreateProgrammeCommand) { c.GraceDays = intPtr(-1) }, ProgrammeState{}, ErrInvalidArgument},
		{"fee 4 %", func(c *CreateProgrammeCommand) { c.OperatorFeeRate = rate("0.04") }, ProgrammeState{}, nil},
		{"fee 50 %", func(c *CreateProgrammeCommand) { c.OperatorFeeRate = rate("0.5") }, ProgrammeState{}, nil},
		{"fee above 50 %", func(c *CreateProgrammeCommand) { c.OperatorFeeRate = rate("0.5001") }, ProgrammeState{}, ErrInvalidArgument},
		{"fee with 5 decimals", func(c *CreateProgrammeCommand) { c.OperatorFeeRate = rate("0.04125") }, ProgrammeState{}, ErrInvalidArgument},
		{"negative fee", func(c *CreateProgrammeCommand) { c.OperatorFeeRate = rate("-0.01") }, ProgrammeState{}, ErrInvalidArgument},
		{"bad territory", func(c *CreateProgrammeCommand) { c.Territory = "2a" }, ProgrammeState{}, ErrInvalidTerritory},
		{"no funding line", func(c *CreateProgrammeCommand) { c.FundingLines = nil }, ProgrammeState{}, ErrInvalidFundingLine},
		{"line with funder and fund", func(c *CreateProgrammeCommand) {
			c.FundingLines = []FundingLine{{FunderID: "DEP63", FundID: "X1", Amount: eur("1.00")}}
		}, ProgrammeState{}, ErrInvalidFundingLine},
		{"line with neither", func(c *CreateProgrammeCommand) { c.FundingLines = []FundingLine{{Amount: eur("1.00")}} }, ProgrammeState{}, ErrInvalidFundingLine},
		{"zero line", func(c *CreateProgrammeCommand) { c.FundingLines = []FundingLine{{FunderID: "DEP63"}} }, ProgrammeState{}, ErrInvalidFundingLine},
		{"repeated funder", func(c *CreateProgrammeCommand) {
			c.FundingLines = []FundingLine{{FunderID: "DEP63", Amount: eur("1.00")}, {FunderID: "DEP63", Amount: eur("2.00")}}
		}, ProgrammeState{}, ErrInvalidFundingLine},
		{"repeated fund", func(c *CreateProgrammeCommand) {
			c.FundingLines = []FundingLine{{FundID: "X1", Amount: eur("1.00")}, {FundID: "X1", Amount: eur("2.00")}}
		}, ProgrammeState{}, ErrInvalidFundingLine},
		{"unknown fund", func(c *CreateProgrammeCommand) { c.FundingLines = []FundingLine{{FundID: "X9", Amount: eur("1.00")}} }, ProgrammeState{}, ErrNotFound},
		{"fund line beyond the allocation", func(c *CreateProgrammeCommand) {
			c.FundingLines = []FundingLine{{FundID: "X1", Amount: eur("12000.01")}}
		}, ProgrammeState{}, ErrFundAllocationExceeded},
		{"fund without the territory", func(c *CreateProgrammeCommand) { c.Territory = "75" }, ProgrammeState{}, ErrTerritoryNotInFund},
		{"already created", func(*CreateProgrammeCommand) {}, ProgrammeState{Created: true, ProgrammeID: "P63"}, ErrAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := base()
			tt.mod(&cmd)
			changes, err := CreateProgramme(cmd, tt.existing, funds)
			checkErr(t, err, tt.want)
			if err != nil {
				if changes != nil {
					t.Fatal("changes returned with an error")
				}
				return
			}
			if changes[0].Stream != "programme-P63" {
				t.Fatalf("first change on %s", changes[0].Stream)
			}
			p := Fold[ProgrammeState](changes[0].Events)
			if cmd.ChequesPerCarnet == 0 && p.ChequesPerCarnet != 10 || !p.ChequeValue.Equal(eur("10.00")) {
				t.Fatalf("defaults not applied: %+v", p)
			}
			if cmd.GraceDays == nil && p.GraceDays != 31 {
				t.Fatalf("grace %d", p.GraceDays)
			}
			if !p.TotalFunding.Equal(SumShares(p.Funders)) {
				t.Fatalf("funders %v do not sum to %s", p.Funders, p.TotalFunding)
			}
		})
	}
}

// A fund line is flattened to the fund's contributors pro rata of their
// receipts, and the draw is appended to the fund's stream.
func TestCreateProgrammeFlattensFundLines(t *testing.T) {
	funds := map[string]FundLineSource{"X1": {
		Fund:         fundWith(runEvent("RUN1", map[string]string{"63": "12000.00"})),
		Contributors: []ContributorReceipt{{FunderID: "STATE", Received: eur("20000.00")}, {FunderID: "REGION", Received: eur("10000.00")}},
	}}
	changes, err := CreateProgramme(CreateProgrammeCommand{
		ProgrammeID: "P63", Name: "P", Territory: "63", ValidFrom: day("2026-01-01"), ValidUntil: day("2026-12-31"),
		FundingLines: []FundingLine{{FunderID: "DEP63", Amount: eur("30000.00")}, {FundID: "X1", Amount: eur("12000.00")}},
		Now:          fxNow,
	}, ProgrammeState{}, funds)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 2 || changes[1].Stream != "fund-X1" {
		t.Fatalf("changes %+v", changes)
	}
	created := changes[0].Events[0].(ProgrammeCreated)
	// 12 000 from the fund: STATE 2/3 = 8 000, REGION 1/3 = 4 000 (sorted by id).
	want := []FunderShare{
		{FunderID: "DEP63", Amount: eur("30000.00")},
		{FunderID: "REGION", ViaFundID: "X1", Amount: eur("4000.00")},
		{FunderID: "STATE", ViaFundID: "X1", Amount: eur("8000.00")},
	}
	if !sharesEqual(created.Funders, want) || !created.TotalFunding.Equal(eur("42000.00")) {
		t.Fatalf("funders %+v total %s", created.Funders, created.TotalFunding)
	}
	drawn := changes[1].Events[0].(FundDrawn)
	if drawn.ProgrammeID != "P63" || drawn.Territory != "63" || !drawn.Amount.Equal(eur("12000.00")) || !sharesEqual(drawn.Attribution, want[1:]) {
		t.Fatalf("draw %+v", drawn)
	}
	// A cheque of this programme is attributed 30/42, 4/42, 8/42.
	attr, err := Attribute(created.Funders, eur("10.00"))
	if err != nil || !sharesEqual(attr, []FunderShare{
		{FunderID: "DEP63", Amount: eur("7.14")},
		{FunderID: "REGION", ViaFundID: "X1", Amount: eur("0.95")},
		{FunderID: "STATE", ViaFundID: "X1", Amount: eur("1.91")},
	}) {
		t.Fatalf("cheque attribution %+v, %v", attr, err)
	}
}

func TestProgrammeFee(t *testing.T) {
	tests := []struct {
		rate, value, want string
	}{
		{"", "10.00", "0.00"},
		{"0.04", "10.00", "0.40"},
		{"0.0425", "10.00", "0.43"}, // 0.425 rounds half away from zero
		{"0.0125", "10.00", "0.13"},
		{"0.5", "10.01", "5.01"}, // 5.005 → 5.01
		{"0.0001", "10.00", "0.00"},
	}
	for _, tt := range tests {
		p := ProgrammeState{}
		if tt.rate != "" {
			r := decimal.RequireFromString(tt.rate)
			p.OperatorFeeRate = &r
		}
		if got := p.FeeFor(eur(tt.value)); !got.Equal(eur(tt.want)) {
			t.Errorf("fee %s × %s = %s, want %s", tt.rate, tt.value, got, tt.want)
		}
	}
}
