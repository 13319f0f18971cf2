package app

import (
	"context"
	"fmt"

	"github.com/passnumerique/passledger/domain"
)

// Funding: pledges, receipts, treasury advances and repayments, péréquation runs.

// PledgeContribution records a funder's pledge to a fund or a programme.
func (a *App) PledgeContribution(ctx context.Context, md Meta, cmd domain.PledgeContributionCommand) (Result, error) {
	if cmd.ContributionID == "" {
		cmd.ContributionID = NewID("ctb")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.ContributionStream(cmd.ContributionID)
		evs, err := u.read(ctx, s, domain.FunderStream(cmd.FunderID))
		if err != nil {
			return nil, err
		}
		if err := a.requireTarget(ctx, cmd.FundID, cmd.ProgrammeID); err != nil {
			return nil, err
		}
		st := domain.Fold[domain.ContributionState](evs[s])
		funder := domain.Fold[domain.FunderState](evs[domain.FunderStream(cmd.FunderID)])
		out, err := domain.PledgeContribution(cmd, st, funder)
		return single(s, out, err)
	})
}

// requireTarget checks that the pledged fund or programme exists.
func (a *App) requireTarget(ctx context.Context, fundID, programmeID string) error {
	switch {
	case fundID != "":
		evs, err := a.streamEvents(ctx, []string{domain.FundStream(fundID)})
		if err != nil {
			return err
		}
		if !domain.Fold[domain.FundState](evs[domain.FundStream(fundID)]).Created {
			return fmt.Errorf("%w: fund %s", domain.ErrNotFound, fundID)
		}
	case programmeID != "":
		evs, err := a.streamEvents(ctx, []string{domain.ProgrammeStream(programmeID)})
		if err != nil {
			return err
		}
		if !domain.Fold[domain.ProgrammeState](evs[domain.ProgrammeStream(programmeID)]).Created {
			return fmt.Errorf("%w: programme %s", domain.ErrNotFound, programmeID)
		}
	}
	return nil
}

// RecordReceipt records money received on a pledge.
func (a *App) RecordReceipt(ctx context.Context, md Meta, cmd domain.RecordReceiptCommand) (Result, error) {
	if cmd.ReceiptID == "" {
		cmd.ReceiptID = NewID("rcp")
	}
	cmd.Now = a.now()
	return decideOn[domain.ContributionState](ctx, a, md, domain.ContributionStream(cmd.ContributionID), func(st domain.ContributionState) ([]domain.Event, error) {
		return domain.RecordReceipt(cmd, st)
	})
}

// GrantAdvance grants a treasury advance against a pledge. The advance id carries
// the contribution id ("{contribution}.{n}") so that a repayment finds its stream.
func (a *App) GrantAdvance(ctx context.Context, md Meta, cmd domain.GrantAdvanceCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.ContributionStream(cmd.ContributionID)
		st, err := fold[domain.ContributionState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		c := cmd
		if c.AdvanceID == "" {
			c.AdvanceID = fmt.Sprintf("%s.adv%d", cmd.ContributionID, len(st.Advances)+1)
		}
		evs, err := domain.GrantAdvance(c, st)
		return single(s, evs, err)
	})
}

// AdvanceContribution returns the contribution id an advance id belongs to.
func AdvanceContribution(advanceID string) (string, bool) {
	for i := len(advanceID) - 1; i > 0; i-- {
		if advanceID[i] == '.' {
			return advanceID[:i], true
		}
	}
	return "", false
}

// RepayAdvance records a repayment of an advance from the pledge's receipts.
func (a *App) RepayAdvance(ctx context.Context, md Meta, cmd domain.RepayAdvanceCommand) (Result, error) {
	if cmd.ContributionID == "" {
		id, ok := AdvanceContribution(cmd.AdvanceID)
		if !ok {
			return Result{}, fmt.Errorf("%w: advance %s", domain.ErrNotFound, cmd.AdvanceID)
		}
		cmd.ContributionID = id
	}
	if cmd.RepaymentID == "" {
		cmd.RepaymentID = NewID("rpy")
	}
	cmd.Now = a.now()
	return decideOn[domain.ContributionState](ctx, a, md, domain.ContributionStream(cmd.ContributionID), func(st domain.ContributionState) ([]domain.Event, error) {
		return domain.RepayAdvance(cmd, st)
	})
}

// RunPerequation shares a fund's available budget between territories by need.
// Territories' population and fragility rate come from their need records.
func (a *App) RunPerequation(ctx context.Context, md Meta, cmd domain.RunPerequationCommand, codes []string) (Result, error) {
	if cmd.RunID == "" {
		cmd.RunID = NewID("run")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		s := domain.FundStream(cmd.FundID)
		fund, err := fold[domain.FundState](ctx, u, s)
		if err != nil {
			return nil, err
		}
		if !fund.Created {
			return nil, fmt.Errorf("%w: fund %s", domain.ErrNotFound, cmd.FundID)
		}
		if len(codes) == 0 {
			codes = fund.Territories
		}
		streams := make([]string, len(codes))
		for i, c := range codes {
			streams[i] = domain.TerritoryStream(c)
		}
		tevs, err := a.streamEvents(ctx, streams)
		if err != nil {
			return nil, err
		}
		c := cmd
		c.Territories = nil
		for i, code := range codes {
			t := domain.Fold[domain.TerritoryState](tevs[streams[i]])
			if !t.Recorded {
				return nil, fmt.Errorf("%w: territory %s has no need data", domain.ErrInvalidTerritory, code)
			}
			c.Territories = append(c.Territories, domain.PerequationTerritory{Code: code, Population: t.Population, FragilityRate: t.FragilityRate})
		}
		if c.Available, err = a.fundAvailable(ctx, fund); err != nil {
			return nil, err
		}
		evs, err := domain.RunPerequation(c, fund)
		return single(s, evs, err)
	})
}
