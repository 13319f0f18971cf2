package eventstore_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/pgtest"
)

// TestReadsKeepGenericPlans checks that PostgreSQL stops planning the group
// commit's per-group reads and ReadStreams anew: after a few executions with
// arrays of different lengths, each prepared statement runs a generic plan
// (counted in pg_prepared_statements), and that plan reads through an index,
// never a sequential scan (shown by EXPLAIN EXECUTE, which uses the cached
// generic plan). With the array passed as a plain parameter, every call was
// planned again (a custom plan for one key always looked cheaper than the
// generic one), and this test fails: generic_plans stays 0.
func TestReadsKeepGenericPlans(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// Events and records in the tables, so that the plans are made on a
	// table that is not empty (the planner then looks at its real size).
	store := eventstore.New(db.Pool)
	for i := range 3 {
		stream := fmt.Sprintf("plans-%d", i)
		md := eventstore.Metadata{IdempotencyKey: "plans-key-" + stream}
		if _, err := store.Append(ctx, stream, eventstore.NoStream, md, ev("PlanProbe", map[string]int{"i": i})); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	arrays := [][]string{{"plans-0"}, {"plans-0", "plans-1"}, {"plans-1"}, {"plans-0", "plans-1", "plans-2"}, {"plans-2"}, {"plans-0"}, {"nope"}, {"plans-1"}}
	for _, streams := range arrays {
		keys := make([]string, len(streams))
		for i, s := range streams {
			keys[i] = "plans-key-" + s
		}
		if err := eventstore.PlannedReads(ctx, conn, keys, streams); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, marker string }{
		{"IdempotencyRecords", "FROM event_idempotency"},
		{"StreamHeads", "LEFT JOIN LATERAL"},
		{"ReadStreams", "CROSS JOIN LATERAL"},
	} {
		var stmt string
		err := conn.QueryRow(ctx, `SELECT name FROM pg_prepared_statements
			WHERE strpos(statement, $1) > 0 AND strpos(statement, 'name: `+c.name+`') > 0`, c.marker).Scan(&stmt)
		if err != nil {
			t.Fatalf("%s: prepared statement not found: %v", c.name, err)
		}
		generic, custom, plan, err := pgtest.PreparedPlan(ctx, conn.Conn(), stmt, "'{plans-0,plans-1}'")
		if err != nil {
			t.Fatal(err)
		}
		if generic == 0 {
			t.Errorf("%s: no generic plan after %d calls (%d custom plans): planned again on every call", c.name, len(arrays), custom)
		}
		if !strings.Contains(plan, "Index") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s: the generic plan is not an index plan:\n%s", c.name, plan)
		}
	}
}
