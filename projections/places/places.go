package places

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/places/internal/dbsqlc"
)

// Name is the projection's name.
const Name = "places"

// Projection keeps place statements.
type Projection struct{}

// New returns the places projection.
func New() *Projection { return &Projection{} }

// Name returns "places".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string {
	return []string{"place_info", "place_redemptions", "place_claims", "place_batches", "place_batch_lines"}
}

type placeRow struct {
	id, name, siret, territory, label string
	labelOn                           domain.Date
	iban, bic, holder                 string
}

type redemptionRow struct {
	id, place, serial, programme string
	session                      domain.Date
	redeemedAt                   time.Time
	amount                       int64
	reversedAt                   time.Time
	position                     int64
	stored                       bool // read from the table (else new: COPY)
}

type batchRow struct {
	id        string
	cutOff    domain.Date
	createdAt time.Time
	paidOn    domain.Date
	bankRef   string
}

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/places.sql).
var queries = dbsqlc.New()

// keys collects the places, redemptions and batches whose stored rows a batch of
// events changes: Apply loads them (one query each) before it folds the events.
type keys struct{ places, redemptions, batches map[string]bool }

var keyHandlers = func() *core.Handlers[*keys] {
	h := core.NewHandlers[*keys]()
	places := func(k *keys) map[string]bool { return k.places }
	core.Collect(h, places, func(e domain.PlaceLabelChanged) string { return e.PlaceID })
	core.Collect(h, places, func(e domain.PlaceBankAccountSet) string { return e.PlaceID })
	core.Collect(h, func(k *keys) map[string]bool { return k.redemptions }, func(e domain.RedemptionReversed) string { return e.RedemptionID })
	core.Collect(h, func(k *keys) map[string]bool { return k.batches }, func(e domain.ReimbursementBatchPaid) string { return e.BatchID })
	return h
}()

// fold is what Apply folds a batch of events onto: the rows loaded or created,
// those changed (in order, with repeats), the batch lines to insert and the
// claims to copy.
type fold struct {
	places                               map[string]*placeRow
	reds                                 map[string]*redemptionRow
	batches                              map[string]*batchRow
	dirtyPlaces, dirtyReds, dirtyBatches []string
	lines                                dbsqlc.InsertBatchLinesParams
	claims                               *core.CopyWriter
}

var foldHandlers = func() *core.Handlers[*fold] {
	h := core.NewHandlers[*fold]()
	core.On(h, (*fold).placeRegistered)
	core.On(h, (*fold).placeLabelChanged)
	core.On(h, (*fold).placeBankAccountSet)
	core.On(h, (*fold).chequeRedeemed)
	core.On(h, (*fold).redemptionReversed)
	core.On(h, (*fold).chequeReimbursementClaimed)
	core.On(h, (*fold).reimbursementBatchCreated)
	core.On(h, (*fold).reimbursementBatchPaid)
	return h
}()

// place returns the row of placeID, a new one (with label status label) if there
// is none yet, and marks it changed.
func (f *fold) place(placeID, label string) *placeRow {
	p := f.places[placeID]
	if p == nil {
		p = &placeRow{id: placeID, label: label}
		f.places[placeID] = p
	}
	f.dirtyPlaces = append(f.dirtyPlaces, placeID)
	return p
}

func (f *fold) placeRegistered(_ core.Event, e domain.PlaceRegistered) error {
	p := f.place(e.PlaceID, string(domain.LabelNone))
	p.name, p.siret, p.territory = e.Name, e.SIRET, e.Territory
	return nil
}

func (f *fold) placeLabelChanged(_ core.Event, e domain.PlaceLabelChanged) error {
	p := f.place(e.PlaceID, "")
	p.label, p.labelOn = labelStatus(e.Action), e.EffectiveOn
	return nil
}

func (f *fold) placeBankAccountSet(_ core.Event, e domain.PlaceBankAccountSet) error {
	p := f.place(e.PlaceID, string(domain.LabelNone))
	p.iban, p.bic, p.holder = e.IBAN, e.BIC, e.Holder
	return nil
}

func (f *fold) chequeRedeemed(ev core.Event, e domain.ChequeRedeemed) error {
	f.reds[e.RedemptionID] = &redemptionRow{id: e.RedemptionID, place: e.PlaceID, serial: e.Serial,
		programme: e.ProgrammeID, session: e.SessionDate, redeemedAt: e.RedeemedAt, amount: core.CentsOf(e.Amount), position: ev.Position}
	f.dirtyReds = append(f.dirtyReds, e.RedemptionID)
	return nil
}

func (f *fold) redemptionReversed(ev core.Event, e domain.RedemptionReversed) error {
	r := f.reds[e.RedemptionID]
	if r == nil {
		return fmt.Errorf("places: reversal at position %d of unknown redemption %s", ev.Position, e.RedemptionID)
	}
	r.reversedAt = e.ReversedAt
	f.dirtyReds = append(f.dirtyReds, e.RedemptionID)
	return nil
}

