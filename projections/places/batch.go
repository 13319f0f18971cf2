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
	db := core.ReadOnly(q)
	row, err := queries.Batch(ctx, db, batchID)
	if errors.Is(err, pgx.ErrNoRows) {
		return Batch{}, fmt.Errorf("%w: batch %s", core.ErrNotFound, batchID)
	}
	if err != nil {
		return Batch{}, fmt.Errorf("places: %w", err)
	}
	b := Batch{BatchID: batchID, CutOff: core.DateOf(row.CutOff), CreatedAt: core.TimeOf(row.CreatedAt),
		BankReference: row.BankReference, Lines: []BatchPlace{}}
	if paid := core.DateOf(row.PaidOn); !paid.IsZero() {
		b.PaidOn = &paid
	}
	lines, err := queries.BatchLines(ctx, db, batchID)
	if err != nil {
		return Batch{}, fmt.Errorf("places: %w", err)
	}
	for _, r := range lines {
		l := BatchPlace{PlaceID: r.PlaceID, Name: r.Name, SIRET: r.Siret, Territory: r.Territory, IBAN: r.Iban,
			BIC: r.Bic, Holder: r.BankHolder, Count: int(r.Count)}
		if l.Amount, err = core.MoneyOf(r.Amount); err != nil {
			return Batch{}, fmt.Errorf("places: %w", err)
		}
		b.Total = b.Total.Add(l.Amount)
		b.Count += l.Count
		b.Lines = append(b.Lines, l)
	}
	return b, nil
}
