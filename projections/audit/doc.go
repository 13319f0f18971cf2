// Package audit is the funder audit-trail projection (SPEC §2 and §5): for one
// funder at a date, its euros pledged, received, unallocated, allocated by
// territory, minted, redeemed by territory and by place, expired or blocked
// (returned), reimbursed, and its leverage (others' euros per own euro in the
// programmes it co-funds). Trail documents each figure and the identities that tie
// them to the pledge.
//
// Tables: funder_flows holds one row per share an event attributed to a funder
// (kind pledged, received, advanced, advance_repaid, allocated, redeemed, reversed,
// expired, blocked, unminted_returned, fee, fee_reversed, reimbursed), with the
// programme, the fund it came through, the territory and place, the amount and the
// event's effective date; Audit sums them for one funder up to a date.
// audit_programmes, audit_programme_funders and audit_programme_minted give the
// leverage and the minted share; audit_redemptions keeps each redemption's
// attribution so that, when a batch claims it, its shares go to audit_batch_shares,
// and when that batch is paid they become reimbursed flows (a payment event names
// places and programmes, not funders). audit_funders names the funders.
//
// What it must not do: split an amount that an event already split. The shares are
// the attributions the write side recorded (ChequeRedeemed.Attribution,
// ChequeExpired.Attribution, ProgrammeCreated.Funders with the fund draws'
// attributions, ProgrammeClosed.UnmintedAttribution), so the trail and the write
// side agree to the cent; the only computed split is the informative Minted figure.
// It must not read another projection's tables either.
package audit
