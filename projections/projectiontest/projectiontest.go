package projectiontest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/projections/core"
)

// Checkpoints is the name under which Take reads the projections' checkpoints:
// each row as its projection, partition and cursor (not the time it was
// written).
const Checkpoints = "projection_checkpoints"

// State is what Take read of each table, by table name.
type State map[string]Table

// Table is one table as Take read it.
type Table struct {
	// Rows is the number of rows.
	Rows int64
	// Sum is the sum of hashtextextended(row::text, 0) over the rows, in
	// decimal: the fingerprint of the rows as a multiset.
	Sum string
	// Lines are the rows as text, sorted; only when PASSLEDGER_TEST_DUMP is set.
	Lines []string
}

// Rows returns the number of rows of every table of s.
func (s State) Rows() int64 {
	var n int64
	for _, t := range s {
		n += t.Rows
	}
	return n
}

// Tables returns the tables of ps and the checkpoints table (Checkpoints),
// sorted.
func Tables(ps []core.Projection) []string {
	out := []string{Checkpoints}
	for _, p := range ps {
		out = append(out, p.Tables()...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// rowText is the text of a row of table as Take reads it.
func rowText(table string) (expr, from string) {
	if table == Checkpoints {
		return `x.name || ' ' || x.partition::text || '/' || x.partitions::text || ' ' || x.transaction_id::text || '/' || x.position::text`,
			Checkpoints + " x"
	}
	return "x::text", pgx.Identifier{table}.Sanitize() + " x"
}

// Take reads the fingerprint of each table (see the package doc), two tables at
// a time (each on its own connection: its own server process).
func Take(ctx context.Context, q Querier, tables []string) (State, error) {
	dumpRows := os.Getenv("PASSLEDGER_TEST_DUMP") != ""
	var (
		mu   sync.Mutex
		out  = make(State, len(tables))
		errs []error
		wg   sync.WaitGroup
		slot = make(chan struct{}, 2)
	)
	for _, table := range tables {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot <- struct{}{}
			defer func() { <-slot }()
			t, err := take(ctx, q, table, dumpRows)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("projectiontest: %s: %w", table, err))
				return
			}
			out[table] = t
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// Querier is what Take reads through: a *pgxpool.Pool (which runs the tables'
// queries on several connections at once).
type Querier = core.Querier

func take(ctx context.Context, q Querier, table string, dumpRows bool) (Table, error) {
	expr, from := rowText(table)
	var t Table
	err := q.QueryRow(ctx, `SELECT count(*), coalesce(sum(hashtextextended(`+expr+`, 0)::numeric), 0)::text FROM `+from).Scan(&t.Rows, &t.Sum)
	if err != nil || !dumpRows {
		return t, err
	}
	rows, err := q.Query(ctx, `SELECT `+expr+` FROM `+from+` ORDER BY 1`)
	if err != nil {
		return t, err
	}
	t.Lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
	return t, err
}

// Diff describes how b differs from a, table by table (nil when they are the
// same): a table that only one has, a different number of rows, a different
// fingerprint, and, when both were read with PASSLEDGER_TEST_DUMP, the first
// row that differs.
func Diff(a, b State) []string {
	var names []string
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []string
	for _, name := range names {
		x, inA := a[name]
		y, inB := b[name]
		switch {
		case !inA || !inB:
			out = append(out, fmt.Sprintf("%s: read on one side only (first %v, second %v)", name, inA, inB))
		case x.Rows != y.Rows:
			out = append(out, fmt.Sprintf("%s: %d rows vs %d%s", name, x.Rows, y.Rows, firstDifference(x.Lines, y.Lines)))
		case x.Sum != y.Sum:
			out = append(out, fmt.Sprintf("%s: %d rows each, not the same rows (fingerprints %s vs %s)%s", name, x.Rows, x.Sum, y.Sum, firstDifference(x.Lines, y.Lines)))
		}
	}
	return out
}

func firstDifference(a, b []string) string {
	if a == nil || b == nil {
		return "; run again with PASSLEDGER_TEST_DUMP=1 to see the first row that differs"
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	at := func(rows []string) string {
		if i < len(rows) {
			return rows[i]
		}
		return "(none)"
	}
	return fmt.Sprintf("; first difference at sorted row %d:\n  %s\n  %s", i, at(a), at(b))
}

// Same fails t with every difference between a and b (Diff); what names the two
// sides.
func Same(t testing.TB, what string, a, b State) {
	t.Helper()
	for _, d := range Diff(a, b) {
		t.Errorf("%s: %s", what, d)
	}
}
