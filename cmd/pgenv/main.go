// Command pgenv runs a command with DATABASE_URL pointing at a PostgreSQL server:
// DATABASE_URL if set, else the local server, else a private cluster that it starts
// from the machine's PostgreSQL binaries and stops when the command ends. `make test`
// runs `go test` under it so that every test package shares one server. It
// migrates one template database for the run (internal/pgtest copies it), in a
// tablespace of the run's own in the temporary directory when that is in memory
// and the server can use it, and drops the run's databases and tablespace when
// the command ends.
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
	"path/filepath"
	"strings"
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
	name := newTemplateName()
	admin, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return "", nil, err
	}
	defer admin.Close(ctx)
	createSQL := "CREATE DATABASE " + name
	space, dir := "", ""
	if d, ok := memoryTablespace(ctx, admin, name); ok {
		// The template lives in the tablespace, and so does every copy of it
		// (CREATE DATABASE … TEMPLATE puts a copy where its template is).
		space, dir = name, d
		createSQL += " TABLESPACE " + pgx.Identifier{space}.Sanitize()
	}
	drop := func() error {
		err := dropRun(serverURL, name, space)
		if dir != "" {
			err = errors.Join(err, os.RemoveAll(dir))
		}
		return err
	}
	if _, err := admin.Exec(ctx, createSQL); err != nil {
		return "", nil, errors.Join(fmt.Errorf("create template: %w", err), drop())
	}
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

// newTemplateName returns a name for a run's template: plt_template_ and a
// random suffix, so that concurrent runs never share one.
func newTemplateName() string { return "plt_template_" + randomSuffix() }

// randomSuffix returns 12 random hexadecimal digits, for names of the run's own.
func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// memoryTablespace creates the tablespace name in a new folder of the
// temporary directory when that directory is in memory (tmpfs: `make test`
// points TMPDIR at /dev/shm) and the server can use it: a server on this
// machine, whose files belong to this process's user or, when this process
// runs as root, to a user it can give the folder to. It returns the folder,
// or false (and leaves nothing behind) when the run's databases stay where the
// server keeps its own.
//
// Why: every copy of the template creates about 480 files, and every TRUNCATE
// of a used table when a test database is reused creates new ones. On a disk
// whose ext4 has no journal (this machine's), each file created first scans the
// inodes deleted in the last minutes (the kernel's recently_deleted check), so
// the run's own drops and truncations made its later copies slower and slower:
// 380-420 ms for one copy of the template after a run, 23-35 ms in tmpfs
// (2026-12-06, docs/benchmarks.md "Browser, template copies in memory").
func memoryTablespace(ctx context.Context, admin *pgx.Conn, name string) (string, bool) {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(os.TempDir(), &fs); err != nil || fs.Type != tmpfsMagic {
		return "", false
	}
	var dataDir string
	if err := admin.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir); err != nil {
		return "", false
	}
	info, err := os.Stat(dataDir)
	if err != nil {
		return "", false // not this machine's server (or not readable here)
	}
	owner, ok := info.Sys().(*syscall.Stat_t)
	if !ok || (os.Geteuid() != int(owner.Uid) && os.Geteuid() != 0) {
		return "", false
	}
	dir, err := os.MkdirTemp("", "pgenv-tablespace-")
	if err != nil {
		return "", false
	}
	fail := func() (string, bool) { _ = os.RemoveAll(dir); return "", false }
	if err := os.Chown(dir, int(owner.Uid), int(owner.Gid)); err != nil {
		return fail()
	}
	// The server must see this very folder: a file written here must be one
	// it can read (it could be another machine's server whose data folder
	// happens to exist here too).
	probe := filepath.Join(dir, "probe")
	if err := os.WriteFile(probe, []byte("pgenv"), 0o644); err != nil {
		return fail()
	}
	var size int64
	err = admin.QueryRow(ctx, "SELECT size FROM pg_stat_file($1)", probe).Scan(&size)
	if rmErr := os.Remove(probe); err != nil || rmErr != nil || size != int64(len("pgenv")) {
		return fail()
	}
	if _, err := admin.Exec(ctx, "CREATE TABLESPACE "+pgx.Identifier{name}.Sanitize()+" LOCATION "+quoteLiteral(dir)); err != nil {
		return fail()
	}
	return dir, true
}

// tmpfsMagic is the file-system type that statfs reports for tmpfs.
const tmpfsMagic = 0x01021994

// quoteLiteral quotes s as an SQL string literal (CREATE TABLESPACE takes no
// parameters).
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// dropRun drops the databases of the run whose template is called template —
// internal/pgtest names them after it: the spares the test packages gave back,
// and any that a test process left behind — then the template itself. Each drop
// has its own time limit (PostgreSQL checkpoints for each), and a failed one does
// not stop the others. Then it drops the run's tablespace, space, unless "".
func dropRun(serverURL, template, space string) error {
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
	if space != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if _, err := conn.Exec(ctx, "DROP TABLESPACE IF EXISTS "+pgx.Identifier{space}.Sanitize()); err != nil {
			errs = append(errs, fmt.Errorf("drop tablespace %s: %w", space, err))
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
