-- The event store: the ledger's source of truth (SPEC §4).
--
-- Events are appended, never updated or deleted. Each event carries:
--   position        a global, unique, increasing number (identity). Positions are NOT
--                   assigned in commit order, so readers never page by position alone;
--   transaction_id  the xid8 of the appending transaction. Readers page by
--                   (transaction_id, position) and only read below
--                   pg_snapshot_xmin(pg_current_snapshot()): every transaction below
--                   that watermark has ended, so nothing can later appear behind a
--                   reader's cursor (see eventstore/doc.go);
--   hash            sha256(previous hash of the same stream || int8(version) || content
--                   hash), content hash computed by the application over the exact bytes
--                   stored, so any change to a stored event breaks its stream's chain.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE passledger_app NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- roles are cluster-wide: another database of this cluster created it first
END
$$;
-- +goose StatementEnd

CREATE TABLE events (
    position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL CHECK (stream_id <> ''),
    stream_version  bigint      NOT NULL CHECK (stream_version > 0),
    event_type      text        NOT NULL CHECK (event_type <> ''),
    payload         json        NOT NULL, -- json keeps the exact bytes that were hashed
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    content_hash    bytea       NOT NULL CHECK (length(content_hash) = 32),
    hash            bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

CREATE INDEX events_transaction_position_idx ON events (transaction_id, position);

-- One row per idempotency key: the first append's result, returned to any repeat.
CREATE TABLE event_idempotency (
    key         text PRIMARY KEY,
    result      jsonb       NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- Checkpoints of the global hash chain: each covers the next range of events in
-- gap-free reading order and chains to the previous checkpoint.
CREATE TABLE event_chain_checkpoints (
    seq                  bigint PRIMARY KEY CHECK (seq > 0),
    first_position       bigint      NOT NULL,
    last_position        bigint      NOT NULL,
    last_transaction_id  xid8        NOT NULL,
    event_count          integer     NOT NULL CHECK (event_count > 0),
    prev_hash            bytea       NOT NULL,
    hash                 bytea       NOT NULL,
    created_at           timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION passledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'passledger: % on % is refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

-- Statement-level, so that even an UPDATE or DELETE that matches no row is refused.
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION passledger_refuse_change();
CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON event_chain_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION passledger_refuse_change();

-- passledger_append appends one command's events atomically, in one round trip.
--
-- Arguments are parallel arrays, one element per event (p_stream .. p_content_hash),
-- plus one element per distinct stream for the expectations (p_exp_stream,
-- p_exp_version: -1 any version, 0 the stream must not exist, n the stream must be at
-- exactly n). All reads of stream heads happen BEFORE the first write, so this
-- transaction's xid is assigned after every event it read had committed: within a
-- stream, versions are always in (transaction_id, position) order.
--
-- A version mismatch raises SQLSTATE PLC01 with the stream, expected and actual
-- version in DETAIL, and writes nothing. A repeated idempotency key returns the first
-- append's rows with duplicate = true and writes nothing.
-- +goose StatementBegin
CREATE FUNCTION passledger_append(
    p_stream        text[],
    p_event_id      uuid[],
    p_type          text[],
    p_payload       text[],
    p_metadata      text[],
    p_content_hash  bytea[],
    p_recorded_at   timestamptz,
    p_exp_stream    text[],
    p_exp_version   bigint[],
    p_key           text
) RETURNS TABLE ("position" bigint, stream_id text, stream_version bigint, transaction_id text, duplicate boolean)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    stored   jsonb;
    n        integer := coalesce(array_length(p_stream, 1), 0);
    m        integer := coalesce(array_length(p_exp_stream, 1), 0);
    head_v   bigint[] := '{}';
    head_h   bytea[]  := '{}';
    cur_v    bigint;
    cur_h    bytea;
    versions bigint[] := '{}';
    hashes   bytea[]  := '{}';
    j        integer;
    zero     bytea := decode(repeat('00', 32), 'hex');
BEGIN
    IF n = 0 THEN
        RAISE EXCEPTION 'passledger_append: no events' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_key IS NOT NULL THEN
        SELECT i.result INTO stored FROM event_idempotency i WHERE i.key = p_key;
        IF FOUND THEN
            RETURN QUERY SELECT (r->>'position')::bigint, r->>'stream_id',
                                (r->>'stream_version')::bigint, r->>'transaction_id', true
                         FROM jsonb_array_elements(stored) AS r;
            RETURN;
        END IF;
    END IF;

    -- Read every stream head first (no write has happened yet: no xid yet).
    FOR i IN 1..m LOOP
        SELECT e.stream_version, e.hash INTO cur_v, cur_h
          FROM events e WHERE e.stream_id = p_exp_stream[i]
         ORDER BY e.stream_version DESC LIMIT 1;
        IF NOT FOUND THEN
            cur_v := 0;
            cur_h := zero;
        END IF;
        IF p_exp_version[i] >= 0 AND p_exp_version[i] <> cur_v THEN
            RAISE EXCEPTION 'wrong expected version for stream %', p_exp_stream[i]
                USING ERRCODE = 'PLC01',
                      DETAIL = format('%s|%s|%s', p_exp_stream[i], p_exp_version[i], cur_v);
        END IF;
        head_v := head_v || cur_v;
        head_h := head_h || cur_h;
    END LOOP;

    -- Chain each event to the previous one of its stream.
    FOR i IN 1..n LOOP
        j := array_position(p_exp_stream, p_stream[i]);
        IF j IS NULL THEN
            RAISE EXCEPTION 'passledger_append: stream % has no expectation', p_stream[i]
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        head_v[j] := head_v[j] + 1;
        head_h[j] := sha256(head_h[j] || int8send(head_v[j]) || p_content_hash[i]);
        versions := versions || head_v[j];
        hashes := hashes || head_h[j];
    END LOOP;

    RETURN QUERY
    WITH ins AS (
        INSERT INTO events (event_id, stream_id, stream_version, event_type, payload,
                            metadata, recorded_at, content_hash, hash)
        SELECT u.event_id, u.stream_id, u.stream_version, u.event_type, u.payload::json,
               u.metadata::json, p_recorded_at, u.content_hash, u.hash
          FROM unnest(p_event_id, p_stream, versions, p_type, p_payload, p_metadata,
                      p_content_hash, hashes)
               WITH ORDINALITY AS u(event_id, stream_id, stream_version, event_type,
                                    payload, metadata, content_hash, hash, ord)
         ORDER BY u.ord
        RETURNING events.position, events.stream_id, events.stream_version,
                  events.transaction_id::text AS transaction_id
    )
    SELECT ins.position, ins.stream_id, ins.stream_version, ins.transaction_id, false
      FROM ins ORDER BY ins.position;

    IF p_key IS NOT NULL THEN
        -- A concurrent append with the same key blocks here until it ends, then fails
        -- with unique_violation; the caller returns the first append's stored result.
        INSERT INTO event_idempotency (key, result)
        SELECT p_key, jsonb_agg(jsonb_build_object(
                   'position', e.position, 'stream_id', e.stream_id,
                   'stream_version', e.stream_version,
                   'transaction_id', e.transaction_id::text) ORDER BY e.position)
          FROM events e
         WHERE e.event_id = ANY (p_event_id);
    END IF;
END
$$;
-- +goose StatementEnd

REVOKE ALL ON events, event_idempotency, event_chain_checkpoints FROM PUBLIC;
GRANT SELECT, INSERT ON events, event_chain_checkpoints, event_idempotency TO passledger_app;
GRANT EXECUTE ON FUNCTION passledger_append(text[], uuid[], text[], text[], text[], bytea[],
    timestamptz, text[], bigint[], text) TO passledger_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON TABLES TO passledger_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO passledger_app;

-- +goose Down
DROP FUNCTION passledger_append(text[], uuid[], text[], text[], text[], bytea[],
    timestamptz, text[], bigint[], text);
DROP TABLE event_chain_checkpoints;
DROP TABLE event_idempotency;
DROP TABLE events;
DROP FUNCTION passledger_refuse_change();
