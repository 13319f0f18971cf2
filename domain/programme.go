package domain

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// Programme defaults and bounds.
const (
	// DefaultChequesPerCarnet is the usual carnet size (SPEC §1: 10 cheques,
	// sometimes 5).
	DefaultChequesPerCarnet = 10
	// MaxChequesPerCarnet bounds a carnet's size: any size from 1 to 50 is
	// accepted (5 and 10 are the usual ones; large carnets serve collective
	// workshops and load tests), so that a serial's cheque index always fits
	// two digits.
	MaxChequesPerCarnet = 50
	// DefaultGraceDays is the grace period after the validity end during
	// which cheques may still be redeemed (SPEC §3: one month by default).
	DefaultGraceDays = 31
	// MaxGraceDays bounds the grace period.
	MaxGraceDays = 366
	// MaxFeeRateDecimals bounds the precision of an operator fee rate
	// (0.0425 is 4.25 %).
	MaxFeeRateDecimals = 4
)

// DefaultChequeValue is a cheque's face value unless the programme says
// otherwise: 10.00 euros.
var DefaultChequeValue = Cents(1000)

// MaxOperatorFeeRate is the highest operator fee rate a programme may set.
var MaxOperatorFeeRate = decimal.RequireFromString("0.5")

// FundingLine is one funding line of a programme as declared: either a
// funder's own money (FunderID) or a fund's allocation to the programme's
// territory (FundID), for Amount.
type FundingLine struct {
	FunderID string `json:"funder_id,omitempty"`
	FundID   string `json:"fund_id,omitempty"`
	Amount   Money  `json:"amount"`
}

// ProgrammeCreated creates a programme (e.g. "Pass numérique Puy-de-Dôme
// 2026"): its territory, the validity window of its cheques and the grace
// period after it, the cheque value and carnet size, the operator fee rate
// if any, whether places outside the territory may redeem, the funding lines
// as declared, and Funders, the lines flattened to funders (fund lines
// replaced by their FundDrawn attribution) that every cheque value is
// attributed to. Stream: ProgrammeStream(ProgrammeID). No money moves: direct
// funders fund the programme by pledging contributions to it, fund lines by
// the FundDrawn events appended with this one.
type ProgrammeCreated struct {
	ProgrammeID           string           `json:"programme_id"`
	Name                  string           `json:"name"`
	Territory             string           `json:"territory"`
	ValidFrom             Date             `json:"valid_from"`
	ValidUntil            Date             `json:"valid_until"`
	GraceDays             int              `json:"grace_days"`
	ChequeValue           Money            `json:"cheque_value"`
	ChequesPerCarnet      int              `json:"cheques_per_carnet"`
	OperatorFeeRate       *decimal.Decimal `json:"operator_fee_rate,omitempty"`
	AllowOutsideTerritory bool             `json:"allow_outside_territory"`
	FundingLines          []FundingLine    `json:"funding_lines"`
	Funders               []FunderShare    `json:"funders"`
	TotalFunding          Money            `json:"total_funding"`
	CreatedAt             time.Time        `json:"created_at"`
}

// EventType returns "ProgrammeCreated".
func (ProgrammeCreated) EventType() string { return "ProgrammeCreated" }

// ProgrammeState is the fold of a programme stream.
type ProgrammeState struct {
	Created               bool
	ProgrammeID           string
	Name                  string
	Territory             string
	ValidFrom             Date
	ValidUntil            Date
	GraceDays             int
	ChequeValue           Money
	ChequesPerCarnet      int
	OperatorFeeRate       *decimal.Decimal
	AllowOutsideTerritory bool
	FundingLines          []FundingLine
	Funders               []FunderShare
	TotalFunding          Money
	// Minted is the face value of all cheques minted.
	Minted Money
	// CarnetIDs lists the minted carnets in minting order; a carnet's index
	// in it is its ordinal.
	CarnetIDs []string
	// CarnetOrdinals maps a carnet id to its ordinal.
	CarnetOrdinals map[string]int
	Closed         bool
	ClosedOn       Date
}

