package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/pgserver"
)

// connect finds the server as cmd/pgenv does and connects to its maintenance
// database; both are closed with the test.
func connect(t *testing.T) (*pgserver.Server, *pgx.Conn) {
	t.Helper()
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
	return srv, admin
}

// TestDropRunTakesTheRunsDatabases: what the run's test packages leave behind —
// spares they gave back, a database whose process died holding it — is dropped
// with the template, and nothing else is.
func TestDropRunTakesTheRunsDatabases(t *testing.T) {
	ctx := context.Background()
	srv, admin := connect(t)
	template := newTemplateName() // as makeTemplate names it (not migrated here)
	spare := template + ledgerdb.SpareInfix + "000000000001"
	held := template + ledgerdb.DatabaseInfix + "000000000002"
	other := "plt_other_" + template // another run's, or anyone's
	// Under make test, copies of the run's template: in its tablespace, so in
	// memory when the run's databases are (memoryTablespace).
	from := ""
	if run := os.Getenv(ledgerdb.TemplateEnv); run != "" {
		from = " TEMPLATE " + pgx.Identifier{run}.Sanitize()
	}
	for _, name := range []string{template, spare, held, other} {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+from); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, name := range []string{template, spare, held, other} {
			_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize())
		}
	})
	if err := dropRun(srv.URL, template, ""); err != nil {
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

// TestMemoryTablespace: with the temporary directory in tmpfs, the run's
// tablespace is made there when the server is this machine's and this process
// may give it a folder (as root, or as the server's own user), and copies of a
// database made in it have their files there; otherwise (and always when the
// temporary directory is on a disk) there is no tablespace and no folder left.
func TestMemoryTablespace(t *testing.T) {
	ctx := context.Background()
	srv, admin := connect(t)
	// Whether this server can have a tablespace here, computed apart from
	// memoryTablespace: its data folder is on this machine and its owner is
	// this process's user, or this process is root.
	var dataDir string
	if err := admin.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		t.Fatal(err)
	}
	possible := false
	if info, err := os.Stat(dataDir); err == nil {
		st := info.Sys().(*syscall.Stat_t)
		possible = os.Geteuid() == 0 || os.Geteuid() == int(st.Uid)
	}

	for _, tc := range []struct {
		name   string
		parent string // where the temporary directory is made
		want   bool
	}{
		{"memory", "/dev/shm", possible},
		{"disk", ".", false}, // the package's folder: never tmpfs
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp, err := os.MkdirTemp(tc.parent, "pgenv-test-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = os.RemoveAll(tmp) })
			if err := os.Chmod(tmp, 0o755); err != nil { // as make test's
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", tmp)
			name := "plt_tstest_" + randomSuffix()
			dir, ok := memoryTablespace(ctx, admin, name)
			t.Cleanup(func() { _, _ = admin.Exec(ctx, "DROP TABLESPACE IF EXISTS "+name) })
			if ok != tc.want {
				t.Fatalf("memoryTablespace: %v, want %v", ok, tc.want)
			}
			var location string
			err = admin.QueryRow(ctx, `SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = $1`, name).Scan(&location)
			if !ok {
				if !errors.Is(err, pgx.ErrNoRows) {
					t.Fatalf("no tablespace was wanted, found %q (%v)", location, err)
				}
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Fatalf("left in the temporary directory: %v", left)
				}
				return
			}
			if err != nil || location != dir || filepath.Dir(dir) != tmp {
				t.Fatalf("tablespace at %q (%v), folder %q in %q", location, err, dir, tmp)
			}
			db := name + "_db"
			if _, err := admin.Exec(ctx, "CREATE DATABASE "+db+" TABLESPACE "+name); err != nil {
				t.Fatal(err)
			}
			found := false
			_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				found = found || (err == nil && d.Name() == "PG_VERSION")
				return nil
			})
			if !found {
				t.Errorf("the database's files are not in %s", dir)
			}
			// As at the end of a run: the run's databases (here db, named
			// after name as the run's are after its template), then the
			// tablespace.
			if err := dropRun(srv.URL, name, name); err != nil {
				t.Fatal(err)
			}
			var left int
			if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_tablespace WHERE spcname = $1`, name).Scan(&left); err != nil || left != 0 {
				t.Fatalf("tablespace %s left after dropRun: %d (%v)", name, left, err)
			}
		})
	}
}
