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
// Key lookups. A projection reads the stored rows of the keys a page names (the
// cheques it redeems, the carnets it issues…) with one query per table, the keys
// in an array. Those queries (the Load* reads of the sqlc files, and their kin)
// are written
//
//	SELECT … FROM unnest((SELECT @ids::text[])) AS k(id)
//	CROSS JOIN LATERAL (SELECT * FROM t WHERE key = k.id LIMIT 1) AS t
//
// and not as a join of t on unnest(@ids): PostgreSQL keeps the generic plan of a
// prepared statement once it costs no more than the custom plans, and a generic
// plan made while t was empty (a projection's tables start empty) was a hash join
// over a sequential scan of t, kept for the connection's life as t grew (10.7 ms
// instead of 0.05 ms per call on 90,000 cheques). Under LIMIT 1 (each key is t's
// primary key; a key of two columns comes as two arrays read side by side with
// ROWS FROM, as treasury's MovementsByKey does) the lookup is an index scan at
// any size, and the array behind a
// scalar subquery makes the generic and custom plans cost the same, so the one
// generic plan is kept and no call is planned again. TestKeyLookupsKeepIndexPlans
// (package projections) checks every such query of the sqlc files.
//
// What it must not do: hold state, open transactions, know any projection's tables,
// or read the clock. Money never becomes a float here: amounts travel as whole
// cents (int64) or pgtype.Numeric with exponent −2.
package core
