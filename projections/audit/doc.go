// Package audit is the funder audit-trail projection (SPEC §2 and §5): for one
// funder at a date, its euros pledged, received, unallocated, allocated by
// territory, minted, redeemed by territory and by place, expired or blocked
// (returned), reimbursed, and its leverage (others' euros per own euro in the
// programmes it co-funds). Trail documents each figure and the identities that tie
// them to the pledge.
//
// Tables: funder_flows holds what a funder owns outright (kind pledged, received,
// advanced, advance_repaid, allocated: its programme funding lines), with the
// programme, the fund it came through, the territory, the amount and the event's
// effective date. audit_programme_flows holds each programme's cheque outcomes
// (redeemed, reversed, expired, blocked, unminted_returned, fee, fee_reversed,
// reimbursed) by territory, place and effective date: events carry no attribution.
// audit_programmes, audit_programme_funders and audit_programme_minted give the
// funders of each programme, the leverage and the minted share; audit_redemptions
// keeps each redemption's programme, place and amount so that, when a batch claims
// it, its amount goes to audit_batch_shares, and when that batch is paid it becomes
// a reimbursed programme flow. audit_funders names the funders.
//
// Attribution happens when a trail is read: each programme's totals as of the date
// are attributed with domain.AttributeProgramme (every funder within a cent of its
// exact share in every category, nothing left in a closed programme), a function of
// the totals alone, so the trail is deterministic from the log whatever the order
// of the events. The projection must not read another projection's tables.
//
// # SQL
//
// Every statement is in internal/dbsqlc/audit.sql, compiled by sqlc against the
// migrations (make sqlc); Apply queues its writes in one pgx.Batch
// (core.Queue). The one exception is the binary COPY into
// audit_redemptions (core.CopyWriter.Send into redemptionsTable, columns
// redemptionColumns in audit.go): sqlc does not compile COPY.
package audit
