package prescribers

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/prescribers/internal/dbsqlc"
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
	rows, err := queries.Carnets(ctx, core.ReadOnly(q), dbsqlc.CarnetsParams{
		Prescriber: prescriberID, Lim: pgtype.Int8{Int64: int64(limit), Valid: limit > 0}})
	if err != nil {
		return nil, nil, fmt.Errorf("prescribers: carnets: %w", err)
	}
	inStock, issued = []Carnet{}, []Carnet{}
	for _, r := range rows {
		c := Carnet{CarnetID: r.CarnetID, ProgrammeID: r.ProgrammeID, Cheques: int(r.ChequeCount), Status: r.Status,
			NeedLevel: r.NeedLevel, JobSeeker: r.JobSeeker, MintedAt: core.TimeOf(r.MintedAt)}
		if c.Value, err = core.MoneyOf(r.Value); err != nil {
			return nil, nil, fmt.Errorf("prescribers: carnets: %w", err)
		}
		if r.IssuedAt.Valid {
			t := core.TimeOf(r.IssuedAt)
			c.IssuedAt = &t
		}
		if r.CancelledAt.Valid {
			t := core.TimeOf(r.CancelledAt)
			c.CancelledAt = &t
		}
		if c.Status == CarnetInStock {
			inStock = append(inStock, c)
		} else {
			issued = append(issued, c)
		}
	}
	return inStock, issued, nil
}
