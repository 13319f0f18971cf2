package app_test

import (
	"testing"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
)

// The command tests again, each on a new eventstore.Memory: no database, and the
// same outcomes, since the in-memory store passes the event store's conformance
// suite (eventstore/storetest). The redemption races show that Memory serialises
// appends as PostgreSQL does: of 50 concurrent redemptions of one cheque exactly
// one wins, and 50 redemptions of 50 cheques never conflict for good.
func TestCommandsOnMemory(t *testing.T) {
	for name, test := range map[string]func(*testing.T, app.Store){
		"ConcurrentRedemptionsOfOneCheque":        concurrentRedemptionsOfOneCheque,
		"ConcurrentRedemptionsOfDifferentCheques": concurrentRedemptionsOfDifferentCheques,
		"RedemptionRules":                         redemptionRules,
		"ReimbursementNeedsProgrammeCash":         reimbursementNeedsProgrammeCash,
		"FundPerequationAndDraw":                  fundPerequationAndDraw,
	} {
		t.Run(name, func(t *testing.T) { test(t, eventstore.NewMemory()) })
	}
}
