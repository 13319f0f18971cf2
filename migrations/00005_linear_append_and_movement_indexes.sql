-- passledger_append, linear in the size of the append: events arrive grouped by
-- stream in the order of the expectations (eventstore sorts them), so each event's
-- stream is found by one forward walk instead of a search per event, and the work
-- arrays are preallocated and assigned by index instead of grown by concatenation.
-- A programme close that expires 50,000 cheques is one append: it was quadratic.
-- Also: partial indexes for the bank-line matcher's lookups of expected movements by
-- id or bank reference (app/bank.go), which scanned every movement event per line.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION passledger_append(
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
    head_v   bigint[] := array_fill(0::bigint, ARRAY[greatest(m, 1)]);
    head_h   bytea[]  := array_fill(NULL::bytea, ARRAY[greatest(m, 1)]);
    cur_v    bigint;
    cur_h    bytea;
    versions bigint[] := array_fill(0::bigint, ARRAY[greatest(n, 1)]);
    hashes   bytea[]  := array_fill(NULL::bytea, ARRAY[greatest(n, 1)]);
    j        integer := 1;
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
        head_v[i] := cur_v;
        head_h[i] := cur_h;
    END LOOP;

    -- Chain each event to the previous one of its stream. Events come grouped by
    -- stream, in the order of p_exp_stream, so one forward walk finds each stream.
    FOR i IN 1..n LOOP
        WHILE j <= m AND p_exp_stream[j] <> p_stream[i] LOOP
            j := j + 1;
        END LOOP;
        IF j > m THEN
            RAISE EXCEPTION 'passledger_append: events of stream % are not grouped in expectation order', p_stream[i]
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        head_v[j] := head_v[j] + 1;
        head_h[j] := sha256(head_h[j] || int8send(head_v[j]) || p_content_hash[i]);
        versions[i] := head_v[j];
        hashes[i] := head_h[j];
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

CREATE INDEX events_receipt_id_idx ON events ((payload->>'receipt_id')) WHERE event_type = 'ContributionReceived';
CREATE INDEX events_receipt_bankref_idx ON events ((payload->>'bank_reference')) WHERE event_type = 'ContributionReceived';
CREATE INDEX events_advance_id_idx ON events ((payload->>'advance_id')) WHERE event_type = 'AdvanceGranted';
CREATE INDEX events_repayment_id_idx ON events ((payload->>'repayment_id')) WHERE event_type = 'AdvanceRepaid';
CREATE INDEX events_batch_paid_id_idx ON events ((payload->>'batch_id')) WHERE event_type = 'ReimbursementBatchPaid';
CREATE INDEX events_batch_paid_bankref_idx ON events ((payload->>'bank_reference')) WHERE event_type = 'ReimbursementBatchPaid';

-- +goose Down
DROP INDEX events_receipt_id_idx;
DROP INDEX events_receipt_bankref_idx;
DROP INDEX events_advance_id_idx;
DROP INDEX events_repayment_id_idx;
DROP INDEX events_batch_paid_id_idx;
DROP INDEX events_batch_paid_bankref_idx;
-- The previous function body is in 00001; goose down of 00001 drops it.
