package app

import (
	"context"

	"github.com/passnumerique/passledger/domain"
)

// Reference data and organisations: funders, funds, prescribers, places and their
// labels, territories' need data. Each command writes its own stream.

// RegisterFunder registers a funder under a new id.
func (a *App) RegisterFunder(ctx context.Context, md Meta, cmd domain.RegisterFunderCommand) (Result, error) {
	if cmd.FunderID == "" {
		cmd.FunderID = NewID("fdr")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.FunderStream(cmd.FunderID)
		st, err := fold[domain.FunderState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.RegisterFunder(cmd, st)
		return single(s, evs, err)
	})
}

// CreateFund creates a support fund over territories.
func (a *App) CreateFund(ctx context.Context, md Meta, cmd domain.CreateFundCommand) (Result, error) {
	if cmd.FundID == "" {
		cmd.FundID = NewID("fnd")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.FundStream(cmd.FundID)
		st, err := fold[domain.FundState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.CreateFund(cmd, st)
		return single(s, evs, err)
	})
}

// RegisterPrescriber registers a prescriber.
func (a *App) RegisterPrescriber(ctx context.Context, md Meta, cmd domain.RegisterPrescriberCommand) (Result, error) {
	if cmd.PrescriberID == "" {
		cmd.PrescriberID = NewID("prs")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.PrescriberStream(cmd.PrescriberID)
		st, err := fold[domain.PrescriberState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.RegisterPrescriber(cmd, st)
		return single(s, evs, err)
	})
}

// RegisterPlace registers a mediation place (its label is granted separately).
func (a *App) RegisterPlace(ctx context.Context, md Meta, cmd domain.RegisterPlaceCommand) (Result, error) {
	if cmd.PlaceID == "" {
		cmd.PlaceID = NewID("plc")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.PlaceStream(cmd.PlaceID)
		st, err := fold[domain.PlaceState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.RegisterPlace(cmd, st)
		return single(s, evs, err)
	})
}

// ChangePlaceLabel grants, suspends or withdraws a place's label from a date.
func (a *App) ChangePlaceLabel(ctx context.Context, md Meta, cmd domain.ChangePlaceLabelCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.PlaceStream(cmd.PlaceID)
		st, err := fold[domain.PlaceState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.ChangePlaceLabel(cmd, st)
		return single(s, evs, err)
	})
}

// RecordTerritoryNeed records a territory's population and fragility rate.
func (a *App) RecordTerritoryNeed(ctx context.Context, md Meta, cmd domain.RecordTerritoryNeedCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.TerritoryStream(cmd.Code)
		st, err := fold[domain.TerritoryState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		evs, err := domain.RecordTerritoryNeed(cmd, st)
		return single(s, evs, err)
	})
}
