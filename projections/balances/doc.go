// Package balances is the double-entry ledger projection (SPEC §5: account
// balances, at the latest position and at any past date; a trial balance that sums
// to zero).
//
// From every event it takes domain.Postings (the chart of accounts of
// domain/accounts.go, debits positive, credits negative) and keeps:
//
//   - ledger_postings: one row per event and account (the event's legs on that
//     account summed), with the event's position and transaction id, so balances
//     can be recomputed right after any event of the log (BalancesAtPosition), and
//     its effective date (core.EffectiveDate: the business date of the event);
//   - account_balances: each account's balance at the projection's checkpoint;
//   - account_daily_movements: each account's net movement per effective date, so
//     balances as of a date (Balances with asOf) sum a few rows per account.
//
// Every event's postings sum to zero, so TrialBalance is always 0.00: a non-zero
// trial balance means a bug in domain.Postings or here, never a business state.
//
// What it must not do: compute a posting itself (domain.Postings is the only source,
// so the ledger and the write side agree), read another projection's tables, or
// depend on how the log is cut into batches (sums are per event and per day, so live
// and rebuilt tables are equal row for row).
//
// # SQL
//
// Every statement is in internal/dbsqlc/balances.sql, compiled by sqlc against the
// migrations (make sqlc); Apply queues its upserts in one pgx.Batch
// (core.Queue). The one exception is the binary COPY into
// ledger_postings (core.CopyWriter.Send into postingsTable, columns postingColumns
// in balances.go): sqlc does not compile COPY.
package balances
