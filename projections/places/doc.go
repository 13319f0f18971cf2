// Package places is the place-statement projection (SPEC §2 and §5): for each
// labelled place, every redemption it made with its status (owed, batched, paid,
// reversed), the reimbursement batch that covers it and the date that batch was
// paid, its lines batch by batch, and the totals owed, batched and paid.
//
// Tables: place_info (registration and latest label change), place_redemptions
// (one row per redemption, updated when it is reversed or claimed), place_batches
// (cut-off, creation, payment) and place_batch_lines (the place's line of each
// batch, as ReimbursementBatchCreated recorded it). A redemption's paid status is
// read through its batch, so paying a batch updates one row, not one per cheque.
//
// Owed equals minus the balance of place:L:payable and Batched minus that of
// place:L:batched in the balances projection; the tests check it.
//
// Apply routes each event to one small handler per event type (core.Handlers):
// keyHandlers name the rows a batch touches (one core.Collect line per event type),
// loaded in one query per table, and foldHandlers fold the events onto them in
// memory before they are written back.
//
// What it must not do: decide what is owed (batch lines and amounts come from the
// events), read another projection's tables, or show one place's figures to
// another (the API filters by the caller's organisation; this package answers for
// the place it is asked about).
//
// # SQL
//
// The package's SQL is in internal/dbsqlc/places.sql, compiled by sqlc (sqlc.yaml
// at the repository root; `make sqlc` regenerates, `make test` fails when the
// generated code is not what the .sql file gives) against the migrations. Apply
// queues the generated upserts in one pgx.Batch (core.Queue). Hand-written,
// because sqlc cannot express COPY: the two binary COPYs of Apply, through
// core.CopyWriter, whose statement is built from a table and the columns named
// beside the one caller (copyClaimsColumns into place_claims in Apply,
// copyRedemptionsColumns into place_redemptions in copyRedemptions).
package places
