package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/ledgerdb"
)

var pkgDB *DB

func TestMain(m *testing.M) { os.Exit(Main(m, &pkgDB)) }

// spareNames lists the names of the run's spare databases (named with the mark).
func spareNames(t *testing.T) []string {
	t.Helper()
	rows, err := pkgDB.Pool.Query(context.Background(), `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, spareMark())
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// runMode runs test with the spares shared by a run, as under cmd/pgenv, but
// with a mark of the test's own, so that no other package of the run claims
// them (under cmd/pgenv the mark starts with the run's template's name, so that
// cmd/pgenv drops them even if this process dies); they are dropped afterwards.
func runMode(t *testing.T, test func(t *testing.T)) {
	was := spareMark
	mark := "plt_pgtest_" + randomSuffix() + ledgerdb.SpareInfix
	if template := os.Getenv(ledgerdb.TemplateEnv); template != "" {
		mark = template + "_pgtest" + randomSuffix() + ledgerdb.SpareInfix
	}
	spareMark = func() string { return mark }
	t.Cleanup(func() {
		for _, name := range spareNames(t) {
			if err := (&DB{adminURL: pkgDB.adminURL, name: name}).dropClosed(context.Background()); err != nil {
				t.Error(err)
			}
		}
		spareMark = was
	})
	test(t)
}

// exists reports whether the server has a database called name.
func exists(t *testing.T, name string) bool {
	t.Helper()
	var ok bool
	if err := pkgDB.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

// oidOf returns the OID of d's database.
func oidOf(t *testing.T, d *DB) uint32 {
	t.Helper()
	var oid uint32
	if err := d.Pool.QueryRow(context.Background(), `SELECT oid FROM pg_database WHERE datname = current_database()`).Scan(&oid); err != nil {
		t.Fatal(err)
	}
	return oid
}

// The tests below run one after another (none is parallel): each looks at the
// spares that the one before left.

func TestFreshIsReusedEmptyUnderANewName(t *testing.T) { runMode(t, freshIsReusedEmptyUnderANewName) }

func freshIsReusedEmptyUnderANewName(t *testing.T) {
	ctx := context.Background()
	var first string
	var oid uint32 // a database keeps its OID when it is renamed
	t.Run("dirty", func(t *testing.T) {
		d := pkgDB.Fresh(t)
		first = d.name
		oid = oidOf(t, d)
		if _, err := d.Pool.Exec(ctx, `INSERT INTO account_balances (account, balance) VALUES ('a', 1.00), ('b', 2.00)`); err != nil {
			t.Fatal(err)
		}
		// Events and a chain checkpoint, through the store: their tables'
		// append-only triggers refuse a TRUNCATE unless emptying keeps them
		// from firing.
		store := eventstore.New(d.Pool)
		data := eventstore.EventData{Type: "Probe", Payload: []byte(`{"n": 1}`)}
		if _, err := store.Append(ctx, "probe-1", eventstore.Any, eventstore.Metadata{}, data, data); err != nil {
			t.Fatal(err)
		}
		storetest.WaitVisible(t, ctx, store)
		if n, err := store.AppendCheckpoint(ctx, 10); err != nil || n == 0 {
			t.Fatalf("checkpoint: %d, %v", n, err)
		}
	})
	if exists(t, first) {
		t.Fatalf("database %s still exists under its old name after its test", first)
	}
	names := spareNames(t)
	if len(names) != 1 {
		t.Fatalf("spares %v, want the released database", names)
	}
	t.Run("reused", func(t *testing.T) {
		d := pkgDB.Fresh(t)
		if got := oidOf(t, d); got != oid {
			t.Fatalf("Fresh gave database %d (%s), want the spare, database %d (%s)", got, d.name, oid, names[0])
		}
		var balances, events, checkpoints int64
		if err := d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM account_balances), (SELECT count(*) FROM events), (SELECT count(*) FROM event_chain_checkpoints)`).Scan(&balances, &events, &checkpoints); err != nil {
			t.Fatal(err)
		}
		if balances != 0 || events != 0 || checkpoints != 0 {
			t.Errorf("reused database: %d balances, %d events, %d checkpoints; want none", balances, events, checkpoints)
		}
		res, err := eventstore.New(d.Pool).Append(ctx, "probe-2", eventstore.Any, eventstore.Metadata{}, eventstore.EventData{Type: "Probe", Payload: []byte(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Positions[0] != 1 {
			t.Errorf("reused database: first event at position %d, want 1", res.Positions[0])
		}
		var migrations int64
		if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM goose_db_version WHERE version_id > 0`).Scan(&migrations); err != nil {
			t.Fatal(err)
		}
		if migrations == 0 {
			t.Error("the record of applied migrations was emptied")
		}
	})
}

func TestChangedSchemaIsDropped(t *testing.T) { runMode(t, changedSchemaIsDropped) }

// changedSchemaIsDropped makes each kind of change on one database, one after
// another: each must change the fingerprint that its release compares (so it
// would be dropped after any one of them), and the release drops it. (One
// database rather than one per change: each copy of the template creates about
// 480 files and each drop forces a checkpoint of the whole server, which the
// other packages of the run pay for too.)
func changedSchemaIsDropped(t *testing.T) {
	ctx := context.Background()
	var oid uint32
	t.Run("changes", func(t *testing.T) {
		d := pkgDB.Fresh(t)
		oid = oidOf(t, d)
		before := d.schema
		for _, change := range []string{
			`CREATE TABLE probe (x int)`,
			`ALTER TABLE events DISABLE TRIGGER USER`,
			`CREATE INDEX ON account_balances (balance)`,
			`ALTER SEQUENCE events_position_seq INCREMENT BY 2`,
			`CREATE TYPE probe_kind AS ENUM ('a')`,
		} {
			if _, err := d.Pool.Exec(ctx, change); err != nil {
				t.Fatal(err)
			}
			after, err := schemaOf(ctx, d.Pool)
			if err != nil {
				t.Fatal(err)
			}
			if after == before {
				t.Errorf("%s: the schema's fingerprint did not change", change)
			}
			before = after
		}
	})
	// A database keeps its OID under any name: none has it any more.
	var kept string
	err := pkgDB.Pool.QueryRow(ctx, `SELECT datname FROM pg_database WHERE oid = $1`, oid).Scan(&kept)
	if err == nil {
		t.Errorf("the database was kept (as %s), want it dropped", kept)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
}

func TestLeftoverConnectionCannotReachTheReusedDatabase(t *testing.T) {
	runMode(t, leftoverConnectionCannotReachTheReusedDatabase)
}

func leftoverConnectionCannotReachTheReusedDatabase(t *testing.T) {
	ctx := context.Background()
	var leaked *pgx.Conn
	var url string
	t.Run("leaks", func(t *testing.T) {
		d := pkgDB.Fresh(t)
		url = d.URL
		var err error
		if leaked, err = pgx.Connect(ctx, d.URL); err != nil {
			t.Fatal(err)
		}
	})
	if leaked == nil {
		return // the subtest failed
	}
	defer leaked.Close(ctx)
	if _, err := leaked.Exec(ctx, `SELECT 1`); err == nil {
		t.Error("a connection left open by the test still works after the test")
	}
	if c, err := pgx.Connect(ctx, url); err == nil {
		c.Close(ctx)
		t.Errorf("%s still accepts connections after its test", url)
	}
	if len(spareNames(t)) == 0 {
		t.Error("the database was not kept for reuse")
	}
}

// TestConcurrentClaims: tests that take spares at the same time (as the packages
// of a run do) each get a database no other test holds, and keep their
// connections (a claim ends none). The second round claims the first round's
// spares: at least one of them (they run in parallel, so the first round leaves
// as many spares as its tests ran at once at its end). Four tests a round: as
// many as claim at once in a run (two packages, two parallel tests each).
func TestConcurrentClaims(t *testing.T) {
	runMode(t, func(t *testing.T) {
		ctx := context.Background()
		var mu sync.Mutex
		seen := make([]map[uint32]bool, 2) // the databases each round got
		for round := range 2 {
			held := map[uint32]string{}
			seen[round] = map[uint32]bool{}
			t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
				for i := range 4 {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						t.Parallel()
						d := pkgDB.Fresh(t)
						oid := oidOf(t, d)
						mu.Lock()
						if other, ok := held[oid]; ok {
							t.Errorf("database %d given to two tests at once (%s and %s)", oid, other, t.Name())
						}
						held[oid] = t.Name()
						seen[round][oid] = true
						mu.Unlock()
						t.Cleanup(func() { // before the database is released (cleanups run last first)
							mu.Lock()
							delete(held, oid)
							mu.Unlock()
						})
						for range 20 {
							if _, err := d.Pool.Exec(ctx, `SELECT count(*) FROM events`); err != nil {
								t.Fatal(err)
							}
						}
					})
				}
			})
		}
		reused := 0
		for oid := range seen[1] {
			if seen[0][oid] {
				reused++
			}
		}
		if reused == 0 {
			t.Errorf("the second round got none of the first round's %d databases", len(seen[0]))
		}
	})
}

// TestWithoutARunReleasedIsDropped: without cmd/pgenv no process would drop the
// spares of one that died, so a released database is dropped, not kept.
func TestWithoutARunReleasedIsDropped(t *testing.T) {
	was := spareMark
	spareMark = func() string { return "" }
	t.Cleanup(func() { spareMark = was })
	var oid uint32
	t.Run("holds", func(t *testing.T) { oid = oidOf(t, pkgDB.Fresh(t)) })
	var name string
	err := pkgDB.Pool.QueryRow(context.Background(), `SELECT datname FROM pg_database WHERE oid = $1`, oid).Scan(&name)
	if err == nil {
		t.Errorf("the released database is still there, as %s", name)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		t.Fatal(err)
	}
}
