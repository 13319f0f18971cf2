package audit

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/passnumerique/passledger/projections/audit/internal/dbsqlc"
	"github.com/passnumerique/passledger/projections/core"
)

// queries runs the projection's SQL: internal/dbsqlc/*.sql, compiled by sqlc
// against the migrations (make sqlc).
var queries = dbsqlc.New()

// dbtx hands a core.Querier to sqlc's generated methods, whose DBTX also names
// Exec: a pool, a connection or a transaction is one already; any other Querier is
// wrapped with an Exec that fails (the query functions only read).
func dbtx(q core.Querier) dbsqlc.DBTX {
	if db, ok := q.(dbsqlc.DBTX); ok {
		return db
	}
	return readOnly{q}
}

type readOnly struct{ core.Querier }

func (readOnly) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errors.New("audit: Exec on a read-only Querier")
}
