package api_test

import (
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/internal/pgtest"
)

// waiterFor returns the projections' waiter for read-your-writes.
func waiterFor(t *testing.T, d *pgtest.DB, ledger *app.App) api.Waiter { return nil }
