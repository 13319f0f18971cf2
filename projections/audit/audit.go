package audit

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name.
const Name = "audit"

// Flow kinds (funder_flows.kind).
const (
	KindPledged          = "pledged"
	KindReceived         = "received"
	KindAdvanced         = "advanced"
	KindAdvanceRepaid    = "advance_repaid"
	KindAllocated        = "allocated"
	KindRedeemed         = "redeemed"
	KindReversed         = "reversed"
	KindExpired          = "expired"
	KindBlocked          = "blocked"
	KindUnmintedReturned = "unminted_returned"
	KindFee              = "fee"
	KindFeeReversed      = "fee_reversed"
	KindReimbursed       = "reimbursed"
)

// Projection keeps the funders' money flows.
type Projection struct {
	mu          sync.Mutex
	territories map[string]string // programme id → territory (immutable)
	// pending caches the redemptions seen and not claimed yet (programme, place,
	// territory, amount: immutable facts of ChequeRedeemed), so that a claim rarely
	// needs to read audit_redemptions; it is only a cache: a miss reads the table.
	pending map[string]*redemption
}

// maxPending bounds the redemption cache (it is dropped when it grows beyond).
const maxPending = 1 << 20

// New returns the audit projection.
func New() *Projection {
	return &Projection{territories: map[string]string{}, pending: map[string]*redemption{}}
}

// Name returns "audit".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string {
	return []string{"funder_flows", "audit_funders", "audit_programmes", "audit_programme_funders",
		"audit_programme_minted", "audit_redemptions", "audit_batch_shares", "audit_programme_flows"}
}

type redemption struct {
	programme, place, territory string
	amount                      domain.Money
}

type shareKey struct {
	batch, programme, place string
}

type programmeFlowKey struct {
	programme, kind, territory, place string
	day                               domain.Date
}

type flowKey struct {
	funder, kind, programme, fund, territory, place string
	day                                             domain.Date
}

type mintKey struct {
	programme string
	day       domain.Date
}

