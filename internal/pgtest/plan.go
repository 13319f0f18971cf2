package pgtest

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// PreparedPlan reports how PostgreSQL runs the statement prepared on conn as
// name: how many of its executions so far used the generic plan and how many a
// custom one (pg_prepared_statements), and the plan that EXPLAIN EXECUTE shows
// for it with args, the statement's arguments as SQL literals (for example
// "'{a,b}'") — the cached generic plan once PostgreSQL has settled on one. The
// tests of the plans that must not depend on a table's size (an index lookup
// whether the table is empty or large) read them here.
func PreparedPlan(ctx context.Context, conn *pgx.Conn, name, args string) (generic, custom int64, plan string, err error) {
	err = conn.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = $1`, name).Scan(&generic, &custom)
	if err != nil {
		return 0, 0, "", fmt.Errorf("prepared statement %s: %w", name, err)
	}
	rows, err := conn.Query(ctx, "EXPLAIN EXECUTE "+pgx.Identifier{name}.Sanitize()+"("+args+")")
	if err != nil {
		return 0, 0, "", fmt.Errorf("explain %s: %w", name, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, 0, "", fmt.Errorf("explain %s: %w", name, err)
	}
	return generic, custom, strings.Join(lines, "\n"), nil
}
