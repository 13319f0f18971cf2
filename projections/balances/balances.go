package balances

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/balances/internal/dbsqlc"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name (checkpoint key, `replay --projection balances`).
const Name = "balances"

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/balances.sql).
var queries = dbsqlc.New()

// Projection keeps the double-entry ledger: every posting, each account's balance,
// and each account's net movement per effective date.
type Projection struct{}

// New returns the balances projection.
func New() *Projection { return &Projection{} }

// Name returns "balances".
func (*Projection) Name() string { return Name }

// Tables returns ledger_postings, account_balances and account_daily_movements.
func (*Projection) Tables() []string {
	return []string{"ledger_postings", "account_balances", "account_daily_movements"}
}

type dayKey struct {
	account string
	day     domain.Date
}

type posting struct {
	position  int64
	txID      uint64
	eventType string
	account   string
	cents     int64
	recorded  time.Time
	day       domain.Date
}

// The binary COPY of Apply, the one SQL of the projection that sqlc does not
// compile (see the package documentation): the table and its columns in the order
// Apply writes them.
const postingsTable = "ledger_postings"

var postingColumns = []string{"position", "transaction_id", "event_type", "account", "amount", "recorded_at", "effective_date"}

type leg struct {
	account string
	cents   int64
}

// Apply writes the postings of events (domain.Postings, legs of one account in one
// event summed, zero sums dropped) with a binary COPY, and adds their sums to the account
// balances and daily movements with one upsert each.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	rows := make([]posting, 0, len(events)*3)
	balance := map[string]int64{}
	daily := map[dayKey]int64{}
	var accounts []string
	var days []dayKey
	var legs []leg
	for _, ev := range events {
		ps := domain.Postings(ev.Data)
		if len(ps) == 0 {
			continue
		}
		day := ev.Date()
		// Sum the legs per account, keeping the order in which accounts appear.
		legs = legs[:0]
	next:
		for _, p := range ps {
			c := core.CentsOf(p.Amount)
			for i := range legs {
				if legs[i].account == p.Account {
					legs[i].cents += c
					continue next
				}
			}
			legs = append(legs, leg{p.Account, c})
		}
		for _, l := range legs {
			if l.cents == 0 {
				continue
			}
			rows = append(rows, posting{ev.Position, ev.TxID, ev.Type, l.account, l.cents, ev.RecordedAt, day})
			if _, seen := balance[l.account]; !seen {
				accounts = append(accounts, l.account)
			}
			balance[l.account] += l.cents
			k := dayKey{l.account, day}
			if _, seen := daily[k]; !seen {
				days = append(days, k)
			}
			daily[k] += l.cents
		}
	}
	if len(rows) == 0 {
		return nil
	}
	w := core.NewCopyWriter(7)
	w.Grow(len(rows) * 100)
	for i := range rows {
		r := &rows[i]
		w.Row()
		w.Int8(r.position)
		w.XID8(r.txID)
		w.Text(r.eventType)
		w.Text(r.account)
		w.Cents(r.cents)
		w.Time(r.recorded)
		w.Date(r.day)
	}
	if err := w.Send(ctx, tx, postingsTable, postingColumns); err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	amounts := make([]int64, len(accounts))
	for i, a := range accounts {
		amounts[i] = balance[a]
	}
	dAccounts := make([]string, len(days))
	dDates := make([]pgtype.Date, len(days))
	dAmounts := make([]int64, len(days))
	for i, k := range days {
		dAccounts[i], dDates[i], dAmounts[i] = k.account, core.PgDate(k.day), daily[k]
	}
	b := &pgx.Batch{}
	q := core.Queue(b)
	if err := queries.UpsertBalances(ctx, q, dbsqlc.UpsertBalancesParams{Accounts: accounts, Cents: amounts}); err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	if err := queries.UpsertDailyMovements(ctx, q, dbsqlc.UpsertDailyMovementsParams{Accounts: dAccounts, Dates: dDates, Cents: dAmounts}); err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	return nil
}
