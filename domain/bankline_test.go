package domain

import (
	"testing"
)

func TestImportBankLine(t *testing.T) {
	tests := []struct {
		name     string
		cmd      ImportBankLineCommand
		existing BankLineState
		want     error
	}{
		{"money in", ImportBankLineCommand{BankLineID: "BL1", Date: day("2026-03-02"), Amount: eur("5000.00"), Reference: "VIR DEP63", Label: "Virement", Now: fxNow}, BankLineState{}, nil},
		{"money out", ImportBankLineCommand{BankLineID: "BL1", Date: day("2026-03-02"), Amount: eur("-30.00"), Now: fxNow}, BankLineState{}, nil},
		{"zero", ImportBankLineCommand{BankLineID: "BL1", Date: day("2026-03-02"), Now: fxNow}, BankLineState{}, ErrInvalidArgument},
		{"no date", ImportBankLineCommand{BankLineID: "BL1", Amount: eur("1.00"), Now: fxNow}, BankLineState{}, ErrInvalidArgument},
		{"already imported", ImportBankLineCommand{BankLineID: "BL1", Date: day("2026-03-02"), Amount: eur("1.00"), Now: fxNow}, BankLineState{Imported: true}, ErrAlreadyExists},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := ImportBankLine(tt.cmd, tt.existing)
			checkErr(t, err, tt.want)
			if err == nil {
				if s := Fold[BankLineState](evs); !s.Imported || !s.Amount.Equal(tt.cmd.Amount) || Postings(evs[0]) != nil {
					t.Fatalf("state %+v", s)
				}
			}
		})
	}
}

func TestMatchBankLine(t *testing.T) {
	line := func(amount string) BankLineState {
		return Fold[BankLineState]([]Event{BankLineImported{BankLineID: "BL1", Date: day("2026-03-02"), Amount: eur(amount)}})
	}
	matched := Fold[BankLineState]([]Event{BankLineImported{BankLineID: "BL1", Amount: eur("10.00")}, BankLineMatched{BankLineID: "BL1", MovementKind: MovementReceipt, MovementID: "RC0"}})
	mv := func(kind MovementKind, amount string) Movement {
		return Movement{Kind: kind, ID: "M1", Amount: eur(amount), Date: day("2026-03-01")}
	}
	tests := []struct {
		name     string
		line     BankLineState
		movement Movement
		state    MovementMatchState
		want     error
	}{
		{"receipt in", line("5000.00"), mv(MovementReceipt, "5000.00"), MovementMatchState{}, nil},
		{"repayment in", line("200.00"), mv(MovementRepayment, "200.00"), MovementMatchState{}, nil},
		{"payment out", line("-30.00"), mv(MovementReimbursementPayment, "30.00"), MovementMatchState{}, nil},
		{"advance out", line("-600.00"), mv(MovementAdvance, "600.00"), MovementMatchState{}, nil},
		{"receipt with a wrong sign", line("-5000.00"), mv(MovementReceipt, "5000.00"), MovementMatchState{}, ErrBankAmountMismatch},
		{"payment with a wrong sign", line("30.00"), mv(MovementReimbursementPayment, "30.00"), MovementMatchState{}, ErrBankAmountMismatch},
		{"amount off by a cent", line("4999.99"), mv(MovementReceipt, "5000.00"), MovementMatchState{}, ErrBankAmountMismatch},
		{"line matched twice", matched, mv(MovementReceipt, "10.00"), MovementMatchState{}, ErrBankLineAlreadyMatched},
		{"movement matched twice", line("10.00"), mv(MovementReceipt, "10.00"), MovementMatchState{Matched: true, BankLineID: "BL0"}, ErrMovementAlreadyMatched},
		{"unknown line", BankLineState{}, mv(MovementReceipt, "10.00"), MovementMatchState{}, ErrNotFound},
		{"unknown kind", line("10.00"), mv("fee", "10.00"), MovementMatchState{}, ErrInvalidArgument},
		{"negative movement amount", line("10.00"), mv(MovementReceipt, "-10.00"), MovementMatchState{}, ErrNonPositiveAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changes, err := MatchBankLine(MatchBankLineCommand{BankLineID: "BL1", Movement: tt.movement, Now: fxNow}, tt.line, tt.state)
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			if len(changes) != 2 || changes[0].Stream != "bankline-BL1" || changes[1].Stream != MovementStream(tt.movement.Kind, "M1") {
				t.Fatalf("changes %+v", changes)
			}
			after := tt.line
			after.Apply(changes[0].Events[0])
			m := Fold[MovementMatchState](changes[1].Events)
			if !after.Matched || after.MovementID != "M1" || !m.Matched || m.BankLineID != "BL1" {
				t.Fatalf("states %+v %+v", after, m)
			}
		})
	}
}
