package balances

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/balances/internal/dbsqlc"
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
		return balancesOf(queries.Balances(ctx, core.ReadOnly(q)))
	}
	rows, err := queries.BalancesAsOf(ctx, core.ReadOnly(q), core.PgDate(*asOf))
	return balancesOf(convert(rows, err, func(r dbsqlc.BalancesAsOfRow) dbsqlc.AccountBalance {
		return dbsqlc.AccountBalance{Account: r.Account, Balance: r.Balance}
	}))
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
	rows, err := queries.BalancesAtPosition(ctx, core.ReadOnly(q), dbsqlc.BalancesAtPositionParams{
		TransactionID: pgtype.Uint64{Uint64: cur.TxID, Valid: true}, Position: cur.Position})
	return balancesOf(convert(rows, err, func(r dbsqlc.BalancesAtPositionRow) dbsqlc.AccountBalance {
		return dbsqlc.AccountBalance{Account: r.Account, Balance: r.Balance}
	}))
}

// Balance returns one account's balance (0.00 for an account that never moved), at
// the checkpoint or as of a date (see Balances).
func Balance(ctx context.Context, q core.Querier, account string, asOf *domain.Date) (domain.Money, error) {
	var n pgtype.Numeric
	var err error
	if asOf == nil {
		n, err = queries.Balance(ctx, core.ReadOnly(q), account)
	} else {
		n, err = queries.BalanceAsOf(ctx, core.ReadOnly(q), dbsqlc.BalanceAsOfParams{Account: account, AsOf: core.PgDate(*asOf)})
	}
	var m domain.Money
	if err == nil {
		m, err = core.MoneyOf(n)
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
	bs, err := balancesOf(queries.AccountsBalances(ctx, core.ReadOnly(q), accounts))
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
	row, err := queries.TrialBalance(ctx, core.ReadOnly(q))
	if err == nil {
		total, err = core.MoneyOf(row.Total)
	}
	if err != nil {
		return domain.Money{}, 0, fmt.Errorf("balances: trial balance: %w", err)
	}
	return total, int(row.Accounts), nil
}

// balancesOf converts the rows of a balances query (account, numeric balance).
func balancesOf(rows []dbsqlc.AccountBalance, err error) ([]AccountBalance, error) {
	if err != nil {
		return nil, fmt.Errorf("balances: %w", err)
	}
	out := make([]AccountBalance, len(rows))
	for i, r := range rows {
		m, err := core.MoneyOf(r.Balance)
		if err != nil {
			return nil, fmt.Errorf("balances: %s: %w", r.Account, err)
		}
		out[i] = AccountBalance{Account: r.Account, Balance: m}
	}
	return out, nil
}

// convert maps the rows of a generated query to another row type (sqlc gives
// each query its own), passing its error through.
func convert[R, S any](rows []R, err error, f func(R) S) ([]S, error) {
	if err != nil {
		return nil, err
	}
	out := make([]S, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out, nil
}
