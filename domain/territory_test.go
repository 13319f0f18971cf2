package domain

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
)

func TestValidDepartementCode(t *testing.T) {
	valid := []string{"01", "09", "19", "21", "63", "75", "95", "2A", "2B", "971", "972", "973", "974", "975", "976"}
	invalid := []string{"", "0", "00", "1", "20", "96", "99", "2a", "2C", "970", "977", "063", "6", "A1", "9 7", "98", "100"}
	for _, c := range valid {
		if !ValidDepartementCode(c) {
			t.Errorf("%q should be valid", c)
		}
	}
	for _, c := range invalid {
		if ValidDepartementCode(c) {
			t.Errorf("%q should be invalid", c)
		}
	}
}

func TestRecordTerritoryNeed(t *testing.T) {
	ok := RecordTerritoryNeedCommand{Code: "63", Population: 662152, FragilityRate: decimal.RequireFromString("0.17"), Source: "INSEE 2021", AsOf: day("2026-01-01"), Now: fxNow}
	tests := []struct {
		name string
		mod  func(*RecordTerritoryNeedCommand)
		want error
	}{
		{"accepted", func(*RecordTerritoryNeedCommand) {}, nil},
		{"rate 0", func(c *RecordTerritoryNeedCommand) { c.FragilityRate = decimal.Zero }, nil},
		{"rate 1", func(c *RecordTerritoryNeedCommand) { c.FragilityRate = decimal.NewFromInt(1) }, nil},
		{"rate above 1", func(c *RecordTerritoryNeedCommand) { c.FragilityRate = decimal.RequireFromString("1.01") }, ErrInvalidArgument},
		{"negative rate", func(c *RecordTerritoryNeedCommand) { c.FragilityRate = decimal.RequireFromString("-0.1") }, ErrInvalidArgument},
		{"too precise rate", func(c *RecordTerritoryNeedCommand) { c.FragilityRate = decimal.RequireFromString("0.1234567") }, ErrInvalidArgument},
		{"zero population", func(c *RecordTerritoryNeedCommand) { c.Population = 0 }, ErrInvalidArgument},
		{"negative population", func(c *RecordTerritoryNeedCommand) { c.Population = -5 }, ErrInvalidArgument},
		{"code 20", func(c *RecordTerritoryNeedCommand) { c.Code = "20" }, ErrInvalidTerritory},
		{"no source", func(c *RecordTerritoryNeedCommand) { c.Source = "" }, ErrInvalidArgument},
		{"no date", func(c *RecordTerritoryNeedCommand) { c.AsOf = Date{} }, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := RecordTerritoryNeed(cmd, TerritoryState{})
			checkErr(t, err, tt.want)
			if err == nil {
				ev := evs[0].(TerritoryNeedRecorded)
				if !ev.Need.Equal(decimal.NewFromInt(cmd.Population).Mul(cmd.FragilityRate)) {
					t.Fatalf("need %s", ev.Need)
				}
			}
		})
	}
}

func TestTerritoryStateKeepsLatestRecord(t *testing.T) {
	rec := func(asOf string, pop int64) Event {
		evs, err := RecordTerritoryNeed(RecordTerritoryNeedCommand{Code: "63", Population: pop, FragilityRate: decimal.RequireFromString("0.2"), Source: "s", AsOf: day(asOf), Now: fxNow}, TerritoryState{})
		if err != nil {
			t.Fatal(err)
		}
		return evs[0]
	}
	s := Fold[TerritoryState]([]Event{rec("2025-01-01", 100), rec("2026-01-01", 200), rec("2024-01-01", 50)})
	if s.Population != 200 || s.Records != 3 || s.AsOf != day("2026-01-01") {
		t.Fatalf("state %+v", s)
	}
	if _, err := RecordTerritoryNeed(RecordTerritoryNeedCommand{Code: "15", Population: 1, FragilityRate: decimal.Zero, Source: "s", AsOf: day("2026-01-01"), Now: fxNow}, s); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("state/code mismatch: %v", err)
	}
}
