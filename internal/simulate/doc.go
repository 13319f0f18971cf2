// Package simulate writes a realistic national year of Pass numérique activity
// into the ledger, for demos and benchmarks (`passledger simulate`, SPEC §6).
//
// The simulation is deterministic for a seed: it draws a world (funders, a
// national support fund shared by péréquation over the départements, one
// programme per département funded by direct lines and a fund line,
// prescribers, labelled places) and a year of activity (minting, issuance to
// pseudonymous beneficiaries, redemptions — about 38 % of the cheques, SPEC §1 —
// reversals within 48 hours, lost and stolen carnets, label suspensions and
// withdrawals, receipts arriving over the year, EU money arriving late and
// bridged by treasury advances, monthly reimbursement batches paid when cash
// allows, bank statements matched automatically, and the closing of every
// programme after its validity and grace period, when the rest expires), then
// plays it day by day on a simulated clock from 1 January of the year to the
// end of February of the next.
//
// It writes only through the application layer (package app): every command is
// decided by the domain and appended by the event store exactly as an API call
// would be, so every rule is enforced and every event is real. It never writes
// SQL and never builds an event itself; a command that the domain refuses stops
// the run with its error (the plan is meant to be valid; a refusal is a bug in
// the plan or a broken rule, and either must be seen).
//
// Run appends through the store it is given — on an eventstore.Store, the
// group commit, one transaction per group of commands, as the ledger writes.
// Load plays the same commands into the store's Loader (batched appends: each
// append decided in memory, the events written in large transactions), about
// seven times faster, for the tests' and benchmarks' histories that nothing
// reads while they are written.
//
// Identifiers it chooses (funders, programmes, contributions, redemptions,
// batches...) are derived from the seed's plan, so two runs with the same
// configuration into empty databases write the same number of events of each
// type and the same amounts; carnet ids and bank line ids are drawn by the
// application layer, so serials differ between runs.
package simulate