func (f *fold) chequeReimbursementClaimed(_ core.Event, e domain.ChequeReimbursementClaimed) error {
	f.claims.Row()
	f.claims.Text(e.RedemptionID)
	f.claims.Text(e.BatchID)
	f.claims.Time(e.ClaimedAt)
	return nil
}

func (f *fold) reimbursementBatchCreated(_ core.Event, e domain.ReimbursementBatchCreated) error {
	f.batches[e.BatchID] = &batchRow{id: e.BatchID, cutOff: e.CutOff, createdAt: e.CreatedAt}
	f.dirtyBatches = append(f.dirtyBatches, e.BatchID)
	for _, l := range e.Lines {
		f.lines.BatchIds = append(f.lines.BatchIds, e.BatchID)
		f.lines.PlaceIds = append(f.lines.PlaceIds, l.PlaceID)
		f.lines.AmountCents = append(f.lines.AmountCents, core.CentsOf(l.Amount))
		f.lines.Counts = append(f.lines.Counts, int32(l.Count))
	}
	return nil
}

func (f *fold) reimbursementBatchPaid(ev core.Event, e domain.ReimbursementBatchPaid) error {
	b := f.batches[e.BatchID]
	if b == nil {
		return fmt.Errorf("places: payment at position %d of unknown batch %s", ev.Position, e.BatchID)
	}
	b.paidOn, b.bankRef = e.PaidOn, e.BankReference
	f.dirtyBatches = append(f.dirtyBatches, e.BatchID)
	return nil
}

// Apply loads the places, redemptions and batches the events touch (keyHandlers),
// folds the events onto them in order (foldHandlers), and writes them back: new
// redemptions with a binary COPY, the other rows with one upsert per table, all
// in one round trip; claims are appended with COPY, and batch lines inserted once,
// from ReimbursementBatchCreated.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	k := keys{places: map[string]bool{}, redemptions: map[string]bool{}, batches: map[string]bool{}}
	if err := keyHandlers.HandleAll(&k, events); err != nil {
		return err
	}
	f := &fold{claims: core.NewCopyWriter(len(copyClaimsColumns))}
	var err error
	if f.places, err = loadPlaces(ctx, tx, slices.Collect(maps.Keys(k.places))); err != nil {
		return err
	}
	if f.reds, err = loadRedemptions(ctx, tx, slices.Collect(maps.Keys(k.redemptions))); err != nil {
		return err
	}
	if f.batches, err = loadBatches(ctx, tx, slices.Collect(maps.Keys(k.batches))); err != nil {
		return err
	}
	if err := foldHandlers.HandleAll(f, events); err != nil {
		return err
	}
	var newReds, oldReds []string
	for _, id := range core.Unique(f.dirtyReds) {
		if f.reds[id].stored {
			oldReds = append(oldReds, id)
		} else {
			newReds = append(newReds, id)
		}
	}
	b := &pgx.Batch{}
	q := core.Queue(b)
	if ids := core.Unique(f.dirtyPlaces); len(ids) > 0 {
		if err := queries.UpsertPlaces(ctx, q, placeParams(f.places, ids)); err != nil {
			return fmt.Errorf("places: %w", err)
		}
	}
	if len(oldReds) > 0 {
		if err := queries.UpsertRedemptions(ctx, q, redemptionParams(f.reds, oldReds)); err != nil {
			return fmt.Errorf("places: %w", err)
		}
	}
	if ids := core.Unique(f.dirtyBatches); len(ids) > 0 {
		if err := queries.UpsertBatches(ctx, q, batchParams(f.batches, ids)); err != nil {
			return fmt.Errorf("places: %w", err)
		}
	}
	if len(f.lines.BatchIds) > 0 {
		if err := queries.InsertBatchLines(ctx, q, f.lines); err != nil {
			return fmt.Errorf("places: %w", err)
		}
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	if err := copyRedemptions(ctx, tx, f.reds, newReds); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	return f.claims.Send(ctx, tx, "place_claims", copyClaimsColumns)
}

// copyClaimsColumns are the columns Apply copies the claims into place_claims
// with (COPY: not sqlc, see doc.go).
var copyClaimsColumns = []string{"redemption_id", "batch_id", "claimed_at"}

// copyRedemptionsColumns are the columns copyRedemptions writes into
// place_redemptions (COPY: not sqlc, see doc.go).
var copyRedemptionsColumns = []string{"redemption_id", "place_id", "serial", "programme_id", "session_date",
	"redeemed_at", "amount", "reversed_at", "position"}

// copyRedemptions appends the redemptions ids names, which have no row yet, with
// a binary COPY.
func copyRedemptions(ctx context.Context, tx pgx.Tx, reds map[string]*redemptionRow, ids []string) error {
	w := core.NewCopyWriter(len(copyRedemptionsColumns))
	for _, id := range ids {
		r := reds[id]
		w.Row()
		w.Text(r.id)
		w.Text(r.place)
		w.Text(r.serial)
		w.Text(r.programme)
		w.Date(r.session)
		w.Time(r.redeemedAt)
		w.Cents(r.amount)
		w.Time(r.reversedAt)
		w.Int8(r.position)
	}
	return w.Send(ctx, tx, "place_redemptions", copyRedemptionsColumns)
}

