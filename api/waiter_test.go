package api_test

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/projections"
)

// waiterFor starts the live projections (relay → Watermill → handlers) over the
// test database and returns their waiter for read-your-writes.
func waiterFor(t testing.TB, d *pgtest.DB, store *eventstore.Store) api.Waiter {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := projections.Start(ctx, projections.Config{
		Pool: d.Pool, Store: store, Projections: projections.All(),
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = svc.Close()
	})
	return svc
}
