// Package domain is the write model of the Pass numérique ledger: the rules of
// SPEC §3 expressed as plain Go values and pure functions.
//
// # What lives here
//
// The package defines, for every aggregate of docs/domain.md (funder, fund,
// contribution, territory, prescriber, place, programme, carnet, beneficiary
// claim, cheque, reimbursement batch, bank line and movement match):
//
//   - its events: small structs with snake_case JSON tags, money as Money
//     (a JSON string with two decimals), civil dates as Date ("YYYY-MM-DD")
//     and instants as time.Time in UTC. Every event has a stable EventType()
//     name; EncodeEvent and DecodeEvent (strict) turn them into JSON and back;
//   - its state: a struct folded from the stream's past events by Apply (see
//     Fold). A state knows nothing of stream versions: optimistic concurrency
//     is the event store's job;
//   - its commands: functions that take a command struct (carrying the new ids
//     and "now"), the current states they need, and return either the events
//     to append to one stream ([]Event) or, when a command touches several
//     streams atomically, one Change per stream ([]Change). A command that
//     breaks a rule returns an error wrapping one of the sentinel errors of
//     errors.go (test with errors.Is), sometimes as a *LimitError that also
//     tells the amount requested and the amount allowed;
//   - the chart of accounts and Postings, which maps every money-moving event
//     to double-entry postings that sum to zero.
//
// Money, splitting (largest remainder) and péréquation arithmetic live in
// money.go, split.go and perequation.go; posting.go defines Posting. The
// attribution of a programme's cheque outcomes to its funders is not written
// into events: programme_attribution.go (AttributionTotals,
// AttributeProgramme) computes it from the programme's running totals, for
// any reader of the log, within a cent of every exact share and with nothing
// left in a closed programme.
//
// # What must never happen here
//
// The package is pure: no database, no HTTP, no Watermill, no file or network
// I/O, no logging, no global mutable state, no time.Now() and no randomness.
// Every instant ("now") and every new identifier is passed in by the caller,
// so that the same inputs always give the same events, byte for byte, and so
// that every rule can be tested as a table of plain values. Secrets (the
// check-code key, the beneficiary key) are passed in as byte slices too, and
// never end up in an event; neither does any personal data: a beneficiary is
// only ever a keyed hash.
//
// # How the application uses it
//
// For each request the application loads the streams a command needs, folds
// them with Fold (remembering each stream's version), calls the command
// function, and appends the returned events or changes in one atomic append
// with the versions it read as expected versions ("no stream" for a stream it
// found empty). A concurrent writer makes the append fail; the application
// then reloads and decides again, and this time gets the rule's error (for
// example ErrChequeAlreadyRedeemed) instead of a double write.
package domain
