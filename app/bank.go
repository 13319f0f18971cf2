package app

import (
	"context"
	"errors"
	"fmt"
	"slices"

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

// BankLineOutcome is what the import did with one line: its id and, when it was
// matched on import, the movement it was matched to.
type BankLineOutcome struct {
	ID       string
	Matched  bool
	Movement domain.Movement
}

// ImportBankStatement records every line of a statement and matches each line it
// can, all in ONE command (one atomic append: every line or none): a line whose
// reference names exactly one expected movement (contribution receipt, batch
// payment, advance, repayment) of the line's signed amount, not matched yet (nor
// by an earlier line of the same statement), is matched to it; the others stay
// visibly unmatched. It returns one outcome per line, in order.
func (a *App) ImportBankStatement(ctx context.Context, md Meta, lines []BankLineInput) (Result, []BankLineOutcome, error) {
	if len(lines) == 0 {
		return Result{}, nil, fmt.Errorf("%w: the statement has no line", domain.ErrInvalidArgument)
	}
	ids := make([]string, len(lines))
	for i := range lines {
		ids[i] = NewID("bnk")
	}
	// Candidates by reference, looked up once per distinct reference.
	fitting := make([][]domain.Movement, len(lines))
	byRef := map[string][]domain.Movement{}
	for i, l := range lines {
		if l.Reference == "" {
			continue
		}
		cands, ok := byRef[l.Reference]
		if !ok {
			var err error
			if cands, err = a.movementsFor(ctx, l.Reference); err != nil {
				return Result{}, nil, err
			}
			byRef[l.Reference] = cands
		}
		for _, c := range cands {
			if c.SignedAmount().Equal(l.Amount) {
				fitting[i] = append(fitting[i], c)
			}
		}
	}
	var outcomes []BankLineOutcome
	res, err := a.execute(ctx, md, func(ctx context.Context, u *unit) ([]domain.Change, error) {
		outcomes = make([]BankLineOutcome, len(lines))
		streams := make([]string, 0, len(ids))
		for _, id := range ids {
			streams = append(streams, domain.BankLineStream(id))
		}
		var claimStreams []string
		for i := range lines {
			if len(fitting[i]) == 1 {
				claimStreams = append(claimStreams, domain.MovementStream(fitting[i][0].Kind, fitting[i][0].ID))
			}
		}
		evs, err := u.read(ctx, append(streams, claimStreams...)...)
		if err != nil {
			return nil, err
		}
		changes := map[string][]domain.Event{}
		var order []string
		add := func(stream string, events ...domain.Event) {
			if _, ok := changes[stream]; !ok {
				order = append(order, stream)
			}
			changes[stream] = append(changes[stream], events...)
		}
		for i, l := range lines {
			stream := streams[i]
			imported, err := domain.ImportBankLine(domain.ImportBankLineCommand{
				BankLineID: ids[i], Date: l.Date, Amount: l.Amount, Reference: l.Reference, Label: l.Label, Now: a.now(),
			}, domain.Fold[domain.BankLineState](evs[stream]))
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			add(stream, imported...)
			outcomes[i] = BankLineOutcome{ID: ids[i]}
			if len(fitting[i]) != 1 {
				continue
			}
			m := fitting[i][0]
			ms := domain.MovementStream(m.Kind, m.ID)
			matched, err := domain.MatchBankLine(domain.MatchBankLineCommand{BankLineID: ids[i], Movement: m, Now: a.now()},
				domain.Fold[domain.BankLineState](append(slices.Clone(evs[stream]), changes[stream]...)),
				domain.Fold[domain.MovementMatchState](append(slices.Clone(evs[ms]), changes[ms]...)))
			if errors.Is(err, domain.ErrMovementAlreadyMatched) {
				continue // stays visibly unmatched
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			for _, c := range matched {
				add(c.Stream, c.Events...)
			}
			outcomes[i].Matched, outcomes[i].Movement = true, m
		}
		out := make([]domain.Change, 0, len(order))
		for _, s := range order {
			out = append(out, domain.Change{Stream: s, Events: changes[s]})
		}
		return out, nil
	})
	return res, outcomes, err
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
