package cheques

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/cheques/internal/dbsqlc"
	"github.com/passnumerique/passledger/projections/core"
)

// Name is the projection's name.
const Name = "cheques"

// Cheque statuses (Cheque.Status).
const (
	// StatusInStock: minted, its carnet still in the prescriber's stock.
	StatusInStock = "in_stock"
	// StatusIssued: its carnet was issued to a beneficiary; redeemable.
	StatusIssued = "issued"
	// StatusRedeemed: a redemption stands.
	StatusRedeemed = "redeemed"
	// StatusReversed: its last redemption was reversed; redeemable again.
	StatusReversed = "reversed"
	// StatusExpired: expired when its programme closed; value returned.
	StatusExpired = "expired"
	// StatusBlocked: its carnet was cancelled (lost, stolen); value returned.
	StatusBlocked = "blocked"
)

// Statuses lists the cheque statuses (the API publishes them as an enum).
var Statuses = []string{StatusInStock, StatusIssued, StatusRedeemed, StatusReversed, StatusExpired, StatusBlocked}

// Carnet statuses.
const (
	CarnetInStock   = "in_stock"
	CarnetIssued    = "issued"
	CarnetCancelled = "cancelled"
)

// CarnetStatuses lists the carnet statuses (State.CarnetStatus).
var CarnetStatuses = []string{CarnetInStock, CarnetIssued, CarnetCancelled}

// Reimbursement states of a redeemed cheque (Cheque.Reimbursement).
const (
	ReimbursementNone    = ""
	ReimbursementClaimed = "claimed"
	ReimbursementPaid    = "paid"
)

// ReimbursementStatuses lists the non-empty reimbursement states
// (State.Reimbursement is omitted when there is none).
var ReimbursementStatuses = []string{ReimbursementClaimed, ReimbursementPaid}

// Projection keeps cheque and carnet status and history.
type Projection struct{}

// New returns the cheques projection.
func New() *Projection { return &Projection{} }

// Name returns "cheques".
func (*Projection) Name() string { return Name }

// Tables returns the tables the projection owns.
func (*Projection) Tables() []string {
	return []string{"cheque_carnets", "cheque_programmes", "cheques", "cheque_claims", "cheque_batches"}
}

type carnetRow struct {
	id, programme, prescriber string
	ordinal, count            int
	value                     int64
	status                    string
	wasIssued                 bool
	territory, need           string
	jobSeeker                 bool
	mintedAt                  time.Time
	issuedAt, cancelledAt     time.Time
	reason                    string
	stored                    bool // read from the table (else new: COPY)
}

type chequeRow struct {
	serial, carnet, programme, status string
	redemption, place, placeTerritory string
	session                           domain.Date
	redeemedAt                        time.Time
	amount                            int64
	hasAmount                         bool
	reversals                         int
	closedOn                          domain.Date
	lastPosition                      int64
	stored                            bool // read from the table (else new: COPY)
}

type batchRow struct {
	id        string
	cutOff    domain.Date
	createdAt time.Time
	paidOn    domain.Date
	bankRef   string
}

// queries are the projection's SQL statements, compiled by sqlc
// (internal/dbsqlc/cheques.sql).
var queries = dbsqlc.New()

// keys collects the carnets, cheques and batches whose stored rows a batch of
// events may change: Apply loads them (one query each) before it folds the events.
type keys struct{ carnets, serials, batches map[string]bool }

var keyHandlers = func() *core.Handlers[*keys] {
	h := core.NewHandlers[*keys]()
	carnets := func(k *keys) map[string]bool { return k.carnets }
	serials := func(k *keys) map[string]bool { return k.serials }
	batches := func(k *keys) map[string]bool { return k.batches }
	core.Collect(h, carnets, func(e domain.CarnetIssued) string { return e.CarnetID })
	core.Collect(h, carnets, func(e domain.CarnetCancelled) string { return e.CarnetID })
	core.Collect(h, serials, func(e domain.ChequeRedeemed) string { return e.Serial })
	core.Collect(h, serials, func(e domain.RedemptionReversed) string { return e.Serial })
	core.Collect(h, serials, func(e domain.ChequeExpired) string { return e.Serial })
	core.Collect(h, serials, func(e domain.ChequeBlocked) string { return e.Serial })
	core.Collect(h, batches, func(e domain.ReimbursementBatchPaid) string { return e.BatchID })
	return h
}()

