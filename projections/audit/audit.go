package audit

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/audit/internal/dbsqlc"
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

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/audit.sql).
var queries = dbsqlc.New()

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

// page is what Apply folds one page of events into: funder flows, programme
// flows, minted value and batch shares summed per key (keys in order of first
// appearance), the rows to insert (funders, programmes and their funding lines,
// redemptions for the COPY) and the batches paid.
type page struct {
	p           *Projection
	redemptions map[string]*redemption // the ones the page's claims need
	flows       map[flowKey]int64
	flowOrder   []flowKey
	funders     dbsqlc.UpsertFundersParams
	programmes  dbsqlc.InsertProgrammesParams
	progFunders dbsqlc.InsertProgrammeFundersParams
	reds        *core.CopyWriter
	minted      map[mintKey]int64
	mintOrder   []mintKey
	pflows      map[programmeFlowKey]int64
	pflowOrder  []programmeFlowKey
	shares      map[shareKey]int64
	shareTerr   map[shareKey]string
	shareOrder  []shareKey
	paid        []dbsqlc.InsertReimbursedParams
}

// flow adds to a funder's own flow of that kind on ev's effective date.
func (pg *page) flow(ev core.Event, kind, funder, programme, fund, territory, place string, amount domain.Money) {
	k := flowKey{funder, kind, programme, fund, territory, place, ev.Date()}
	if _, seen := pg.flows[k]; !seen {
		pg.flowOrder = append(pg.flowOrder, k)
	}
	pg.flows[k] += core.CentsOf(amount)
}

// pflow adds a non-zero amount to a programme's flow of that kind.
func (pg *page) pflow(ev core.Event, kind, programme, territory, place string, amount domain.Money) {
	if amount.IsZero() {
		return
	}
	k := programmeFlowKey{programme, kind, territory, place, ev.Date()}
	if _, seen := pg.pflows[k]; !seen {
		pg.pflowOrder = append(pg.pflowOrder, k)
	}
	pg.pflows[k] += core.CentsOf(amount)
}

// territory is a programme's territory ("" for a programme never created, which
// the write side does not allow).
func (pg *page) territory(programme string) string { return pg.p.territories[programme] }

// scan finds what a page needs loaded before it is folded: the territories of the
// programmes whose outcomes carry none, and the redemptions that its claims name
// and that it does not redeem itself (from the redemption cache when there).
type scan struct {
	p            *Projection
	programmes   map[string]bool
	inPage       map[string]bool
	redemptions  map[string]*redemption
	redemptionID []string
}

func (s *scan) programme(id string) {
	if _, ok := s.p.territories[id]; id != "" && !ok {
		s.programmes[id] = true
	}
}

var (
	// needs collects what a page needs loaded (scan).
	needs = core.NewHandlers[*scan]()
	// fold folds a page's events into the page, one handler per event type.
	fold = core.NewHandlers[*page]()
)

func init() {
	onNeeds()
	onOwnFlows()
	onOutcomes()
	onReimbursement()
}

// onNeeds registers what a page needs loaded: the territories of the programmes
// whose outcomes carry none, the redemptions its claims name.
func onNeeds() {
	core.On(needs, func(s *scan, _ core.Event, e domain.ChequeExpired) error { s.programme(e.ProgrammeID); return nil })
	core.On(needs, func(s *scan, _ core.Event, e domain.ChequeBlocked) error { s.programme(e.ProgrammeID); return nil })
	core.On(needs, func(s *scan, _ core.Event, e domain.ProgrammeClosed) error { s.programme(e.ProgrammeID); return nil })
	core.On(needs, func(s *scan, _ core.Event, e domain.ChequeRedeemed) error {
		s.inPage[e.RedemptionID] = true
		return nil
	})
	core.On(needs, func(s *scan, _ core.Event, e domain.ChequeReimbursementClaimed) error {
		if s.inPage[e.RedemptionID] {
			return nil
		}
		if r, ok := s.p.pending[e.RedemptionID]; ok {
			s.redemptions[e.RedemptionID] = r
		} else {
			s.redemptionID = append(s.redemptionID, e.RedemptionID)
		}
		return nil
	})
}