// Apply folds one event into the state; other events are ignored.
func (s *ProgrammeState) Apply(e Event) {
	switch ev := e.(type) {
	case ProgrammeCreated:
		s.Created = true
		s.ProgrammeID, s.Name, s.Territory = ev.ProgrammeID, ev.Name, ev.Territory
		s.ValidFrom, s.ValidUntil, s.GraceDays = ev.ValidFrom, ev.ValidUntil, ev.GraceDays
		s.ChequeValue, s.ChequesPerCarnet = ev.ChequeValue, ev.ChequesPerCarnet
		s.OperatorFeeRate, s.AllowOutsideTerritory = ev.OperatorFeeRate, ev.AllowOutsideTerritory
		s.FundingLines = append([]FundingLine(nil), ev.FundingLines...)
		s.Funders = append([]FunderShare(nil), ev.Funders...)
		s.TotalFunding = ev.TotalFunding
	case CarnetsMinted:
		if s.CarnetOrdinals == nil {
			s.CarnetOrdinals = map[string]int{}
		}
		for _, id := range ev.CarnetIDs {
			s.CarnetOrdinals[id] = len(s.CarnetIDs)
			s.CarnetIDs = append(s.CarnetIDs, id)
		}
		s.Minted = s.Minted.Add(ev.Value)
	case ProgrammeClosed:
		s.Closed, s.ClosedOn = true, ev.ClosedOn
	}
}

// LastRedeemableDay returns the last session date a cheque may be redeemed
// for: ValidUntil plus GraceDays.
func (s ProgrammeState) LastRedeemableDay() Date { return s.ValidUntil.AddDays(s.GraceDays) }

// CarnetValue returns the face value of one carnet.
func (s ProgrammeState) CarnetValue() Money { return s.ChequeValue.MulInt(int64(s.ChequesPerCarnet)) }

// Unminted returns the funding not yet turned into cheques.
func (s ProgrammeState) Unminted() Money { return s.TotalFunding.Sub(s.Minted) }

// Serials returns the serial of every cheque minted, carnet by carnet in
// minting order, cheques in index order. (Carnet ids that are not valid, which
// only a corrupt history could hold, are skipped.)
func (s ProgrammeState) Serials() []string {
	per := min(max(s.ChequesPerCarnet, 0), MaxChequesPerCarnet)
	out := make([]string, 0, len(s.CarnetIDs)*per)
	for _, id := range s.CarnetIDs {
		if !ValidCarnetID(id) {
			continue
		}
		for i := 1; i <= per; i++ {
			out = append(out, SerialFor(id, i))
		}
	}
	return out
}

// FeeFor returns the operator fee on a cheque of value v: v × rate rounded
// half away from zero to the cent, or 0.00 without a fee rate.
func (s ProgrammeState) FeeFor(v Money) Money {
	if s.OperatorFeeRate == nil || s.OperatorFeeRate.IsZero() {
		return Money{}
	}
	fee, err := NewMoneyFromDecimal(v.Decimal().Mul(*s.OperatorFeeRate).Round(2))
	if err != nil { // only for absurd magnitudes from a hand-made state
		return Money{}
	}
	return fee
}

func checkProgramme(id string, p ProgrammeState) error {
	if err := checkID("programme_id", id); err != nil {
		return err
	}
	if !p.Created {
		return fmt.Errorf("%w: programme %s", ErrNotFound, id)
	}
	if p.ProgrammeID != id {
		return invalid("programme state is for %q, not %q", p.ProgrammeID, id)
	}
	if p.ChequesPerCarnet < 1 || p.ChequesPerCarnet > MaxChequesPerCarnet {
		return invalid("programme %s has %d cheques per carnet", id, p.ChequesPerCarnet)
	}
	return nil
}

