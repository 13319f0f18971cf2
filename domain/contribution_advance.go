package domain

import (
	"fmt"
	"time"
)

// AdvanceGranted records a treasury advance (avance de trésorerie): cash put
// into the contribution's target by the intermediary while the funder's money
// has not arrived, to be repaid from the funder's receipts. Stream:
// ContributionStream(ContributionID).
//
// Postings: Dr cash:{target} / Cr advance:{C}:{A}.
type AdvanceGranted struct {
	ContributionID string `json:"contribution_id"`
	AdvanceID      string `json:"advance_id"`
	FunderID       string `json:"funder_id"`
	FundID         string `json:"fund_id,omitempty"`
	ProgrammeID    string `json:"programme_id,omitempty"`
	Amount         Money  `json:"amount"`
	GrantedOn      Date   `json:"granted_on"`
	// BeneficiaryOrgID is the organisation that receives the advance (the
	// structure carrying the treasury gap), optional.
	BeneficiaryOrgID string `json:"beneficiary_org_id,omitempty"`
	// DueOn is when the advance should be repaid, optional.
	DueOn      *Date     `json:"due_on,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
}

// EventType returns "AdvanceGranted".
func (AdvanceGranted) EventType() string { return "AdvanceGranted" }

// AdvanceRepaid records a (partial) repayment of a treasury advance, out of
// the contribution's receipts. Stream: ContributionStream(ContributionID).
//
// Postings: Dr advance:{C}:{A} / Cr cash:{target}.
type AdvanceRepaid struct {
	ContributionID string    `json:"contribution_id"`
	AdvanceID      string    `json:"advance_id"`
	RepaymentID    string    `json:"repayment_id"`
	FunderID       string    `json:"funder_id"`
	FundID         string    `json:"fund_id,omitempty"`
	ProgrammeID    string    `json:"programme_id,omitempty"`
	Amount         Money     `json:"amount"`
	RepaidOn       Date      `json:"repaid_on"`
	RecordedAt     time.Time `json:"recorded_at"`
}

// EventType returns "AdvanceRepaid".
func (AdvanceRepaid) EventType() string { return "AdvanceRepaid" }

// GrantAdvanceCommand grants a treasury advance against a contribution.
type GrantAdvanceCommand struct {
	ContributionID string
	AdvanceID      string
	Amount         Money
	GrantedOn      Date
	// BeneficiaryOrgID and DueOn are optional: who receives the advance and
	// when it should be repaid (DueOn not before GrantedOn).
	BeneficiaryOrgID string
	DueOn            *Date
	Now              time.Time
}

// GrantAdvance returns an AdvanceGranted for
// ContributionStream(cmd.ContributionID). Rules: the contribution is pledged
// (ErrNotFound), the advance id is new (ErrAlreadyExists), the amount is
// positive (ErrNonPositiveAmount), and it does not exceed what is still
// expected from the funder and not already advanced: pledge − received −
// outstanding advances (a *LimitError wrapping ErrAdvanceExceedsPledge).
func GrantAdvance(cmd GrantAdvanceCommand, c ContributionState) ([]Event, error) {
	if err := checkContribution(cmd.ContributionID, c); err != nil {
		return nil, err
	}
	if err := checkID("advance_id", cmd.AdvanceID); err != nil {
		return nil, err
	}
	if _, dup := c.Advance(cmd.AdvanceID); dup {
		return nil, fmt.Errorf("%w: advance %s", ErrAlreadyExists, cmd.AdvanceID)
	}
	if err := requirePositive("amount", cmd.Amount); err != nil {
		return nil, err
	}
	if err := requireDate("granted_on", cmd.GrantedOn); err != nil {
		return nil, err
	}
	if cmd.DueOn != nil && cmd.DueOn.Before(cmd.GrantedOn) {
		return nil, invalid("due_on %s is before granted_on %s", cmd.DueOn, cmd.GrantedOn)
	}
	if cmd.BeneficiaryOrgID != "" {
		if err := checkID("beneficiary_org_id", cmd.BeneficiaryOrgID); err != nil {
			return nil, err
		}
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("granted_on", cmd.GrantedOn, now); err != nil {
		return nil, err
	}
	if room := c.NotReceived().Sub(c.OutstandingAdvances()); cmd.Amount.GreaterThan(room) {
		return nil, limitErr(ErrAdvanceExceedsPledge, "contribution "+c.ContributionID, cmd.Amount, room)
	}
	return []Event{AdvanceGranted{
		ContributionID: c.ContributionID, AdvanceID: cmd.AdvanceID, FunderID: c.FunderID,
		FundID: c.FundID, ProgrammeID: c.ProgrammeID, Amount: cmd.Amount,
		GrantedOn: cmd.GrantedOn, BeneficiaryOrgID: cmd.BeneficiaryOrgID, DueOn: cmd.DueOn, RecordedAt: now,
	}}, nil
}

// RepayAdvanceCommand records a repayment of a treasury advance.
type RepayAdvanceCommand struct {
	ContributionID string
	AdvanceID      string
	RepaymentID    string
	Amount         Money
	RepaidOn       Date
	Now            time.Time
}

// RepayAdvance returns an AdvanceRepaid for
// ContributionStream(cmd.ContributionID). Rules: the contribution is pledged
// and the advance exists (ErrNotFound), the repayment id is new
// (ErrAlreadyExists), the amount is positive (ErrNonPositiveAmount), it does
// not exceed the advance's outstanding amount (*LimitError wrapping
// ErrRepaymentExceedsAdvance), and, since advances are repaid from the
// funder's receipts, the contribution's cumulative repayments do not exceed
// its receipts (*LimitError wrapping ErrRepaymentExceedsReceipts, limit =
// received − already repaid).
func RepayAdvance(cmd RepayAdvanceCommand, c ContributionState) ([]Event, error) {
	if err := checkContribution(cmd.ContributionID, c); err != nil {
		return nil, err
	}
	if err := checkID("advance_id", cmd.AdvanceID); err != nil {
		return nil, err
	}
	adv, ok := c.Advance(cmd.AdvanceID)
	if !ok {
		return nil, fmt.Errorf("%w: advance %s of contribution %s", ErrNotFound, cmd.AdvanceID, c.ContributionID)
	}
	if err := checkID("repayment_id", cmd.RepaymentID); err != nil {
		return nil, err
	}
	if c.RepaymentIDs[cmd.RepaymentID] {
		return nil, fmt.Errorf("%w: repayment %s", ErrAlreadyExists, cmd.RepaymentID)
	}
	if err := requirePositive("amount", cmd.Amount); err != nil {
		return nil, err
	}
	if err := requireDate("repaid_on", cmd.RepaidOn); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("repaid_on", cmd.RepaidOn, now); err != nil {
		return nil, err
	}
	if out := adv.Outstanding(); cmd.Amount.GreaterThan(out) {
		return nil, limitErr(ErrRepaymentExceedsAdvance, "advance "+adv.AdvanceID, cmd.Amount, out)
	}
	if room := c.Received.Sub(c.Repaid); cmd.Amount.GreaterThan(room) {
		return nil, limitErr(ErrRepaymentExceedsReceipts, "contribution "+c.ContributionID, cmd.Amount, room)
	}
	return []Event{AdvanceRepaid{
		ContributionID: c.ContributionID, AdvanceID: adv.AdvanceID, RepaymentID: cmd.RepaymentID,
		FunderID: c.FunderID, FundID: c.FundID, ProgrammeID: c.ProgrammeID, Amount: cmd.Amount,
		RepaidOn: cmd.RepaidOn, RecordedAt: now,
	}}, nil
}

// Ageing buckets of outstanding treasury advances (SPEC §3), by the number
// of days from the grant date to the reporting date.
const (
	Ageing0To90    = "0-90"
	Ageing91To180  = "91-180"
	Ageing181To365 = "181-365"
	AgeingOver365  = "365+"
)

// AgeingBuckets lists the ageing buckets in order.
var AgeingBuckets = []string{Ageing0To90, Ageing91To180, Ageing181To365, AgeingOver365}

// AgeingBucket returns the ageing bucket of an advance granted on granted,
// seen on asOf: the age is DaysBetween(granted, asOf) days; 0–90 days gives
// "0-90" (an advance dated after asOf counts as age 0), 91–180 "91-180",
// 181–365 "181-365", and 366 days or more "365+".
func AgeingBucket(granted, asOf Date) string {
	days := DaysBetween(granted, asOf)
	switch {
	case days <= 90:
		return Ageing0To90
	case days <= 180:
		return Ageing91To180
	case days <= 365:
		return Ageing181To365
	}
	return AgeingOver365
}
