package domain

import (
	"fmt"
	"time"
)

// MovementKind is the kind of an expected bank movement.
type MovementKind string

// The movement kinds and the sign they have on the bank statement.
const (
	// MovementReceipt is a ContributionReceived (id: receipt id): money in.
	MovementReceipt MovementKind = "receipt"
	// MovementReimbursementPayment is a ReimbursementBatchPaid (id: batch
	// id, amount: the batch total): money out.
	MovementReimbursementPayment MovementKind = "reimbursement_payment"
	// MovementAdvance is an AdvanceGranted (id: advance id): money out.
	// Bank lines are read from the statements of the intermediary's
	// treasury account, which carries the advances: an advance leaves it,
	// its repayment comes back.
	MovementAdvance MovementKind = "advance"
	// MovementRepayment is an AdvanceRepaid (id: repayment id): money in.
	MovementRepayment MovementKind = "repayment"
)

// MovementKinds lists the four movement kinds.
var MovementKinds = []MovementKind{MovementReceipt, MovementReimbursementPayment, MovementAdvance, MovementRepayment}

// Valid reports whether k is one of MovementKinds.
func (k MovementKind) Valid() bool { return oneOf(k, MovementKinds) }

// Inflow reports whether a movement of kind k is money in (+) on the bank
// statement: receipts and repayments are; reimbursement payments and
// advances are money out (−).
func (k MovementKind) Inflow() bool { return k == MovementReceipt || k == MovementRepayment }

// BankLineImported records one line of a bank statement: its value date,
// signed amount (+ in, − out), reference and label. Stream:
// BankLineStream(BankLineID). No postings: bank lines reconcile movements
// that already posted.
type BankLineImported struct {
	BankLineID string    `json:"bank_line_id"`
	Date       Date      `json:"date"`
	Amount     Money     `json:"amount"`
	Reference  string    `json:"reference"`
	Label      string    `json:"label"`
	ImportedAt time.Time `json:"imported_at"`
}

// EventType returns "BankLineImported".
func (BankLineImported) EventType() string { return "BankLineImported" }

// BankLineMatched records that a bank line is the given expected movement.
// Stream: BankLineStream(BankLineID). No postings.
type BankLineMatched struct {
	BankLineID   string       `json:"bank_line_id"`
	MovementKind MovementKind `json:"movement_kind"`
	MovementID   string       `json:"movement_id"`
	Amount       Money        `json:"amount"`
	MatchedAt    time.Time    `json:"matched_at"`
}

// EventType returns "BankLineMatched".
func (BankLineMatched) EventType() string { return "BankLineMatched" }

// MovementMatched records, on the movement's side, that it is matched to a
// bank line. It is the only event of MovementStream(kind, id), appended with
// expected version "no stream": a movement is matched at most once. No
// postings.
type MovementMatched struct {
	MovementKind MovementKind `json:"movement_kind"`
	MovementID   string       `json:"movement_id"`
	BankLineID   string       `json:"bank_line_id"`
	Amount       Money        `json:"amount"`
	MatchedAt    time.Time    `json:"matched_at"`
}

// EventType returns "MovementMatched".
func (MovementMatched) EventType() string { return "MovementMatched" }

// BankLineState is the fold of a bank line stream.
type BankLineState struct {
	Imported     bool
	BankLineID   string
	Date         Date
	Amount       Money
	Reference    string
	Label        string
	Matched      bool
	MovementKind MovementKind
	MovementID   string
}

// Apply folds one event into the state; other events are ignored.
func (s *BankLineState) Apply(e Event) {
	switch ev := e.(type) {
	case BankLineImported:
		s.Imported = true
		s.BankLineID, s.Date, s.Amount, s.Reference, s.Label = ev.BankLineID, ev.Date, ev.Amount, ev.Reference, ev.Label
	case BankLineMatched:
		s.Matched, s.MovementKind, s.MovementID = true, ev.MovementKind, ev.MovementID
	}
}

// MovementMatchState is the fold of a movement stream.
type MovementMatchState struct {
	Matched      bool
	MovementKind MovementKind
	MovementID   string
	BankLineID   string
}

// Apply folds one event into the state; other events are ignored.
func (s *MovementMatchState) Apply(e Event) {
	if ev, ok := e.(MovementMatched); ok {
		*s = MovementMatchState{Matched: true, MovementKind: ev.MovementKind, MovementID: ev.MovementID, BankLineID: ev.BankLineID}
	}
}

// ImportBankLineCommand imports one bank statement line.
type ImportBankLineCommand struct {
	BankLineID string
	Date       Date
	// Amount is signed: positive money in, negative money out; not zero.
	Amount Money
	// Reference and Label are optional, at most MaxNameLength characters.
	Reference string
	Label     string
	Now       time.Time
}