// Apply turns what a funder owns outright (pledges, receipts, advances, repayments,
// its programme funding lines) into funder_flows, and every cheque outcome
// (redeemed, reversed, expired, blocked, unminted returned, fees) into programme
// flows, each summed per key and effective date and added with one upsert; it keeps
// what later events need (programmes and their funders, minted value per day,
// redemptions until a batch claims them, each batch's amount per programme and
// place), and when a batch is paid copies its amounts into reimbursed programme
// flows. Nothing is attributed to funders here: Audit does it when read.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.loadTerritories(ctx, tx, events); err != nil {
		return err
	}
	if len(p.pending) > maxPending {
		p.pending = map[string]*redemption{}
	}
	redemptions, err := loadRedemptions(ctx, tx, events, p.pending)
	if err != nil {
		return err
	}
	var (
		flows                            = map[flowKey]int64{}
		flowOrder                        []flowKey
		funders, programmes, progFunders [][]any
		reds                             = core.NewCopyWriter(5)
		minted                           = map[mintKey]int64{}
		mintOrder                        []mintKey
		pflows                           = map[programmeFlowKey]int64{}
		pflowOrder                       []programmeFlowKey
		shares                           = map[shareKey]int64{}
		shareTerritory                   = map[shareKey]string{}
		shareOrder                       []shareKey
		paid                             [][]any
	)
	flow := func(ev core.Event, day domain.Date, kind, funder, programme, fund, territory, place string, amount domain.Money) {
		k := flowKey{funder, kind, programme, fund, territory, place, day}
		if _, seen := flows[k]; !seen {
			flowOrder = append(flowOrder, k)
		}
		flows[k] += core.CentsOf(amount)
	}
	each := func(ev core.Event, kind, programme, territory, place string, shares []domain.FunderShare) {
		day := ev.Date()
		for _, s := range shares {
			flow(ev, day, kind, s.FunderID, programme, s.ViaFundID, territory, place, s.Amount)
		}
	}
	pflow := func(ev core.Event, kind, programme, territory, place string, amount domain.Money) {
		if amount.IsZero() {
			return
		}
		k := programmeFlowKey{programme, kind, territory, place, ev.Date()}
		if _, seen := pflows[k]; !seen {
			pflowOrder = append(pflowOrder, k)
		}
		pflows[k] += core.CentsOf(amount)
	}
	// "" for a programme never created (the write side does not allow it).
	territory := func(programme string) string { return p.territories[programme] }
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.FunderRegistered:
			funders = append(funders, []any{e.FunderID, e.Name, string(e.Kind)})
		case domain.ContributionPledged:
			flow(ev, ev.Date(), KindPledged, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		case domain.ContributionReceived:
			flow(ev, ev.Date(), KindReceived, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		case domain.AdvanceGranted:
			flow(ev, ev.Date(), KindAdvanced, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		case domain.AdvanceRepaid:
			flow(ev, ev.Date(), KindAdvanceRepaid, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		case domain.ProgrammeCreated:
			p.territories[e.ProgrammeID] = e.Territory
			programmes = append(programmes, []any{e.ProgrammeID, e.Territory, core.Numeric(e.TotalFunding), core.PgDate(ev.Date())})
			for i, s := range e.Funders {
				progFunders = append(progFunders, []any{e.ProgrammeID, int32(i), s.FunderID, s.ViaFundID, core.Numeric(s.Amount)})
			}
			each(ev, KindAllocated, e.ProgrammeID, e.Territory, "", e.Funders)
		case domain.CarnetsMinted:
			k := mintKey{e.ProgrammeID, ev.Date()}
			if _, seen := minted[k]; !seen {
				mintOrder = append(mintOrder, k)
			}
			minted[k] += core.CentsOf(e.Value)
		case domain.ChequeRedeemed:
			pflow(ev, KindRedeemed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Amount)
			pflow(ev, KindFee, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Fee)
			reds.Row()
			reds.Text(e.RedemptionID)
			reds.Text(e.ProgrammeID)
			reds.Text(e.PlaceID)
			reds.Text(e.PlaceTerritory)
			reds.Cents(core.CentsOf(e.Amount))
			r := &redemption{programme: e.ProgrammeID, place: e.PlaceID, territory: e.PlaceTerritory, amount: e.Amount}
			redemptions[e.RedemptionID], p.pending[e.RedemptionID] = r, r
		case domain.RedemptionReversed:
			delete(p.pending, e.RedemptionID)
			pflow(ev, KindReversed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Amount)
			pflow(ev, KindFeeReversed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Fee)
		case domain.ChequeExpired:
			pflow(ev, KindExpired, e.ProgrammeID, territory(e.ProgrammeID), "", e.Amount)
		case domain.ChequeBlocked:
			pflow(ev, KindBlocked, e.ProgrammeID, territory(e.ProgrammeID), "", e.Amount)
		case domain.ProgrammeClosed:
			pflow(ev, KindUnmintedReturned, e.ProgrammeID, territory(e.ProgrammeID), "", e.Unminted)
		case domain.ChequeReimbursementClaimed:
			r := redemptions[e.RedemptionID]
			if r == nil {
				return fmt.Errorf("audit: claim at position %d of unknown redemption %s", ev.Position, e.RedemptionID)
			}
			delete(p.pending, e.RedemptionID) // claimed at most once
			k := shareKey{e.BatchID, r.programme, r.place}
			if _, seen := shares[k]; !seen {
				shareOrder = append(shareOrder, k)
				shareTerritory[k] = r.territory
			}
			shares[k] += core.CentsOf(r.amount)
		case domain.ReimbursementBatchPaid:
			paid = append(paid, []any{e.BatchID, core.PgDate(ev.Date())})
		}
	}
	if err := reds.Send(ctx, tx, "audit_redemptions", []string{"redemption_id", "programme_id", "place_id", "territory", "amount"}); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	b := &pgx.Batch{}
	if n := len(flowOrder); n > 0 {
		keys, fs, ks, ps, fds, ts, pls, as := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		ds := make([]pgtype.Date, n)
		for i, k := range flowOrder {
			keys[i] = k.funder + "|" + k.kind + "|" + k.programme + "|" + k.fund + "|" + k.territory + "|" + k.place
			fs[i], ks[i], ps[i], fds[i], ts[i], pls[i], ds[i], as[i] = k.funder, k.kind, k.programme, k.fund, k.territory, k.place, core.PgDate(k.day), flows[k]
		}
		b.Queue(`INSERT INTO funder_flows (flow_key, effective_date, funder_id, kind, programme_id, fund_id, territory, place_id, amount)
SELECT k, d, f, kd, p, fd, t, pl, a::numeric / 100
FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[])
     AS u(k, d, f, kd, p, fd, t, pl, a)
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = funder_flows.amount + EXCLUDED.amount`, keys, ds, fs, ks, ps, fds, ts, pls, as)
	}
	if n := len(pflowOrder); n > 0 {
		keys, ps, ks, ts, pls, as := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		ds := make([]pgtype.Date, n)
		for i, k := range pflowOrder {
			keys[i] = k.programme + "|" + k.kind + "|" + k.territory + "|" + k.place
			ps[i], ks[i], ts[i], pls[i], ds[i], as[i] = k.programme, k.kind, k.territory, k.place, core.PgDate(k.day), pflows[k]
		}
		b.Queue(`INSERT INTO audit_programme_flows (flow_key, effective_date, programme_id, kind, territory, place_id, amount)
SELECT k, d, p, kd, t, pl, a::numeric / 100
FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(k, d, p, kd, t, pl, a)
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = audit_programme_flows.amount + EXCLUDED.amount`, keys, ds, ps, ks, ts, pls, as)
	}
	if len(funders) > 0 {
		id, name, kind := col3(funders)
		b.Queue(`INSERT INTO audit_funders (funder_id, name, kind) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
ON CONFLICT (funder_id) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind`, id, name, kind)
	}
	if len(programmes) > 0 {
		b.Queue(`INSERT INTO audit_programmes (programme_id, territory, total_funding, created_on)
SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::date[]) ON CONFLICT DO NOTHING`, colsOf(programmes, 4)...)
	}
	if len(progFunders) > 0 {
		b.Queue(`INSERT INTO audit_programme_funders (programme_id, seq, funder_id, via_fund_id, amount)
SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::numeric[]) ON CONFLICT DO NOTHING`, colsOf(progFunders, 5)...)
	}
	if n := len(mintOrder); n > 0 {
		ps, ds, vs := make([]string, n), make([]any, n), make([]int64, n)
		for i, k := range mintOrder {
			ps[i], ds[i], vs[i] = k.programme, core.PgDate(k.day), minted[k]
		}
		b.Queue(`INSERT INTO audit_programme_minted (programme_id, effective_date, value)
SELECT p, d, v::numeric / 100 FROM unnest($1::text[], $2::date[], $3::bigint[]) AS u(p, d, v)
ON CONFLICT (programme_id, effective_date) DO UPDATE SET value = audit_programme_minted.value + EXCLUDED.value`, ps, ds, vs)
	}
	if n := len(shareOrder); n > 0 {
		keys, bs, ps, pls, ts, as := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]int64, n)
		for i, k := range shareOrder {
			keys[i] = k.batch + "|" + k.programme + "|" + k.place
			bs[i], ps[i], pls[i], ts[i], as[i] = k.batch, k.programme, k.place, shareTerritory[k], shares[k]
		}
		b.Queue(`INSERT INTO audit_batch_shares (share_key, batch_id, programme_id, place_id, territory, amount)
SELECT k, b, p, pl, t, a::numeric / 100
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[]) AS u(k, b, p, pl, t, a)
ON CONFLICT (share_key) DO UPDATE SET amount = audit_batch_shares.amount + EXCLUDED.amount`,
			keys, bs, ps, pls, ts, as)
	}
	for _, r := range paid {
		b.Queue(`INSERT INTO audit_programme_flows (flow_key, effective_date, programme_id, kind, territory, place_id, amount)
SELECT programme_id || '|reimbursed|' || territory || '|' || place_id, $2::date,
       programme_id, 'reimbursed', territory, place_id, amount
FROM audit_batch_shares WHERE batch_id = $1
ON CONFLICT (flow_key, effective_date) DO UPDATE SET amount = audit_programme_flows.amount + EXCLUDED.amount`, r...)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func col3(rows [][]any) (a, b, c []string) {
	a, b, c = make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		a[i], b[i], c[i] = r[0].(string), r[1].(string), r[2].(string)
	}
	return
}

