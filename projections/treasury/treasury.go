package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/treasury/internal/dbsqlc"
)

// Name is the projection's name.
const Name = "treasury"

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/treasury.sql).
var queries = dbsqlc.New()

// Projection keeps treasury advances and bank reconciliation.
type Projection struct{}

// New returns the treasury projection.
func New() *Projection { return &Projection{} }

// Name returns "treasury".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string {
	return []string{"treasury_advances", "treasury_repayments", "treasury_bank_lines", "treasury_movements"}
}

type lineRow struct {
	id             string
	date           domain.Date
	amount         int64
	ref, label     string
	kind, movement string
	matchedAt      time.Time
}

type movementKey struct{ kind, id string }

type movementRow struct {
	key       movementKey
	amount    int64
	hasAmount bool
	date      domain.Date
	ref       string
	line      string
	matchedAt time.Time
}

// page is what Apply folds one page of events into: the bank lines and expected
// movements it touches (loaded first when a match names them), the advances and
// repayments to copy, and which lines and movements to write back, in order.
type page struct {
	lines                map[string]*lineRow
	movs                 map[movementKey]*movementRow
	advances, repayments [][]any
	dirtyLines           []string
	dirtyMovs            []movementKey
}

// movement returns the movement of that kind and id, new when the page has not
// seen it, and marks it to be written back.
func (p *page) movement(kind domain.MovementKind, id string) *movementRow {
	k := movementKey{string(kind), id}
	m := p.movs[k]
	if m == nil {
		m = &movementRow{key: k}
		p.movs[k] = m
	}
	p.dirtyMovs = append(p.dirtyMovs, k)
	return m
}

// expected records an expected movement's amount, date and reference.
func (p *page) expected(kind domain.MovementKind, id string, amount domain.Money, date domain.Date, ref string) {
	m := p.movement(kind, id)
	m.amount, m.hasAmount, m.date, m.ref = core.CentsOf(amount), true, date, ref
}

// matches lists the bank lines and movements that a page's matches name, which
// Apply loads before folding the page (a match may come pages after the line or
// the movement).
type matches struct {
	lineIDs []string
	movKeys []movementKey
}

var (
	// wanted collects a page's matches.
	wanted = core.NewHandlers[*matches]()
	// fold folds a page's events into the page, one handler per event type.
	fold = core.NewHandlers[*page]()
)

func init() {
	core.On(wanted, func(m *matches, _ core.Event, e domain.BankLineMatched) error {
		m.lineIDs = append(m.lineIDs, e.BankLineID)
		return nil
	})
	core.On(wanted, func(m *matches, _ core.Event, e domain.MovementMatched) error {
		m.movKeys = append(m.movKeys, movementKey{string(e.MovementKind), e.MovementID})
		return nil
	})

	core.On(fold, func(p *page, _ core.Event, e domain.AdvanceGranted) error {
		p.advances = append(p.advances, []any{e.ContributionID, e.AdvanceID, e.FunderID, e.FundID, e.ProgrammeID, core.Numeric(e.Amount), core.PgDate(e.GrantedOn)})
		p.expected(domain.MovementAdvance, e.AdvanceID, e.Amount, e.GrantedOn, e.ContributionID)
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.AdvanceRepaid) error {
		p.repayments = append(p.repayments, []any{e.ContributionID, e.RepaymentID, e.AdvanceID, core.Numeric(e.Amount), core.PgDate(e.RepaidOn)})
		p.expected(domain.MovementRepayment, e.RepaymentID, e.Amount, e.RepaidOn, e.ContributionID)
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.ContributionReceived) error {
		p.expected(domain.MovementReceipt, e.ReceiptID, e.Amount, e.ReceivedOn, e.ContributionID)
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.ReimbursementBatchPaid) error {
		p.expected(domain.MovementReimbursementPayment, e.BatchID, e.Total, e.PaidOn, e.BankReference)
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.MovementMatched) error {
		m := p.movement(e.MovementKind, e.MovementID)
		m.line, m.matchedAt = e.BankLineID, e.MatchedAt
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.BankLineImported) error {
		p.lines[e.BankLineID] = &lineRow{id: e.BankLineID, date: e.Date, amount: core.CentsOf(e.Amount), ref: e.Reference, label: e.Label}
		p.dirtyLines = append(p.dirtyLines, e.BankLineID)
		return nil
	})
	core.On(fold, func(p *page, ev core.Event, e domain.BankLineMatched) error {
		l := p.lines[e.BankLineID]
		if l == nil {
			return fmt.Errorf("treasury: match at position %d of unknown bank line %s", ev.Position, e.BankLineID)
		}
		l.kind, l.movement, l.matchedAt = string(e.MovementKind), e.MovementID, e.MatchedAt
		p.dirtyLines = append(p.dirtyLines, e.BankLineID)
		return nil
	})
}

// The COPY of Apply (sqlc does not compile COPY): the tables and their columns in
// the order of the rows the fold builds.
const (
	advancesTable   = "treasury_advances"
	repaymentsTable = "treasury_repayments"
)

var (
	advanceColumns   = []string{"contribution_id", "advance_id", "funder_id", "fund_id", "programme_id", "amount", "granted_on"}
	repaymentColumns = []string{"contribution_id", "repayment_id", "advance_id", "amount", "repaid_on"}
)

