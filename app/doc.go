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
// This package does I/O (event store reads and appends, cross-aggregate reads over
// the events table); it holds no business rule — those live in domain. It must not
// import api or projections.
package app
