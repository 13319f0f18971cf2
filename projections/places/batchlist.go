package places

import (
	"context"
	"fmt"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// BatchSummary is one reimbursement batch, as BatchList lists it.
type BatchSummary struct {
	BatchID       string       `json:"batch_id"`
	CutOff        domain.Date  `json:"cut_off"`
	CreatedAt     time.Time    `json:"created_at"`
	Places        int          `json:"places"`
	Redemptions   int          `json:"redemptions"`
	Total         domain.Money `json:"total"`
	PaidOn        *domain.Date `json:"paid_on,omitempty"`
	BankReference string       `json:"bank_reference,omitempty"`
}

// BatchList lists the reimbursement batches, the latest first, with their totals
// (sums of their lines, one per place) and payment.
func BatchList(ctx context.Context, q core.Querier) ([]BatchSummary, error) {
	rows, err := queries.BatchList(ctx, core.ReadOnly(q))
	if err != nil {
		return nil, fmt.Errorf("places: batches: %w", err)
	}
	out := []BatchSummary{}
	for _, r := range rows {
		b := BatchSummary{BatchID: r.BatchID, CutOff: core.DateOf(r.CutOff), CreatedAt: core.TimeOf(r.CreatedAt),
			Places: int(r.Places), Redemptions: int(r.Redemptions), BankReference: r.BankReference}
		if b.Total, err = core.MoneyOf(r.Total); err != nil {
			return nil, fmt.Errorf("places: batches: %w", err)
		}
		if paid := core.DateOf(r.PaidOn); !paid.IsZero() {
			b.PaidOn = &paid
		}
		out = append(out, b)
	}
	return out, nil
}
