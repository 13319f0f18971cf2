// Package layers holds one test: the import rules between the ledger's packages,
// as docs/architecture.md states them, checked with `go list` on every `make test`.
// It has no code of its own and nothing may import it.
package layers
