// Package migrations holds the ledger's database schema as numbered SQL files
// (goose format: "-- +goose Up" / "-- +goose Down"), embedded in the binary, and Up,
// which applies them.
//
// Why goose: it reads migrations from an embed.FS, runs each in a transaction, takes a
// PostgreSQL advisory lock while migrating, and is widely used and maintained. SQL that
// the application runs at request time does not live here, except the append function
// of the event store, which is part of the schema.
//
// A migration, once released, is never edited: a change is a new numbered file.
package migrations