// colsOf turns rows into one []any per column (pgx encodes each as an array of the
// cast type).
func colsOf(rows [][]any, n int) []any {
	out := make([]any, n)
	for c := 0; c < n; c++ {
		col := make([]any, len(rows))
		for i, r := range rows {
			col[i] = r[c]
		}
		out[c] = col
	}
	return out
}

// loadTerritories fills the programme → territory cache for the programmes the
// events need and the cache does not hold.
func (p *Projection) loadTerritories(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	missing := map[string]bool{}
	for _, ev := range events {
		var id string
		switch e := ev.Data.(type) {
		case domain.ChequeExpired:
			id = e.ProgrammeID
		case domain.ChequeBlocked:
			id = e.ProgrammeID
		case domain.ProgrammeClosed:
			id = e.ProgrammeID
		}
		if _, ok := p.territories[id]; id != "" && !ok {
			missing[id] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	rows, err := tx.Query(ctx, `SELECT programme_id, territory FROM unnest($1::text[]) AS k(id) JOIN audit_programmes ON programme_id = k.id`, ids)
	if err != nil {
		return fmt.Errorf("audit: load programmes: %w", err)
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

// loadRedemptions returns the redemptions that the batch's
// claims name and that the batch does not redeem itself, from the cache or else
// from audit_redemptions.
func loadRedemptions(ctx context.Context, tx pgx.Tx, events []core.Event, cache map[string]*redemption) (map[string]*redemption, error) {
	out := map[string]*redemption{}
	inBatch := map[string]bool{}
	var ids []string
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.ChequeRedeemed:
			inBatch[e.RedemptionID] = true
		case domain.ChequeReimbursementClaimed:
			if inBatch[e.RedemptionID] {
				continue
			}
			if r, ok := cache[e.RedemptionID]; ok {
				out[e.RedemptionID] = r
			} else {
				ids = append(ids, e.RedemptionID)
			}
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT redemption_id, programme_id, place_id, territory, amount
FROM unnest($1::text[]) AS k(id) JOIN audit_redemptions ON redemption_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("audit: load redemptions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var r redemption
		if err := rows.Scan(&id, &r.programme, &r.place, &r.territory, core.ScanMoney(&r.amount)); err != nil {
			return nil, err
		}
		out[id] = &r
	}
	return out, rows.Err()
}
