// Package projections keeps the ledger's read models (SPEC §5) up to date from the
// event store, with exactly-once effect, and rebuilds them from position zero.
//
// # The contract
//
// A core.Projection (balances, cheques, equity, audit, places, prescribers, treasury:
// one package each under projections/, listed by All) owns some tables and an Apply
// that writes the effect of a batch of events into them inside a transaction. The
// Runner calls Apply and moves the projection's checkpoint (projection_checkpoints:
// the cursor of the last event applied, in the gap-free reading order of the event
// store) in the same transaction, after locking the checkpoint row. So the tables
// always hold the effect of exactly the log prefix up to the checkpoint: an event at
// or before it is skipped (a redelivery), a batch that starts after it first pulls
// the missing events from the store (a lost or reordered delivery), and a crash
// before the commit leaves nothing behind.
//
// # Live delivery through Watermill
//
// Start runs a Service: a Relay tails the store from the lowest checkpoint and
// publishes one message per page of events (a binary envelope: the cursor the page
// starts after and the events, their payloads as stored; a UUID derived from the
// page's cursors) to Topic; a Watermill router runs one handler per projection on
// that topic with the Recoverer, a bounded Retry with backoff, a PoisonQueue to
// PoisonTopic and Watermill's Prometheus metrics. The
// transport is chosen by configuration (Transport; in-process GoChannel by default,
// NATS JetStream with NewNATSTransport: pages with the first event's position as
// message id, a relay that resumes after the stream's last event, one durable
// consumer per projection). Nothing assumes a single process: the checkpoint, not
// the transport, decides what is applied, so relays and handlers may run in
// separate processes on one database (DisableHandlers, DisableRelay; `passledger
// project` is a worker). A page that keeps failing goes to the poison
// queue and is retried from the store by the next page or by the relay's resync:
// a projection stops at a bad event, it never skips one.
//
// Readers that wrote first wait for their write with WaitFor (the API's
// min_position); the lag gauge passledger_projection_lag_events{projection,partition}
// shows how far each projection (each partition) is behind the head.
//
// # Partitions
//
// The projections whose rows belong to a département (cheques, places,
// prescribers, equity) can run as n partitions (Partition, Part "i/n"; `passledger
// project --partition i/n`), so that n workers share them; the others (balances,
// audit, treasury) run whole. partition.go routes each event a split projection
// handles to exactly one partition: the one of the département the projection's
// rows for that event belong to (FNV-1a of the code modulo n; rows of no
// département, such as reimbursement batches, to partition 0), taken from the event
// or, when the event does not carry it, from the immutable facts of the log that a
// Resolver learns (a programme's, place's or prescriber's département, a carnet's
// programme). Each partition sees every page and moves its own checkpoint
// (projection_checkpoints row (name, partition)) over every event, applying its own:
// its gap detection is the whole log's. A projection's checkpoint, as readers see
// it (core.CheckpointOf, WaitFor, Reached), is its least advanced partition's. The
// split of a projection is recorded with its checkpoints and changes only when every
// partition is at the same position (ensureSplit); Reset makes it whole again.
//
// # SQL
//
// The checkpoints' SQL is in projections/internal/dbsqlc/checkpoints.sql, compiled by
// sqlc (sqlc.yaml; `make sqlc`). Exceptions, beside their caller: asyncCommitSQL
// (runner.go: SET LOCAL synchronous_commit, a SET sqlc does not compile) and
// truncateSQL (rebuild.go: TRUNCATE of the tables of the projections reset, a list
// known at run time). The projections' own tables are their packages' business.
//
// # Rebuild
//
// Rebuild truncates the tables of some projections and resets their checkpoints in
// one transaction, then replays the whole log: pages are read ahead, each event is
// decoded once on every core, and every page is applied to every projection
// concurrently through the same Runner. `passledger replay` calls it.
//
// # What must not happen here
//
// No projection decides anything or writes to the event store; none reads another
// projection's tables (each is checkpointed and rebuilt on its own); no figure
// depends on how the log is cut into batches (live and rebuilt tables are equal row
// for row, which the tests check); money is never a float.
package projections
