// Package app is the ledger's application layer: one method per command. Each
// method loads the streams the command needs from the event store, folds them into
// domain states, lets the pure domain decide, and appends the decided events
// atomically with the versions it read (optimistic concurrency). On a version
// conflict it reloads and decides again, a bounded number of times, so that a
// command that lost a race gets the domain's answer for the new state (a second
// redemption of one cheque ends in domain.ErrChequeAlreadyRedeemed, not in a
// conflict).
//
// Stream boundaries (docs/domain.md) make independent commands independent:
// redeeming two different cheques touches two different cheque streams and never
// conflicts, while one cheque redeemed twice always does.
//
// # The event store it needs
//
// App talks to the event store only through Store (store.go), the small interface it
// declares, as river's driver interface does: ReadStreams and AppendMulti for
// commands, and the few cross-stream lookups that decisions make straight from the
// events rather than from a lagging projection (StreamsWhere, EventsWhere,
// EventsOfTypes, StreamsWithMore). Each lookup names an event type and a payload
// field, written beside the one function that uses it (reads.go, bank.go,
// redemption.go, reimbursement.go). No SQL is issued here. *eventstore.Store
// implements Store over PostgreSQL, eventstore.Memory in memory; the conformance
// suite eventstore/storetest checks both, and the command tests run on both
// (memory_test.go).
//
// This package does I/O (event store reads and appends, cross-aggregate lookups);
// it holds no business rule — those live in domain. It must not import api or
// projections.
package app
