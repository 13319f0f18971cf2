package dbsqlc

// Not generated: the writes of Apply queued into one pgx.Batch, as
// eventstore/internal/dbsqlc/pgx.go does for the group commit. Apply sends the
// page's statements in one round trip (core.SendBatch); sqlc's :batchexec does
// not fit: it runs ONE statement over many argument sets, in a pgx.Batch of its
// own. No SQL is written here, only the names of sqlc's statement constants, with
// the arguments in the order of the generated methods.

import "github.com/jackc/pgx/v5"

// QueueUpsertBalances queues UpsertBalances.
func QueueUpsertBalances(b *pgx.Batch, arg UpsertBalancesParams) {
	b.Queue(upsertBalances, arg.Accounts, arg.Cents)
}

// QueueUpsertDailyMovements queues UpsertDailyMovements.
func QueueUpsertDailyMovements(b *pgx.Batch, arg UpsertDailyMovementsParams) {
	b.Queue(upsertDailyMovements, arg.Accounts, arg.Dates, arg.Cents)
}
