-- The HTTP port's own tables: access tokens (stored hashed), request idempotency
-- (the first response to a key, replayed to any repeat), and server secrets made on
-- first start (check-code key, beneficiary HMAC key, receipt signing seed) unless
-- the environment provides them.

-- +goose Up
CREATE TABLE api_tokens (
    id          text PRIMARY KEY,
    token_hash  bytea       NOT NULL UNIQUE,
    role        text        NOT NULL CHECK (role IN ('admin', 'funder', 'prescriber', 'place', 'finance', 'auditor')),
    org_id      text,
    label       text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    CHECK ((role IN ('admin', 'auditor')) = (org_id IS NULL))
);

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

CREATE TABLE server_secrets (
    name        text PRIMARY KEY,
    value       bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE server_secrets;
DROP TABLE http_idempotency;
DROP TABLE api_tokens;
