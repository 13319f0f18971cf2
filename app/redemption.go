package app

import (
	"context"
	"fmt"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// RedeemCheque records a labelled place's redemption of a cheque. Only the cheque's
// stream is written: redemptions of different cheques never conflict, and two
// redemptions of one cheque race on its version (the loser, retried, gets
// domain.ErrChequeAlreadyRedeemed).
func (a *App) RedeemCheque(ctx context.Context, md Meta, cmd domain.RedeemChequeCommand) (Result, error) {
	cmd.Serial = domain.NormalizeSerial(cmd.Serial)
	if cmd.RedemptionID == "" {
		cmd.RedemptionID = NewID("rdm")
	}
	cmd.Now = a.now()
	carnetID, _, err := domain.ParseSerial(cmd.Serial)
	if err != nil {
		return Result{}, err
	}
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		chs, cs, pls := domain.ChequeStream(cmd.Serial), domain.CarnetStream(carnetID), domain.PlaceStream(cmd.PlaceID)
		chequeEvents, err := u.readNew(ctx, chs)
		if err != nil {
			return nil, err
		}
		evs, err := u.read(ctx, cs, pls)
		if err != nil {
			return nil, err
		}
		carnet := domain.Fold[domain.CarnetState](evs[cs])
		ps := domain.ProgrammeStream(carnet.ProgrammeID)
		pevs, err := u.read(ctx, ps)
		if err != nil {
			return nil, err
		}
		cheque := domain.Fold[domain.ChequeState](chequeEvents)
		cheque.Serial = cmd.Serial
		programme := foldAt[domain.ProgrammeState](a.folds, ps, u.versions[ps], pevs[ps])
		out, err := domain.RedeemCheque(cmd, cheque, carnet, programme,
			domain.Fold[domain.PlaceState](evs[pls]), a.keys.CheckCode)
		return single(chs, out, err)
	})
}

// redemptionCheque finds the cheque of a redemption (by redemption id).
var redemptionCheque = eventstore.PayloadField{EventType: domain.ChequeRedeemed{}.EventType(), Field: "redemption_id"}

// RedemptionSerial returns the serial of the cheque a redemption id belongs to.
func (a *App) RedemptionSerial(ctx context.Context, redemptionID string) (string, error) {
	streams, err := a.store.StreamsWhere(ctx, redemptionID, redemptionCheque)
	if err != nil {
		return "", fmt.Errorf("app: cheque of redemption %s: %w", redemptionID, err)
	}
	if len(streams) == 0 {
		return "", fmt.Errorf("%w: redemption %s", domain.ErrNotFound, redemptionID)
	}
	return streams[0][len("cheque-"):], nil
}

// ReverseRedemption reverses a place's own redemption within 48 hours; the cheque
// becomes redeemable again.
func (a *App) ReverseRedemption(ctx context.Context, md Meta, cmd domain.ReverseRedemptionCommand) (Result, error) {
	if cmd.Serial == "" {
		serial, err := a.RedemptionSerial(ctx, cmd.RedemptionID)
		if err != nil {
			return Result{}, err
		}
		cmd.Serial = serial
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		chs := domain.ChequeStream(cmd.Serial)
		evs, err := u.read(ctx, chs)
		if err != nil {
			return nil, err
		}
		cheque := domain.Fold[domain.ChequeState](evs[chs])
		cheque.Serial = cmd.Serial
		ps := domain.ProgrammeStream(cheque.Redemption.ProgrammeID)
		pevs, err := a.streamEvents(ctx, []string{ps})
		if err != nil {
			return nil, err
		}
		out, err := domain.ReverseRedemption(cmd, cheque, domain.Fold[domain.ProgrammeState](pevs[ps]))
		return single(chs, out, err)
	})
}
