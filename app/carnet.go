package app

import (
	"context"

	"github.com/passnumerique/passledger/domain"
)

// IssueCarnet hands a carnet to a beneficiary (pseudonymous reference, stored only
// as a keyed hash). The beneficiary's claim stream for the programme is written
// with "no stream": one carnet per beneficiary per programme, even under races.
func (a *App) IssueCarnet(ctx context.Context, md Meta, cmd domain.IssueCarnetCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		cs := domain.CarnetStream(cmd.CarnetID)
		cevs, err := u.read(ctx, cs)
		if err != nil {
			return nil, err
		}
		carnet := domain.Fold[domain.CarnetState](cevs[cs])
		ps := domain.ProgrammeStream(carnet.ProgrammeID)
		streams := []string{ps}
		ref, refErr := domain.NormalizeBeneficiaryRef(cmd.BeneficiaryRef)
		var bs string
		if refErr == nil && carnet.Minted {
			bs = domain.BeneficiaryStream(carnet.ProgrammeID, domain.BeneficiaryHash(a.keys.Beneficiary, ref))
			streams = append(streams, bs)
		}
		evs, err := u.read(ctx, streams...)
		if err != nil {
			return nil, err
		}
		var claim domain.BeneficiaryClaimState
		if bs != "" {
			claim = domain.Fold[domain.BeneficiaryClaimState](evs[bs])
		}
		// The programme's stream grows with every mint: folded once per
		// version (foldAt), as for a redemption; the domain only reads it.
		programme := foldAt[domain.ProgrammeState](a.folds, ps, u.versions[ps], evs[ps])
		return domain.IssueCarnet(cmd, carnet, programme, claim, a.keys.Beneficiary)
	})
}

// CancelCarnet cancels a lost or stolen carnet: its unredeemed cheques are blocked.
func (a *App) CancelCarnet(ctx context.Context, md Meta, cmd domain.CancelCarnetCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		cs := domain.CarnetStream(cmd.CarnetID)
		cevs, err := u.read(ctx, cs)
		if err != nil {
			return nil, err
		}
		carnet := domain.Fold[domain.CarnetState](cevs[cs])
		ps := domain.ProgrammeStream(carnet.ProgrammeID)
		pevs, err := u.read(ctx, ps)
		if err != nil {
			return nil, err
		}
		cheques, err := a.chequeStates(ctx, u, carnet.Serials)
		if err != nil {
			return nil, err
		}
		return domain.CancelCarnet(cmd, carnet, domain.Fold[domain.ProgrammeState](pevs[ps]), cheques)
	})
}
