package projections

import (
	"context"
	"github.com/passnumerique/passledger/projections/core"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/eventstore"
)

// WithTestHooks returns c with the crash-simulation hooks set: before runs inside a
// page's transaction after its rows and checkpoint are written, before the commit;
// after runs once the page is committed, before the message is acknowledged.
func WithTestHooks(c Config, before func(ctx context.Context, name string, last eventstore.Cursor) error,
	after func(ctx context.Context, name string, res Result) error) Config {
	c.beforeCommit, c.afterCommit = before, after
	return c
}

// RebuildWithPageSize is Rebuild with another page size.
func RebuildWithPageSize(ctx context.Context, pool *pgxpool.Pool, store *eventstore.Store, ps []core.Projection, pageSize int, progress func(done, total int64)) error {
	return rebuild(ctx, pool, store, ps, pageSize, progress)
}

// DecodeRawPageForTest decodes a page message without decoding its events'
// payloads: the cursor it starts after and the recorded events.
func DecodeRawPageForTest(payload []byte) (eventstore.Cursor, []eventstore.RecordedEvent, error) {
	p, err := decodeRawPage(payload)
	if err != nil {
		return eventstore.Cursor{}, nil, err
	}
	recs := make([]eventstore.RecordedEvent, len(p.evs))
	for i, e := range p.evs {
		recs[i] = e.RecordedEvent
	}
	return p.after, recs, nil
}
