package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/passnumerique/passledger/domain"
)

// A cheque's last redemption is owed to its place when the cheque's stream holds
// more redemptions than reversals and reimbursement claims.
var (
	redemptionOpened = []string{domain.ChequeRedeemed{}.EventType()}
	redemptionClosed = []string{domain.RedemptionReversed{}.EventType(), domain.ChequeReimbursementClaimed{}.EventType()}
)

// CreateReimbursementBatch gathers every redemption owed to places up to the
// cut-off, one line per place. Each claimed cheque's stream gets a claim event in
// the same atomic append: a redemption is reimbursed at most once.
func (a *App) CreateReimbursementBatch(ctx context.Context, md Meta, cmd domain.CreateReimbursementBatchCommand) (Result, error) {
	if cmd.BatchID == "" {
		cmd.BatchID = NewID("bat")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		bs := domain.BatchStream(cmd.BatchID)
		bevs, err := u.read(ctx, bs)
		if err != nil {
			return nil, err
		}
		streams, err := a.store.StreamsWithMore(ctx, redemptionOpened, redemptionClosed)
		if err != nil {
			return nil, fmt.Errorf("app: cheques redeemed and unclaimed: %w", err)
		}
		serials := make([]string, len(streams))
		for i, s := range streams {
			serials[i] = strings.TrimPrefix(s, "cheque-")
		}
		cheques, err := a.chequeStates(ctx, u, serials)
		if err != nil {
			return nil, err
		}
		return domain.CreateReimbursementBatch(cmd, domain.Fold[domain.BatchState](bevs[bs]), cheques)
	})
}

// PayReimbursementBatch marks a batch paid; each programme's share must be covered
// by that programme's ring-fenced cash.
func (a *App) PayReimbursementBatch(ctx context.Context, md Meta, cmd domain.PayReimbursementBatchCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		bs := domain.BatchStream(cmd.BatchID)
		batch, err := fold[domain.BatchState](ctx, u, bs)
		if err != nil {
			return nil, err
		}
		if !batch.Created {
			return nil, fmt.Errorf("%w: batch %s", domain.ErrNotFound, cmd.BatchID)
		}
		seen := map[string]bool{}
		var programmes []string
		for _, r := range batch.Redemptions {
			if !seen[r.ProgrammeID] {
				seen[r.ProgrammeID] = true
				programmes = append(programmes, r.ProgrammeID)
			}
		}
		sort.Strings(programmes)
		cash, err := a.programmeCash(ctx, programmes)
		if err != nil {
			return nil, err
		}
		evs, err := domain.PayReimbursementBatch(cmd, batch, cash)
		return single(bs, evs, err)
	})
}
