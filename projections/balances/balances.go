package balances

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name (checkpoint key, `replay --projection balances`).
const Name = "balances"

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

// Apply writes the postings of events (domain.Postings, legs of one account in one
// event summed, zero sums dropped) with COPY, and adds their sums to the account
// balances and daily movements with one upsert each.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	var rows [][]any
	balance := map[string]int64{}
	daily := map[dayKey]int64{}
	var accounts []string
	var days []dayKey
	for _, ev := range events {
		ps := domain.Postings(ev.Data)
		if len(ps) == 0 {
			continue
		}
		day := ev.Date()
		// Sum the legs per account, keeping the order in which accounts appear.
		order := make([]string, 0, len(ps))
		sums := make(map[string]int64, len(ps))
		for _, p := range ps {
			if _, seen := sums[p.Account]; !seen {
				order = append(order, p.Account)
			}
			sums[p.Account] += p.Amount.Cents()
		}
		for _, a := range order {
			c := sums[a]
			if c == 0 {
				continue
			}
			rows = append(rows, []any{ev.Position, ev.TxID, ev.Type, a, core.CentsNumeric(c), ev.RecordedAt, core.PgDate(day)})
			if _, seen := balance[a]; !seen {
				accounts = append(accounts, a)
			}
			balance[a] += c
			k := dayKey{a, day}
			if _, seen := daily[k]; !seen {
				days = append(days, k)
			}
			daily[k] += c
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := core.Copy(ctx, tx, "ledger_postings",
		[]string{"position", "transaction_id", "event_type", "account", "amount", "recorded_at", "effective_date"}, rows); err != nil {
		return err
	}
	amounts := make([]int64, len(accounts))
	for i, a := range accounts {
		amounts[i] = balance[a]
	}
	dAccounts := make([]string, len(days))
	dDates := make([]any, len(days))
	dAmounts := make([]int64, len(days))
	for i, k := range days {
		dAccounts[i], dDates[i], dAmounts[i] = k.account, core.PgDate(k.day), daily[k]
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO account_balances (account, balance)
SELECT a, c::numeric / 100 FROM unnest($1::text[], $2::bigint[]) AS u(a, c)
ON CONFLICT (account) DO UPDATE SET balance = account_balances.balance + EXCLUDED.balance`, accounts, amounts)
	b.Queue(`INSERT INTO account_daily_movements (account, effective_date, amount)
SELECT a, d, c::numeric / 100 FROM unnest($1::text[], $2::date[], $3::bigint[]) AS u(a, d, c)
ON CONFLICT (account, effective_date) DO UPDATE SET amount = account_daily_movements.amount + EXCLUDED.amount`,
		dAccounts, dDates, dAmounts)
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("balances: %w", err)
	}
	return nil
}
