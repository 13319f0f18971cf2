// Package core holds what every projection shares: the decoded Event a projection
// applies (Decode), the Projection interface, the Querier its
// query functions take, the business date of an event (EffectiveDate), checkpoint
// reads, and small SQL helpers that move exact money and civil dates between Go and
// PostgreSQL (numeric(18,2) as cents, date) and write whole batches in few round
// trips (CopyWriter, a hand-written binary COPY stream; Copy; SendBatch). Queue and
// ReadOnly are the one adapter between the projections and their sqlc-generated
// code: the generated writes queued on a pgx.Batch, the generated reads on a
// Querier.
//
// It exists so that the projection packages (projections/balances, …) and the
// framework (package projections, which runs them) can both use these types without an
// import cycle; package projections re-exports Event, Projection and Querier as
// aliases, so callers normally never import core.
//
// What it must not do: hold state, open transactions, know any projection's tables,
// or read the clock. Money never becomes a float here: amounts travel as whole
// cents (int64) or pgtype.Numeric with exponent −2.
package core
