package app

import (
	"context"

	"github.com/passnumerique/passledger/domain"
)

// SetPlaceBankAccount sets or changes the bank account a place is reimbursed to
// (IBAN checked by ISO 13616 mod-97, optional BIC). An unchanged account writes
// nothing (Result.Position 0).
func (a *App) SetPlaceBankAccount(ctx context.Context, md Meta, cmd domain.SetPlaceBankAccountCommand) (Result, error) {
	cmd.Now = a.now()
	return decideOn[domain.PlaceState](ctx, a, md, domain.PlaceStream(cmd.PlaceID), func(st domain.PlaceState) ([]domain.Event, error) {
		return domain.SetPlaceBankAccount(cmd, st)
	})
}
