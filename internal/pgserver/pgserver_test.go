package pgserver

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// With DATABASE_URL unset and PGPORT pointing at a closed port, a private cluster
// must be created and started, answer queries, and stop on Close.
func TestPrivateClusterTakesOver(t *testing.T) {
	// A folder that a non-root postgres user can reach when tests run as root.
	dir, err := os.MkdirTemp("", "passledger-pgdata-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	ctx := context.Background()
	srv, err := Resolve(ctx, Options{Getenv: env(map[string]string{
		"PGHOST": "127.0.0.1", "PGPORT": closedPort(t), "PASSLEDGER_PGDATA": data,
	})})
	if err != nil {
		t.Fatal(err)
	}
	if srv.Source != SourcePrivate || srv.DataDir != data {
		t.Fatalf("want a private cluster in %s, got %+v", data, srv)
	}
	conn, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var one int
	if err := conn.QueryRow(ctx, "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("private cluster does not answer: %v", err)
	}
	conn.Close(ctx)
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		t.Fatalf("no cluster in the data folder: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("cluster still running after Close (postmaster.pid: %v)", err)
	}
	if err := ping(ctx, srv.URL, 0); err == nil {
		t.Fatal("cluster still answers after Close")
	}
}

// An explicit DATABASE_URL that does not answer is an error, never replaced.
func TestDatabaseURLIsNeverReplaced(t *testing.T) {
	_, err := Resolve(context.Background(), Options{Getenv: env(map[string]string{
		"DATABASE_URL": "postgres://postgres@127.0.0.1:" + closedPort(t) + "/postgres?sslmode=disable",
	})})
	if !errors.Is(err, ErrDatabaseURLUnreachable) {
		t.Fatalf("want ErrDatabaseURLUnreachable, got %v", err)
	}
}

func TestLocalURLFromEnvironment(t *testing.T) {
	got := localURL(env(map[string]string{"PGPORT": "6543", "PGUSER": "alice", "PGDATABASE": "ledger"}))
	want := "postgres://alice@127.0.0.1:6543/ledger?sslmode=disable"
	if got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
	if got := localURL(env(nil)); got != "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" {
		t.Fatalf("default: %s", got)
	}
}

// StartPrivate starts a cluster of the test's own; Stop takes it down (it refuses
// connections) and Start brings it back on the same URL, with its data.
func TestStartPrivateStopStart(t *testing.T) {
	dir, err := os.MkdirTemp("", "passledger-pgdata-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	srv, err := StartPrivate(ctx, filepath.Join(dir, "data"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	if _, err := StartPrivate(ctx, filepath.Join(dir, "data"), nil); err == nil {
		t.Fatal("StartPrivate on a running cluster's folder must fail")
	}
	conn, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ping(ctx, srv.URL, time.Second); err == nil {
		t.Fatal("cluster still answers after Stop")
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err = pgx.Connect(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var x int
	if err := conn.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 7 {
		t.Fatalf("data lost across Stop/Start: %d %v", x, err)
	}
	conn.Close(ctx)
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil { // already stopped: nothing to do
		t.Fatal(err)
	}
	if err := (&Server{URL: srv.URL}).Stop(ctx); err == nil {
		t.Fatal("Stop on a server not started by StartPrivate must fail")
	}
}