// CreateProgrammeCommand creates a programme.
type CreateProgrammeCommand struct {
	ProgrammeID string
	Name        string
	// Territory is the programme's département.
	Territory string
	// ValidFrom and ValidUntil bound the sessions cheques may pay for
	// (inclusive), ValidFrom <= ValidUntil.
	ValidFrom  Date
	ValidUntil Date
	// GraceDays is the grace period after ValidUntil; nil means
	// DefaultGraceDays; 0..MaxGraceDays.
	GraceDays *int
	// ChequeValue is each cheque's face value; zero means
	// DefaultChequeValue; otherwise positive.
	ChequeValue Money
	// ChequesPerCarnet is the carnet size; 0 means DefaultChequesPerCarnet;
	// otherwise 1..MaxChequesPerCarnet.
	ChequesPerCarnet int
	// OperatorFeeRate is the optional operator fee, a rate of cheque value in
	// [0, 0.5] with at most 4 decimals, paid by the funders on top of each
	// redeemed cheque. nil or zero: no fee.
	OperatorFeeRate *decimal.Decimal
	// AllowOutsideTerritory lets places outside Territory redeem.
	AllowOutsideTerritory bool
	// FundingLines: at least one; each names exactly one of FunderID and
	// FundID with a positive amount; a funder or a fund appears once.
	FundingLines []FundingLine
	Now          time.Time
}

// FundLineSource is what CreateProgramme needs for a fund funding line: the
// fund's state and its contributors' receipts (see DrawFundCommand).
type FundLineSource struct {
	Fund         FundState
	Contributors []ContributorReceipt
}

