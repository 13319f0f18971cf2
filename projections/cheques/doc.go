// Package cheques is the cheque-status projection (SPEC §5: cheque status by
// serial): where every cheque stands (in stock, issued, redeemed, reversed and so
// redeemable again, expired, blocked), whether its standing redemption was claimed
// by a reimbursement batch and paid, and its history.
//
// Tables:
//
//   - cheque_carnets: one row per minted carnet (programme, prescriber, size, face
//     value, in_stock / issued / cancelled, the beneficiary's public need level);
//   - cheque_programmes: each programme and the day it closed;
//   - cheques: one row per cheque that was redeemed at least once (then reversed,
//     expired or blocked afterwards, as its stream says). A cheque never redeemed
//     has no row: its carnet and programme imply its status (in stock or issued;
//     blocked once its carnet is cancelled; expired once its programme closed —
//     CancelCarnet and CloseProgramme block or expire every unredeemed cheque), so
//     minting, issuing, and the expiry of the half of the cheques that are never
//     used write one row per carnet, not one per cheque;
//   - cheque_claims: the reimbursement claims, insert only (a claim never changes,
//     and a claimed redemption can no longer be reversed);
//   - cheque_batches: reimbursement batches (cut-off, paid on), so a claimed
//     redemption shows as paid once its batch is.
//
// A cheque's history is its event stream and its carnet's: Cheque reads them from
// the event store up to this projection's checkpoint (so that history and status
// agree) instead of keeping a second copy of the log.
//
// Queries: Cheque (status and history by serial), UnclaimedRedemptions (the
// candidates of a reimbursement batch), CountByStatus.
//
// Apply routes each event to one small handler per event type (core.Handlers):
// keyHandlers name the rows a batch touches (one core.Collect line per event type),
// loaded in one query per table, and foldHandlers fold the events onto them in
// memory before they are written back.
//
// What it must not do: decide anything (a redemption's validity is the write side's
// rule; Redeemable is informative), read another projection's tables, or keep any
// personal data (a carnet's beneficiary is not even stored as its hash).
//
// # SQL
//
// The package's SQL is in internal/dbsqlc/cheques.sql, compiled by sqlc (sqlc.yaml
// at the repository root; `make sqlc` regenerates, `make test` fails when the
// generated code is not what the .sql file gives) against the migrations. Apply
// queues the generated upserts in one pgx.Batch (core.Queue). Hand-written,
// because sqlc cannot express COPY: the three binary COPYs of Apply, through
// core.CopyWriter, whose statement is built from a table and the columns named
// beside the one caller (copyClaimsColumns into cheque_claims, copyCarnetsColumns
// into cheque_carnets in copyCarnets, copyChequesColumns into cheques in
// copyCheques).
package cheques
