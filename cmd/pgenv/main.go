// Command pgenv runs a command with DATABASE_URL pointing at a PostgreSQL server:
// DATABASE_URL if set, else the local server, else a private cluster that it starts
// from the machine's PostgreSQL binaries and stops when the command ends. `make test`
// runs `go test` under it so that every test package shares one server.
//
//	go run ./cmd/pgenv -- go test ./...
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/internal/ledgerdb"
	"github.com/passnumerique/passledger/internal/pgserver"
	"github.com/passnumerique/passledger/migrations"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: pgenv -- COMMAND [ARGS...]")
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	srv, err := pgserver.Resolve(context.Background(), pgserver.Options{Logger: logger})
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		os.Exit(2)
	}
	template, dropTemplate, err := makeTemplate(context.Background(), srv.URL)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		_ = srv.Close()
		os.Exit(2)
	}
	code := run(srv.URL, template, args)
	if err := dropTemplate(); err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
	}
	if err := srv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
	}
	os.Exit(code)
}

// makeTemplate creates and migrates a database that the test packages copy
// (internal/pgtest, PASSLEDGER_TEST_TEMPLATE), and returns a function that drops
// it and the test databases of the run, which are named after it.
// Its name is unique to this run, so concurrent runs never share one.
func makeTemplate(ctx context.Context, serverURL string) (string, func() error, error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "plt_template_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", nil, fmt.Errorf("create template: %w", err)
	}
	drop := func() error { return dropRun(serverURL, name) }
	dbURL, err := ledgerdb.WithDatabase(serverURL, name)
	if err == nil {
		_, err = migrations.Up(ctx, dbURL, nil)
	}
	if err != nil {
		_ = drop()
		return "", nil, fmt.Errorf("migrate template: %w", err)
	}
	return name, drop, nil
}

// dropRun drops the databases of the run whose template is called template —
// internal/pgtest names them after it: the spares the test packages gave back,
// and any that a test process left behind — then the template itself. Each drop
// has its own time limit (PostgreSQL checkpoints for each), and a failed one does
// not stop the others.
func dropRun(serverURL, template string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, template+"_")
	if err != nil {
		return err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range append(names, template) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, fmt.Errorf("drop %s: %w", name, err))
		}
		cancel()
	}
	return errors.Join(errs...)
}

func run(url, template string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, ledgerdb.TemplateEnv+"="+template)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		return 127
	}
	go func() {
		for s := range sig {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgenv:", err)
		return 1
	}
	return 0
}