func placeParams(places map[string]*placeRow, ids []string) dbsqlc.UpsertPlacesParams {
	n := len(ids)
	p := dbsqlc.UpsertPlacesParams{
		Ids: make([]string, n), Names: make([]string, n), Sirets: make([]string, n), Territories: make([]string, n),
		LabelStatuses: make([]string, n), LabelEffectiveOn: make([]pgtype.Date, n),
		Ibans: make([]string, n), Bics: make([]string, n), Holders: make([]string, n),
	}
	for i, k := range ids {
		r := places[k]
		p.Ids[i], p.Names[i], p.Sirets[i], p.Territories[i] = r.id, r.name, r.siret, r.territory
		p.LabelStatuses[i], p.LabelEffectiveOn[i] = r.label, core.PgDate(r.labelOn)
		p.Ibans[i], p.Bics[i], p.Holders[i] = r.iban, r.bic, r.holder
	}
	return p
}

func redemptionParams(reds map[string]*redemptionRow, ids []string) dbsqlc.UpsertRedemptionsParams {
	n := len(ids)
	p := dbsqlc.UpsertRedemptionsParams{
		Ids: make([]string, n), PlaceIds: make([]string, n), Serials: make([]string, n), ProgrammeIds: make([]string, n),
		SessionDates: make([]pgtype.Date, n), RedeemedAt: make([]pgtype.Timestamptz, n), AmountCents: make([]int64, n),
		ReversedAt: make([]pgtype.Timestamptz, n), Positions: make([]int64, n),
	}
	for i, k := range ids {
		r := reds[k]
		p.Ids[i], p.PlaceIds[i], p.Serials[i], p.ProgrammeIds[i] = r.id, r.place, r.serial, r.programme
		p.SessionDates[i], p.RedeemedAt[i], p.ReversedAt[i] = core.PgDate(r.session), core.PgTime(r.redeemedAt), core.PgTime(r.reversedAt)
		p.AmountCents[i], p.Positions[i] = r.amount, r.position
	}
	return p
}

func batchParams(batches map[string]*batchRow, ids []string) dbsqlc.UpsertBatchesParams {
	n := len(ids)
	p := dbsqlc.UpsertBatchesParams{
		Ids: make([]string, n), CutOffs: make([]pgtype.Date, n), CreatedAt: make([]pgtype.Timestamptz, n),
		PaidOn: make([]pgtype.Date, n), BankReferences: make([]string, n),
	}
	for i, k := range ids {
		r := batches[k]
		p.Ids[i], p.BankReferences[i] = r.id, r.bankRef
		p.CutOffs[i], p.CreatedAt[i], p.PaidOn[i] = core.PgDate(r.cutOff), core.PgTime(r.createdAt), core.PgDate(r.paidOn)
	}
	return p
}

func labelStatus(a domain.LabelAction) string {
	switch a {
	case domain.LabelGrant:
		return string(domain.LabelGranted)
	case domain.LabelSuspend:
		return string(domain.LabelSuspended)
	case domain.LabelWithdraw:
		return string(domain.LabelWithdrawn)
	}
	return string(domain.LabelNone)
}

// loadPlaces reads the stored rows of the places ids names.
func loadPlaces(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*placeRow, error) {
	out := map[string]*placeRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.LoadPlaces(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	for _, r := range rows {
		out[r.PlaceID] = &placeRow{id: r.PlaceID, name: r.Name, siret: r.Siret, territory: r.Territory,
			label: r.LabelStatus, labelOn: core.DateOf(r.LabelEffectiveOn), iban: r.Iban, bic: r.Bic, holder: r.BankHolder}
	}
	return out, nil
}

// loadRedemptions reads the stored rows of the redemptions ids names.
func loadRedemptions(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*redemptionRow, error) {
	out := map[string]*redemptionRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.LoadRedemptions(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	for _, r := range rows {
		out[r.RedemptionID] = &redemptionRow{id: r.RedemptionID, place: r.PlaceID, serial: r.Serial, programme: r.ProgrammeID,
			session: core.DateOf(r.SessionDate), redeemedAt: core.TimeOf(r.RedeemedAt), amount: r.AmountCents,
			reversedAt: core.TimeOf(r.ReversedAt), position: r.Position, stored: true}
	}
	return out, nil
}

// loadBatches reads the stored rows of the batches ids names.
func loadBatches(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*batchRow, error) {
	out := map[string]*batchRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.LoadBatches(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	for _, r := range rows {
		out[r.BatchID] = &batchRow{id: r.BatchID, cutOff: core.DateOf(r.CutOff), createdAt: core.TimeOf(r.CreatedAt),
			paidOn: core.DateOf(r.PaidOn), bankRef: r.BankReference}
	}
	return out, nil
}