// fold is what Apply folds a batch of events onto: the rows loaded or created,
// those changed (in order, with repeats), the programmes opened or closed and the
// claims to copy.
type fold struct {
	carnets                                  map[string]*carnetRow
	cheques                                  map[string]*chequeRow
	batches                                  map[string]*batchRow
	dirtyCarnets, dirtyCheques, dirtyBatches []string
	programmes                               []dbsqlc.UpsertProgrammeParams
	claims                                   *core.CopyWriter
}

var foldHandlers = func() *core.Handlers[*fold] {
	h := core.NewHandlers[*fold]()
	core.On(h, (*fold).carnetMinted)
	core.On(h, (*fold).carnetIssued)
	core.On(h, (*fold).carnetCancelled)
	core.On(h, (*fold).chequeRedeemed)
	core.On(h, (*fold).redemptionReversed)
	core.On(h, (*fold).chequeExpired)
	core.On(h, (*fold).chequeBlocked)
	core.On(h, (*fold).chequeReimbursementClaimed)
	core.On(h, (*fold).programmeCreated)
	core.On(h, (*fold).programmeClosed)
	core.On(h, (*fold).reimbursementBatchCreated)
	core.On(h, (*fold).reimbursementBatchPaid)
	return h
}()

// carnet returns the row of carnetID, which an earlier event minted, and marks it
// changed.
func (f *fold) carnet(ev core.Event, carnetID string) (*carnetRow, error) {
	c := f.carnets[carnetID]
	if c == nil {
		return nil, fmt.Errorf("cheques: %s at position %d for unknown carnet %s", ev.Type, ev.Position, carnetID)
	}
	f.dirtyCarnets = append(f.dirtyCarnets, carnetID)
	return c, nil
}

// cheque returns the row of serial, a new one in carnet and programme if it has
// none (an error if carnet is empty: the event needs an existing row), moved to
// ev's position and marked changed.
func (f *fold) cheque(ev core.Event, serial, carnet, programme string) (*chequeRow, error) {
	c := f.cheques[serial]
	if c == nil {
		if carnet == "" {
			return nil, fmt.Errorf("cheques: %s at position %d for unknown cheque %s", ev.Type, ev.Position, serial)
		}
		c = &chequeRow{serial: serial, carnet: carnet, programme: programme}
		f.cheques[serial] = c
	}
	c.lastPosition = ev.Position
	f.dirtyCheques = append(f.dirtyCheques, serial)
	return c, nil
}

func (f *fold) carnetMinted(_ core.Event, e domain.CarnetMinted) error {
	f.carnets[e.CarnetID] = &carnetRow{id: e.CarnetID, programme: e.ProgrammeID, prescriber: e.PrescriberID,
		ordinal: e.Ordinal, count: len(e.Serials), value: core.CentsOf(e.ChequeValue), status: CarnetInStock, mintedAt: e.MintedAt}
	f.dirtyCarnets = append(f.dirtyCarnets, e.CarnetID)
	return nil
}

func (f *fold) carnetIssued(ev core.Event, e domain.CarnetIssued) error {
	c, err := f.carnet(ev, e.CarnetID)
	if err != nil {
		return err
	}
	c.status, c.wasIssued, c.territory, c.need, c.jobSeeker, c.issuedAt = CarnetIssued, true, e.Territory, string(e.NeedLevel), e.JobSeeker, e.IssuedAt
	return nil
}

func (f *fold) carnetCancelled(ev core.Event, e domain.CarnetCancelled) error {
	c, err := f.carnet(ev, e.CarnetID)
	if err != nil {
		return err
	}
	c.status, c.cancelledAt, c.reason = CarnetCancelled, e.CancelledAt, string(e.Reason)
	return nil
}

func (f *fold) chequeRedeemed(ev core.Event, e domain.ChequeRedeemed) error {
	c, err := f.cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
	if err != nil {
		return err
	}
	c.status, c.redemption, c.place, c.placeTerritory = StatusRedeemed, e.RedemptionID, e.PlaceID, e.PlaceTerritory
	c.session, c.redeemedAt, c.amount, c.hasAmount = e.SessionDate, e.RedeemedAt, core.CentsOf(e.Amount), true
	return nil
}

func (f *fold) redemptionReversed(ev core.Event, e domain.RedemptionReversed) error {
	c, err := f.cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
	if err != nil {
		return err
	}
	*c = chequeRow{serial: c.serial, carnet: c.carnet, programme: c.programme, status: StatusReversed,
		reversals: c.reversals + 1, lastPosition: c.lastPosition, stored: c.stored}
	return nil
}

