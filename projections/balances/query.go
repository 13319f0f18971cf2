package balances

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// AccountBalance is an account of the chart of accounts (domain/accounts.go) and
// its balance: debits positive, credits negative (a place's payable account, owed
// to the place, is negative).
type AccountBalance struct {
	Account string       `json:"account"`
	Balance domain.Money `json:"balance"`
}

// Balances returns every account that has moved and its balance, sorted by account:
// at the projection's checkpoint when asOf is nil, else counting only the postings
// whose effective date (core.EffectiveDate) is on or before *asOf. An account whose
// postings cancel out is listed with 0.00.
func Balances(ctx context.Context, q core.Querier, asOf *domain.Date) ([]AccountBalance, error) {
	if asOf == nil {
		return scanBalances(q.Query(ctx, `SELECT account, balance FROM account_balances ORDER BY account`))
	}
	return scanBalances(q.Query(ctx, `SELECT account, sum(amount) FROM account_daily_movements
WHERE effective_date <= $1 GROUP BY account ORDER BY account`, core.PgDate(*asOf)))
}

// BalancesAtPosition returns every account's balance right after the event at
// position, in the gap-free reading order of the log (so it includes exactly the
// events a reader had seen when that event became visible). It returns
// core.ErrNotReached (core.ErrNotReached) if the projection has not applied
// that event yet, and ErrUnknownPosition for a position without event. It scans
// ledger_postings: an audit query, not a hot path. The position's cursor comes
// from store.
func BalancesAtPosition(ctx context.Context, q core.Querier, store *eventstore.Store, position int64) ([]AccountBalance, error) {
	cur, err := core.Reached(ctx, q, store, Name, position)
	if err != nil {
		return nil, err
	}
	return scanBalances(q.Query(ctx, `SELECT account, sum(amount) FROM ledger_postings
WHERE (transaction_id, position) <= ($1::xid8, $2::bigint) GROUP BY account ORDER BY account`, cur.TxID, cur.Position))
}

// Balance returns one account's balance (0.00 for an account that never moved), at
// the checkpoint or as of a date (see Balances).
func Balance(ctx context.Context, q core.Querier, account string, asOf *domain.Date) (domain.Money, error) {
	var m domain.Money
	var err error
	if asOf == nil {
		err = q.QueryRow(ctx, `SELECT coalesce(sum(balance), 0) FROM account_balances WHERE account = $1`, account).Scan(core.ScanMoney(&m))
	} else {
		err = q.QueryRow(ctx, `SELECT coalesce(sum(amount), 0) FROM account_daily_movements WHERE account = $1 AND effective_date <= $2`,
			account, core.PgDate(*asOf)).Scan(core.ScanMoney(&m))
	}
	if err != nil {
		return domain.Money{}, fmt.Errorf("balances: %s: %w", account, err)
	}
	return m, nil
}

// ProgrammeCash returns the ring-fenced cash of a programme (the balance of
// cash:programme:P): what its receipts, advances and fund draws brought, minus the
// repayments and reimbursement payments it made.
func ProgrammeCash(ctx context.Context, q core.Querier, programmeID string) (domain.Money, error) {
	return Balance(ctx, q, domain.AccountProgrammeCash(programmeID), nil)
}

// FundCash returns the cash of a support fund (cash:fund:X).
func FundCash(ctx context.Context, q core.Querier, fundID string) (domain.Money, error) {
	return Balance(ctx, q, domain.AccountFundCash(fundID), nil)
}

// ProgrammesCash returns the cash of each programme listed (the cashAvailable map of
// domain.PayReimbursementBatch); a programme without cash maps to 0.00.
func ProgrammesCash(ctx context.Context, q core.Querier, programmeIDs []string) (map[string]domain.Money, error) {
	accounts := make([]string, len(programmeIDs))
	byAccount := make(map[string]string, len(programmeIDs))
	out := make(map[string]domain.Money, len(programmeIDs))
	for i, p := range programmeIDs {
		accounts[i] = domain.AccountProgrammeCash(p)
		byAccount[accounts[i]] = p
		out[p] = domain.Money{}
	}
	bs, err := scanBalances(q.Query(ctx, `SELECT account, balance FROM account_balances WHERE account = ANY($1)`, accounts))
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		out[byAccount[b.Account]] = b.Balance
	}
	return out, nil
}

// TrialBalance returns the sum of every account's balance, which double entry keeps
// at exactly 0.00, and the number of accounts.
func TrialBalance(ctx context.Context, q core.Querier) (total domain.Money, accounts int, err error) {
	err = q.QueryRow(ctx, `SELECT coalesce(sum(balance), 0), count(*) FROM account_balances`).Scan(core.ScanMoney(&total), &accounts)
	if err != nil {
		return domain.Money{}, 0, fmt.Errorf("balances: trial balance: %w", err)
	}
	return total, accounts, nil
}

func scanBalances(rows pgx.Rows, err error) ([]AccountBalance, error) {
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	defer rows.Close()
	out := []AccountBalance{}
	for rows.Next() {
		var b AccountBalance
		if err := rows.Scan(&b.Account, core.ScanMoney(&b.Balance)); err != nil {
			return nil, fmt.Errorf("balances: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	return out, nil
}
