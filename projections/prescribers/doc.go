// Package prescribers is the prescriber-stock projection (SPEC §2 and §5): the
// carnets each prescriber holds in stock, has issued and has cancelled, and how
// many it issued by the beneficiary's public need level (urgence, inclusion,
// autonomie) and to job seekers, overall and per programme.
//
// Tables: prescriber_info (registration) and prescriber_carnets (one row per
// carnet: its prescriber, programme, size, face value, status, and once issued the
// need level and job-seeker flag). Stock aggregates a prescriber's rows.
//
// Apply routes each event to one small handler per event type (core.Handlers):
// keyHandlers name the carnets a batch issues or cancels, loaded in one query, and
// foldHandlers fold the events onto them in memory before they are written back.
//
// What it must not do: hold anything about a beneficiary beyond the public
// category recorded in CarnetIssued (not even the beneficiary's keyed hash), or read
// another projection's tables.
//
// # SQL
//
// The package's SQL is in internal/dbsqlc/prescribers.sql, compiled by sqlc
// (sqlc.yaml at the repository root; `make sqlc` regenerates, `make test` fails
// when the generated code is not what the .sql file gives) against the
// migrations. Apply queues the generated upserts in one pgx.Batch (core.Queue).
// Hand-written, because sqlc cannot express COPY: the binary COPY of new carnets
// in copyCarnets, through core.CopyWriter, whose statement is built from the table
// and the columns named beside it (copyCarnetsColumns into prescriber_carnets).
package prescribers