// chequeExpired writes nothing for a cheque never redeemed: its programme's close
// says it (ProgrammeClosed).
func (f *fold) chequeExpired(ev core.Event, e domain.ChequeExpired) error {
	if f.cheques[e.Serial] == nil {
		return nil
	}
	c, err := f.cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
	if err != nil {
		return err
	}
	c.status, c.closedOn = StatusExpired, e.ExpiredOn
	return nil
}

// chequeBlocked writes nothing for a cheque never redeemed: its carnet's
// cancellation says it.
func (f *fold) chequeBlocked(ev core.Event, e domain.ChequeBlocked) error {
	if f.cheques[e.Serial] == nil {
		return nil
	}
	c, err := f.cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
	if err != nil {
		return err
	}
	c.status, c.closedOn = StatusBlocked, domain.DateOf(e.BlockedAt.UTC())
	return nil
}

func (f *fold) chequeReimbursementClaimed(_ core.Event, e domain.ChequeReimbursementClaimed) error {
	f.claims.Row()
	f.claims.Text(e.RedemptionID)
	f.claims.Text(e.Serial)
	f.claims.Text(e.BatchID)
	f.claims.Time(e.ClaimedAt)
	return nil
}

func (f *fold) programmeCreated(_ core.Event, e domain.ProgrammeCreated) error {
	f.programmes = append(f.programmes, dbsqlc.UpsertProgrammeParams{ProgrammeID: e.ProgrammeID, ClosedOn: core.PgDate(domain.Date{})})
	return nil
}

func (f *fold) programmeClosed(_ core.Event, e domain.ProgrammeClosed) error {
	f.programmes = append(f.programmes, dbsqlc.UpsertProgrammeParams{ProgrammeID: e.ProgrammeID, ClosedOn: core.PgDate(e.ClosedOn)})
	return nil
}

func (f *fold) reimbursementBatchCreated(_ core.Event, e domain.ReimbursementBatchCreated) error {
	f.batches[e.BatchID] = &batchRow{id: e.BatchID, cutOff: e.CutOff, createdAt: e.CreatedAt}
	f.dirtyBatches = append(f.dirtyBatches, e.BatchID)
	return nil
}

func (f *fold) reimbursementBatchPaid(ev core.Event, e domain.ReimbursementBatchPaid) error {
	b := f.batches[e.BatchID]
	if b == nil {
		return fmt.Errorf("cheques: ReimbursementBatchPaid at position %d for unknown batch %s", ev.Position, e.BatchID)
	}
	b.paidOn, b.bankRef = e.PaidOn, e.BankReference
	f.dirtyBatches = append(f.dirtyBatches, e.BatchID)
	return nil
}

// Apply folds the batch's events onto the rows they touch: it loads the existing
// rows of the carnets, cheques and batches named in the batch (keyHandlers; one
// query each), applies the events in order in memory (foldHandlers), then writes
// the rows back: new rows with a binary COPY, rows that were read with one upsert
// per table (in one round trip with the programmes); claims are appended with
// COPY. The ChequeExpired and ChequeBlocked of a cheque without a row write
// nothing: its programme's close or its carnet's cancellation implies them.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	k := keys{carnets: map[string]bool{}, serials: map[string]bool{}, batches: map[string]bool{}}
	if err := keyHandlers.HandleAll(&k, events); err != nil {
		return err
	}
	f := &fold{claims: core.NewCopyWriter(len(copyClaimsColumns))}
	var err error
	if f.carnets, err = loadCarnets(ctx, tx, slices.Collect(maps.Keys(k.carnets))); err != nil {
		return err
	}
	if f.cheques, err = loadCheques(ctx, tx, slices.Collect(maps.Keys(k.serials))); err != nil {
		return err
	}
	if f.batches, err = loadBatches(ctx, tx, slices.Collect(maps.Keys(k.batches))); err != nil {
		return err
	}
	if err := foldHandlers.HandleAll(f, events); err != nil {
		return err
	}
	// Rows read from the table are upserted; new rows, most of them, are copied.
	var newCarnets, oldCarnets, newCheques, oldCheques []string
	for _, id := range core.Unique(f.dirtyCarnets) {
		if f.carnets[id].stored {
			oldCarnets = append(oldCarnets, id)
		} else {
			newCarnets = append(newCarnets, id)
		}
	}
	for _, id := range core.Unique(f.dirtyCheques) {
		if f.cheques[id].stored {
			oldCheques = append(oldCheques, id)
		} else {
			newCheques = append(newCheques, id)
		}
	}
	b := &pgx.Batch{}
	q := core.Queue(b)
	for _, p := range f.programmes {
		if err := queries.UpsertProgramme(ctx, q, p); err != nil {
			return fmt.Errorf("cheques: %w", err)
		}
	}
	if len(oldCarnets) > 0 {
		if err := queries.UpsertCarnets(ctx, q, carnetParams(f.carnets, oldCarnets)); err != nil {
			return fmt.Errorf("cheques: %w", err)
		}
	}
	if len(oldCheques) > 0 {
		if err := queries.UpsertCheques(ctx, q, chequeParams(f.cheques, oldCheques)); err != nil {
			return fmt.Errorf("cheques: %w", err)
		}
	}
	if ids := core.Unique(f.dirtyBatches); len(ids) > 0 {
		if err := queries.UpsertBatches(ctx, q, batchParams(f.batches, ids)); err != nil {
			return fmt.Errorf("cheques: %w", err)
		}
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("cheques: %w", err)
	}
	if err := copyCarnets(ctx, tx, f.carnets, newCarnets); err != nil {
		return err
	}
	if err := copyCheques(ctx, tx, f.cheques, newCheques); err != nil {
		return err
	}
	return f.claims.Send(ctx, tx, "cheque_claims", copyClaimsColumns)
}

