package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/pgserver"
)

// TestDropRunTakesTheRunsDatabases: what the run's test packages leave behind —
// spares they gave back, a database whose process died holding it — is dropped
// with the template, and nothing else is.
func TestDropRunTakesTheRunsDatabases(t *testing.T) {
	ctx := context.Background()
	srv, err := pgserver.Resolve(ctx, pgserver.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	admin, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(ctx) })
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	template := "plt_template_" + hex.EncodeToString(b) // as makeTemplate names it (not migrated here)
	spare := template + ledgerdb.SpareInfix + "000000000001"
	held := template + ledgerdb.DatabaseInfix + "000000000002"
	other := "plt_other_" + template // another run's, or anyone's
	for _, name := range []string{template, spare, held, other} {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, name := range []string{template, spare, held, other} {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
		}
	})
	if err := dropRun(srv.URL, template); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{template: false, spare: false, held: false, other: true} {
		var exists bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
			t.Fatal(err)
		}
		if exists != want {
			t.Errorf("database %s exists: %v, want %v", name, exists, want)
		}
	}
}
