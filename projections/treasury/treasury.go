package treasury

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name.
const Name = "treasury"

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

// Apply records advances and repayments (insert only), bank lines and the
// expected movements (receipts, reimbursement payments, advances, repayments),
// folding matches onto both.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	var lineIDs []string
	var movKeys []movementKey
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.BankLineMatched:
			lineIDs = append(lineIDs, e.BankLineID)
		case domain.MovementMatched:
			movKeys = append(movKeys, movementKey{string(e.MovementKind), e.MovementID})
		}
	}
	lines, err := loadLines(ctx, tx, lineIDs)
	if err != nil {
		return err
	}
	movs, err := loadMovements(ctx, tx, movKeys)
	if err != nil {
		return err
	}
	var advances, repayments [][]any
	var dirtyLines []string
	var dirtyMovs []movementKey
	movement := func(kind domain.MovementKind, id string) *movementRow {
		k := movementKey{string(kind), id}
		m := movs[k]
		if m == nil {
			m = &movementRow{key: k}
			movs[k] = m
		}
		dirtyMovs = append(dirtyMovs, k)
		return m
	}
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.AdvanceGranted:
			advances = append(advances, []any{e.ContributionID, e.AdvanceID, e.FunderID, e.FundID, e.ProgrammeID, core.Numeric(e.Amount), core.PgDate(e.GrantedOn)})
			m := movement(domain.MovementAdvance, e.AdvanceID)
			m.amount, m.hasAmount, m.date, m.ref = core.CentsOf(e.Amount), true, e.GrantedOn, e.ContributionID
		case domain.AdvanceRepaid:
			repayments = append(repayments, []any{e.ContributionID, e.RepaymentID, e.AdvanceID, core.Numeric(e.Amount), core.PgDate(e.RepaidOn)})
			m := movement(domain.MovementRepayment, e.RepaymentID)
			m.amount, m.hasAmount, m.date, m.ref = core.CentsOf(e.Amount), true, e.RepaidOn, e.ContributionID
		case domain.ContributionReceived:
			m := movement(domain.MovementReceipt, e.ReceiptID)
			m.amount, m.hasAmount, m.date, m.ref = core.CentsOf(e.Amount), true, e.ReceivedOn, e.ContributionID
		case domain.ReimbursementBatchPaid:
			m := movement(domain.MovementReimbursementPayment, e.BatchID)
			m.amount, m.hasAmount, m.date, m.ref = core.CentsOf(e.Total), true, e.PaidOn, e.BankReference
		case domain.MovementMatched:
			m := movement(e.MovementKind, e.MovementID)
			m.line, m.matchedAt = e.BankLineID, e.MatchedAt
		case domain.BankLineImported:
			lines[e.BankLineID] = &lineRow{id: e.BankLineID, date: e.Date, amount: core.CentsOf(e.Amount), ref: e.Reference, label: e.Label}
			dirtyLines = append(dirtyLines, e.BankLineID)
		case domain.BankLineMatched:
			l := lines[e.BankLineID]
			if l == nil {
				return fmt.Errorf("treasury: match at position %d of unknown bank line %s", ev.Position, e.BankLineID)
			}
			l.kind, l.movement, l.matchedAt = string(e.MovementKind), e.MovementID, e.MatchedAt
			dirtyLines = append(dirtyLines, e.BankLineID)
		}
	}
	if err := core.Copy(ctx, tx, "treasury_advances",
		[]string{"contribution_id", "advance_id", "funder_id", "fund_id", "programme_id", "amount", "granted_on"}, advances); err != nil {
		return err
	}
	if err := core.Copy(ctx, tx, "treasury_repayments",
		[]string{"contribution_id", "repayment_id", "advance_id", "amount", "repaid_on"}, repayments); err != nil {
		return err
	}
	b := &pgx.Batch{}
	seen := map[string]bool{}
	var lkeys []string
	for _, id := range dirtyLines {
		if !seen[id] {
			seen[id] = true
			lkeys = append(lkeys, id)
		}
	}
	if n := len(lkeys); n > 0 {
		id, ref, label, kind, mov := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		date := make([]pgtype.Date, n)
		amount := make([]int64, n)
		matched := make([]pgtype.Timestamptz, n)
		for i, k := range lkeys {
			l := lines[k]
			id[i], ref[i], label[i], kind[i], mov[i] = l.id, l.ref, l.label, l.kind, l.movement
			date[i], amount[i], matched[i] = core.PgDate(l.date), l.amount, core.PgTime(l.matchedAt)
		}
		b.Queue(`INSERT INTO treasury_bank_lines (bank_line_id, value_date, amount, reference, label, movement_kind, movement_id, matched_at)
SELECT id, d, a::numeric / 100, r, l, k, m, ma
FROM unnest($1::text[], $2::date[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
     AS u(id, d, a, r, l, k, m, ma)
ON CONFLICT (bank_line_id) DO UPDATE SET value_date = EXCLUDED.value_date, amount = EXCLUDED.amount,
  reference = EXCLUDED.reference, label = EXCLUDED.label, movement_kind = EXCLUDED.movement_kind,
  movement_id = EXCLUDED.movement_id, matched_at = EXCLUDED.matched_at`, id, date, amount, ref, label, kind, mov, matched)
	}
	mseen := map[movementKey]bool{}
	var mkeys []movementKey
	for _, k := range dirtyMovs {
		if !mseen[k] {
			mseen[k] = true
			mkeys = append(mkeys, k)
		}
	}
	if n := len(mkeys); n > 0 {
		kind, id, ref, line := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amount := make([]pgtype.Int8, n)
		date := make([]pgtype.Date, n)
		matched := make([]pgtype.Timestamptz, n)
		for i, k := range mkeys {
			m := movs[k]
			kind[i], id[i], ref[i], line[i] = k.kind, k.id, m.ref, m.line
			amount[i], date[i], matched[i] = pgtype.Int8{Int64: m.amount, Valid: m.hasAmount}, core.PgDate(m.date), core.PgTime(m.matchedAt)
		}
		b.Queue(`INSERT INTO treasury_movements (kind, movement_id, amount, value_date, reference, bank_line_id, matched_at)
SELECT k, id, a::numeric / 100, d, r, l, ma
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::date[], $5::text[], $6::text[], $7::timestamptz[]) AS u(k, id, a, d, r, l, ma)
ON CONFLICT (kind, movement_id) DO UPDATE SET amount = EXCLUDED.amount, value_date = EXCLUDED.value_date,
  reference = EXCLUDED.reference, bank_line_id = EXCLUDED.bank_line_id, matched_at = EXCLUDED.matched_at`,
			kind, id, amount, date, ref, line, matched)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("treasury: %w", err)
	}
	return nil
}

