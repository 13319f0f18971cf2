-- Reading the log (eventstore/store.go, queries.go). The queries that return
-- whole events list the same eleven columns in the same order: read.go runs them
-- in binary format and eventstore/scan.go decodes the raw values (see read.go).

-- name: ReadStream :many
SELECT position, transaction_id, event_id, stream_id, stream_version, event_type,
       payload, metadata, recorded_at, content_hash, hash
FROM events
WHERE stream_id = @stream_id AND stream_version > @after_version
ORDER BY stream_version LIMIT @max_events::int8;

-- ReadStreams reads whole streams, each through an index scan of its own (the
-- LATERAL subquery, which its ORDER BY keeps from being merged into a join; a
-- bitmap index scan and a sort of the stream's rows in the generic plan), the
-- ids behind a scalar subquery: as for the group commit's reads
-- (append.sql), PostgreSQL keeps one generic plan instead of planning each call
-- (188 µs of planning against 53 µs of execution per call before, with
-- stream_id = ANY(@stream_ids)); per stream that plan is an index scan at any
-- table size (without statistics the planner takes a stream for a fixed small
-- share of the table, which an index reads for less than the whole table;
-- statistics only make the share smaller). DISTINCT: a stream named twice is
-- read once, as with = ANY.
-- name: ReadStreams :many
SELECT e.position, e.transaction_id, e.event_id, e.stream_id, e.stream_version, e.event_type,
       e.payload, e.metadata, e.recorded_at, e.content_hash, e.hash
FROM (SELECT DISTINCT u.id FROM unnest((SELECT @stream_ids::text[])) AS u(id)) AS k
CROSS JOIN LATERAL (
    SELECT position, transaction_id, event_id, stream_id, stream_version, event_type,
           payload, metadata, recorded_at, content_hash, hash
    FROM events WHERE stream_id = k.id ORDER BY stream_version
) AS e
ORDER BY e.stream_id, e.stream_version;

-- FirstEvents reads the first event (version 1) of each stream: one index entry
-- per stream, however long the stream.
-- name: FirstEvents :many
SELECT position, transaction_id, event_id, stream_id, stream_version, event_type,
       payload, metadata, recorded_at, content_hash, hash
FROM events
WHERE stream_id = ANY(@stream_ids::text[]) AND stream_version = 1;

-- ReadFrom pages the gap-free order: (transaction_id, position) after the cursor,
-- below the reading watermark (eventstore/doc.go).
-- name: ReadFrom :many
SELECT position, transaction_id, event_id, stream_id, stream_version, event_type,
       payload, metadata, recorded_at, content_hash, hash
FROM events
WHERE (transaction_id, position) > ((@after_txid::text)::xid8, @after_position::int8)
  AND transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id, events.position
LIMIT @max_events::int8;

-- name: EventsOfTypes :many
SELECT position, transaction_id, event_id, stream_id, stream_version, event_type,
       payload, metadata, recorded_at, content_hash, hash
FROM events
WHERE event_type = ANY(@event_types::text[]) ORDER BY position;

-- name: CursorOf :one
SELECT transaction_id::text AS transaction_id FROM events WHERE position = $1;

-- name: Head :one
SELECT transaction_id::text AS transaction_id, position FROM events
WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1;

-- name: StreamsWithMore :many
SELECT stream_id FROM events
WHERE event_type = ANY(@types::text[]) OR event_type = ANY(@than::text[])
GROUP BY stream_id
HAVING count(*) FILTER (WHERE event_type = ANY(@types::text[])) > count(*) FILTER (WHERE event_type = ANY(@than::text[]))
ORDER BY stream_id;

-- Settled reads the one index entry of the last transaction that stored events:
-- every stored event is readable when that transaction is below the watermark
-- (true on an empty log). Count gives the same answer by counting the table.
-- name: Settled :one
SELECT coalesce((SELECT events.transaction_id < pg_snapshot_xmin(pg_current_snapshot())
                 FROM events ORDER BY events.transaction_id DESC LIMIT 1), true)::bool AS settled;

-- name: Count :one
SELECT count(*) FILTER (WHERE transaction_id < pg_snapshot_xmin(pg_current_snapshot())) AS readable,
       count(*) AS stored
FROM events;
