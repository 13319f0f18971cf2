package domain

import (
	"fmt"
	"time"
)

// ContributionPledged records a funder's pledge (engagement) of Amount to
// exactly one target: a support fund (FundID) or a programme (ProgrammeID).
// Stream: ContributionStream(ContributionID).
//
// Postings: Dr funder:{F}:receivable:{C} / Cr fund:{X}:unallocated (fund
// target) or programme:{P}:funding (programme target).
type ContributionPledged struct {
	ContributionID string    `json:"contribution_id"`
	FunderID       string    `json:"funder_id"`
	FundID         string    `json:"fund_id,omitempty"`
	ProgrammeID    string    `json:"programme_id,omitempty"`
	Amount         Money     `json:"amount"`
	PledgedOn      Date      `json:"pledged_on"`
	RecordedAt     time.Time `json:"recorded_at"`
}

// EventType returns "ContributionPledged".
func (ContributionPledged) EventType() string { return "ContributionPledged" }

// ContributionReceived records money actually received (encaissement) on a
// contribution. The funder and target are copied from the pledge so that the
// event is self-contained. Stream: ContributionStream(ContributionID).
//
// Postings: Dr cash:{target} / Cr funder:{F}:receivable:{C}.
type ContributionReceived struct {
	ContributionID string `json:"contribution_id"`
	ReceiptID      string `json:"receipt_id"`
	FunderID       string `json:"funder_id"`
	FundID         string `json:"fund_id,omitempty"`
	ProgrammeID    string `json:"programme_id,omitempty"`
	Amount         Money  `json:"amount"`
	ReceivedOn     Date   `json:"received_on"`
	// BankReference is the bank's reference of the transfer, used to match
	// bank statement lines (optional).
	BankReference string    `json:"bank_reference,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
}

// EventType returns "ContributionReceived".
func (ContributionReceived) EventType() string { return "ContributionReceived" }

// ContributionState is the fold of a contribution stream: the pledge, what
// was received, and the treasury advances granted against it.
type ContributionState struct {
	Pledged        bool
	ContributionID string
	FunderID       string
	FundID         string
	ProgrammeID    string
	Pledge         Money
	PledgedOn      Date
	// Received is the sum of the receipts.
	Received Money
	// ReceiptIDs holds the ids of the receipts recorded.
	ReceiptIDs map[string]bool
	// Advances are the treasury advances in the order they were granted.
	Advances []AdvanceState
	// Repaid is the sum of all repayments of all advances.
	Repaid Money
	// RepaymentIDs holds the ids of the repayments recorded.
	RepaymentIDs map[string]bool
}

// AdvanceState is one treasury advance of a contribution.
type AdvanceState struct {
	AdvanceID string
	Amount    Money
	Repaid    Money
	GrantedOn Date
}

// Outstanding returns the part of the advance not yet repaid.
func (a AdvanceState) Outstanding() Money { return a.Amount.Sub(a.Repaid) }

// Apply folds one event into the state; other events are ignored.
func (s *ContributionState) Apply(e Event) {
	switch ev := e.(type) {
	case ContributionPledged:
		s.Pledged = true
		s.ContributionID, s.FunderID, s.FundID, s.ProgrammeID = ev.ContributionID, ev.FunderID, ev.FundID, ev.ProgrammeID
		s.Pledge, s.PledgedOn = ev.Amount, ev.PledgedOn
	case ContributionReceived:
		s.Received = s.Received.Add(ev.Amount)
		if s.ReceiptIDs == nil {
			s.ReceiptIDs = map[string]bool{}
		}
		s.ReceiptIDs[ev.ReceiptID] = true
	case AdvanceGranted:
		s.Advances = append(s.Advances, AdvanceState{AdvanceID: ev.AdvanceID, Amount: ev.Amount, GrantedOn: ev.GrantedOn})
	case AdvanceRepaid:
		s.Repaid = s.Repaid.Add(ev.Amount)
		if s.RepaymentIDs == nil {
			s.RepaymentIDs = map[string]bool{}
		}
		s.RepaymentIDs[ev.RepaymentID] = true
		for i := range s.Advances {
			if s.Advances[i].AdvanceID == ev.AdvanceID {
				s.Advances[i].Repaid = s.Advances[i].Repaid.Add(ev.Amount)
				break
			}
		}
	}
}

// Advance returns the advance with the given id, if any.
func (s ContributionState) Advance(id string) (AdvanceState, bool) {
	for _, a := range s.Advances {
		if a.AdvanceID == id {
			return a, true
		}
	}
	return AdvanceState{}, false
}

// OutstandingAdvances returns the sum of the advances not yet repaid.
func (s ContributionState) OutstandingAdvances() Money {
	var sum Money
	for _, a := range s.Advances {
		sum = sum.Add(a.Outstanding())
	}
	return sum
}

// NotReceived returns the part of the pledge not received yet.
func (s ContributionState) NotReceived() Money { return s.Pledge.Sub(s.Received) }

// CashAccount returns the ring-fenced cash account of the contribution's
// target: cash:programme:{P} or cash:fund:{X}.
func (s ContributionState) CashAccount() string { return cashAccountOf(s.FundID, s.ProgrammeID) }

// PledgeContributionCommand pledges a contribution.
type PledgeContributionCommand struct {
	ContributionID string
	FunderID       string
	// Exactly one of FundID and ProgrammeID names the target.
	FundID      string
	ProgrammeID string
	// Amount must be positive.
	Amount    Money
	PledgedOn Date
	Now       time.Time
}

// PledgeContribution returns a ContributionPledged for
// ContributionStream(cmd.ContributionID). Rules: ValidIDs and exactly one of
// FundID / ProgrammeID (ErrInvalidArgument), positive amount
// (ErrNonPositiveAmount), the funder registered (ErrNotFound; funder is the
// state of FunderStream(cmd.FunderID)), the contribution not pledged yet
// (ErrAlreadyExists). The target's existence is the caller's check.
func PledgeContribution(cmd PledgeContributionCommand, existing ContributionState, funder FunderState) ([]Event, error) {
	if err := checkID("contribution_id", cmd.ContributionID); err != nil {
		return nil, err
	}
	if existing.Pledged {
		return nil, fmt.Errorf("%w: contribution %s", ErrAlreadyExists, cmd.ContributionID)
	}
	if err := checkID("funder_id", cmd.FunderID); err != nil {
		return nil, err
	}
	if !funder.Registered || funder.FunderID != cmd.FunderID {
		return nil, fmt.Errorf("%w: funder %s", ErrNotFound, cmd.FunderID)
	}
	if (cmd.FundID == "") == (cmd.ProgrammeID == "") {
		return nil, invalid("a contribution targets exactly one of fund_id and programme_id")
	}
	if cmd.FundID != "" {
		if err := checkID("fund_id", cmd.FundID); err != nil {
			return nil, err
		}
	} else if err := checkID("programme_id", cmd.ProgrammeID); err != nil {
		return nil, err
	}
	if err := requirePositive("amount", cmd.Amount); err != nil {
		return nil, err
	}
	if err := requireDate("pledged_on", cmd.PledgedOn); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("pledged_on", cmd.PledgedOn, now); err != nil {
		return nil, err
	}
	return []Event{ContributionPledged{
		ContributionID: cmd.ContributionID, FunderID: cmd.FunderID, FundID: cmd.FundID,
		ProgrammeID: cmd.ProgrammeID, Amount: cmd.Amount, PledgedOn: cmd.PledgedOn, RecordedAt: now,
	}}, nil
}

// RecordReceiptCommand records money received on a contribution.
type RecordReceiptCommand struct {
	ContributionID string
	ReceiptID      string
	Amount         Money
	ReceivedOn     Date
	// BankReference is the transfer's bank reference (optional, at most 140
	// characters).
	BankReference string
	Now           time.Time
}

// RecordReceipt returns a ContributionReceived for
// ContributionStream(cmd.ContributionID). Rules: the contribution is pledged
// (ErrNotFound), the receipt id is new (ErrAlreadyExists), the amount is
// positive (ErrNonPositiveAmount), and the receipts never exceed the pledge
// (a *LimitError wrapping ErrReceiptExceedsPledge, limit = pledge −
// received).
func RecordReceipt(cmd RecordReceiptCommand, c ContributionState) ([]Event, error) {
	if err := checkContribution(cmd.ContributionID, c); err != nil {
		return nil, err
	}
	if err := checkID("receipt_id", cmd.ReceiptID); err != nil {
		return nil, err
	}
	if c.ReceiptIDs[cmd.ReceiptID] {
		return nil, fmt.Errorf("%w: receipt %s", ErrAlreadyExists, cmd.ReceiptID)
	}
	if err := requirePositive("amount", cmd.Amount); err != nil {
		return nil, err
	}
	if err := requireDate("received_on", cmd.ReceivedOn); err != nil {
		return nil, err
	}
	if err := checkText("bank_reference", cmd.BankReference, false, 140); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("received_on", cmd.ReceivedOn, now); err != nil {
		return nil, err
	}
	if left := c.NotReceived(); cmd.Amount.GreaterThan(left) {
		return nil, limitErr(ErrReceiptExceedsPledge, "contribution "+c.ContributionID, cmd.Amount, left)
	}
	return []Event{ContributionReceived{
		ContributionID: c.ContributionID, ReceiptID: cmd.ReceiptID, FunderID: c.FunderID,
		FundID: c.FundID, ProgrammeID: c.ProgrammeID, Amount: cmd.Amount,
		ReceivedOn: cmd.ReceivedOn, BankReference: cmd.BankReference, RecordedAt: now,
	}}, nil
}

func checkContribution(id string, c ContributionState) error {
	if err := checkID("contribution_id", id); err != nil {
		return err
	}
	if !c.Pledged {
		return fmt.Errorf("%w: contribution %s", ErrNotFound, id)
	}
	if c.ContributionID != id {
		return invalid("contribution state is for %q, not %q", c.ContributionID, id)
	}
	return nil
}

func requirePositive(field string, m Money) error {
	if !m.IsPositive() {
		return fmt.Errorf("%w: %s %s", ErrNonPositiveAmount, field, m)
	}
	return nil
}

func cashAccountOf(fundID, programmeID string) string {
	if fundID != "" {
		return AccountFundCash(fundID)
	}
	return AccountProgrammeCash(programmeID)
}
