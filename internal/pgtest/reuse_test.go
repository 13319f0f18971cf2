package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/internal/ledgerdb"
)

var pkgDB *DB

func TestMain(m *testing.M) { os.Exit(Main(m, &pkgDB)) }

// spareNames lists the names of the spare databases: this process's own, or the
// run's (named with the mark).
func spareNames(t *testing.T) []string {
	t.Helper()
	mark := spareMark()
	if mark == "" {
		spares.mu.Lock()
		defer spares.mu.Unlock()
		var names []string
		for _, d := range spares.free {
			names = append(names, d.name)
		}
		return names
	}
	rows, err := pkgDB.Pool.Query(context.Background(), `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`, mark)
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// modes runs test in both ways of keeping spares: in this process, and shared
// by a run (as under cmd/pgenv: runMode).
func modes(t *testing.T, test func(t *testing.T)) {
	t.Run("process", func(t *testing.T) {
		was := spareMark
		spareMark = func() string { return "" }
		t.Cleanup(func() {
			spareMark = was
			if err := spares.dropAll(context.Background()); err != nil {
				t.Error(err)
			}
		})
		test(t)
	})
	t.Run("run", func(t *testing.T) { runMode(t, test) })
}

// runMode runs test with the spares shared by a run, as under cmd/pgenv, but
// with a mark of the test's own, so that no other package of the run claims
// them; they are dropped afterwards.
func runMode(t *testing.T, test func(t *testing.T)) {
	was := spareMark
	mark := "plt_pgtest_" + randomSuffix() + ledgerdb.SpareInfix
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

func TestFreshIsReusedEmptyUnderANewName(t *testing.T) { modes(t, freshIsReusedEmptyUnderANewName) }

func freshIsReusedEmptyUnderANewName(t *testing.T) {
	ctx := context.Background()
	var first string
	var oid uint32 // a database keeps its OID when it is renamed
	t.Run("dirty", func(t *testing.T) {
		d := pkgDB.Fresh(t)
		first = d.name
		oid = oidOf(t, d)
		for _, q := range []string{
			`INSERT INTO account_balances (account, balance) VALUES ('a', 1.00), ('b', 2.00)`,
			`SELECT nextval(pg_get_serial_sequence('events', 'position'))`,
			`SELECT nextval(pg_get_serial_sequence('events', 'position'))`,
		} {
			if _, err := d.Pool.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
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
		var rows, next int64
		if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM account_balances`).Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if err := d.Pool.QueryRow(ctx, `SELECT nextval(pg_get_serial_sequence('events', 'position'))`).Scan(&next); err != nil {
			t.Fatal(err)
		}
		if rows != 0 || next != 1 {
			t.Errorf("reused database: %d rows in account_balances, next event position %d; want 0 and 1", rows, next)
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

// Whether a database is reused or dropped is decided the same way in both modes
// (reset): one is enough here.
func TestChangedSchemaIsDropped(t *testing.T) { runMode(t, changedSchemaIsDropped) }

func changedSchemaIsDropped(t *testing.T) {
	ctx := context.Background()
	for _, change := range []string{
		`CREATE TABLE probe (x int)`,
		`ALTER TABLE events DISABLE TRIGGER USER`,
		`CREATE INDEX ON account_balances (balance)`,
		`ALTER SEQUENCE events_position_seq INCREMENT BY 2`,
		`CREATE TYPE probe AS ENUM ('a')`,
	} {
		var oid uint32
		t.Run(strings.Fields(change)[0]+"_"+strings.Fields(change)[1], func(t *testing.T) {
			d := pkgDB.Fresh(t)
			oid = oidOf(t, d)
			if _, err := d.Pool.Exec(ctx, change); err != nil {
				t.Fatal(err)
			}
		})
		// A database keeps its OID under any name: none has it any more.
		var kept string
		err := pkgDB.Pool.QueryRow(ctx, `SELECT datname FROM pg_database WHERE oid = $1`, oid).Scan(&kept)
		if err == nil {
			t.Errorf("%s: the database was kept (as %s), want it dropped", change, kept)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			t.Fatal(err)
		}
	}
}

func TestLeftoverConnectionCannotReachTheReusedDatabase(t *testing.T) {
	modes(t, leftoverConnectionCannotReachTheReusedDatabase)
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
// spares.
func TestConcurrentClaims(t *testing.T) {
	runMode(t, func(t *testing.T) {
		ctx := context.Background()
		for round := range 2 {
			var mu sync.Mutex
			held := map[uint32]string{}
			t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
				for i := range 6 {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						t.Parallel()
						d := pkgDB.Fresh(t)
						oid := oidOf(t, d)
						mu.Lock()
						if other, ok := held[oid]; ok {
							t.Errorf("database %d given to two tests at once (%s and %s)", oid, other, t.Name())
						}
						held[oid] = t.Name()
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
	})
}
