// Package treasury is the treasury projection (SPEC §3 and §5): treasury advances
// (avances de trésorerie) granted against funders' pledges, their repayments, and
// what is outstanding by age on any date (ageing buckets 0–90, 91–180, 181–365,
// over 365 days, domain.AgeingBucket); and bank reconciliation: every imported
// bank statement line with the expected movement it was matched to, and the
// expected movements (receipts, reimbursement payments, advances, repayments) that
// no line matches yet.
//
// Tables: treasury_advances and treasury_repayments (insert only, so advances are
// exact on any past date), treasury_bank_lines, treasury_movements.
//
// What it must not do: match anything itself (matching is a command of the write
// side, domain.MatchBankLine), net advances against anything, or read another
// projection's tables.
//
// # SQL
//
// Every statement is in internal/dbsqlc/treasury.sql, compiled by sqlc against the
// migrations (make sqlc); Apply queues its upserts in one pgx.Batch
// (core.Queue). The exceptions are the two COPYs of Apply (core.Copy
// into advancesTable and repaymentsTable, columns advanceColumns and
// repaymentColumns in treasury.go): sqlc does not compile COPY.
package treasury
