package eventstore_test

import (
	"testing"

	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
)

// The conformance suite on PostgreSQL, in a database of its own.
func TestConformancePostgres(t *testing.T) {
	t.Parallel()
	s := eventstore.New(db.Fresh(t).Pool)
	storetest.Run(t, func(*testing.T) storetest.Store { return s }, storetest.Options{ReadSetChecks: true})
}

// The conformance suite on Memory, a new store per subtest.
func TestConformanceMemory(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store { return eventstore.NewMemory() }, storetest.Options{ReadSetChecks: true})
}