// Apply records advances and repayments (insert only), bank lines and the
// expected movements (receipts, reimbursement payments, advances, repayments),
// folding matches onto both: it loads the lines and movements the page's matches
// name, folds the page (fold), copies the advances and repayments, and writes the
// touched lines and movements back whole, in one round trip.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	var m matches
	if err := wanted.HandleAll(&m, events); err != nil {
		return err
	}
	lines, err := loadLines(ctx, tx, m.lineIDs)
	if err != nil {
		return err
	}
	movs, err := loadMovements(ctx, tx, m.movKeys)
	if err != nil {
		return err
	}
	p := &page{lines: lines, movs: movs}
	if err := fold.HandleAll(p, events); err != nil {
		return err
	}
	if err := core.Copy(ctx, tx, advancesTable, advanceColumns, p.advances); err != nil {
		return err
	}
	if err := core.Copy(ctx, tx, repaymentsTable, repaymentColumns, p.repayments); err != nil {
		return err
	}
	b := &pgx.Batch{}
	q := core.Queue(b)
	if lkeys := core.Unique(p.dirtyLines); len(lkeys) > 0 {
		if err := queries.UpsertBankLines(ctx, q, bankLineRows(lkeys, p.lines)); err != nil {
			return fmt.Errorf("treasury: %w", err)
		}
	}
	if mkeys := uniqueMovements(p.dirtyMovs); len(mkeys) > 0 {
		if err := queries.UpsertMovements(ctx, q, movementRows(mkeys, p.movs)); err != nil {
			return fmt.Errorf("treasury: %w", err)
		}
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	return nil
}

// bankLineRows gives the columns of the lines named by keys, in that order.
func bankLineRows(keys []string, lines map[string]*lineRow) dbsqlc.UpsertBankLinesParams {
	n := len(keys)
	r := dbsqlc.UpsertBankLinesParams{
		Ids: make([]string, n), Dates: make([]pgtype.Date, n), Cents: make([]int64, n), Refs: make([]string, n),
		Labels: make([]string, n), MovementKinds: make([]string, n), MovementIds: make([]string, n),
		MatchedAt: make([]pgtype.Timestamptz, n),
	}
	for i, k := range keys {
		l := lines[k]
		r.Ids[i], r.Refs[i], r.Labels[i], r.MovementKinds[i], r.MovementIds[i] = l.id, l.ref, l.label, l.kind, l.movement
		r.Dates[i], r.Cents[i], r.MatchedAt[i] = core.PgDate(l.date), l.amount, core.PgTime(l.matchedAt)
	}
	return r
}

// movementRows gives the columns of the movements named by keys, in that order
// (a NULL amount while only the match is known).
func movementRows(keys []movementKey, movs map[movementKey]*movementRow) dbsqlc.UpsertMovementsParams {
	n := len(keys)
	r := dbsqlc.UpsertMovementsParams{
		Kinds: make([]string, n), Ids: make([]string, n), Amounts: make([]pgtype.Numeric, n), Dates: make([]pgtype.Date, n),
		Refs: make([]string, n), BankLineIds: make([]string, n), MatchedAt: make([]pgtype.Timestamptz, n),
	}
	for i, k := range keys {
		m := movs[k]
		r.Kinds[i], r.Ids[i], r.Refs[i], r.BankLineIds[i] = k.kind, k.id, m.ref, m.line
		if m.hasAmount {
			r.Amounts[i] = core.CentsNumeric(m.amount)
		}
		r.Dates[i], r.MatchedAt[i] = core.PgDate(m.date), core.PgTime(m.matchedAt)
	}
	return r
}

// uniqueMovements returns keys without repeats, in the order of first occurrence.
func uniqueMovements(keys []movementKey) []movementKey {
	seen := make(map[movementKey]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// loadLines reads the bank lines named by ids.
func loadLines(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*lineRow, error) {
	out := map[string]*lineRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.BankLinesByID(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("treasury: load: %w", err)
	}
	for _, r := range rows {
		amount, err := core.MoneyOf(r.Amount)
		if err != nil {
			return nil, fmt.Errorf("treasury: load: %w", err)
		}
		out[r.BankLineID] = &lineRow{id: r.BankLineID, date: core.DateOf(r.ValueDate), amount: core.CentsOf(amount),
			ref: r.Reference, label: r.Label, kind: r.MovementKind, movement: r.MovementID, matchedAt: core.TimeOf(r.MatchedAt)}
	}
	return out, nil
}

// loadMovements reads the expected movements named by keys.
func loadMovements(ctx context.Context, tx pgx.Tx, keys []movementKey) (map[movementKey]*movementRow, error) {
	out := map[movementKey]*movementRow{}
	if len(keys) == 0 {
		return out, nil
	}
	kinds, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ids[i] = k.kind, k.id
	}
	rows, err := queries.MovementsByKey(ctx, tx, dbsqlc.MovementsByKeyParams{Kinds: kinds, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("treasury: load: %w", err)
	}
	for _, r := range rows {
		m := movementRow{key: movementKey{r.Kind, r.MovementID}, date: core.DateOf(r.ValueDate), ref: r.Reference,
			line: r.BankLineID, matchedAt: core.TimeOf(r.MatchedAt)}
		if r.Amount.Valid {
			a, err := core.MoneyOf(r.Amount)
			if err != nil {
				return nil, fmt.Errorf("treasury: load: %w", err)
			}
			m.amount, m.hasAmount = core.CentsOf(a), true
		}
		out[m.key] = &m
	}
	return out, nil
}
