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
	return decideOn[domain.FunderState](ctx, a, md, domain.FunderStream(cmd.FunderID), func(st domain.FunderState) ([]domain.Event, error) {
		return domain.RegisterFunder(cmd, st)
	})
}

// CreateFund creates a support fund over territories.
func (a *App) CreateFund(ctx context.Context, md Meta, cmd domain.CreateFundCommand) (Result, error) {
	if cmd.FundID == "" {
		cmd.FundID = NewID("fnd")
	}
	cmd.Now = a.now()
	return decideOn[domain.FundState](ctx, a, md, domain.FundStream(cmd.FundID), func(st domain.FundState) ([]domain.Event, error) {
		return domain.CreateFund(cmd, st)
	})
}

// RegisterPrescriber registers a prescriber.
func (a *App) RegisterPrescriber(ctx context.Context, md Meta, cmd domain.RegisterPrescriberCommand) (Result, error) {
	if cmd.PrescriberID == "" {
		cmd.PrescriberID = NewID("prs")
	}
	cmd.Now = a.now()
	return decideOn[domain.PrescriberState](ctx, a, md, domain.PrescriberStream(cmd.PrescriberID), func(st domain.PrescriberState) ([]domain.Event, error) {
		return domain.RegisterPrescriber(cmd, st)
	})
}

// RegisterPlace registers a mediation place (its label is granted separately).
func (a *App) RegisterPlace(ctx context.Context, md Meta, cmd domain.RegisterPlaceCommand) (Result, error) {
	if cmd.PlaceID == "" {
		cmd.PlaceID = NewID("plc")
	}
	cmd.Now = a.now()
	return decideOn[domain.PlaceState](ctx, a, md, domain.PlaceStream(cmd.PlaceID), func(st domain.PlaceState) ([]domain.Event, error) {
		return domain.RegisterPlace(cmd, st)
	})
}

// ChangePlaceLabel grants, suspends or withdraws a place's label from a date.
func (a *App) ChangePlaceLabel(ctx context.Context, md Meta, cmd domain.ChangePlaceLabelCommand) (Result, error) {
	cmd.Now = a.now()
	return decideOn[domain.PlaceState](ctx, a, md, domain.PlaceStream(cmd.PlaceID), func(st domain.PlaceState) ([]domain.Event, error) {
		return domain.ChangePlaceLabel(cmd, st)
	})
}

// RecordTerritoryNeed records a territory's population and fragility rate.
func (a *App) RecordTerritoryNeed(ctx context.Context, md Meta, cmd domain.RecordTerritoryNeedCommand) (Result, error) {
	cmd.Now = a.now()
	return decideOn[domain.TerritoryState](ctx, a, md, domain.TerritoryStream(cmd.Code), func(st domain.TerritoryState) ([]domain.Event, error) {
		return domain.RecordTerritoryNeed(cmd, st)
	})
}
