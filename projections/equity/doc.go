// Package equity is the territorial equity projection (SPEC §5): per territory
// (French département code) and per fund, the population, fragility rate and need,
// the euros allocated by péréquation, and the face value minted, issued, redeemed,
// expired and blocked by the programmes of the territory; from which Report derives
// the euros allocated per unit of need (coverage), the redemption rate, the
// territories below 80 % of the median coverage, and the national need-weighted
// Gini coefficient of coverage (see Figures for the exact definitions). WriteCSV
// writes a report for a French spreadsheet (`passledger report equity --format csv`,
// the API's CSV); a Figures value encodes to JSON as it is. The report's HTML page
// is package web's.
//
// Tables: equity_needs (every need record, the report picks the latest as of its
// date), equity_fund_territories, equity_allocations (per fund, territory and
// effective date), equity_programmes (programme → territory), equity_programme_flows
// (per programme and effective date). Rows are sums per day, so the report reads a
// few thousand rows whatever the size of the log, and as-of-date figures are exact.
//
// What it must not do: recompute a péréquation (the allocations are the ones the
// PerequationRun event recorded), read another projection's tables, or round before
// the end (every ratio, the median, the flags and the Gini are computed from exact
// decimals and rationals, then rounded once to RatioDecimals).
//
// # SQL
//
// Every statement is in internal/dbsqlc/equity.sql, compiled by sqlc against the
// migrations (make sqlc); Apply queues its writes in one pgx.Batch
// (core.Queue). There is no hand-written SQL.
package equity
