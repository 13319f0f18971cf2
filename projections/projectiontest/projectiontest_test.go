package projectiontest_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/projections/projectiontest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

// TestTakeAndDiff: the same rows in another order give the same State; one
// value changed, one row more or one table missing are each a difference, named;
// with PASSLEDGER_TEST_DUMP the first row that differs is shown.
func TestTakeAndDiff(t *testing.T) {
	ctx := context.Background()
	d := db.Fresh(t)
	exec := func(sql string) {
		t.Helper()
		if _, err := d.Pool.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec(`CREATE TABLE pt_a (id int PRIMARY KEY, amount numeric(18,2), note text)`)
	// Dropped before the database is released: its schema is the template's
	// again and pgtest reuses it.
	t.Cleanup(func() { _, _ = d.Pool.Exec(context.Background(), `DROP TABLE IF EXISTS pt_a, pt_b`) })
	exec(`CREATE TABLE pt_b (id int)`)
	exec(`INSERT INTO pt_a VALUES (1, 10.00, 'un'), (2, 0.40, NULL), (3, 2.00, 'trois « 3 »')`)
	exec(`INSERT INTO pt_b VALUES (7), (7), (8)`)
	tables := []string{"pt_a", "pt_b", projectiontest.Checkpoints}
	take := func() projectiontest.State {
		t.Helper()
		st, err := projectiontest.Take(ctx, d.Pool, tables)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := take()
	if first["pt_a"].Rows != 3 || first["pt_b"].Rows != 3 || first.Rows() != 6+first[projectiontest.Checkpoints].Rows {
		t.Fatalf("rows %+v", first)
	}
	// The same rows, written again in another physical order.
	exec(`DELETE FROM pt_a`)
	exec(`INSERT INTO pt_a VALUES (3, 2.00, 'trois « 3 »'), (1, 10.00, 'un'), (2, 0.40, NULL)`)
	if diff := projectiontest.Diff(first, take()); diff != nil {
		t.Fatalf("same rows, another order: %v", diff)
	}
	// One value changed: same count, different rows.
	exec(`UPDATE pt_a SET amount = 0.41 WHERE id = 2`)
	diff := projectiontest.Diff(first, take())
	if len(diff) != 1 || !strings.HasPrefix(diff[0], "pt_a: 3 rows each, not the same rows") || !strings.Contains(diff[0], "PASSLEDGER_TEST_DUMP=1") {
		t.Fatalf("a changed value: %q", diff)
	}
	// A duplicate row more (a multiset, not a set).
	exec(`UPDATE pt_a SET amount = 0.40 WHERE id = 2`)
	exec(`INSERT INTO pt_b VALUES (8)`)
	diff = projectiontest.Diff(first, take())
	if len(diff) != 1 || !strings.HasPrefix(diff[0], "pt_b: 3 rows vs 4") {
		t.Fatalf("a row more: %q", diff)
	}
	// A table on one side only.
	second := take()
	delete(second, "pt_a")
	if diff := projectiontest.Diff(first, second); len(diff) != 2 || !strings.HasPrefix(diff[0], "pt_a: read on one side only") {
		t.Fatalf("a table missing: %q", diff)
	}
	// With the rows: the first that differs.
	t.Setenv("PASSLEDGER_TEST_DUMP", "1")
	before := take()
	exec(`UPDATE pt_a SET note = 'deux' WHERE id = 2`)
	diff = projectiontest.Diff(before, take())
	if len(diff) != 1 || !strings.Contains(diff[0], "first difference at sorted row 1:\n  (2,0.40,)\n  (2,0.40,deux)") {
		t.Fatalf("with the rows: %q", diff)
	}
}

// TestTables lists every table of the projections once, and the checkpoints.
func TestTables(t *testing.T) {
	got := projectiontest.Tables(projections.All())
	seen := map[string]bool{}
	for _, name := range got {
		if seen[name] {
			t.Errorf("%s listed twice", name)
		}
		seen[name] = true
	}
	for _, want := range []string{projectiontest.Checkpoints, "ledger_postings", "cheques", "place_redemptions", "treasury_movements"} {
		if !seen[want] {
			t.Errorf("%s missing from %v", want, got)
		}
	}
}
