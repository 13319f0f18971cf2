package equity

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/equity/internal/dbsqlc"
)

// Name is the projection's name.
const Name = "equity"

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/equity.sql).
var queries = dbsqlc.New()

// Projection keeps the territorial equity figures.
type Projection struct {
	// territories caches programme id → territory (an immutable fact of
	// ProgrammeCreated), filled from events and from equity_programmes.
	mu          sync.Mutex
	territories map[string]string
}

// New returns the equity projection.
func New() *Projection { return &Projection{territories: map[string]string{}} }

// Name returns "equity".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string {
	return []string{"equity_needs", "equity_fund_territories", "equity_allocations", "equity_programmes", "equity_programme_flows"}
}

type allocKey struct {
	fund, territory string
	day             domain.Date
}

type flowKey struct {
	programme string
	day       domain.Date
}

type flow struct {
	territory                                  string
	minted, issued, redeemed, expired, blocked int64
}

// page is what Apply folds one page of events into: the rows to insert (need
// records, fund territories, programmes) as the columns of their statements, and
// the allocations and programme figures summed per key, keys in order of first
// appearance.
type page struct {
	territories map[string]string // the projection's cache
	needs       dbsqlc.InsertNeedsParams
	funds       dbsqlc.InsertFundTerritoriesParams
	programmes  dbsqlc.InsertProgrammesParams
	allocs      map[allocKey]int64
	allocOrder  []allocKey
	flows       map[flowKey]*flow
	flowOrder   []flowKey
}

// flow returns the figures of the programme on the event's effective date, new
// when the page has not seen them; a programme whose territory is unknown is an
// error.
func (p *page) flow(ev core.Event, programme string) (*flow, error) {
	t, ok := p.territories[programme]
	if !ok {
		return nil, fmt.Errorf("equity: %s at position %d: programme %s unknown", ev.Type, ev.Position, programme)
	}
	k := flowKey{programme, ev.Date()}
	fl := p.flows[k]
	if fl == nil {
		fl = &flow{territory: t}
		p.flows[k] = fl
		p.flowOrder = append(p.flowOrder, k)
	}
	return fl, nil
}

// scan finds the programmes whose territory a page needs and the cache does not
// hold (after a restart or a rebuild), those created in the page aside.
type scan struct {
	cached           map[string]string
	created, missing map[string]bool
}

func (s *scan) need(programme string) {
	if programme != "" && !s.created[programme] {
		if _, ok := s.cached[programme]; !ok {
			s.missing[programme] = true
		}
	}
}

var (
	// named collects the programmes a page's events name (scan).
	named = core.NewHandlers[*scan]()
	// fold folds a page's events into the page, one handler per event type.
	fold = core.NewHandlers[*page]()
)

// onFlow registers an event type that adds to its programme's figures: its
// programme (for scan) and what it adds (for fold).
func onFlow[T domain.Event](programme func(T) string, add func(*flow, T)) {
	core.On(named, func(s *scan, _ core.Event, e T) error {
		s.need(programme(e))
		return nil
	})
	core.On(fold, func(p *page, ev core.Event, e T) error {
		f, err := p.flow(ev, programme(e))
		if err == nil {
			add(f, e)
		}
		return err
	})
}

func init() {
	core.On(named, func(s *scan, _ core.Event, e domain.ProgrammeCreated) error {
		s.created[e.ProgrammeID] = true
		return nil
	})
	core.On(fold, func(p *page, ev core.Event, e domain.TerritoryNeedRecorded) error {
		n := &p.needs
		n.Territories, n.Positions, n.AsOf = append(n.Territories, e.Code), append(n.Positions, ev.Position), append(n.AsOf, core.PgDate(e.AsOf))
		n.Populations = append(n.Populations, e.Population)
		n.FragilityRates, n.Needs = append(n.FragilityRates, core.DecimalNumeric(e.FragilityRate)), append(n.Needs, core.DecimalNumeric(e.Need))
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.FundCreated) error {
		for _, t := range e.Territories {
			p.funds.FundIds, p.funds.Territories = append(p.funds.FundIds, e.FundID), append(p.funds.Territories, t)
		}
		return nil
	})
	core.On(fold, func(p *page, ev core.Event, e domain.PerequationRun) error {
		day := ev.Date()
		for _, a := range e.Allocations {
			k := allocKey{e.FundID, a.Code, day}
			if _, seen := p.allocs[k]; !seen {
				p.allocOrder = append(p.allocOrder, k)
			}
			p.allocs[k] += core.CentsOf(a.Amount)
		}
		return nil
	})
	core.On(fold, func(p *page, _ core.Event, e domain.ProgrammeCreated) error {
		// Always written (ON CONFLICT DO NOTHING): the cache may outlive the
		// table (a rolled-back transaction, a rebuild's truncation).
		p.programmes.ProgrammeIds = append(p.programmes.ProgrammeIds, e.ProgrammeID)
		p.programmes.Territories = append(p.programmes.Territories, e.Territory)
		p.territories[e.ProgrammeID] = e.Territory
		return nil
	})
	onFlow(func(e domain.CarnetsMinted) string { return e.ProgrammeID },
		func(f *flow, e domain.CarnetsMinted) { f.minted += core.CentsOf(e.Value) })
	onFlow(func(e domain.CarnetIssued) string { return e.ProgrammeID },
		func(f *flow, e domain.CarnetIssued) { f.issued += core.CentsOf(e.Value) })
	onFlow(func(e domain.ChequeRedeemed) string { return e.ProgrammeID },
		func(f *flow, e domain.ChequeRedeemed) { f.redeemed += core.CentsOf(e.Amount) })
	onFlow(func(e domain.RedemptionReversed) string { return e.ProgrammeID },
		func(f *flow, e domain.RedemptionReversed) { f.redeemed -= core.CentsOf(e.Amount) })
	onFlow(func(e domain.ChequeExpired) string { return e.ProgrammeID },
		func(f *flow, e domain.ChequeExpired) { f.expired += core.CentsOf(e.Amount) })
	onFlow(func(e domain.ChequeBlocked) string { return e.ProgrammeID },
		func(f *flow, e domain.ChequeBlocked) { f.blocked += core.CentsOf(e.Amount) })
}

