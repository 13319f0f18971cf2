// Package pgtest gives each test package, and each test that asks, a PostgreSQL
// database of its own, migrated and empty, and takes it back afterwards (emptied
// for reuse, or dropped), so tests never depend on leftovers. Test databases commit
// without waiting for the WAL flush (synchronous_commit = off: see create).
//
// The server comes from pgserver.Resolve (DATABASE_URL, else the local server, else
// a private cluster). `make test` resolves once and exports DATABASE_URL, so parallel
// test packages share one server; a plain `go test ./pkg` works too.
//
// Use it from TestMain:
//
//	var db *pgtest.DB
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }
//
// and db.Fresh(t) for a test that needs a database of its own (a full-log read).
//
// Under `make test`, cmd/pgenv migrates one template database for the whole run
// and names it in PASSLEDGER_TEST_TEMPLATE: every database is then copied from it
// rather than migrated again.
//
// Under cmd/pgenv, databases are reused (reuse.go): when a test (or a package)
// ends, its database is renamed (so that nothing the test left running can reach
// it again), checked to have the migrated schema still, emptied (TRUNCATE of the
// tables that hold rows, sequences set back to their start) and kept as a spare
// for the next test of any package of the run; cmd/pgenv drops them all when the
// run ends. A database whose schema the test changed is dropped instead, and so
// is every released database without cmd/pgenv (nothing would drop the spares
// of a process that died). Copying a database creates about 480 files and
// WAL-logs its 9 MB, dropping one forces a checkpoint: with 63 copies and drops
// per `make test`, they cost PostgreSQL 4 to 5 s of CPU (docs/benchmarks.md,
// "Test databases reused"). Under `make test` the template, and so every copy
// of it, is in a tablespace in memory when cmd/pgenv could make one
// (memoryTablespace there), where files are cheap to create.
//
// PreparedPlan (plan.go) reads how PostgreSQL runs a prepared statement (its
// generic and custom plan counts, its EXPLAIN EXECUTE plan): for the tests of
// the queries whose plan must not depend on a table's size.
//
// What it must not do: be imported outside tests, or keep
// any state across runs but the databases cmd/pgenv drops.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/pgserver"
	"github.com/passnumerique/passledger/migrations"
)

// DB is one test package's migrated database.
type DB struct {
	// URL of the package's database, connecting as the server's superuser.
	URL string
	// Pool is connected to URL.
	Pool *pgxpool.Pool

	adminURL string
	name     string
	// schema is the fingerprint of the database's schema (schemaOf) when it was
	// created or claimed as a spare: it is reused only while it still has it.
	schema string
}

// Main gets the package's database (a spare of the run, or a new one), stores it
// in *out, runs the tests, releases the database, and returns the exit code for
// os.Exit.
func Main(m *testing.M, out **DB) int {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := pgserver.Resolve(ctx, pgserver.Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	defer srv.Close()
	db, err := acquire(ctx, srv.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	*out = db
	code := m.Run()
	if err := release(ctx, db); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 2
		}
	}
	return code
}

// Fresh returns an empty, migrated database of the test's own, with a pool of its
// own: under cmd/pgenv a spare that an earlier test of the run released
// (renamed, checked and emptied: see the package comment), else a new one. When
// the test ends, its pool is closed, every other connection to the database is
// ended, and the database is released (reuse.go: kept as a spare, or dropped).
func (d *DB) Fresh(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := acquire(ctx, d.adminURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := release(context.Background(), db); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return db
}

func create(ctx context.Context, adminURL, _ string) (*DB, error) {
	name := newName()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", adminURL, err)
	}
	defer admin.Close(ctx)
	// Under cmd/pgenv, a migrated template: each database is a copy of it
	// (CREATE DATABASE … TEMPLATE, milliseconds) instead of being migrated again.
	template := os.Getenv(ledgerdb.TemplateEnv)
	createSQL := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if template != "" {
		createSQL += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := admin.Exec(ctx, createSQL); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	// A test database's commits do not wait for the WAL flush (a database
	// setting, not copied from the template): a commit still commits, and is
	// visible, atomic and ordered as before; only an operating-system crash
	// could lose the last ones, which no test needs to survive. It takes the
	// fsync off the chains of commits the tests make one after another (a
	// simulated year is thousands of them).
	if _, err := admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{name}.Sanitize()+" SET synchronous_commit = off"); err != nil {
		return nil, fmt.Errorf("configure database %s: %w", name, err)
	}
	if template == "" {
		dbURL, err := ledgerdb.WithDatabase(adminURL, name)
		if err != nil {
			return nil, err
		}
		if _, err := migrations.Up(ctx, dbURL, nil); err != nil {
			return nil, err
		}
	}
	db, err := open(ctx, adminURL, name)
	if err != nil {
		return nil, err
	}
	// The schema as created: a reused database must still have it (reuse.go).
	if db.schema, err = baseline(ctx, adminURL, db.Pool); err != nil {
		return nil, errors.Join(fmt.Errorf("schema of %s: %w", name, err), db.drop(ctx))
	}
	return db, nil
}

// open connects a pool of up to 20 connections to the database name.
func open(ctx context.Context, adminURL, name string) (*DB, error) {
	dbURL, err := ledgerdb.WithDatabase(adminURL, name)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return &DB{URL: dbURL, Pool: pool, adminURL: adminURL, name: name}, nil
}

func (d *DB) drop(ctx context.Context) error {
	d.Pool.Close()
	return d.dropClosed(ctx)
}

// dropClosed drops the database, ending any connection to it.
func (d *DB) dropClosed(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, dropSQL(d.name))
	return err
}

// dropSQL drops database name, ending the connections to it.
func dropSQL(name string) string {
	return "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
}

// newName returns a new database name: under cmd/pgenv one that starts with the
// run's template name, so that cmd/pgenv drops the database when the run ends
// even if the test process that had it died without dropping or releasing it.
func newName() string {
	if template := os.Getenv(ledgerdb.TemplateEnv); template != "" {
		return template + ledgerdb.DatabaseInfix + randomSuffix()
	}
	return "plt_" + randomSuffix()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
