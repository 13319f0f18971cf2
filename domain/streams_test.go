package domain

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"F1", true},
		{"3f2b8c1e-7a4d-4e0b-9c51-2f1a0e6b9d3c", true},
		{"prog_2026.63", true},
		{strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), false},
		{"", false},
		{"a b", false},
		{"a:b", false},
		{"a/b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := ValidID(tt.id); got != tt.ok {
			t.Errorf("ValidID(%q) = %v, want %v", tt.id, got, tt.ok)
		}
	}
}

func TestStreamIDs(t *testing.T) {
	tests := map[string]string{
		FunderStream("F1"):                        "funder-F1",
		FundStream("X1"):                          "fund-X1",
		ContributionStream("C1"):                  "contribution-C1",
		TerritoryStream("2A"):                     "territory-2A",
		PrescriberStream("PR1"):                   "prescriber-PR1",
		PlaceStream("L1"):                         "place-L1",
		ProgrammeStream("P1"):                     "programme-P1",
		CarnetStream("ABCD1234"):                  "carnet-ABCD1234",
		BeneficiaryStream("P1", "ab12"):           "beneficiary-P1-ab12",
		ChequeStream("ABCD1234-0157"):             "cheque-ABCD1234-0157",
		BatchStream("B1"):                         "batch-B1",
		BankLineStream("BL1"):                     "bankline-BL1",
		MovementStream(MovementReceipt, "RC1"):    "movement-receipt-RC1",
		MovementStream(MovementRepayment, "RP-1"): "movement-repayment-RP-1",
	}
	for got, want := range tests {
		if got != want {
			t.Errorf("stream id %q, want %q", got, want)
		}
	}
}

func TestInstantNormalisation(t *testing.T) {
	local := time.Date(2026, 3, 10, 11, 0, 0, 123456789, time.FixedZone("CET", 3600))
	got, err := instant("now", local)
	if err != nil || got.Location() != time.UTC || !got.Equal(time.Date(2026, 3, 10, 10, 0, 0, 123456000, time.UTC)) {
		t.Fatalf("instant = %v, %v", got, err)
	}
	if _, err := instant("now", time.Time{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("zero instant: %v", err)
	}
}

func TestCheckText(t *testing.T) {
	tests := []struct {
		s        string
		required bool
		ok       bool
	}{
		{"CCAS", true, true},
		{"", false, true},
		{"", true, false},
		{" \t", true, false},
		{"a\nb", true, false},
		{strings.Repeat("é", MaxNameLength), true, true},
		{strings.Repeat("é", MaxNameLength+1), true, false},
		{string([]byte{0xff}), true, false},
	}
	for _, tt := range tests {
		err := checkText("f", tt.s, tt.required, MaxNameLength)
		if (err == nil) != tt.ok {
			t.Errorf("checkText(%q, %v) = %v", tt.s, tt.required, err)
		}
	}
}
