package app

import (
	"context"
	"fmt"

	"github.com/passnumerique/passledger/domain"
)

// Programmes: creation (drawing fund lines), minting carnets, closing.

// CreateProgramme creates a programme; each fund line draws on the fund's
// allocation to the programme's territory, attributed onward to the fund's
// contributors pro rata of their receipts.
func (a *App) CreateProgramme(ctx context.Context, md Meta, cmd domain.CreateProgrammeCommand) (Result, error) {
	if cmd.ProgrammeID == "" {
		cmd.ProgrammeID = NewID("pgm")
	}
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		streams := []string{domain.ProgrammeStream(cmd.ProgrammeID)}
		var fundIDs []string
		for _, l := range cmd.FundingLines {
			if l.FundID != "" {
				fundIDs = append(fundIDs, l.FundID)
				streams = append(streams, domain.FundStream(l.FundID))
			}
		}
		evs, err := u.read(ctx, streams...)
		if err != nil {
			return nil, err
		}
		if err := a.requireFunders(ctx, cmd.FundingLines); err != nil {
			return nil, err
		}
		funds := make(map[string]domain.FundLineSource, len(fundIDs))
		for _, id := range fundIDs {
			contributors, _, err := a.fundContributors(ctx, id)
			if err != nil {
				return nil, err
			}
			funds[id] = domain.FundLineSource{Fund: domain.Fold[domain.FundState](evs[domain.FundStream(id)]), Contributors: contributors}
		}
		return domain.CreateProgramme(cmd, domain.Fold[domain.ProgrammeState](evs[streams[0]]), funds)
	})
}

// requireFunders checks that every funder line names a registered funder.
func (a *App) requireFunders(ctx context.Context, lines []domain.FundingLine) error {
	var streams []string
	for _, l := range lines {
		if l.FunderID != "" {
			streams = append(streams, domain.FunderStream(l.FunderID))
		}
	}
	if len(streams) == 0 {
		return nil
	}
	evs, err := a.streamEvents(ctx, streams)
	if err != nil {
		return err
	}
	for _, l := range lines {
		if l.FunderID != "" && !domain.Fold[domain.FunderState](evs[domain.FunderStream(l.FunderID)]).Registered {
			return fmt.Errorf("%w: funder %s", domain.ErrNotFound, l.FunderID)
		}
	}
	return nil
}

// MintCarnets mints count carnets into a prescriber's stock.
func (a *App) MintCarnets(ctx context.Context, md Meta, programmeID, prescriberID string, count int) (Result, error) {
	if count < 1 || count > 10000 {
		return Result{}, fmt.Errorf("%w: carnets must be between 1 and 10000", domain.ErrInvalidArgument)
	}
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		cmd := domain.MintCarnetsCommand{ProgrammeID: programmeID, PrescriberID: prescriberID, Now: a.now()}
		streams := []string{domain.ProgrammeStream(programmeID), domain.PrescriberStream(prescriberID)}
		for i := 0; i < count; i++ {
			id := NewCarnetID()
			cmd.CarnetIDs = append(cmd.CarnetIDs, id)
			streams = append(streams, domain.CarnetStream(id))
		}
		evs, err := u.read(ctx, streams...)
		if err != nil {
			return nil, err
		}
		return domain.MintCarnets(cmd,
			domain.Fold[domain.ProgrammeState](evs[streams[0]]),
			domain.Fold[domain.PrescriberState](evs[streams[1]]))
	})
}

// CloseProgramme closes a programme after its validity and grace: every
// unredeemed cheque expires and its value returns to the funders.
func (a *App) CloseProgramme(ctx context.Context, md Meta, cmd domain.CloseProgrammeCommand) (Result, error) {
	cmd.Now = a.now()
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		ps := domain.ProgrammeStream(cmd.ProgrammeID)
		pevs, err := u.read(ctx, ps)
		if err != nil {
			return nil, err
		}
		programme := domain.Fold[domain.ProgrammeState](pevs[ps])
		serials := programme.Serials()
		cheques, err := a.chequeStates(ctx, u, serials)
		if err != nil {
			return nil, err
		}
		return domain.CloseProgramme(cmd, programme, cheques)
	})
}

// chequeStates reads (and tracks) the streams of the given cheques.
func (a *App) chequeStates(ctx context.Context, u *unit, serials []string) ([]domain.ChequeState, error) {
	streams := make([]string, len(serials))
	for i, s := range serials {
		streams[i] = domain.ChequeStream(s)
	}
	evs, err := u.read(ctx, streams...)
	if err != nil {
		return nil, err
	}
	out := make([]domain.ChequeState, len(serials))
	for i, s := range serials {
		out[i] = domain.Fold[domain.ChequeState](evs[streams[i]])
		out[i].Serial = s
	}
	return out, nil
}
