package prescribers

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Carnet is one carnet of a prescriber, as Carnets lists it.
type Carnet struct {
	CarnetID    string       `json:"carnet_id"`
	ProgrammeID string       `json:"programme_id"`
	Cheques     int          `json:"cheques"`
	Value       domain.Money `json:"value"`
	// Status is CarnetInStock, CarnetIssued or CarnetCancelled.
	Status string `json:"status"`
	// NeedLevel and JobSeeker are the beneficiary's public category, for an
	// issued carnet (also when it was cancelled afterwards).
	NeedLevel   string     `json:"need_level,omitempty"`
	JobSeeker   bool       `json:"job_seeker,omitempty"`
	MintedAt    time.Time  `json:"minted_at"`
	IssuedAt    *time.Time `json:"issued_at,omitempty"`
	CancelledAt *time.Time `json:"cancelled_at,omitempty"`
}

// Carnets lists the carnets of prescriberID: those in stock first (oldest minted
// first, the order they should be handed out), then those issued or cancelled,
// the latest first; at most limit of each kind (0: no limit).
func Carnets(ctx context.Context, q core.Querier, prescriberID string, limit int) (inStock, issued []Carnet, err error) {
	lim := pgtype.Int8{Int64: int64(limit), Valid: limit > 0}
	rows, err := q.Query(ctx, `(SELECT carnet_id, programme_id, cheque_count, value, status, need_level, job_seeker, minted_at, issued_at, cancelled_at
  FROM prescriber_carnets WHERE prescriber_id = $1 AND status = 'in_stock' ORDER BY minted_at, carnet_id LIMIT $2)
UNION ALL
(SELECT carnet_id, programme_id, cheque_count, value, status, need_level, job_seeker, minted_at, issued_at, cancelled_at
  FROM prescriber_carnets WHERE prescriber_id = $1 AND was_issued ORDER BY issued_at DESC, carnet_id LIMIT $2)`, prescriberID, lim)
	if err != nil {
		return nil, nil, fmt.Errorf("prescribers: carnets: %w", err)
	}
	defer rows.Close()
	inStock, issued = []Carnet{}, []Carnet{}
	for rows.Next() {
		var c Carnet
		var issuedAt, cancelledAt pgtype.Timestamptz
		if err := rows.Scan(&c.CarnetID, &c.ProgrammeID, &c.Cheques, core.ScanMoney(&c.Value), &c.Status, &c.NeedLevel, &c.JobSeeker,
			&c.MintedAt, &issuedAt, &cancelledAt); err != nil {
			return nil, nil, fmt.Errorf("prescribers: carnets: %w", err)
		}
		c.MintedAt = c.MintedAt.UTC()
		if issuedAt.Valid {
			t := issuedAt.Time.UTC()
			c.IssuedAt = &t
		}
		if cancelledAt.Valid {
			t := cancelledAt.Time.UTC()
			c.CancelledAt = &t
		}
		if c.Status == CarnetInStock {
			inStock = append(inStock, c)
		} else {
			issued = append(issued, c)
		}
	}
	return inStock, issued, rows.Err()
}
