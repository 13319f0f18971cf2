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
	rows, err := q.Query(ctx, `SELECT b.batch_id, b.cut_off, b.created_at, count(l.place_id), coalesce(sum(l.count), 0),
coalesce(sum(l.amount), 0), b.paid_on, b.bank_reference
FROM place_batches b LEFT JOIN place_batch_lines l USING (batch_id)
GROUP BY b.batch_id ORDER BY b.created_at DESC, b.batch_id`)
	if err != nil {
		return nil, fmt.Errorf("places: batches: %w", err)
	}
	defer rows.Close()
	out := []BatchSummary{}
	for rows.Next() {
		var b BatchSummary
		var paid domain.Date
		if err := rows.Scan(&b.BatchID, core.ScanDate(&b.CutOff), &b.CreatedAt, &b.Places, &b.Redemptions, core.ScanMoney(&b.Total),
			core.ScanDate(&paid), &b.BankReference); err != nil {
			return nil, fmt.Errorf("places: batches: %w", err)
		}
		b.CreatedAt = b.CreatedAt.UTC()
		if !paid.IsZero() {
			b.PaidOn = &paid
		}
		out = append(out, b)
	}
	return out, rows.Err()
}