// Apply records need data, fund territories and péréquation allocations, and adds
// each event's programme figures (minted, issued, redeemed net of reversals,
// expired, blocked; euros of face value) to its programme's row for the event's
// effective date: it loads the territories of the programmes the page names,
// folds the page (fold) and writes it in one round trip.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loadTerritories(ctx, tx, events); err != nil {
		return err
	}
	pg := &page{territories: p.territories, allocs: map[allocKey]int64{}, flows: map[flowKey]*flow{}}
	if err := fold.HandleAll(pg, events); err != nil {
		return err
	}
	b := &pgx.Batch{}
	q := core.Queue(b)
	if len(pg.needs.Territories) > 0 {
		if err := queries.InsertNeeds(ctx, q, pg.needs); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	}
	if len(pg.funds.FundIds) > 0 {
		if err := queries.InsertFundTerritories(ctx, q, pg.funds); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	}
	if len(pg.programmes.ProgrammeIds) > 0 {
		if err := queries.InsertProgrammes(ctx, q, pg.programmes); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	}
	if n := len(pg.allocOrder); n > 0 {
		a := dbsqlc.UpsertAllocationsParams{FundIds: make([]string, n), Territories: make([]string, n),
			Dates: make([]pgtype.Date, n), Cents: make([]int64, n)}
		for i, k := range pg.allocOrder {
			a.FundIds[i], a.Territories[i], a.Dates[i], a.Cents[i] = k.fund, k.territory, core.PgDate(k.day), pg.allocs[k]
		}
		if err := queries.UpsertAllocations(ctx, q, a); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	}
	if n := len(pg.flowOrder); n > 0 {
		f := dbsqlc.UpsertProgrammeFlowsParams{ProgrammeIds: make([]string, n), Dates: make([]pgtype.Date, n),
			Territories: make([]string, n), Minted: make([]int64, n), Issued: make([]int64, n), Redeemed: make([]int64, n),
			Expired: make([]int64, n), Blocked: make([]int64, n)}
		for i, k := range pg.flowOrder {
			fl := pg.flows[k]
			f.ProgrammeIds[i], f.Territories[i], f.Dates[i] = k.programme, fl.territory, core.PgDate(k.day)
			f.Minted[i], f.Issued[i], f.Redeemed[i], f.Expired[i], f.Blocked[i] = fl.minted, fl.issued, fl.redeemed, fl.expired, fl.blocked
		}
		if err := queries.UpsertProgrammeFlows(ctx, q, f); err != nil {
			return fmt.Errorf("equity: %w", err)
		}
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("equity: %w", err)
	}
	return nil
}

// loadTerritories fills the cache with the territories of the programmes the
// events name and the cache does not hold (after a restart or a rebuild).
func (p *Projection) loadTerritories(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	s := &scan{cached: p.territories, created: map[string]bool{}, missing: map[string]bool{}}
	if err := named.HandleAll(s, events); err != nil {
		return err
	}
	if len(s.missing) == 0 {
		return nil
	}
	ids := make([]string, 0, len(s.missing))
	for id := range s.missing {
		ids = append(ids, id)
	}
	rows, err := queries.ProgrammeTerritories(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("equity: load programmes: %w", err)
	}
	for _, r := range rows {
		p.territories[r.ProgrammeID] = r.Territory
	}
	return nil
}