// ImportBankLine returns a BankLineImported for
// BankLineStream(cmd.BankLineID). Rules: ValidID, date set, non-zero amount,
// texts within bounds (ErrInvalidArgument); not imported yet
// (ErrAlreadyExists: re-importing a statement is idempotent only if the
// caller derives line ids from the statement).
func ImportBankLine(cmd ImportBankLineCommand, existing BankLineState) ([]Event, error) {
	if err := checkID("bank_line_id", cmd.BankLineID); err != nil {
		return nil, err
	}
	if existing.Imported {
		return nil, fmt.Errorf("%w: bank line %s", ErrAlreadyExists, cmd.BankLineID)
	}
	if err := requireDate("date", cmd.Date); err != nil {
		return nil, err
	}
	if cmd.Amount.IsZero() {
		return nil, invalid("bank line amount is zero")
	}
	if err := checkText("reference", cmd.Reference, false, MaxNameLength); err != nil {
		return nil, err
	}
	if err := checkText("label", cmd.Label, false, MaxNameLength); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	return []Event{BankLineImported{
		BankLineID: cmd.BankLineID, Date: cmd.Date, Amount: cmd.Amount,
		Reference: trimSpace(cmd.Reference), Label: trimSpace(cmd.Label), ImportedAt: now,
	}}, nil
}

// Movement is an expected bank movement, as the caller finds it in the
// ledger: its kind, its id (receipt, batch, advance or repayment id), its
// amount (positive, as the movement's own event says) and date.
type Movement struct {
	Kind   MovementKind
	ID     string
	Amount Money
	Date   Date
}

// SignedAmount returns the amount the movement should have on the bank
// statement: +Amount for money in, −Amount for money out.
func (m Movement) SignedAmount() Money {
	if m.Kind.Inflow() {
		return m.Amount
	}
	return m.Amount.Neg()
}

// MatchBankLineCommand matches a bank line to an expected movement.
type MatchBankLineCommand struct {
	BankLineID string
	Movement   Movement
	Now        time.Time
}

// MatchBankLine decides a match. It returns a Change for
// BankLineStream(cmd.BankLineID) with a BankLineMatched and a Change for
// MovementStream(kind, id) with a MovementMatched; the caller appends the
// latter with expected version "no stream" and passes its current state as
// movement.
//
// Rules: the line is imported (ErrNotFound) and not matched
// (ErrBankLineAlreadyMatched); the movement kind is valid, its id a ValidID
// and its amount positive (ErrInvalidArgument, ErrNonPositiveAmount); the
// movement is not matched (ErrMovementAlreadyMatched); the line's amount
// equals the movement's SignedAmount (ErrBankAmountMismatch). Dates are not
// compared: banks value movements days apart from the ledger.
func MatchBankLine(cmd MatchBankLineCommand, line BankLineState, movement MovementMatchState) ([]Change, error) {
	if err := checkID("bank_line_id", cmd.BankLineID); err != nil {
		return nil, err
	}
	if !line.Imported {
		return nil, fmt.Errorf("%w: bank line %s", ErrNotFound, cmd.BankLineID)
	}
	if line.BankLineID != cmd.BankLineID {
		return nil, invalid("bank line state is for %q, not %q", line.BankLineID, cmd.BankLineID)
	}
	if line.Matched {
		return nil, fmt.Errorf("%w: %s matched to %s %s", ErrBankLineAlreadyMatched, line.BankLineID, line.MovementKind, line.MovementID)
	}
	m := cmd.Movement
	if !m.Kind.Valid() {
		return nil, invalid("movement kind %q is not receipt, reimbursement_payment, advance or repayment", m.Kind)
	}
	if err := checkID("movement id", m.ID); err != nil {
		return nil, err
	}
	if err := requirePositive("movement amount", m.Amount); err != nil {
		return nil, err
	}
	if movement.Matched {
		return nil, fmt.Errorf("%w: %s %s matched to bank line %s", ErrMovementAlreadyMatched, m.Kind, m.ID, movement.BankLineID)
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if want := m.SignedAmount(); !line.Amount.Equal(want) {
		return nil, fmt.Errorf("%w: line %s, %s %s expects %s", ErrBankAmountMismatch, line.Amount, m.Kind, m.ID, want)
	}
	return []Change{
		{Stream: BankLineStream(line.BankLineID), Events: []Event{BankLineMatched{
			BankLineID: line.BankLineID, MovementKind: m.Kind, MovementID: m.ID, Amount: line.Amount, MatchedAt: now,
		}}},
		{Stream: MovementStream(m.Kind, m.ID), Events: []Event{MovementMatched{
			MovementKind: m.Kind, MovementID: m.ID, BankLineID: line.BankLineID, Amount: line.Amount, MatchedAt: now,
		}}},
	}, nil
}
