package dbsqlc

// Not generated: the writes of Apply queued into one pgx.Batch, as
// eventstore/internal/dbsqlc/pgx.go does for the group commit. Apply sends the
// page's statements in one round trip (core.SendBatch); sqlc's :batchexec does
// not fit: it runs ONE statement over many argument sets, in a pgx.Batch of its
// own. No SQL is written here, only the names of sqlc's statement constants, with
// the arguments in the order of the generated methods.

import "github.com/jackc/pgx/v5"

// QueueInsertProgrammeFunders queues InsertProgrammeFunders.
func QueueInsertProgrammeFunders(b *pgx.Batch, arg InsertProgrammeFundersParams) {
	b.Queue(insertProgrammeFunders, arg.ProgrammeIds, arg.Seqs, arg.FunderIds, arg.ViaFundIds, arg.Amounts)
}

// QueueInsertProgrammes queues InsertProgrammes.
func QueueInsertProgrammes(b *pgx.Batch, arg InsertProgrammesParams) {
	b.Queue(insertProgrammes, arg.ProgrammeIds, arg.Territories, arg.TotalFundings, arg.CreatedOn)
}

// QueueInsertReimbursed queues InsertReimbursed.
func QueueInsertReimbursed(b *pgx.Batch, arg InsertReimbursedParams) {
	b.Queue(insertReimbursed, arg.PaidOn, arg.BatchID)
}

// QueueUpsertBatchShares queues UpsertBatchShares.
func QueueUpsertBatchShares(b *pgx.Batch, arg UpsertBatchSharesParams) {
	b.Queue(upsertBatchShares, arg.ShareKeys, arg.BatchIds, arg.ProgrammeIds, arg.PlaceIds, arg.Territories, arg.Cents)
}

// QueueUpsertFunderFlows queues UpsertFunderFlows.
func QueueUpsertFunderFlows(b *pgx.Batch, arg UpsertFunderFlowsParams) {
	b.Queue(upsertFunderFlows, arg.FlowKeys, arg.Dates, arg.FunderIds, arg.Kinds, arg.ProgrammeIds, arg.FundIds, arg.Territories, arg.PlaceIds, arg.Cents)
}

// QueueUpsertFunders queues UpsertFunders.
func QueueUpsertFunders(b *pgx.Batch, arg UpsertFundersParams) {
	b.Queue(upsertFunders, arg.FunderIds, arg.Names, arg.Kinds)
}

// QueueUpsertMinted queues UpsertMinted.
func QueueUpsertMinted(b *pgx.Batch, arg UpsertMintedParams) {
	b.Queue(upsertMinted, arg.ProgrammeIds, arg.Dates, arg.Cents)
}

// QueueUpsertProgrammeFlows queues UpsertProgrammeFlows.
func QueueUpsertProgrammeFlows(b *pgx.Batch, arg UpsertProgrammeFlowsParams) {
	b.Queue(upsertProgrammeFlows, arg.FlowKeys, arg.Dates, arg.ProgrammeIds, arg.Kinds, arg.Territories, arg.PlaceIds, arg.Cents)
}
