package projections_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/internal/pgtest"
)

// TestKeyLookupsKeepIndexPlans reads the projections' SQL files and checks
// every query that reads rows by a list of keys (projections/core: key
// lookups): none joins a table on unnest(@keys) by key directly, and each one,
// run a few times on the empty tables of a new database, is given a generic
// plan that looks every key up in an index. A plan made on an empty table is the
// one PostgreSQL keeps for the connection's life (nothing invalidates it as
// the table grows), and an index lookup per key only gets cheaper, relative to
// scanning the table, as the table grows; the join it replaces got a hash join
// over a sequential scan from an empty table and kept it (10.7 ms instead of
// 0.05 ms per call on 90,000 cheques).
func TestKeyLookupsKeepIndexPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	files, err := filepath.Glob("*/internal/dbsqlc/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no SQL files (%v)", err)
	}
	// A join of a table on the keys' equality, either way round (ProgrammeFlows,
	// a report's range read per programme, is not a key lookup: its join is on
	// a range).
	direct := regexp.MustCompile(`(?is)(unnest\(@\w+::text\[\]\)[^;]*\bJOIN\b[^;]*\bON\b[^;]*= *(k|u)\.\w+\s*(;|$|AND))|(\bJOIN ROWS FROM \(unnest\(@)`)
	param := regexp.MustCompile(`@\w+::text\[\]`)
	d := db.Fresh(t) // empty tables: the plans are made on them
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	lookups := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(string(src), "-- name: ")[1:] {
			name, _, _ := strings.Cut(q, " ")
			sql := q[strings.Index(q, "\n")+1:]
			sql, _, _ = strings.Cut(sql, ";")
			if direct.MatchString(sql) {
				// Checked below too: its plan is what is wrong with it.
				t.Errorf("%s %s joins a table on unnest(@keys): read the keys' rows through CROSS JOIN LATERAL (… LIMIT 1), as the other key lookups do", f, name)
			} else if !strings.Contains(sql, "CROSS JOIN LATERAL") {
				continue
			}
			params := param.FindAllString(sql, -1)
			lookups++
			stmt := "keylookup_" + strings.ToLower(filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(f))))) + "_" + name
			// The i-th array parameter becomes $i, each given the same keys.
			i := 0
			sql = param.ReplaceAllStringFunc(sql, func(string) string { i++; return fmt.Sprintf("$%d::text[]", i) })
			if _, err := conn.Conn().Prepare(ctx, stmt, sql); err != nil {
				t.Fatalf("%s %s: %v", f, name, err)
			}
			for _, keys := range [][]string{{"a"}, {"a", "b"}, {"a"}, {"a", "b", "c"}, {"b"}, {"a"}, {"c"}, {"a", "b"}} {
				args := make([]any, len(params))
				for i := range args {
					args[i] = keys
				}
				rows, err := conn.Query(ctx, stmt, args...)
				if err != nil {
					t.Fatalf("%s %s: %v", f, name, err)
				}
				rows.Close()
				if err := rows.Err(); err != nil {
					t.Fatalf("%s %s: %v", f, name, err)
				}
			}
			generic, _, plan, err := pgtest.PreparedPlan(ctx, conn.Conn(), stmt, strings.Repeat("'{a,b}', ", len(params)-1)+"'{a,b}'")
			if err != nil {
				t.Fatal(err)
			}
			if generic == 0 {
				t.Errorf("%s %s: no generic plan after 8 calls: planned again on every call", f, name)
			}
			if !strings.Contains(plan, "Index") || strings.Contains(plan, "Seq Scan") || strings.Contains(plan, "Hash") {
				t.Errorf("%s %s: the plan made on an empty table is not an index lookup per key:\n%s", f, name, plan)
			}
		}
	}
	if lookups < 12 {
		t.Errorf("%d key lookups found in %d files, want at least 12 (the test no longer finds them?)", lookups, len(files))
	}
}
