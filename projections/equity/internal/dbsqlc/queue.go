package dbsqlc

// Not generated: the writes of Apply queued into one pgx.Batch, as
// eventstore/internal/dbsqlc/pgx.go does for the group commit. Apply sends the
// page's statements in one round trip (core.SendBatch); sqlc's :batchexec does
// not fit: it runs ONE statement over many argument sets, in a pgx.Batch of its
// own. No SQL is written here, only the names of sqlc's statement constants, with
// the arguments in the order of the generated methods.

import "github.com/jackc/pgx/v5"

// QueueInsertFundTerritories queues InsertFundTerritories.
func QueueInsertFundTerritories(b *pgx.Batch, arg InsertFundTerritoriesParams) {
	b.Queue(insertFundTerritories, arg.FundIds, arg.Territories)
}

// QueueInsertNeeds queues InsertNeeds.
func QueueInsertNeeds(b *pgx.Batch, arg InsertNeedsParams) {
	b.Queue(insertNeeds, arg.Territories, arg.Positions, arg.AsOf, arg.Populations, arg.FragilityRates, arg.Needs)
}

// QueueInsertProgrammes queues InsertProgrammes.
func QueueInsertProgrammes(b *pgx.Batch, arg InsertProgrammesParams) {
	b.Queue(insertProgrammes, arg.ProgrammeIds, arg.Territories)
}

// QueueUpsertAllocations queues UpsertAllocations.
func QueueUpsertAllocations(b *pgx.Batch, arg UpsertAllocationsParams) {
	b.Queue(upsertAllocations, arg.FundIds, arg.Territories, arg.Dates, arg.Cents)
}

// QueueUpsertProgrammeFlows queues UpsertProgrammeFlows.
func QueueUpsertProgrammeFlows(b *pgx.Batch, arg UpsertProgrammeFlowsParams) {
	b.Queue(upsertProgrammeFlows, arg.ProgrammeIds, arg.Dates, arg.Territories, arg.Minted, arg.Issued, arg.Redeemed, arg.Expired, arg.Blocked)
}
