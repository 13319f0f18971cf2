package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// files holds every numbered migration, embedded in the binary so that `passledger
// migrate` needs nothing but the binary and a database.
//
//go:embed *.sql
var files embed.FS

// Up applies every migration not yet applied to the database at databaseURL, in
// order, each in its own transaction, under a PostgreSQL advisory lock so that two
// processes starting at once (two `serve`, or parallel test packages on one database)
// never apply the same migration twice. It returns the versions it applied.
func Up(ctx context.Context, databaseURL string, logger *slog.Logger) ([]int64, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("migrations: open database: %w", err)
	}
	defer db.Close()
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, fmt.Errorf("migrations: session locker: %w", err)
	}
	opts := []goose.ProviderOption{goose.WithSessionLocker(locker)}
	if logger != nil {
		opts = append(opts, goose.WithSlog(logger))
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, files, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrations: load: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrations: apply: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	return applied, nil
}

// keep the pgx database/sql driver registered for sql.Open("pgx", ...).
var _ = stdlib.GetDefaultDriver
