// Package web is the ledger's second port, for people rather than programs:
// server-rendered HTML pages (html/template, no JavaScript) for the daily jobs of
// each role, and the territorial equity report as a page with its map and chart
// drawn as inline SVG on the server.
//
//   - /connexion: log in with an access token (plt_…); the session is a signed,
//     HttpOnly, SameSite=Strict cookie (Secure over TLS), every form carries a
//     per-session CSRF token checked on POST;
//   - /lieu: a place redeems a cheque (signed receipt to download) and reads its
//     statement and reimbursements;
//   - /prescripteur: a prescriber issues a carnet from its stock and sees what it
//     issued;
//   - /financeurs/{id}: a funder's audit trail, printable;
//   - /finance: reimbursement batches with their SEPA and XLSX downloads and the
//     bank reconciliation status;
//   - /reports/equity: the equity report (tile-grid map, ranked bars, Gini,
//     flagged territories, downloads); WriteEquityPage writes the same page for
//     `passledger report equity --format html`.
//
// The pages hold no business rule. Writes go through the API in process
// (api.Server.ServeAs): the same route table, role checks, idempotency record and
// eventstore command as a bearer request, with a key per rendered form as the
// Idempotency-Key, so a form submitted twice writes once. Reads call the
// projections' query functions the API handlers call, after waiting for the
// position of the page's own write. A GET under /v1 made by a logged-in browser
// (no Authorization header) is served by the API for the session's principal, so
// the pages link to the API's own download URLs.
package web
