package projections

import (
	"context"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// UnroutedTypes returns the event types the routing of split projection name does
// not route (they reach none of its partitions).
func UnroutedTypes(name string) []string {
	var out []string
	for _, typ := range domain.EventTypes() {
		ev, err := domain.DecodeEvent(typ, []byte("{}"))
		if err != nil {
			panic(err)
		}
		if _, ok := routers[name](ev); !ok {
			out = append(out, typ)
		}
	}
	return out
}

// RoutedForTest returns the events of evs that partition p applies (all of them
// for a whole projection).
func RoutedForTest(ctx context.Context, p core.Projection, evs []core.Event) ([]core.Event, error) {
	q, ok := p.(*partitioned)
	if !ok {
		return evs, nil
	}
	return q.res.filter(ctx, q.route, q.part, evs)
}
