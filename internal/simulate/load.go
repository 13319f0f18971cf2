package simulate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
)

// Load plays the same year as Run — the same commands through package app, the
// same events — into store's Loader (eventstore.Store.NewLoader: each append
// decided in memory, the events written in large batches, several times faster
// than the group commit), and returns once every event is in the database (or
// the first failure). The database must hold no event. Summary.Elapsed counts
// until the last event is written. For histories that nothing reads while they
// are written (tests, benchmarks); Run, on the store itself, writes the way the
// ledger writes.
func Load(ctx context.Context, store *eventstore.Store, keys app.Keys, cfg Config, logger *slog.Logger) (Summary, error) {
	start := time.Now()
	loader, err := store.NewLoader(ctx)
	if err != nil {
		return Summary{}, fmt.Errorf("simulate: %w", err)
	}
	sum, err := Run(ctx, loader, keys, cfg, logger)
	if cerr := loader.Close(ctx); err == nil && cerr != nil {
		err = fmt.Errorf("simulate: %w", cerr)
	}
	sum.Elapsed = time.Since(start)
	return sum, err
}
