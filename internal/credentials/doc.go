// Package credentials keeps the ledger's access tokens (stored as SHA-256 hashes,
// table api_tokens) and the server's secrets (check-code key, beneficiary HMAC
// key, receipt signing seed, session key; table server_secrets, or the
// environment) in PostgreSQL. It is the storage adapter behind the HTTP port's
// authentication: it knows nothing of HTTP, routes or roles' meaning (api decides
// who may do what), and must not import api, web or projections. Its SQL is in
// internal/dbsqlc/credentials.sql, compiled by sqlc (make sqlc); none is written
// by hand.
package credentials
