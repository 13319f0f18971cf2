// Package ledgerdb opens the ledger's database: it resolves the server (pgserver),
// creates the "passledger" database on a local or private server when needed, applies
// the migrations and returns a pgx pool whose sessions act as the application role.
//
// It wires infrastructure only; no domain rule lives here.
package ledgerdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/internal/pgserver"
	"github.com/passnumerique/passledger/migrations"
)

// DefaultDatabase is the database created on a local or private server when
// DATABASE_URL is not given.
const DefaultDatabase = "passledger"

// Config says how to reach the database.
type Config struct {
	// DatabaseURL, when set, is used as is (and must answer).
	DatabaseURL string
	// Role, when set, is taken (SET ROLE) by every pooled session: the application
	// then holds only the privileges of that role (SELECT/INSERT on events).
	Role string
	// MaxConns bounds the pool (0: pgx default).
	MaxConns int32
	// Migrate applies pending migrations before returning.
	Migrate bool
}

// DB is an open ledger database.
type DB struct {
	Pool   *pgxpool.Pool
	URL    string
	server *pgserver.Server
}

// Close closes the pool and stops a private server this process started.
func (d *DB) Close() error {
	d.Pool.Close()
	return d.server.Close()
}

// Open resolves the server, ensures the database exists and is migrated, and
// connects.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*DB, error) {
	getenv := func(k string) string {
		if k == "DATABASE_URL" {
			return cfg.DatabaseURL
		}
		return os.Getenv(k)
	}
	srv, err := pgserver.Resolve(ctx, pgserver.Options{Getenv: getenv, Logger: logger})
	if err != nil {
		return nil, err
	}
	dbURL := srv.URL
	if srv.Source != pgserver.SourceDatabaseURL {
		if dbURL, err = ensureDatabase(ctx, srv.URL, DefaultDatabase); err != nil {
			_ = srv.Close()
			return nil, err
		}
	}
	if cfg.Migrate {
		applied, err := migrations.Up(ctx, dbURL, nil)
		if err != nil {
			_ = srv.Close()
			return nil, err
		}
		if len(applied) > 0 {
			logger.Info("migrations applied", "versions", applied)
		}
	}
	pool, err := NewPool(ctx, dbURL, cfg.Role, cfg.MaxConns)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &DB{Pool: pool, URL: dbURL, server: srv}, nil
}

// TemplateEnv names the environment variable in which cmd/pgenv passes a migrated
// template database to the test packages it runs (internal/pgtest copies it).
const TemplateEnv = "PASSLEDGER_TEST_TEMPLATE"

// SpareInfix follows the template's name in the names of the spare databases
// that the test packages of a cmd/pgenv run give back for one another to reuse
// (internal/pgtest), and DatabaseInfix in the names of the databases they hold.
// cmd/pgenv drops every database whose name starts with the template's and "_"
// when the run ends.
const (
	SpareInfix    = "_spare_"
	DatabaseInfix = "_db_"
)

// defaultMaxConns sizes the pool when neither the caller nor the URL does: the
// group committer's workers hold a connection each while command reads go on.
const defaultMaxConns = 24

// connectTimeout bounds a connection attempt.
const connectTimeout = time.Second

// NewPool connects to dbURL; every session takes role (when not empty).
func NewPool(ctx context.Context, dbURL, role string, maxConns int32) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("ledgerdb: %w", err)
	}
	if maxConns > 0 {
		pcfg.MaxConns = maxConns
	} else if pcfg.MaxConns < defaultMaxConns && !strings.Contains(dbURL, "pool_max_conns") {
		pcfg.MaxConns = defaultMaxConns
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 || pcfg.ConnConfig.ConnectTimeout > connectTimeout {
		// A database that went away must answer "unavailable" within a second,
		// not after the kernel's TCP timeout.
		pcfg.ConnConfig.ConnectTimeout = connectTimeout
	}
	if role != "" {
		pcfg.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			_, err := conn.Exec(ctx, "SET ROLE "+pgx.Identifier{role}.Sanitize())
			return err
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("ledgerdb: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ledgerdb: connect as role %q: %w", role, err)
	}
	return pool, nil
}

func ensureDatabase(ctx context.Context, serverURL, name string) (string, error) {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", fmt.Errorf("ledgerdb: %w", err)
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
		return "", fmt.Errorf("ledgerdb: create database %s: %w", name, err)
	}
	return WithDatabase(serverURL, name)
}

// WithDatabase returns dsn (URL or key=value form) with its database replaced.
func WithDatabase(dsn, name string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		u.Path = "/" + name
		return u.String(), nil
	}
	return dsn + " dbname=" + name, nil
}