// CreateProgramme decides the creation of a programme. It returns a Change
// for ProgrammeStream(cmd.ProgrammeID) with a ProgrammeCreated, followed, for
// each fund funding line in order, by a Change for FundStream(fund id) with
// the FundDrawn taking the line from the fund's allocation to the
// programme's territory; funds maps each fund id of a line to its state and
// contributors. The programme's Funders are the funder lines as they are
// ({FunderID, Amount}) and the fund lines replaced by their draw's
// attribution ({FunderID, ViaFundID, Amount} per contributor), in line order.
//
// Rules: the programme does not exist (ErrAlreadyExists); ValidID, non-empty
// name, ValidFrom <= ValidUntil, grace days, carnet size and fee rate within
// bounds (ErrInvalidArgument); territory a département
// (ErrInvalidTerritory); positive cheque value (ErrNonPositiveAmount);
// funding lines well formed and not repeated (ErrInvalidFundingLine); a fund
// line's fund known (ErrNotFound) and its draw valid (see DrawFund:
// ErrFundAllocationExceeded, ErrTerritoryNotInFund, ErrFundHasNoReceipts).
// The existence of a line's funder is the caller's check.
func CreateProgramme(cmd CreateProgrammeCommand, existing ProgrammeState, funds map[string]FundLineSource) ([]Change, error) {
	if err := checkID("programme_id", cmd.ProgrammeID); err != nil {
		return nil, err
	}
	if existing.Created {
		return nil, fmt.Errorf("%w: programme %s", ErrAlreadyExists, cmd.ProgrammeID)
	}
	if err := checkText("name", cmd.Name, true, MaxNameLength); err != nil {
		return nil, err
	}
	if err := checkTerritory("territory", cmd.Territory); err != nil {
		return nil, err
	}
	if err := requireDate("valid_from", cmd.ValidFrom); err != nil {
		return nil, err
	}
	if err := requireDate("valid_until", cmd.ValidUntil); err != nil {
		return nil, err
	}
	if cmd.ValidUntil.Before(cmd.ValidFrom) {
		return nil, invalid("valid_until %s is before valid_from %s", cmd.ValidUntil, cmd.ValidFrom)
	}
	grace := DefaultGraceDays
	if cmd.GraceDays != nil {
		grace = *cmd.GraceDays
	}
	if grace < 0 || grace > MaxGraceDays {
		return nil, invalid("grace days %d not in [0, %d]", grace, MaxGraceDays)
	}
	value := cmd.ChequeValue
	if value.IsZero() {
		value = DefaultChequeValue
	}
	if err := requirePositive("cheque value", value); err != nil {
		return nil, err
	}
	perCarnet := cmd.ChequesPerCarnet
	if perCarnet == 0 {
		perCarnet = DefaultChequesPerCarnet
	}
	if perCarnet < 1 || perCarnet > MaxChequesPerCarnet {
		return nil, invalid("cheques per carnet %d not in [1, %d]", perCarnet, MaxChequesPerCarnet)
	}
	var feeRate *decimal.Decimal
	if cmd.OperatorFeeRate != nil && !cmd.OperatorFeeRate.IsZero() {
		if err := checkRate("operator fee rate", *cmd.OperatorFeeRate, MaxOperatorFeeRate, MaxFeeRateDecimals); err != nil {
			return nil, err
		}
		r := *cmd.OperatorFeeRate
		feeRate = &r
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if len(cmd.FundingLines) == 0 {
		return nil, fmt.Errorf("%w: a programme needs at least one funding line", ErrInvalidFundingLine)
	}
	seenFunder, seenFund := map[string]bool{}, map[string]bool{}
	var (
		total   Money
		funders []FunderShare
		draws   []Change
	)
	for i, l := range cmd.FundingLines {
		if (l.FunderID == "") == (l.FundID == "") {
			return nil, fmt.Errorf("%w: line %d must name exactly one of funder_id and fund_id", ErrInvalidFundingLine, i+1)
		}
		if !l.Amount.IsPositive() {
			return nil, fmt.Errorf("%w: line %d amount %s is not positive", ErrInvalidFundingLine, i+1, l.Amount)
		}
		total = total.Add(l.Amount)
		if l.FunderID != "" {
			if !ValidID(l.FunderID) || seenFunder[l.FunderID] {
				return nil, fmt.Errorf("%w: line %d funder %q invalid or repeated", ErrInvalidFundingLine, i+1, l.FunderID)
			}
			seenFunder[l.FunderID] = true
			funders = append(funders, FunderShare{FunderID: l.FunderID, Amount: l.Amount})
			continue
		}
		if !ValidID(l.FundID) || seenFund[l.FundID] {
			return nil, fmt.Errorf("%w: line %d fund %q invalid or repeated", ErrInvalidFundingLine, i+1, l.FundID)
		}
		seenFund[l.FundID] = true
		src, ok := funds[l.FundID]
		if !ok {
			return nil, fmt.Errorf("%w: fund %s", ErrNotFound, l.FundID)
		}
		drawn, err := drawFund(DrawFundCommand{
			FundID: l.FundID, ProgrammeID: cmd.ProgrammeID, Territory: cmd.Territory,
			Amount: l.Amount, Contributors: src.Contributors, Now: now,
		}, src.Fund)
		if err != nil {
			return nil, fmt.Errorf("funding line %d: %w", i+1, err)
		}
		funders = append(funders, drawn.Attribution...)
		draws = append(draws, Change{Stream: FundStream(l.FundID), Events: []Event{drawn}})
	}
	created := ProgrammeCreated{
		ProgrammeID: cmd.ProgrammeID, Name: trimSpace(cmd.Name), Territory: cmd.Territory,
		ValidFrom: cmd.ValidFrom, ValidUntil: cmd.ValidUntil, GraceDays: grace,
		ChequeValue: value, ChequesPerCarnet: perCarnet, OperatorFeeRate: feeRate,
		AllowOutsideTerritory: cmd.AllowOutsideTerritory,
		FundingLines:          append([]FundingLine(nil), cmd.FundingLines...),
		Funders:               funders, TotalFunding: total, CreatedAt: now,
	}
	return append([]Change{{Stream: ProgrammeStream(cmd.ProgrammeID), Events: []Event{created}}}, draws...), nil
}
