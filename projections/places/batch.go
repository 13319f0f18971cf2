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

// Batch is a reimbursement batch as the places projection knows it: its dates,
// its payment, and one line per place with the place's name and its current bank
// account (what a SEPA credit transfer file needs).
type Batch struct {
	BatchID       string       `json:"batch_id"`
	CutOff        domain.Date  `json:"cut_off"`
	CreatedAt     time.Time    `json:"created_at"`
	PaidOn        *domain.Date `json:"paid_on,omitempty"`
	BankReference string       `json:"bank_reference,omitempty"`
	Total         domain.Money `json:"total"`
	Count         int          `json:"count"`
	// Lines by place id.
	Lines []BatchPlace `json:"lines"`
}

// BatchPlace is one place's line of a batch.
type BatchPlace struct {
	PlaceID   string       `json:"place_id"`
	Name      string       `json:"name"`
	SIRET     string       `json:"siret"`
	Territory string       `json:"territory"`
	IBAN      string       `json:"iban"`
	BIC       string       `json:"bic"`
	Holder    string       `json:"holder"`
	Amount    domain.Money `json:"amount"`
	Count     int          `json:"count"`
}

// BatchOf returns the batch batchID (core.ErrNotFound if the projection never
// saw it).
func BatchOf(ctx context.Context, q core.Querier, batchID string) (Batch, error) {
	b := Batch{BatchID: batchID, Lines: []BatchPlace{}}
	var paid domain.Date
	err := q.QueryRow(ctx, `SELECT cut_off, created_at, paid_on, bank_reference FROM place_batches WHERE batch_id = $1`, batchID).
		Scan(core.ScanDate(&b.CutOff), &b.CreatedAt, core.ScanDate(&paid), &b.BankReference)
	if errors.Is(err, pgx.ErrNoRows) {
		return Batch{}, fmt.Errorf("%w: batch %s", core.ErrNotFound, batchID)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("places: %w", err)
	}
	b.CreatedAt = b.CreatedAt.UTC()
	if !paid.IsZero() {
		b.PaidOn = &paid
	}
	rows, err := q.Query(ctx, `SELECT l.place_id, coalesce(i.name, ''), coalesce(i.siret, ''), coalesce(i.territory, ''),
coalesce(i.iban, ''), coalesce(i.bic, ''), coalesce(i.bank_holder, ''), l.amount, l.count
FROM place_batch_lines l LEFT JOIN place_info i USING (place_id)
WHERE l.batch_id = $1 ORDER BY l.place_id`, batchID)
	if err != nil {
		return Batch{}, fmt.Errorf("places: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l BatchPlace
		if err := rows.Scan(&l.PlaceID, &l.Name, &l.SIRET, &l.Territory, &l.IBAN, &l.BIC, &l.Holder, core.ScanMoney(&l.Amount), &l.Count); err != nil {
			return Batch{}, fmt.Errorf("places: %w", err)
		}
		b.Total = b.Total.Add(l.Amount)
		b.Count += l.Count
		b.Lines = append(b.Lines, l)
	}
	return b, rows.Err()
}
