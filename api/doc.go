// Package api is the ledger's HTTP port: JSON under /v1, problem+json errors,
// bearer tokens, idempotency keys, OpenAPI at /openapi.json, and the operational
// endpoints /healthz, /readyz and /metrics.
//
// Handlers decode and validate input, call the application layer, and encode the
// answer; they hold no domain rule and write no SQL of their own beyond reads of
// projections.
package api