// loadCarnets reads the stored rows of the carnets ids names.
func loadCarnets(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*carnetRow, error) {
	out := map[string]*carnetRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := queries.LoadCarnets(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("cheques: load carnets: %w", err)
	}
	for _, r := range rows {
		out[r.CarnetID] = &carnetRow{id: r.CarnetID, programme: r.ProgrammeID, prescriber: r.PrescriberID,
			ordinal: int(r.Ordinal), count: int(r.ChequeCount), value: r.ValueCents, status: r.Status,
			wasIssued: r.WasIssued, territory: r.Territory, need: r.NeedLevel, jobSeeker: r.JobSeeker,
			mintedAt: core.TimeOf(r.MintedAt), issuedAt: core.TimeOf(r.IssuedAt), cancelledAt: core.TimeOf(r.CancelledAt),
			reason: r.CancelReason, stored: true}
	}
	return out, nil
}

// loadCheques reads the stored rows of the cheques serials names.
func loadCheques(ctx context.Context, tx pgx.Tx, serials []string) (map[string]*chequeRow, error) {
	out := map[string]*chequeRow{}
	if len(serials) == 0 {
		return out, nil
	}
	rows, err := queries.LoadCheques(ctx, tx, serials)
	if err != nil {
		return nil, fmt.Errorf("cheques: load cheques: %w", err)
	}
	for _, r := range rows {
		out[r.Serial] = &chequeRow{serial: r.Serial, carnet: r.CarnetID, programme: r.ProgrammeID, status: r.Status,
			redemption: r.RedemptionID, place: r.PlaceID, placeTerritory: r.PlaceTerritory,
			session: core.DateOf(r.SessionDate), redeemedAt: core.TimeOf(r.RedeemedAt),
			amount: r.AmountCents, hasAmount: r.HasAmount, reversals: int(r.Reversals),
			closedOn: core.DateOf(r.ClosedOn), lastPosition: r.LastPosition, stored: true}
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
		return nil, fmt.Errorf("cheques: load batches: %w", err)
	}
	for _, r := range rows {
		out[r.BatchID] = &batchRow{id: r.BatchID, cutOff: core.DateOf(r.CutOff), createdAt: core.TimeOf(r.CreatedAt),
			paidOn: core.DateOf(r.PaidOn), bankRef: r.BankReference}
	}
	return out, nil
}

func carnetParams(carnets map[string]*carnetRow, ids []string) dbsqlc.UpsertCarnetsParams {
	n := len(ids)
	p := dbsqlc.UpsertCarnetsParams{
		Ids: make([]string, n), ProgrammeIds: make([]string, n), PrescriberIds: make([]string, n),
		Ordinals: make([]int32, n), ChequeCounts: make([]int32, n), ValueCents: make([]int64, n),
		Statuses: make([]string, n), WasIssued: make([]bool, n), Territories: make([]string, n),
		NeedLevels: make([]string, n), JobSeekers: make([]bool, n), MintedAt: make([]pgtype.Timestamptz, n),
		IssuedAt: make([]pgtype.Timestamptz, n), CancelledAt: make([]pgtype.Timestamptz, n), CancelReasons: make([]string, n),
	}
	for i, k := range ids {
		c := carnets[k]
		p.Ids[i], p.ProgrammeIds[i], p.PrescriberIds[i], p.Statuses[i] = c.id, c.programme, c.prescriber, c.status
		p.Territories[i], p.NeedLevels[i], p.CancelReasons[i] = c.territory, c.need, c.reason
		p.Ordinals[i], p.ChequeCounts[i], p.ValueCents[i], p.WasIssued[i], p.JobSeekers[i] = int32(c.ordinal), int32(c.count), c.value, c.wasIssued, c.jobSeeker
		p.MintedAt[i], p.IssuedAt[i], p.CancelledAt[i] = core.PgTime(c.mintedAt), core.PgTime(c.issuedAt), core.PgTime(c.cancelledAt)
	}
	return p
}

