package projections

import (
	"fmt"
	"github.com/passnumerique/passledger/projections/core"
	"strings"

	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/balances"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
	"github.com/passnumerique/passledger/projections/treasury"
)

// All returns a new instance of every projection, always in this order: balances,
// cheques, equity, audit, places, prescribers, treasury.
func All() []core.Projection {
	return []core.Projection{
		balances.New(),
		cheques.New(),
		equity.New(),
		audit.New(),
		places.New(),
		prescribers.New(),
		treasury.New(),
	}
}

// Names returns the names of All(), in the same order.
func Names() []string {
	var out []string
	for _, p := range All() {
		out = append(out, p.Name())
	}
	return out
}

// ByName returns a new instance of the projection called name, or an error listing
// the known names.
func ByName(name string) (core.Projection, error) {
	for _, p := range All() {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("projections: unknown projection %q (known: %s)", name, strings.Join(Names(), ", "))
}