func loadLines(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*lineRow, error) {
	out := map[string]*lineRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT bank_line_id, value_date, amount, reference, label, movement_kind, movement_id, matched_at
FROM unnest($1::text[]) AS k(id) JOIN treasury_bank_lines ON bank_line_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("treasury: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var l lineRow
		var amount domain.Money
		var matched pgtype.Timestamptz
		if err := rows.Scan(&l.id, core.ScanDate(&l.date), core.ScanMoney(&amount), &l.ref, &l.label, &l.kind, &l.movement, &matched); err != nil {
			return nil, err
		}
		l.amount, l.matchedAt = core.CentsOf(amount), core.TimeOf(matched)
		out[l.id] = &l
	}
	return out, rows.Err()
}

func loadMovements(ctx context.Context, tx pgx.Tx, keys []movementKey) (map[movementKey]*movementRow, error) {
	out := map[movementKey]*movementRow{}
	if len(keys) == 0 {
		return out, nil
	}
	kinds, ids := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		kinds[i], ids[i] = k.kind, k.id
	}
	rows, err := tx.Query(ctx, `SELECT m.kind, m.movement_id, m.amount, m.value_date, m.reference, m.bank_line_id, m.matched_at
FROM treasury_movements m JOIN unnest($1::text[], $2::text[]) AS u(k, id) ON m.kind = u.k AND m.movement_id = u.id`, kinds, ids)
	if err != nil {
		return nil, fmt.Errorf("treasury: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m movementRow
		var amount pgtype.Numeric
		var matched pgtype.Timestamptz
		if err := rows.Scan(&m.key.kind, &m.key.id, &amount, core.ScanDate(&m.date), &m.ref, &m.line, &matched); err != nil {
			return nil, err
		}
		if amount.Valid {
			a, err := core.MoneyOf(amount)
			if err != nil {
				return nil, err
			}
			m.amount, m.hasAmount = core.CentsOf(a), true
		}
		m.matchedAt = core.TimeOf(matched)
		out[m.key] = &m
	}
	return out, rows.Err()
}