func chequeParams(cheques map[string]*chequeRow, serials []string) dbsqlc.UpsertChequesParams {
	n := len(serials)
	p := dbsqlc.UpsertChequesParams{
		Serials: make([]string, n), CarnetIds: make([]string, n), ProgrammeIds: make([]string, n),
		Statuses: make([]string, n), RedemptionIds: make([]string, n), PlaceIds: make([]string, n),
		PlaceTerritories: make([]string, n), SessionDates: make([]pgtype.Date, n), RedeemedAt: make([]pgtype.Timestamptz, n),
		AmountCents: make([]int64, n), HasAmount: make([]bool, n), Reversals: make([]int32, n),
		ClosedOn: make([]pgtype.Date, n), LastPositions: make([]int64, n),
	}
	for i, k := range serials {
		c := cheques[k]
		p.Serials[i], p.CarnetIds[i], p.ProgrammeIds[i], p.Statuses[i] = c.serial, c.carnet, c.programme, c.status
		p.RedemptionIds[i], p.PlaceIds[i], p.PlaceTerritories[i] = c.redemption, c.place, c.placeTerritory
		p.SessionDates[i], p.ClosedOn[i], p.RedeemedAt[i] = core.PgDate(c.session), core.PgDate(c.closedOn), core.PgTime(c.redeemedAt)
		p.AmountCents[i], p.HasAmount[i] = c.amount, c.hasAmount
		p.Reversals[i], p.LastPositions[i] = int32(c.reversals), c.lastPosition
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

// COPY targets: the columns Apply copies claims, new carnets and new cheques into
// (not sqlc, see doc.go).
var (
	copyClaimsColumns  = []string{"redemption_id", "serial", "batch_id", "claimed_at"}
	copyCarnetsColumns = []string{"carnet_id", "programme_id", "prescriber_id", "ordinal", "cheque_count",
		"cheque_value", "status", "was_issued", "territory", "need_level", "job_seeker", "minted_at", "issued_at",
		"cancelled_at", "cancel_reason"}
	copyChequesColumns = []string{"serial", "carnet_id", "programme_id", "status", "redemption_id", "place_id",
		"place_territory", "session_date", "redeemed_at", "amount", "reversals", "closed_on", "last_position"}
)

// copyCarnets appends the carnets ids names, which have no row yet, with a binary
// COPY.
func copyCarnets(ctx context.Context, tx pgx.Tx, carnets map[string]*carnetRow, ids []string) error {
	w := core.NewCopyWriter(len(copyCarnetsColumns))
	for _, id := range ids {
		c := carnets[id]
		w.Row()
		w.Text(c.id)
		w.Text(c.programme)
		w.Text(c.prescriber)
		w.Int4(int32(c.ordinal))
		w.Int4(int32(c.count))
		w.Cents(c.value)
		w.Text(c.status)
		w.Bool(c.wasIssued)
		w.Text(c.territory)
		w.Text(c.need)
		w.Bool(c.jobSeeker)
		w.Time(c.mintedAt)
		w.Time(c.issuedAt)
		w.Time(c.cancelledAt)
		w.Text(c.reason)
	}
	return w.Send(ctx, tx, "cheque_carnets", copyCarnetsColumns)
}

// copyCheques appends the cheques serials names, which have no row yet, with a
// binary COPY.
func copyCheques(ctx context.Context, tx pgx.Tx, cheques map[string]*chequeRow, serials []string) error {
	w := core.NewCopyWriter(len(copyChequesColumns))
	for _, serial := range serials {
		c := cheques[serial]
		w.Row()
		w.Text(c.serial)
		w.Text(c.carnet)
		w.Text(c.programme)
		w.Text(c.status)
		w.Text(c.redemption)
		w.Text(c.place)
		w.Text(c.placeTerritory)
		w.Date(c.session)
		w.Time(c.redeemedAt)
		if c.hasAmount {
			w.Cents(c.amount)
		} else {
			w.Null()
		}
		w.Int4(int32(c.reversals))
		w.Date(c.closedOn)
		w.Int8(c.lastPosition)
	}
	return w.Send(ctx, tx, "cheques", copyChequesColumns)
}
