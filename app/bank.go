package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// BankLineInput is one line of a bank statement.
type BankLineInput struct {
	Date      domain.Date
	Amount    domain.Money // signed: money in is positive
	Reference string
	Label     string
}

// ImportBankStatement records every line of a statement in one atomic append (all
// or none) and returns their ids in order. Matching is separate (AutoMatch).
func (a *App) ImportBankStatement(ctx context.Context, md Meta, lines []BankLineInput) (Result, []string, error) {
	if len(lines) == 0 {
		return Result{}, nil, fmt.Errorf("%w: the statement has no line", domain.ErrInvalidArgument)
	}
	ids := make([]string, len(lines))
	for i := range lines {
		ids[i] = NewID("bnk")
	}
	res, err := a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		streams := make([]string, len(ids))
		for i, id := range ids {
			streams[i] = domain.BankLineStream(id)
		}
		evs, err := u.read(ctx, streams...)
		if err != nil {
			return nil, err
		}
		var changes []domain.Change
		for i, l := range lines {
			out, err := domain.ImportBankLine(domain.ImportBankLineCommand{
				BankLineID: ids[i], Date: l.Date, Amount: l.Amount, Reference: l.Reference, Label: l.Label, Now: a.now(),
			}, domain.Fold[domain.BankLineState](evs[streams[i]]))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			changes = append(changes, domain.Change{Stream: streams[i], Events: out})
		}
		return changes, nil
	})
	return res, ids, err
}

// movementKeys find the expected movements by id or bank reference: each pair has a
// partial expression index (migration 00005).
var movementKeys = []eventstore.PayloadField{
	{EventType: domain.ContributionReceived{}.EventType(), Field: "receipt_id"},
	{EventType: domain.ContributionReceived{}.EventType(), Field: "bank_reference"},
	{EventType: domain.AdvanceGranted{}.EventType(), Field: "advance_id"},
	{EventType: domain.AdvanceRepaid{}.EventType(), Field: "repayment_id"},
	{EventType: domain.ReimbursementBatchPaid{}.EventType(), Field: "batch_id"},
	{EventType: domain.ReimbursementBatchPaid{}.EventType(), Field: "bank_reference"},
}

// movementsFor returns the expected movements whose id or bank reference is ref.
func (a *App) movementsFor(ctx context.Context, ref string) ([]domain.Movement, error) {
	evs, err := a.eventsWhere(ctx, ref, movementKeys...)
	if err != nil {
		return nil, fmt.Errorf("app: movements: %w", err)
	}
	var out []domain.Movement
	seen := map[domain.MovementKind]map[string]bool{}
	add := func(m domain.Movement) {
		if seen[m.Kind] == nil {
			seen[m.Kind] = map[string]bool{}
		}
		if !seen[m.Kind][m.ID] { // a receipt whose id is also its bank reference comes twice
			seen[m.Kind][m.ID] = true
			out = append(out, m)
		}
	}
	for _, e := range evs {
		switch ev := e.(type) {
		case domain.ContributionReceived:
			if ev.ReceiptID == ref || ev.BankReference == ref {
				add(domain.Movement{Kind: domain.MovementReceipt, ID: ev.ReceiptID, Amount: ev.Amount, Date: ev.ReceivedOn})
			}
		case domain.AdvanceGranted:
			if ev.AdvanceID == ref {
				add(domain.Movement{Kind: domain.MovementAdvance, ID: ev.AdvanceID, Amount: ev.Amount, Date: ev.GrantedOn})
			}
		case domain.AdvanceRepaid:
			if ev.RepaymentID == ref {
				add(domain.Movement{Kind: domain.MovementRepayment, ID: ev.RepaymentID, Amount: ev.Amount, Date: ev.RepaidOn})
			}
		case domain.ReimbursementBatchPaid:
			if ev.BatchID == ref || ev.BankReference == ref {
				add(domain.Movement{Kind: domain.MovementReimbursementPayment, ID: ev.BatchID, Amount: ev.Total, Date: ev.PaidOn})
			}
		}
	}
	return out, nil
}

// Movement returns one expected movement by kind and id.
func (a *App) Movement(ctx context.Context, kind domain.MovementKind, id string) (domain.Movement, error) {
	ms, err := a.movementsFor(ctx, id)
	if err != nil {
		return domain.Movement{}, err
	}
	for _, m := range ms {
		if m.Kind == kind && m.ID == id {
			return m, nil
		}
	}
	return domain.Movement{}, fmt.Errorf("%w: %s %s", domain.ErrNotFound, kind, id)
}

// MatchBankLine matches a bank line to one expected movement. The movement's claim
// stream is written with "no stream": a movement is matched at most once.
func (a *App) MatchBankLine(ctx context.Context, md Meta, lineID string, kind domain.MovementKind, movementID string) (Result, error) {
	m, err := a.Movement(ctx, kind, movementID)
	if err != nil {
		return Result{}, err
	}
	return a.match(ctx, md, lineID, m)
}

func (a *App) match(ctx context.Context, md Meta, lineID string, m domain.Movement) (Result, error) {
	return a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		ls, ms := domain.BankLineStream(lineID), domain.MovementStream(m.Kind, m.ID)
		evs, err := u.read(ctx, ls, ms)
		if err != nil {
			return nil, err
		}
		return domain.MatchBankLine(domain.MatchBankLineCommand{BankLineID: lineID, Movement: m, Now: a.now()},
			domain.Fold[domain.BankLineState](evs[ls]), domain.Fold[domain.MovementMatchState](evs[ms]))
	})
}

// AutoMatch tries to match a bank line by its reference: when exactly one expected
// movement has that id or bank reference, the right amount and is not matched yet,
// the line is matched to it. Otherwise the line stays visibly unmatched (matched =
// false, no error).
func (a *App) AutoMatch(ctx context.Context, md Meta, lineID string, line BankLineInput) (matched bool, m domain.Movement, res Result, err error) {
	if line.Reference == "" {
		return false, m, res, nil
	}
	candidates, err := a.movementsFor(ctx, line.Reference)
	if err != nil {
		return false, m, res, err
	}
	var fits []domain.Movement
	for _, c := range candidates {
		want := c.Amount
		if c.Kind == domain.MovementAdvance || c.Kind == domain.MovementReimbursementPayment {
			want = want.Neg()
		}
		if want.Equal(line.Amount) {
			fits = append(fits, c)
		}
	}
	if len(fits) != 1 {
		return false, m, res, nil
	}
	res, err = a.match(ctx, md, lineID, fits[0])
	if errors.Is(err, domain.ErrMovementAlreadyMatched) || errors.Is(err, eventstore.ErrConflict) {
		return false, m, Result{}, nil
	}
	return err == nil, fits[0], res, err
}