// onOwnFlows registers what a funder owns outright: its registration, pledges,
// receipts, advances, repayments and programme funding lines.
func onOwnFlows() {
	core.On(fold, func(pg *page, _ core.Event, e domain.FunderRegistered) error {
		f := &pg.funders
		f.FunderIds, f.Names, f.Kinds = append(f.FunderIds, e.FunderID), append(f.Names, e.Name), append(f.Kinds, string(e.Kind))
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ContributionPledged) error {
		pg.flow(ev, KindPledged, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ContributionReceived) error {
		pg.flow(ev, KindReceived, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.AdvanceGranted) error {
		pg.flow(ev, KindAdvanced, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.AdvanceRepaid) error {
		pg.flow(ev, KindAdvanceRepaid, e.FunderID, e.ProgrammeID, e.FundID, "", "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ProgrammeCreated) error {
		pg.p.territories[e.ProgrammeID] = e.Territory
		p := &pg.programmes
		p.ProgrammeIds, p.Territories = append(p.ProgrammeIds, e.ProgrammeID), append(p.Territories, e.Territory)
		p.TotalFundings, p.CreatedOn = append(p.TotalFundings, core.Numeric(e.TotalFunding)), append(p.CreatedOn, core.PgDate(ev.Date()))
		f := &pg.progFunders
		for i, s := range e.Funders {
			f.ProgrammeIds, f.Seqs, f.FunderIds = append(f.ProgrammeIds, e.ProgrammeID), append(f.Seqs, int32(i)), append(f.FunderIds, s.FunderID)
			f.ViaFundIds, f.Amounts = append(f.ViaFundIds, s.ViaFundID), append(f.Amounts, core.Numeric(s.Amount))
			pg.flow(ev, KindAllocated, s.FunderID, e.ProgrammeID, s.ViaFundID, e.Territory, "", s.Amount)
		}
		return nil
	})
}

// onOutcomes registers each programme's minted value and cheque outcomes
// (redeemed, reversed, fees, expired, blocked, unminted returned).
func onOutcomes() {
	core.On(fold, func(pg *page, ev core.Event, e domain.CarnetsMinted) error {
		k := mintKey{e.ProgrammeID, ev.Date()}
		if _, seen := pg.minted[k]; !seen {
			pg.mintOrder = append(pg.mintOrder, k)
		}
		pg.minted[k] += core.CentsOf(e.Value)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ChequeRedeemed) error {
		pg.pflow(ev, KindRedeemed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Amount)
		pg.pflow(ev, KindFee, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Fee)
		pg.reds.Row()
		pg.reds.Text(e.RedemptionID)
		pg.reds.Text(e.ProgrammeID)
		pg.reds.Text(e.PlaceID)
		pg.reds.Text(e.PlaceTerritory)
		pg.reds.Cents(core.CentsOf(e.Amount))
		r := &redemption{programme: e.ProgrammeID, place: e.PlaceID, territory: e.PlaceTerritory, amount: e.Amount}
		pg.redemptions[e.RedemptionID], pg.p.pending[e.RedemptionID] = r, r
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.RedemptionReversed) error {
		delete(pg.p.pending, e.RedemptionID)
		pg.pflow(ev, KindReversed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Amount)
		pg.pflow(ev, KindFeeReversed, e.ProgrammeID, e.PlaceTerritory, e.PlaceID, e.Fee)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ChequeExpired) error {
		pg.pflow(ev, KindExpired, e.ProgrammeID, pg.territory(e.ProgrammeID), "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ChequeBlocked) error {
		pg.pflow(ev, KindBlocked, e.ProgrammeID, pg.territory(e.ProgrammeID), "", e.Amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ProgrammeClosed) error {
		pg.pflow(ev, KindUnmintedReturned, e.ProgrammeID, pg.territory(e.ProgrammeID), "", e.Unminted)
		return nil
	})
}

// onReimbursement registers the reimbursement: claims build each batch's shares,
// its payment makes them reimbursed flows.
func onReimbursement() {
	core.On(fold, func(pg *page, ev core.Event, e domain.ChequeReimbursementClaimed) error {
		r := pg.redemptions[e.RedemptionID]
		if r == nil {
			return fmt.Errorf("audit: claim at position %d of unknown redemption %s", ev.Position, e.RedemptionID)
		}
		delete(pg.p.pending, e.RedemptionID) // claimed at most once
		k := shareKey{e.BatchID, r.programme, r.place}
		if _, seen := pg.shares[k]; !seen {
			pg.shareOrder = append(pg.shareOrder, k)
			pg.shareTerr[k] = r.territory
		}
		pg.shares[k] += core.CentsOf(r.amount)
		return nil
	})
	core.On(fold, func(pg *page, ev core.Event, e domain.ReimbursementBatchPaid) error {
		pg.paid = append(pg.paid, dbsqlc.InsertReimbursedParams{BatchID: e.BatchID, PaidOn: core.PgDate(ev.Date())})
		return nil
	})
}

// The COPY of Apply (sqlc does not compile COPY): audit_redemptions and its
// columns, in the order the ChequeRedeemed handler writes them.
const redemptionsTable = "audit_redemptions"

var redemptionColumns = []string{"redemption_id", "programme_id", "place_id", "territory", "amount"}

// Apply turns what a funder owns outright (pledges, receipts, advances, repayments,
// its programme funding lines) into funder_flows, and every cheque outcome
// (redeemed, reversed, expired, blocked, unminted returned, fees) into programme
// flows, each summed per key and effective date and added with one upsert; it keeps
// what later events need (programmes and their funders, minted value per day,
// redemptions until a batch claims them, each batch's amount per programme and
// place), and when a batch is paid copies its amounts into reimbursed programme
// flows. Nothing is attributed to funders here: Audit does it when read.
//
// It loads what the page needs (needs), folds the page (fold), copies the
// redemptions and sends every other write in one round trip.
func (p *Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.pending) > maxPending {
		p.pending = map[string]*redemption{}
	}
	s := &scan{p: p, programmes: map[string]bool{}, inPage: map[string]bool{}, redemptions: map[string]*redemption{}}
	if err := needs.HandleAll(s, events); err != nil {
		return err
	}
	if err := p.load(ctx, tx, s); err != nil {
		return err
	}
	pg := &page{p: p, redemptions: s.redemptions, flows: map[flowKey]int64{}, reds: core.NewCopyWriter(len(redemptionColumns)),
		minted: map[mintKey]int64{}, pflows: map[programmeFlowKey]int64{}, shares: map[shareKey]int64{}, shareTerr: map[shareKey]string{}}
	if err := fold.HandleAll(pg, events); err != nil {
		return err
	}
	if err := pg.reds.Send(ctx, tx, redemptionsTable, redemptionColumns); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	b := &pgx.Batch{}
	if err := pg.queue(ctx, core.Queue(b)); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// queue runs the page's writes on q (core.Queue: they are queued on a pgx.Batch).
func (pg *page) queue(ctx context.Context, q core.DBTX) error {
	if n := len(pg.flowOrder); n > 0 {
		f := dbsqlc.UpsertFunderFlowsParams{FlowKeys: make([]string, n), Dates: make([]pgtype.Date, n), FunderIds: make([]string, n),
			Kinds: make([]string, n), ProgrammeIds: make([]string, n), FundIds: make([]string, n), Territories: make([]string, n),
			PlaceIds: make([]string, n), Cents: make([]int64, n)}
		for i, k := range pg.flowOrder {
			f.FlowKeys[i] = k.funder + "|" + k.kind + "|" + k.programme + "|" + k.fund + "|" + k.territory + "|" + k.place
			f.FunderIds[i], f.Kinds[i], f.ProgrammeIds[i], f.FundIds[i], f.Territories[i], f.PlaceIds[i] = k.funder, k.kind, k.programme, k.fund, k.territory, k.place
			f.Dates[i], f.Cents[i] = core.PgDate(k.day), pg.flows[k]
		}
		if err := queries.UpsertFunderFlows(ctx, q, f); err != nil {
			return err
		}
	}
	if n := len(pg.pflowOrder); n > 0 {
		f := dbsqlc.UpsertProgrammeFlowsParams{FlowKeys: make([]string, n), Dates: make([]pgtype.Date, n), ProgrammeIds: make([]string, n),
			Kinds: make([]string, n), Territories: make([]string, n), PlaceIds: make([]string, n), Cents: make([]int64, n)}
		for i, k := range pg.pflowOrder {
			f.FlowKeys[i] = k.programme + "|" + k.kind + "|" + k.territory + "|" + k.place
			f.ProgrammeIds[i], f.Kinds[i], f.Territories[i], f.PlaceIds[i] = k.programme, k.kind, k.territory, k.place
			f.Dates[i], f.Cents[i] = core.PgDate(k.day), pg.pflows[k]
		}
		if err := queries.UpsertProgrammeFlows(ctx, q, f); err != nil {
			return err
		}
	}
	if len(pg.funders.FunderIds) > 0 {
		if err := queries.UpsertFunders(ctx, q, pg.funders); err != nil {
			return err
		}
	}
	if len(pg.programmes.ProgrammeIds) > 0 {
		if err := queries.InsertProgrammes(ctx, q, pg.programmes); err != nil {
			return err
		}
	}
	if len(pg.progFunders.ProgrammeIds) > 0 {
		if err := queries.InsertProgrammeFunders(ctx, q, pg.progFunders); err != nil {
			return err
		}
	}
	if n := len(pg.mintOrder); n > 0 {
		m := dbsqlc.UpsertMintedParams{ProgrammeIds: make([]string, n), Dates: make([]pgtype.Date, n), Cents: make([]int64, n)}
		for i, k := range pg.mintOrder {
			m.ProgrammeIds[i], m.Dates[i], m.Cents[i] = k.programme, core.PgDate(k.day), pg.minted[k]
		}
		if err := queries.UpsertMinted(ctx, q, m); err != nil {
			return err
		}
	}
	if n := len(pg.shareOrder); n > 0 {
		s := dbsqlc.UpsertBatchSharesParams{ShareKeys: make([]string, n), BatchIds: make([]string, n), ProgrammeIds: make([]string, n),
			PlaceIds: make([]string, n), Territories: make([]string, n), Cents: make([]int64, n)}
		for i, k := range pg.shareOrder {
			s.ShareKeys[i] = k.batch + "|" + k.programme + "|" + k.place
			s.BatchIds[i], s.ProgrammeIds[i], s.PlaceIds[i], s.Territories[i], s.Cents[i] = k.batch, k.programme, k.place, pg.shareTerr[k], pg.shares[k]
		}
		if err := queries.UpsertBatchShares(ctx, q, s); err != nil {
			return err
		}
	}
	for _, r := range pg.paid {
		if err := queries.InsertReimbursed(ctx, q, r); err != nil {
			return err
		}
	}
	return nil
}

// load fills the programme → territory cache and s.redemptions with what the
// scan found missing, from audit_programmes and audit_redemptions.
func (p *Projection) load(ctx context.Context, tx pgx.Tx, s *scan) error {
	if len(s.programmes) > 0 {
		ids := make([]string, 0, len(s.programmes))
		for id := range s.programmes {
			ids = append(ids, id)
		}
		rows, err := queries.ProgrammeTerritories(ctx, tx, ids)
		if err != nil {
			return fmt.Errorf("audit: load programmes: %w", err)
		}
		for _, r := range rows {
			p.territories[r.ProgrammeID] = r.Territory
		}
	}
	if len(s.redemptionID) == 0 {
		return nil
	}
	rows, err := queries.Redemptions(ctx, tx, s.redemptionID)
	if err != nil {
		return fmt.Errorf("audit: load redemptions: %w", err)
	}
	for _, r := range rows {
		amount, err := core.MoneyOf(r.Amount)
		if err != nil {
			return fmt.Errorf("audit: load redemptions: %w", err)
		}
		s.redemptions[r.RedemptionID] = &redemption{programme: r.ProgrammeID, place: r.PlaceID, territory: r.Territory, amount: amount}
	}
	return nil
}
