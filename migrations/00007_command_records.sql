-- One transaction per command (group commit): the idempotency record of a command
-- now holds, besides the append's result, the request's hash and the response that
-- was given, written in the same transaction as the events. The HTTP port's own
-- table (http_idempotency), written in separate transactions that a crash could
-- leave "in flight", goes. A record without events (result = []) keeps a refusal,
-- so a retry gets the same answer. Concurrent repeats of a key wait on a
-- transaction-scoped advisory lock taken by the group (eventstore/group.go),
-- never on a flag.

-- +goose Up
ALTER TABLE event_idempotency ADD COLUMN request_hash bytea, ADD COLUMN response bytea;
DROP TABLE http_idempotency;

-- +goose Down
CREATE TABLE http_idempotency (
    token_id      text        NOT NULL,
    key           text        NOT NULL,
    request_hash  bytea       NOT NULL,
    status        integer,
    content_type  text,
    body          bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);
ALTER TABLE event_idempotency DROP COLUMN request_hash, DROP COLUMN response;
