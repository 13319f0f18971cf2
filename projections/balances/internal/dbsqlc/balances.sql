-- The balances projection (projections/balances). Apply writes ledger_postings
-- with a binary COPY (projections/balances/balances.go) and queues the two
-- upserts below in one pgx.Batch (core.Queue); the reads are the query functions of
-- projections/balances/query.go. Amounts travel as whole cents (bigint) and
-- become numeric(18,2) here.

-- UpsertBalances adds each account's sum of a page's postings to its balance.
-- name: UpsertBalances :exec
INSERT INTO account_balances (account, balance)
SELECT u.a, u.c::numeric / 100
FROM ROWS FROM (unnest(@accounts::text[]), unnest(@cents::bigint[])) AS u(a, c)
ON CONFLICT (account) DO UPDATE SET balance = account_balances.balance + EXCLUDED.balance;

-- UpsertDailyMovements adds each account's sum per effective date.
-- name: UpsertDailyMovements :exec
INSERT INTO account_daily_movements (account, effective_date, amount)
SELECT u.a, u.d, u.c::numeric / 100
FROM ROWS FROM (unnest(@accounts::text[]), unnest(@dates::date[]), unnest(@cents::bigint[])) AS u(a, d, c)
ON CONFLICT (account, effective_date) DO UPDATE SET amount = account_daily_movements.amount + EXCLUDED.amount;

-- name: Balances :many
SELECT account, balance FROM account_balances ORDER BY account;

-- name: BalancesAsOf :many
SELECT account, sum(amount)::numeric AS balance FROM account_daily_movements
WHERE effective_date <= @as_of GROUP BY account ORDER BY account;

-- BalancesAtPosition sums the postings up to a cursor of the log (transaction id,
-- position), in its gap-free reading order.
-- name: BalancesAtPosition :many
SELECT account, sum(amount)::numeric AS balance FROM ledger_postings
WHERE (transaction_id, position) <= (@transaction_id::xid8, @position::bigint) GROUP BY account ORDER BY account;

-- name: AccountsBalances :many
SELECT account, balance FROM account_balances WHERE account = ANY(@accounts::text[]);

-- name: Balance :one
SELECT coalesce(sum(balance), 0)::numeric AS balance FROM account_balances WHERE account = @account;

-- name: BalanceAsOf :one
SELECT coalesce(sum(amount), 0)::numeric AS balance FROM account_daily_movements
WHERE account = @account AND effective_date <= @as_of;

-- name: TrialBalance :one
SELECT coalesce(sum(balance), 0)::numeric AS total, count(*) AS accounts FROM account_balances;
