package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Advance is a treasury advance as seen on a date.
type Advance struct {
	ContributionID string       `json:"contribution_id"`
	AdvanceID      string       `json:"advance_id"`
	FunderID       string       `json:"funder_id"`
	FundID         string       `json:"fund_id,omitempty"`
	ProgrammeID    string       `json:"programme_id,omitempty"`
	Amount         domain.Money `json:"amount"`
	GrantedOn      domain.Date  `json:"granted_on"`
	// Repaid counts the repayments dated on or before the report's date.
	Repaid      domain.Money `json:"repaid"`
	Outstanding domain.Money `json:"outstanding"`
	// AgeDays is the number of days from GrantedOn to the report's date, and
	// Bucket its ageing bucket (domain.AgeingBucket: 0-90, 91-180, 181-365, 365+).
	AgeDays int    `json:"age_days"`
	Bucket  string `json:"bucket" enum:"AgeingBucket"`
}

// Advances returns the advances granted on or before asOf, with what was repaid by
// then, their age and ageing bucket on asOf, sorted by grant date then ids. With
// outstandingOnly, fully repaid advances are left out.
func Advances(ctx context.Context, q core.Querier, asOf domain.Date, outstandingOnly bool) ([]Advance, error) {
	rows, err := queries.Advances(ctx, core.ReadOnly(q), core.PgDate(asOf))
	if err != nil {
		return nil, fmt.Errorf("treasury: advances: %w", err)
	}
	out := []Advance{}
	for _, r := range rows {
		a := Advance{ContributionID: r.ContributionID, AdvanceID: r.AdvanceID, FunderID: r.FunderID, FundID: r.FundID,
			ProgrammeID: r.ProgrammeID, GrantedOn: core.DateOf(r.GrantedOn)}
		if a.Amount, err = core.MoneyOf(r.Amount); err == nil {
			a.Repaid, err = core.MoneyOf(r.Repaid)
		}
		if err != nil {
			return nil, fmt.Errorf("treasury: advances: %w", err)
		}
		a.Outstanding = a.Amount.Sub(a.Repaid)
		if outstandingOnly && !a.Outstanding.IsPositive() {
			continue
		}
		a.AgeDays = max(domain.DaysBetween(a.GrantedOn, asOf), 0)
		a.Bucket = domain.AgeingBucket(a.GrantedOn, asOf)
		out = append(out, a)
	}
	return out, nil
}

// BucketTotal is the outstanding amount of the advances of one ageing bucket.
type BucketTotal struct {
	Bucket      string       `json:"bucket" enum:"AgeingBucket"`
	Count       int          `json:"count"`
	Outstanding domain.Money `json:"outstanding"`
}

// Ageing sums advances by ageing bucket, in the order of domain.AgeingBuckets
// (every bucket listed, empty ones with zero), counting only advances with an
// outstanding amount.
func Ageing(advances []Advance) []BucketTotal {
	out := make([]BucketTotal, len(domain.AgeingBuckets))
	idx := map[string]int{}
	for i, b := range domain.AgeingBuckets {
		out[i].Bucket, idx[b] = b, i
	}
	for _, a := range advances {
		if !a.Outstanding.IsPositive() {
			continue
		}
		i := idx[a.Bucket]
		out[i].Count++
		out[i].Outstanding = out[i].Outstanding.Add(a.Outstanding)
	}
	return out
}

// BankLine is an imported bank statement line and its match.
type BankLine struct {
	BankLineID string       `json:"bank_line_id"`
	Date       domain.Date  `json:"date"`
	Amount     domain.Money `json:"amount"`
	Reference  string       `json:"reference,omitempty"`
	Label      string       `json:"label,omitempty"`
	Matched    bool         `json:"matched"`
	// MovementKind and MovementID name the expected movement it was matched to.
	MovementKind string     `json:"movement_kind,omitempty" enum:"MovementKind"`
	MovementID   string     `json:"movement_id,omitempty"`
	MatchedAt    *time.Time `json:"matched_at,omitempty"`
}

