-- name: InsertToken :exec
INSERT INTO api_tokens (id, token_hash, role, org_id, label) VALUES ($1, $2, $3, $4, $5);

-- name: LookupToken :one
SELECT id, role, coalesce(org_id, '')::text AS org_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL;

-- name: TokenActive :one
SELECT EXISTS (SELECT 1 FROM api_tokens WHERE id = $1 AND revoked_at IS NULL);

-- name: HasRole :one
SELECT EXISTS (SELECT 1 FROM api_tokens WHERE role = $1 AND revoked_at IS NULL);

-- name: InsertSecret :exec
INSERT INTO server_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: Secret :one
SELECT value FROM server_secrets WHERE name = $1;
