package dbsqlc

// Not generated: two uses of the statements that sqlc generated from the .sql files
// (and checked against the migrations) that its generated methods do not offer.
// No SQL is written here, only the names of sqlc's statement constants.

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// Queueing into one pgx.Batch. The group commit (eventstore/group.go) pipelines
// different statements in one round trip: BEGIN, LockKeys, IdempotencyRecords and
// StreamHeads, then InsertIdempotencyRecords and COMMIT. sqlc's :batchexec and
// :batchmany do not fit: they run ONE statement over many argument sets, in a
// pgx.Batch of their own that is sent alone.

// QueueBegin queues BEGIN.
func QueueBegin(b *pgx.Batch) { b.Queue(begin) }

// QueueCommit queues COMMIT.
func QueueCommit(b *pgx.Batch) { b.Queue(commit) }

// QueueLockKeys queues LockKeys (its result: one row, the count).
func QueueLockKeys(b *pgx.Batch, arg LockKeysParams) { b.Queue(lockKeys, arg.Keys, arg.Shared) }

// QueueIdempotencyRecords queues IdempotencyRecords; its rows are
// IdempotencyRecordsRow's columns, in that order.
func QueueIdempotencyRecords(b *pgx.Batch, keys []string) { b.Queue(idempotencyRecords, keys) }

// QueueStreamHeads queues StreamHeads; its rows are StreamHeadsRow's columns, in
// that order.
func QueueStreamHeads(b *pgx.Batch, streams []string) { b.Queue(streamHeads, streams) }

// QueueInsertIdempotencyRecords queues InsertIdempotencyRecords.
func QueueInsertIdempotencyRecords(b *pgx.Batch, arg InsertIdempotencyRecordsParams) {
	b.Queue(insertIdempotencyRecords, arg.Keys, arg.RequestHashes, arg.Results, arg.Responses)
}

// Events in binary format. ReadStream, ReadStreams, FirstEvents, ReadFrom and EventsOfTypes
// return whole events, the log's hot path (replays, verify, tailing): the
// eventstore decodes their raw binary values itself (eventstore/scan.go), in the
// column order of Event, with one allocation per event, where the generated
// methods scan each column through pgtype (see BenchmarkReadAllGenerated).
// These run the same statements and leave the rows to the caller.

var binaryResults = pgx.QueryResultFormats{pgx.BinaryFormatCode}

// ReadStreamRows runs ReadStream and returns its rows in binary format.
func ReadStreamRows(ctx context.Context, db DBTX, arg ReadStreamParams) (pgx.Rows, error) {
	return db.Query(ctx, readStream, binaryResults, arg.StreamID, arg.AfterVersion, arg.MaxEvents)
}

// ReadStreamsRows runs ReadStreams and returns its rows in binary format.
func ReadStreamsRows(ctx context.Context, db DBTX, streamIDs []string) (pgx.Rows, error) {
	return db.Query(ctx, readStreams, binaryResults, streamIDs)
}

// FirstEventsRows runs FirstEvents and returns its rows in binary format.
func FirstEventsRows(ctx context.Context, db DBTX, streamIDs []string) (pgx.Rows, error) {
	return db.Query(ctx, firstEvents, binaryResults, streamIDs)
}

// ReadFromRows runs ReadFrom and returns its rows in binary format.
func ReadFromRows(ctx context.Context, db DBTX, arg ReadFromParams) (pgx.Rows, error) {
	return db.Query(ctx, readFrom, binaryResults, arg.AfterTxid, arg.AfterPosition, arg.MaxEvents)
}

// EventsOfTypesRows runs EventsOfTypes and returns its rows in binary format.
func EventsOfTypesRows(ctx context.Context, db DBTX, eventTypes []string) (pgx.Rows, error) {
	return db.Query(ctx, eventsOfTypes, binaryResults, eventTypes)
}
