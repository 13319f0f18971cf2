// Package eventstore is the ledger's source of truth: an append-only table of events
// in PostgreSQL, with optimistic concurrency per stream, idempotent appends, a
// gap-free global reading order, and tamper evidence (SPEC §4).
//
// # Writing
//
// Append and AppendMulti write one command's events atomically. Each stream named
// in the append carries an expectation (no stream, exact version, any); a mismatch
// returns a *ConflictError (errors.Is ErrConflict) and writes nothing. A stream
// named without events is a read-set check: the command decided on it (from a
// cache, say) and the stream must still be at that version. Metadata may carry an
// idempotency key: a repeat (even concurrent) returns the first append's result
// with Duplicate set, and writes nothing.
//
// Appends are group-committed (group.go): a few workers each take the appends
// waiting in a queue and write them in one transaction — advisory locks on every
// stream and key of the group taken in one sorted sweep (so groups never
// deadlock), the keys' records and the stream heads read, each append decided in
// Go against the heads (a conflict fails that append alone), one INSERT of every
// event with its chained hash, the idempotency records, COMMIT. Only the commit
// releases results: a caller never learns of an append that could still roll back.
//
// A Command (command.go) ties one request to one transaction: its idempotency
// record, its events and its response. The HTTP port hands the response to Finish
// once the handler built it from the (pre-commit) result; the group stores it with
// the key and commits. A crash before the commit leaves nothing, so the retry runs
// once; after it, the retry replays the stored response. A repeat that arrives
// while the first still runs waits on the key's advisory lock, which dies with its
// transaction: no key is ever left "in flight".
//
// # Reading in a gap-free order
//
// A bigserial position is assigned when a row is inserted, not when its transaction
// commits, so a reader paging by position skips an event whose transaction commits
// after a later position became visible (watermill#311, marten#1629). We use the
// technique of watermill-sql v4 instead: each event stores the xid8 of its
// transaction (DEFAULT pg_current_xact_id()), readers page by (transaction_id,
// position) and only read rows whose transaction_id is below
// pg_snapshot_xmin(pg_current_snapshot()). Every transaction below that watermark has
// ended, and every later transaction has a larger xid, so nothing can ever appear
// behind a reader's cursor. The cost is latency: a long transaction anywhere in the
// cluster holds the watermark back until it ends.
//
// xid order is not commit order: an xid is fixed at a transaction's first write. If a
// multi-stream append (or a group) took its xid (by writing stream A) before reading the head of
// stream B, a concurrent append to B with a larger xid could commit version 5 that
// our append then extends with version 6, and readers would see 6 before 5. A group
// therefore reads every stream head BEFORE its first write (the advisory locks it
// takes first assign no xid): any event it read
// was committed by a transaction whose xid was assigned before that read, hence is
// smaller than the xid this append is about to take. Within a stream, versions are
// thus always in reading order. TestGapFreeTailing checks all of this under 16
// concurrent writers.
//
// The global "position" that clients see is the event's identity value: unique and
// stable, and ReadAll(afterPosition) resumes right after the event that holds it; it
// is not, by itself, an order.
//
// # Tamper evidence
//
// Each event's content hash covers its id, stream, type, time, payload and metadata
// bytes exactly as stored (payload and metadata are json, not jsonb, so PostgreSQL
// keeps the bytes). Its hash chains it to the previous event of its own stream:
// sha256(prev || int8(version) || content hash), computed by the group from the
// stream's head under the stream's advisory lock, so no global lock is needed. A
// chainer then follows the gap-free order and appends checkpoints (a hash over each
// range of events, chained to the previous checkpoint) to event_chain_checkpoints.
// Verify recomputes both and names the first position that does not match: an
// altered, deleted or reordered event is found. Triggers refuse UPDATE, DELETE and
// TRUNCATE on both tables, and the application role (passledger_app) is only granted
// SELECT and INSERT on them.
//
// # Cross-stream lookups
//
// Besides reading streams and the gap-free log, commands ask a few questions across
// streams (queries.go): which streams hold an event of a type whose payload field
// has a value (StreamsWhere), which events do (EventsWhere), every event of some
// types (EventsOfTypes), which streams hold more events of some types than of
// others (StreamsWithMore), how many events are stored and readable (Count, which
// counts the table), and whether every stored event is readable yet (Settled,
// one index entry: what a wait for readers to catch up polls).
// A lookup names the event type and the top-level payload field; both are plain
// names (ValidName) written into the SQL as literals, so that the partial
// expression indexes of migrations 00003 and 00005 serve it even under a generic
// plan (a type passed as a parameter would not prove an index's WHERE clause). No
// other package issues SQL against the events table.
//
// # SQL
//
// The package's SQL lives in internal/dbsqlc/*.sql, compiled by sqlc (sqlc.yaml at
// the root; `make sqlc` regenerates, `make test` fails when the generated code is
// not what the .sql files give) against the schema of the migrations, so a query
// that names a missing column or mistypes a parameter does not build. Two uses of
// those statements are hand-written in internal/dbsqlc/pgx.go, with sqlc's
// statement constants and no SQL of their own:
//
//   - the group commit pipelines different statements in one pgx.Batch (BEGIN,
//     LockKeys, IdempotencyRecords, StreamHeads; then InsertIdempotencyRecords,
//     COMMIT): sqlc's :batchexec/:batchmany run one statement over many argument
//     sets, in a batch of their own sent alone, so pgx.go queues them;
//   - the event reads (ReadStream, ReadStreams, FirstEvents, ReadFrom, EventsOfTypes) run
//     sqlc's statements in binary format and decode the raw values in scan.go, one
//     allocation per event: BenchmarkReadAllGenerated measures sqlc's generated
//     scanning of the same log against BenchmarkReadAll.
//
// Exceptions, SQL still written by hand:
//
//   - streamsWhereSQL and eventsWhereSQL (queries.go, for StreamsWhere and
//     EventsWhere): their WHERE clause is built from the event types and payload
//     fields looked up, written as literals so that the partial expression
//     indexes serve them (see PayloadField); sqlc compiles static statements only.
//   - the PL/pgSQL functions and triggers of the migrations (00001, 00005) are
//     schema, not queries: they stay in migrations/, which is sqlc's schema.
//   - the tests' SQL (eventstore_test.go): tampering with the tables as a
//     superuser, triggers disabled, to prove that Verify finds it; no part of the
//     store.
//
// # In memory
//
// Memory (memory.go) implements appends, ReadStreams and the lookups in memory,
// with the same contract, for unit tests of commands without a database; it
// indexes events by type and, once a lookup names it, by (type, payload field),
// so lookups do not scan every event.
//
// # Loading a world
//
// Loader (loader.go, Store.NewLoader) is batched appends as an option of the
// store, for filling an empty database with a simulated history (the tests' and
// benchmarks' worlds, internal/simulate through app): each append is decided in
// a Memory and acknowledged at once, and one goroutine writes the acknowledged
// events with the group commit's INSERT, up to DefaultLoaderBatch per
// transaction, checking that each gets the position it was acknowledged with.
// An acknowledged append is not durable until Close returns, and the Loader must
// be the database's only writer: it never serves the ledger. On this machine it
// writes a simulated year about seven times faster than the group commit
// (BenchmarkSimulate, internal/simulate).
//
// The conformance suite in eventstore/storetest runs against the three stores
// (the Loader refuses idempotency keys, and the suite checks that instead).
//
// This package knows nothing of the domain: payloads are opaque JSON bytes. It must
// not import domain, projections or api.
package eventstore
