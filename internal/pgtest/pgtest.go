// Package pgtest gives each test package its own PostgreSQL database, migrated, and
// drops it afterwards, so tests never depend on leftovers. Test databases commit
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
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
}

// Main creates the package's database, stores it in *out, runs the tests, drops the
// database (and every Fresh one), and returns the exit code for os.Exit.
func Main(m *testing.M, out **DB) int {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := pgserver.Resolve(ctx, pgserver.Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	defer srv.Close()
	db, err := create(ctx, srv.URL, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		return 2
	}
	*out = db
	code := m.Run()
	if err := db.drop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "pgtest:", err)
		if code == 0 {
			code = 2
		}
	}
	return code
}

// Fresh returns a new, empty, migrated database for one test, copied from the
// package's database as a template when that is still empty of events, and dropped
// when the test ends.
func (d *DB) Fresh(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := create(ctx, d.adminURL, "")
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := db.drop(context.Background()); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	return db
}

func create(ctx context.Context, adminURL, _ string) (*DB, error) {
	name := "plt_" + randomSuffix()
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
	dbURL, err := ledgerdb.WithDatabase(adminURL, name)
	if err != nil {
		return nil, err
	}
	if template == "" {
		if _, err := migrations.Up(ctx, dbURL, nil); err != nil {
			return nil, err
		}
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
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, d.adminURL)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{d.name}.Sanitize()+" WITH (FORCE)")
	return err
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
