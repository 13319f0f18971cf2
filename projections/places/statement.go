package places

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Redemption statuses on a statement.
const (
	// StatusOwed: redeemed, not in a reimbursement batch yet (place:L:payable).
	StatusOwed = "owed"
	// StatusBatched: claimed by a batch not paid yet (place:L:batched).
	StatusBatched = "batched"
	// StatusPaid: its batch was paid.
	StatusPaid = "paid"
	// StatusReversed: the place reversed it; nothing is owed for it.
	StatusReversed = "reversed"
)

// Statuses lists the redemption statuses of a statement.
var Statuses = []string{StatusOwed, StatusBatched, StatusPaid, StatusReversed}

// Report is a place statement, as Statement returns it: what a labelled place is owed and was paid, redemption by
// redemption and batch by batch: the proof of its claims that does not depend on
// the operator.
type Report struct {
	PlaceID     string `json:"place_id"`
	Name        string `json:"name"`
	SIRET       string `json:"siret"`
	Territory   string `json:"territory"`
	LabelStatus string `json:"label_status" enum:"LabelStatus"`
	// Owed + Batched is what the place is still to be paid.
	Owed     domain.Money `json:"owed"`
	Batched  domain.Money `json:"batched"`
	Paid     domain.Money `json:"paid"`
	Reversed domain.Money `json:"reversed"`
	Counts   Counts       `json:"counts"`
	// Redemptions in the order they were redeemed.
	Redemptions []Redemption `json:"redemptions"`
	// Batches that paid (or will pay) the place, by creation.
	Batches []BatchLine `json:"batches"`
}

// Counts counts a statement's redemptions by status.
type Counts struct {
	Owed     int `json:"owed"`
	Batched  int `json:"batched"`
	Paid     int `json:"paid"`
	Reversed int `json:"reversed"`
}

// Redemption is one line of a statement.
type Redemption struct {
	RedemptionID string       `json:"redemption_id"`
	Serial       string       `json:"serial"`
	ProgrammeID  string       `json:"programme_id"`
	SessionDate  domain.Date  `json:"session_date"`
	RedeemedAt   time.Time    `json:"redeemed_at"`
	Amount       domain.Money `json:"amount"`
	Status       string       `json:"status" enum:"StatementStatus"`
	BatchID      string       `json:"batch_id,omitempty"`
	PaidOn       *domain.Date `json:"paid_on,omitempty"`
	ReversedAt   *time.Time   `json:"reversed_at,omitempty"`
}

// BatchLine is the place's line of one reimbursement batch.
type BatchLine struct {
	BatchID       string       `json:"batch_id"`
	CutOff        domain.Date  `json:"cut_off"`
	CreatedAt     time.Time    `json:"created_at"`
	Amount        domain.Money `json:"amount"`
	Count         int          `json:"count"`
	PaidOn        *domain.Date `json:"paid_on,omitempty"`
	BankReference string       `json:"bank_reference,omitempty"`
}

// Statement returns the statement of placeID. A place the projection never saw
// (neither registered nor redeeming) gives core.ErrNotFound.
func Statement(ctx context.Context, q core.Querier, placeID string) (Report, error) {
	s := Report{PlaceID: placeID, Redemptions: []Redemption{}, Batches: []BatchLine{}}
	db := core.ReadOnly(q)
	info, err := queries.Info(ctx, db, placeID)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	s.Name, s.SIRET, s.Territory, s.LabelStatus = info.Name, info.Siret, info.Territory, info.LabelStatus
	reds, err := queries.StatementRedemptions(ctx, db, placeID)
	if err != nil {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	for _, row := range reds {
		r := Redemption{RedemptionID: row.RedemptionID, Serial: row.Serial, ProgrammeID: row.ProgrammeID,
			SessionDate: core.DateOf(row.SessionDate), RedeemedAt: core.TimeOf(row.RedeemedAt), BatchID: row.BatchID}
		if r.Amount, err = core.MoneyOf(row.Amount); err != nil {
			return Report{}, fmt.Errorf("places: %w", err)
		}
		paid := core.DateOf(row.PaidOn)
		switch {
		case row.ReversedAt.Valid:
			t := core.TimeOf(row.ReversedAt)
			r.Status, r.ReversedAt = StatusReversed, &t
			s.Reversed = s.Reversed.Add(r.Amount)
			s.Counts.Reversed++
		case r.BatchID == "":
			r.Status = StatusOwed
			s.Owed = s.Owed.Add(r.Amount)
			s.Counts.Owed++
		case paid.IsZero():
			r.Status = StatusBatched
			s.Batched = s.Batched.Add(r.Amount)
			s.Counts.Batched++
		default:
			r.Status, r.PaidOn = StatusPaid, &paid
			s.Paid = s.Paid.Add(r.Amount)
			s.Counts.Paid++
		}
		s.Redemptions = append(s.Redemptions, r)
	}
	if !known && len(s.Redemptions) == 0 {
		return Report{}, fmt.Errorf("%w: place %s", core.ErrNotFound, placeID)
	}
	lines, err := queries.StatementBatches(ctx, db, placeID)
	if err != nil {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	for _, row := range lines {
		l := BatchLine{BatchID: row.BatchID, CutOff: core.DateOf(row.CutOff), CreatedAt: core.TimeOf(row.CreatedAt),
			Count: int(row.Count), BankReference: row.BankReference}
		if l.Amount, err = core.MoneyOf(row.Amount); err != nil {
			return Report{}, fmt.Errorf("places: %w", err)
		}
		if paid := core.DateOf(row.PaidOn); !paid.IsZero() {
			l.PaidOn = &paid
		}
		s.Batches = append(s.Batches, l)
	}
	return s, nil
}
