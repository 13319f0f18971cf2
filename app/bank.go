package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
// matched on import, the movement it was matched to; otherwise the reason it
// stays unmatched.
type BankLineOutcome struct {
	ID       string
	Matched  bool
	Movement domain.Movement
	Reason   domain.UnmatchedReason
}

// BankStatement is one statement document to import: its format and its
// statements (a camt.053 file may hold several, one per account or period; a CSV
// file is one).
type BankStatement struct {
	// Format is domain.StatementCSV, StatementCamt05302 or StatementCamt05308.
	Format     string
	Statements []StatementPart
}

// StatementPart is one statement of a document: its identity and its lines.
type StatementPart struct {
	// Account is the IBAN the statement is of (camt.053 Acct/Id); empty for CSV.
	Account string
	// Reference identifies the statement within the account: camt.053 Stmt/Id,
	// or "sha256:<hex>" of a CSV file's bytes.
	Reference string
	Lines     []BankLineInput
}

// ImportBankStatement records every line of a statement and matches each line it
// can, all in ONE command (one atomic append: every line or none): a line whose
// reference names exactly one expected movement (contribution receipt, batch
// payment, advance, repayment) of the line's signed amount, not matched yet (nor
// by an earlier line of the same statement), is matched to it; the others stay
// visibly unmatched, with the reason. It returns one outcome per line, in order.
// It does not remember the statement: ImportStatement does.
func (a *App) ImportBankStatement(ctx context.Context, md Meta, lines []BankLineInput) (Result, []BankLineOutcome, error) {
	return a.importLines(ctx, md, lines, nil)
}

// ImportStatement is ImportBankStatement for a statement document whose identity
// is known: in the same atomic append it writes domain.BankStatementImported to the
// stream of each of its statements (domain.StatementID of account and reference),
// which must not exist yet. Importing the same statement twice therefore changes
// nothing: the second import fails with domain.ErrStatementAlreadyImported and
// writes no line.
func (a *App) ImportStatement(ctx context.Context, md Meta, doc BankStatement) (Result, []BankLineOutcome, error) {
	var lines []BankLineInput
	seen := map[string]bool{}
	for _, p := range doc.Statements {
		id := domain.StatementID(p.Account, p.Reference)
		if seen[id] {
			return Result{}, nil, fmt.Errorf("%w: statement %s of account %q appears twice in the document", domain.ErrInvalidArgument, p.Reference, p.Account)
		}
		seen[id] = true
		lines = append(lines, p.Lines...)
	}
	record := func(ctx context.Context, u *unit, outcomes []BankLineOutcome) ([]domain.Change, error) {
		var out []domain.Change
		at := 0
		for _, p := range doc.Statements {
			stream := domain.BankStatementStream(domain.StatementID(p.Account, p.Reference))
			st, err := fold[domain.BankStatementState](ctx, u, stream)
			if err != nil {
				return nil, err
			}
			sl := make([]domain.StatementLine, len(p.Lines))
			for i, o := range outcomes[at : at+len(p.Lines)] {
				sl[i] = domain.StatementLine{BankLineID: o.ID, UnmatchedReason: o.Reason}
				if o.Matched {
					sl[i] = domain.StatementLine{BankLineID: o.ID, MovementKind: o.Movement.Kind, MovementID: o.Movement.ID}
				}
			}
			at += len(p.Lines)
			evs, err := domain.RecordBankStatement(domain.RecordBankStatementCommand{
				Format: doc.Format, Account: p.Account, Reference: p.Reference, Lines: sl, Now: a.now()}, st)
			if err != nil {
				return nil, err
			}
			out = append(out, domain.Change{Stream: stream, Events: evs})
		}
		return out, nil
	}
	return a.importLines(ctx, md, lines, record)
}

// importLines imports and matches lines; record, when set, adds the statement
// streams' changes to the same append.
func (a *App) importLines(ctx context.Context, md Meta, lines []BankLineInput,
	record func(context.Context, *unit, []BankLineOutcome) ([]domain.Change, error)) (Result, []BankLineOutcome, error) {
	if len(lines) == 0 {
		return Result{}, nil, fmt.Errorf("%w: the statement has no line", domain.ErrInvalidArgument)
	}
	ids := make([]string, len(lines))
	for i := range lines {
		ids[i] = NewID("bnk")
	}
	// Candidates by reference, looked up once per distinct reference.
	fitting := make([][]domain.Movement, len(lines))
	reasons := make([]domain.UnmatchedReason, len(lines))
	byRef := map[string][]domain.Movement{}
	for i, l := range lines {
		if l.Reference == "" {
			reasons[i] = domain.UnmatchedNoReference
			continue
		}
		cands, ok := byRef[l.Reference]
		if !ok {
			var err error
			if cands, err = a.movementsForBankReference(ctx, l.Reference); err != nil {
				return Result{}, nil, err
			}
			byRef[l.Reference] = cands
		}
		for _, c := range cands {
			if c.SignedAmount().Equal(l.Amount) {
				fitting[i] = append(fitting[i], c)
			}
		}
		switch {
		case len(cands) == 0:
			reasons[i] = domain.UnmatchedNoCandidate
		case len(fitting[i]) == 0:
			reasons[i] = domain.UnmatchedAmountDiffers
		case len(fitting[i]) > 1:
			reasons[i] = domain.UnmatchedSeveralCandidates
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
			outcomes[i] = BankLineOutcome{ID: ids[i], Reason: reasons[i]}
			if len(fitting[i]) != 1 {
				continue
			}
			m := fitting[i][0]
			ms := domain.MovementStream(m.Kind, m.ID)
			matched, err := domain.MatchBankLine(domain.MatchBankLineCommand{BankLineID: ids[i], Movement: m, Now: a.now()},
				domain.Fold[domain.BankLineState](append(slices.Clone(evs[stream]), changes[stream]...)),
				domain.Fold[domain.MovementMatchState](append(slices.Clone(evs[ms]), changes[ms]...)))
			if errors.Is(err, domain.ErrMovementAlreadyMatched) {
				outcomes[i].Reason = domain.UnmatchedAlreadyMatched
				continue // stays visibly unmatched
			}
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			for _, c := range matched {
				add(c.Stream, c.Events...)
			}
			outcomes[i].Matched, outcomes[i].Movement, outcomes[i].Reason = true, m, ""
		}
		out := make([]domain.Change, 0, len(order)+1)
		if record != nil {
			recorded, err := record(ctx, u, outcomes)
			if err != nil {
				return nil, err
			}
			out = append(out, recorded...)
		}
		for _, s := range order {
			out = append(out, domain.Change{Stream: s, Events: changes[s]})
		}
		return out, nil
	})
	return res, outcomes, err
}

// movementsForBankReference returns the expected movements a bank reference
// names: the reference itself (a receipt's or payment's bank reference, an id),
// the id it stands for in SEPA form ('+' for '_', see domain.SEPAReference), and,
// for an end-to-end reference of one transfer of a batch ("bat+…/3"), the batch.
func (a *App) movementsForBankReference(ctx context.Context, ref string) ([]domain.Movement, error) {
	keys := []string{ref}
	if id := domain.ReferenceID(ref); id != ref {
		keys = append(keys, id)
	}
	if i := strings.LastIndexByte(ref, '/'); i > 0 {
		keys = append(keys, domain.ReferenceID(ref[:i]))
	}
	var out []domain.Movement
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		ms, err := a.movementsFor(ctx, k)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			if key := string(m.Kind) + "\x00" + m.ID; !seen[key] {
				seen[key] = true
				out = append(out, m)
			}
		}
	}
	return out, nil
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
