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
		if _, ok := routings[name][typ]; !ok {
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
	idx, err := q.res.route(ctx, q.route, q.part, evs, func(i int) (domain.Event, error) { return evs[i].Data, nil })
	if err != nil {
		return nil, err
	}
	out := make([]core.Event, len(idx))
	for j, i := range idx {
		out[j] = evs[i]
	}
	return out, nil
}