// Movement is an expected bank movement (domain.MovementKind) not matched to any
// bank line yet.
type Movement struct {
	Kind string `json:"kind" enum:"MovementKind"`
	ID   string `json:"id"`
	// Amount is as the movement's event states it (positive); SignedAmount is
	// how it should appear on the statement (+ in, − out).
	Amount       domain.Money `json:"amount"`
	SignedAmount domain.Money `json:"signed_amount"`
	Date         domain.Date  `json:"date"`
	// Reference is the contribution id (receipts, advances, repayments) or the
	// bank reference of the payment order (reimbursement payments).
	Reference string `json:"reference,omitempty"`
}

// BankReconciliation is the state of bank reconciliation, as Reconciliation returns it.
type BankReconciliation struct {
	// Lines are every imported line, matched or not, by date then id.
	Lines []BankLine `json:"lines"`
	// UnmatchedMovements are the expected movements no line was matched to, by
	// date then kind and id.
	UnmatchedMovements []Movement `json:"unmatched_movements"`

	MatchedLines           int          `json:"matched_lines"`
	UnmatchedLines         int          `json:"unmatched_lines"`
	UnmatchedLinesAmount   domain.Money `json:"unmatched_lines_amount"`
	UnmatchedMovementCount int          `json:"unmatched_movement_count"`
	// UnmatchedMovementsNet is the signed sum of the unmatched movements.
	UnmatchedMovementsNet domain.Money `json:"unmatched_movements_net"`
}

// Reconciliation returns every bank line with its match, and the expected
// movements still unmatched, with totals (signed: + money in, − money out).
func Reconciliation(ctx context.Context, q core.Querier) (BankReconciliation, error) {
	r := BankReconciliation{Lines: []BankLine{}, UnmatchedMovements: []Movement{}}
	lines, err := queries.BankLines(ctx, core.ReadOnly(q))
	if err != nil {
		return BankReconciliation{}, fmt.Errorf("treasury: reconciliation: %w", err)
	}
	for _, row := range lines {
		l := BankLine{BankLineID: row.BankLineID, Date: core.DateOf(row.ValueDate), Reference: row.Reference, Label: row.Label,
			MovementKind: row.MovementKind, MovementID: row.MovementID}
		if l.Amount, err = core.MoneyOf(row.Amount); err != nil {
			return BankReconciliation{}, fmt.Errorf("treasury: reconciliation: %w", err)
		}
		if l.Matched = l.MovementID != ""; l.Matched {
			t := core.TimeOf(row.MatchedAt)
			l.MatchedAt = &t
			r.MatchedLines++
		} else {
			r.UnmatchedLines++
			r.UnmatchedLinesAmount = r.UnmatchedLinesAmount.Add(l.Amount)
		}
		r.Lines = append(r.Lines, l)
	}
	movs, err := queries.UnmatchedMovements(ctx, core.ReadOnly(q))
	if err != nil {
		return BankReconciliation{}, fmt.Errorf("treasury: reconciliation: %w", err)
	}
	for _, row := range movs {
		m := Movement{Kind: row.Kind, ID: row.MovementID, Date: core.DateOf(row.ValueDate), Reference: row.Reference}
		if m.Amount, err = core.MoneyOf(row.Amount); err != nil {
			return BankReconciliation{}, fmt.Errorf("treasury: reconciliation: %w", err)
		}
		m.SignedAmount = domain.Movement{Kind: domain.MovementKind(m.Kind), Amount: m.Amount}.SignedAmount()
		r.UnmatchedMovementCount++
		r.UnmatchedMovementsNet = r.UnmatchedMovementsNet.Add(m.SignedAmount)
		r.UnmatchedMovements = append(r.UnmatchedMovements, m)
	}
	return r, nil
}
