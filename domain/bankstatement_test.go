package domain

import (
	"errors"
	"testing"
	"time"
)

func TestValidIBAN(t *testing.T) {
	for _, s := range []string{"FR7630006000011234567890189", "DE89370400440532013000", "GB29NWBK60161331926819", "BE68539007547034"} {
		if !ValidIBAN(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"", "FR7630006000011234567890188", "FR763000600001123456789018", "fr7630006000011234567890189",
		"FR76 3000 6000 0112 3456 7890 189", "XX00", "FR7A30006000011234567890189", "DE89370400440532013001"} {
		if ValidIBAN(s) {
			t.Errorf("%q accepted", s)
		}
	}
	if NormalizeIBAN(" fr76 3000 6000 0112 3456 7890 189 ") != "FR7630006000011234567890189" {
		t.Fatal("normalize")
	}
}

func TestValidBIC(t *testing.T) {
	for _, s := range []string{"AGRIFRPP", "BNPAFRPPXXX", "CEPAFRPP313"} {
		if !ValidBIC(s) {
			t.Errorf("%s refused", s)
		}
	}
	for _, s := range []string{"", "AGRIFRP", "AGRI1RPP", "agrifrpp", "BNPAFRPPXX"} {
		if ValidBIC(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestSetPlaceBankAccount(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	place := Fold[PlaceState]([]Event{PlaceRegistered{PlaceID: "plc_1", Name: "Médiathèque", SIRET: "73282932000074", Territory: "63"}})
	cmd := SetPlaceBankAccountCommand{PlaceID: "plc_1", IBAN: "fr76 3000 6000 0112 3456 7890 189", BIC: "agrifrpp", Now: now}
	evs, err := SetPlaceBankAccount(cmd, place)
	if err != nil || len(evs) != 1 {
		t.Fatal(evs, err)
	}
	set := evs[0].(PlaceBankAccountSet)
	if set.IBAN != "FR7630006000011234567890189" || set.BIC != "AGRIFRPP" {
		t.Fatalf("%+v", set)
	}
	place.Apply(set)
	if evs, err := SetPlaceBankAccount(cmd, place); err != nil || len(evs) != 0 {
		t.Fatalf("unchanged account: %v %v", evs, err)
	}
	bad := cmd
	bad.IBAN = "FR7630006000011234567890188"
	if _, err := SetPlaceBankAccount(bad, place); !errors.Is(err, ErrInvalidIBAN) {
		t.Fatal(err)
	}
	bad = cmd
	bad.BIC = "AGRI"
	if _, err := SetPlaceBankAccount(bad, place); !errors.Is(err, ErrInvalidBIC) {
		t.Fatal(err)
	}
	if _, err := SetPlaceBankAccount(cmd, PlaceState{}); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
}

func TestRecordBankStatement(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cmd := RecordBankStatementCommand{Format: StatementCamt05308, Account: "FR7630006000011234567890189", Reference: "STMT-2026-03",
		Lines: []StatementLine{{BankLineID: "bnk_1", MovementKind: MovementReceipt, MovementID: "rcp_1"}, {BankLineID: "bnk_2", UnmatchedReason: UnmatchedAmountDiffers}}, Now: now}
	evs, err := RecordBankStatement(cmd, BankStatementState{})
	if err != nil {
		t.Fatal(err)
	}
	ev := evs[0].(BankStatementImported)
	if ev.Matched != 1 || ev.Unmatched != 1 || ev.StatementID != StatementID(cmd.Account, cmd.Reference) {
		t.Fatalf("%+v", ev)
	}
	if StatementID("A", "B") == StatementID("AB", "") {
		t.Fatal("identity separator")
	}
	if _, err := RecordBankStatement(cmd, Fold[BankStatementState](evs)); !errors.Is(err, ErrStatementAlreadyImported) {
		t.Fatal(err)
	}
	bad := cmd
	bad.Lines = []StatementLine{{BankLineID: "bnk_3"}}
	if _, err := RecordBankStatement(bad, BankStatementState{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
	bad.Format = "mt940"
	if _, err := RecordBankStatement(bad, BankStatementState{}); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal(err)
	}
}

func TestSEPAReference(t *testing.T) {
	ref, ok := SEPAReference("bat_0K3ABCDEFGHJ")
	if !ok || ref != "bat+0K3ABCDEFGHJ" || ReferenceID(ref) != "bat_0K3ABCDEFGHJ" {
		t.Fatal(ref, ok)
	}
	if _, ok := SEPAReference("a-very-long-batch-identifier-beyond-35-chars"); ok {
		t.Fatal("long id accepted")
	}
}
