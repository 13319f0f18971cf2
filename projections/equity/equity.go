package equity

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name.
const Name = "equity"

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

// Apply records need data, fund territories and péréquation allocations, and adds
// each event's programme figures (minted, issued, redeemed net of reversals,
// expired, blocked; euros of face value) to its programme's row for the event's
// effective date.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loadTerritories(ctx, tx, events); err != nil {
		return err
	}
	var (
		needs, funds [][]any
		programmes   [][]any
		allocs       = map[allocKey]int64{}
		allocOrder   []allocKey
		flows        = map[flowKey]*flow{}
		flowOrder    []flowKey
	)
	addFlow := func(ev core.Event, programme string, f func(*flow)) error {
		t, ok := p.territories[programme]
		if !ok {
			return fmt.Errorf("equity: %s at position %d: programme %s unknown", ev.Type, ev.Position, programme)
		}
		k := flowKey{programme, ev.Date()}
		fl := flows[k]
		if fl == nil {
			fl = &flow{territory: t}
			flows[k] = fl
			flowOrder = append(flowOrder, k)
		}
		f(fl)
		return nil
	}
	for _, ev := range events {
		var err error
		switch e := ev.Data.(type) {
		case domain.TerritoryNeedRecorded:
			needs = append(needs, []any{e.Code, ev.Position, core.PgDate(e.AsOf), e.Population,
				core.DecimalNumeric(e.FragilityRate), core.DecimalNumeric(e.Need)})
		case domain.FundCreated:
			for _, t := range e.Territories {
				funds = append(funds, []any{e.FundID, t})
			}
		case domain.PerequationRun:
			day := ev.Date()
			for _, a := range e.Allocations {
				k := allocKey{e.FundID, a.Code, day}
				if _, seen := allocs[k]; !seen {
					allocOrder = append(allocOrder, k)
				}
				allocs[k] += core.CentsOf(a.Amount)
			}
		case domain.ProgrammeCreated:
			// Always written (ON CONFLICT DO NOTHING): the cache may outlive the
			// table (a rolled-back transaction, a rebuild's truncation).
			programmes = append(programmes, []any{e.ProgrammeID, e.Territory})
			p.territories[e.ProgrammeID] = e.Territory
		case domain.CarnetsMinted:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.minted += core.CentsOf(e.Value) })
		case domain.CarnetIssued:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.issued += core.CentsOf(e.Value) })
		case domain.ChequeRedeemed:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.redeemed += core.CentsOf(e.Amount) })
		case domain.RedemptionReversed:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.redeemed -= core.CentsOf(e.Amount) })
		case domain.ChequeExpired:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.expired += core.CentsOf(e.Amount) })
		case domain.ChequeBlocked:
			err = addFlow(ev, e.ProgrammeID, func(f *flow) { f.blocked += core.CentsOf(e.Amount) })
		}
		if err != nil {
			return err
		}
	}
	b := &pgx.Batch{}
	if len(needs) > 0 {
		ts, pos, asOf, pop, rate, need := cols6(needs)
		b.Queue(`INSERT INTO equity_needs (territory, position, as_of, population, fragility_rate, need)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::date[], $4::bigint[], $5::numeric[], $6::numeric[])
ON CONFLICT DO NOTHING`, ts, pos, asOf, pop, rate, need)
	}
	if len(funds) > 0 {
		fs, ts := make([]string, len(funds)), make([]string, len(funds))
		for i, r := range funds {
			fs[i], ts[i] = r[0].(string), r[1].(string)
		}
		b.Queue(`INSERT INTO equity_fund_territories (fund_id, territory) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, fs, ts)
	}
	if len(programmes) > 0 {
		ps, ts := make([]string, len(programmes)), make([]string, len(programmes))
		for i, r := range programmes {
			ps[i], ts[i] = r[0].(string), r[1].(string)
		}
		b.Queue(`INSERT INTO equity_programmes (programme_id, territory) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`, ps, ts)
	}
	if n := len(allocOrder); n > 0 {
		fs, ts, ds, as := make([]string, n), make([]string, n), make([]any, n), make([]int64, n)
		for i, k := range allocOrder {
			fs[i], ts[i], ds[i], as[i] = k.fund, k.territory, core.PgDate(k.day), allocs[k]
		}
		b.Queue(`INSERT INTO equity_allocations (fund_id, territory, effective_date, amount)
SELECT f, t, d, a::numeric / 100 FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[]) AS u(f, t, d, a)
ON CONFLICT (fund_id, territory, effective_date) DO UPDATE SET amount = equity_allocations.amount + EXCLUDED.amount`, fs, ts, ds, as)
	}
	if n := len(flowOrder); n > 0 {
		ps, ts, ds := make([]string, n), make([]string, n), make([]any, n)
		mi, is, re, ex, bl := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		for i, k := range flowOrder {
			f := flows[k]
			ps[i], ts[i], ds[i] = k.programme, f.territory, core.PgDate(k.day)
			mi[i], is[i], re[i], ex[i], bl[i] = f.minted, f.issued, f.redeemed, f.expired, f.blocked
		}
		b.Queue(`INSERT INTO equity_programme_flows (programme_id, effective_date, territory, minted, issued, redeemed, expired, blocked)
SELECT p, d, t, mi::numeric / 100, i::numeric / 100, r::numeric / 100, e::numeric / 100, b::numeric / 100
FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[])
     AS u(p, d, t, mi, i, r, e, b)
ON CONFLICT (programme_id, effective_date) DO UPDATE SET
  minted = equity_programme_flows.minted + EXCLUDED.minted,
  issued = equity_programme_flows.issued + EXCLUDED.issued,
  redeemed = equity_programme_flows.redeemed + EXCLUDED.redeemed,
  expired = equity_programme_flows.expired + EXCLUDED.expired,
  blocked = equity_programme_flows.blocked + EXCLUDED.blocked`, ps, ds, ts, mi, is, re, ex, bl)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("equity: %w", err)
	}
	return nil
}

func cols6(rows [][]any) (a, b, c, d, e, f []any) {
	n := len(rows)
	a, b, c, d, e, f = make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n), make([]any, n)
	for i, r := range rows {
		a[i], b[i], c[i], d[i], e[i], f[i] = r[0], r[1], r[2], r[3], r[4], r[5]
	}
	return
}

// loadTerritories fills the cache with the territories of the programmes the
// events name and the cache does not hold (after a restart or a rebuild).
func (p *Projection) loadTerritories(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	missing := map[string]bool{}
	created := map[string]bool{}
	for _, ev := range events {
		var id string
		switch e := ev.Data.(type) {
		case domain.ProgrammeCreated:
			created[e.ProgrammeID] = true
		case domain.CarnetsMinted:
			id = e.ProgrammeID
		case domain.CarnetIssued:
			id = e.ProgrammeID
		case domain.ChequeRedeemed:
			id = e.ProgrammeID
		case domain.RedemptionReversed:
			id = e.ProgrammeID
		case domain.ChequeExpired:
			id = e.ProgrammeID
		case domain.ChequeBlocked:
			id = e.ProgrammeID
		}
		if id != "" && !created[id] {
			if _, ok := p.territories[id]; !ok {
				missing[id] = true
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	rows, err := tx.Query(ctx, `SELECT programme_id, territory FROM unnest($1::text[]) AS k(id) JOIN equity_programmes ON programme_id = k.id`, ids)
	if err != nil {
		return fmt.Errorf("equity: load programmes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, t string
		if err := rows.Scan(&id, &t); err != nil {
			return err
		}
		p.territories[id] = t
	}
	return rows.Err()
}
