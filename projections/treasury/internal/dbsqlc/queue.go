package dbsqlc

// Not generated: the writes of Apply queued into one pgx.Batch, as
// eventstore/internal/dbsqlc/pgx.go does for the group commit. Apply sends the
// page's statements in one round trip (core.SendBatch); sqlc's :batchexec does
// not fit: it runs ONE statement over many argument sets, in a pgx.Batch of its
// own. No SQL is written here, only the names of sqlc's statement constants, with
// the arguments in the order of the generated methods.

import "github.com/jackc/pgx/v5"

// QueueUpsertBankLines queues UpsertBankLines.
func QueueUpsertBankLines(b *pgx.Batch, arg UpsertBankLinesParams) {
	b.Queue(upsertBankLines, arg.Ids, arg.Dates, arg.Cents, arg.Refs, arg.Labels, arg.MovementKinds, arg.MovementIds, arg.MatchedAt)
}

// QueueUpsertMovements queues UpsertMovements.
func QueueUpsertMovements(b *pgx.Batch, arg UpsertMovementsParams) {
	b.Queue(upsertMovements, arg.Kinds, arg.Ids, arg.Amounts, arg.Dates, arg.Refs, arg.BankLineIds, arg.MatchedAt)
}
