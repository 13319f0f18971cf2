package places

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	err := q.QueryRow(ctx, `SELECT name, siret, territory, label_status FROM place_info WHERE place_id = $1`, placeID).
		Scan(&s.Name, &s.SIRET, &s.Territory, &s.LabelStatus)
	known := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	rows, err := q.Query(ctx, `SELECT r.redemption_id, r.serial, r.programme_id, r.session_date, r.redeemed_at, r.amount,
coalesce(k.batch_id, ''), r.reversed_at, b.paid_on
FROM place_redemptions r
LEFT JOIN place_claims k ON k.redemption_id = r.redemption_id
LEFT JOIN place_batches b ON b.batch_id = k.batch_id
WHERE r.place_id = $1 ORDER BY r.redeemed_at, r.redemption_id`, placeID)
	if err != nil {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	for rows.Next() {
		var r Redemption
		var reversed pgtype.Timestamptz
		var paid domain.Date
		if err := rows.Scan(&r.RedemptionID, &r.Serial, &r.ProgrammeID, core.ScanDate(&r.SessionDate), &r.RedeemedAt,
			core.ScanMoney(&r.Amount), &r.BatchID, &reversed, core.ScanDate(&paid)); err != nil {
			rows.Close()
			return Report{}, fmt.Errorf("places: %w", err)
		}
		r.RedeemedAt = r.RedeemedAt.UTC()
		switch {
		case reversed.Valid:
			t := reversed.Time.UTC()
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	if !known && len(s.Redemptions) == 0 {
		return Report{}, fmt.Errorf("%w: place %s", core.ErrNotFound, placeID)
	}
	brows, err := q.Query(ctx, `SELECT b.batch_id, b.cut_off, b.created_at, l.amount, l.count, b.paid_on, b.bank_reference
FROM place_batch_lines l JOIN place_batches b USING (batch_id)
WHERE l.place_id = $1 ORDER BY b.created_at, b.batch_id`, placeID)
	if err != nil {
		return Report{}, fmt.Errorf("places: %w", err)
	}
	defer brows.Close()
	for brows.Next() {
		var l BatchLine
		var paid domain.Date
		if err := brows.Scan(&l.BatchID, core.ScanDate(&l.CutOff), &l.CreatedAt, core.ScanMoney(&l.Amount), &l.Count, core.ScanDate(&paid), &l.BankReference); err != nil {
			return Report{}, fmt.Errorf("places: %w", err)
		}
		l.CreatedAt = l.CreatedAt.UTC()
		if !paid.IsZero() {
			l.PaidOn = &paid
		}
		s.Batches = append(s.Batches, l)
	}
	return s, brows.Err()
}
