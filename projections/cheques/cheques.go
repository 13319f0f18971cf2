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

// Apply folds the batch's events onto the rows they touch: it loads the existing
// rows of the carnets, cheques and batches named in the batch (one query each),
// applies the events in order in memory, then writes the rows back: new rows with a
// binary COPY, rows that were read with one upsert per table; claims are appended
// with COPY. The ChequeExpired and ChequeBlocked of a cheque without a row write
// nothing: its programme's close or its carnet's cancellation implies them.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	carnetIDs, serials, batchIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.CarnetIssued:
			carnetIDs[e.CarnetID] = true
		case domain.CarnetCancelled:
			carnetIDs[e.CarnetID] = true
		case domain.ChequeRedeemed:
			serials[e.Serial] = true
		case domain.RedemptionReversed:
			serials[e.Serial] = true
		case domain.ChequeExpired:
			serials[e.Serial] = true
		case domain.ChequeBlocked:
			serials[e.Serial] = true
		case domain.ReimbursementBatchPaid:
			batchIDs[e.BatchID] = true
		}
	}
	carnets, err := loadCarnets(ctx, tx, slices.Collect(maps.Keys(carnetIDs)))
	if err != nil {
		return err
	}
	cheques, err := loadCheques(ctx, tx, slices.Collect(maps.Keys(serials)))
	if err != nil {
		return err
	}
	batches, err := loadBatches(ctx, tx, slices.Collect(maps.Keys(batchIDs)))
	if err != nil {
		return err
	}
	var dirtyCarnets, dirtyCheques, dirtyBatches []string
	touchCarnet := func(id string) { dirtyCarnets = append(dirtyCarnets, id) }
	touchCheque := func(id string) { dirtyCheques = append(dirtyCheques, id) }
	claims := core.NewCopyWriter(4)
	cheque := func(ev core.Event, serial, carnet, programme string) (*chequeRow, error) {
		c := cheques[serial]
		if c == nil {
			if carnet == "" {
				return nil, fmt.Errorf("cheques: %s at position %d for unknown cheque %s", ev.Type, ev.Position, serial)
			}
			c = &chequeRow{serial: serial, carnet: carnet, programme: programme}
			cheques[serial] = c
		}
		c.lastPosition = ev.Position
		touchCheque(serial)
		return c, nil
	}
	var closed [][]any
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.CarnetMinted:
			carnets[e.CarnetID] = &carnetRow{id: e.CarnetID, programme: e.ProgrammeID, prescriber: e.PrescriberID,
				ordinal: e.Ordinal, count: len(e.Serials), value: core.CentsOf(e.ChequeValue), status: CarnetInStock, mintedAt: e.MintedAt}
			touchCarnet(e.CarnetID)
		case domain.CarnetIssued:
			c := carnets[e.CarnetID]
			if c == nil {
				return fmt.Errorf("cheques: CarnetIssued at position %d for unknown carnet %s", ev.Position, e.CarnetID)
			}
			c.status, c.wasIssued, c.territory, c.need, c.jobSeeker, c.issuedAt = CarnetIssued, true, e.Territory, string(e.NeedLevel), e.JobSeeker, e.IssuedAt
			touchCarnet(e.CarnetID)
		case domain.CarnetCancelled:
			c := carnets[e.CarnetID]
			if c == nil {
				return fmt.Errorf("cheques: CarnetCancelled at position %d for unknown carnet %s", ev.Position, e.CarnetID)
			}
			c.status, c.cancelledAt, c.reason = CarnetCancelled, e.CancelledAt, string(e.Reason)
			touchCarnet(e.CarnetID)
		case domain.ChequeRedeemed:
			c, err := cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
			if err != nil {
				return err
			}
			c.status, c.redemption, c.place, c.placeTerritory = StatusRedeemed, e.RedemptionID, e.PlaceID, e.PlaceTerritory
			c.session, c.redeemedAt, c.amount, c.hasAmount = e.SessionDate, e.RedeemedAt, core.CentsOf(e.Amount), true
		case domain.RedemptionReversed:
			c, err := cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
			if err != nil {
				return err
			}
			*c = chequeRow{serial: c.serial, carnet: c.carnet, programme: c.programme, status: StatusReversed,
				reversals: c.reversals + 1, lastPosition: c.lastPosition, stored: c.stored}
		case domain.ChequeExpired:
			if cheques[e.Serial] == nil {
				continue // never redeemed: its programme's close says it (ProgrammeClosed)
			}
			c, err := cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
			if err != nil {
				return err
			}
			c.status, c.closedOn = StatusExpired, e.ExpiredOn
		case domain.ChequeBlocked:
			if cheques[e.Serial] == nil {
				continue // never redeemed: its carnet's cancellation says it
			}
			c, err := cheque(ev, e.Serial, e.CarnetID, e.ProgrammeID)
			if err != nil {
				return err
			}
			c.status, c.closedOn = StatusBlocked, domain.DateOf(e.BlockedAt.UTC())
		case domain.ChequeReimbursementClaimed:
			claims.Row()
			claims.Text(e.RedemptionID)
			claims.Text(e.Serial)
			claims.Text(e.BatchID)
			claims.Time(e.ClaimedAt)
		case domain.ProgrammeCreated:
			closed = append(closed, []any{e.ProgrammeID, core.PgDate(domain.Date{})})
		case domain.ProgrammeClosed:
			closed = append(closed, []any{e.ProgrammeID, core.PgDate(e.ClosedOn)})
		case domain.ReimbursementBatchCreated:
			batches[e.BatchID] = &batchRow{id: e.BatchID, cutOff: e.CutOff, createdAt: e.CreatedAt}
			dirtyBatches = append(dirtyBatches, e.BatchID)
		case domain.ReimbursementBatchPaid:
			b := batches[e.BatchID]
			if b == nil {
				return fmt.Errorf("cheques: ReimbursementBatchPaid at position %d for unknown batch %s", ev.Position, e.BatchID)
			}
			b.paidOn, b.bankRef = e.PaidOn, e.BankReference
			dirtyBatches = append(dirtyBatches, e.BatchID)
		}
	}
	b := &pgx.Batch{}
	for _, r := range closed {
		b.Queue(`INSERT INTO cheque_programmes (programme_id, closed_on) VALUES ($1, $2)
ON CONFLICT (programme_id) DO UPDATE SET closed_on = EXCLUDED.closed_on`, r...)
	}
	// Rows read from the table are upserted; new rows, most of them, are copied.
	var newCarnets, oldCarnets, newCheques, oldCheques []string
	for _, id := range core.Unique(dirtyCarnets) {
		if carnets[id].stored {
			oldCarnets = append(oldCarnets, id)
		} else {
			newCarnets = append(newCarnets, id)
		}
	}
	for _, id := range core.Unique(dirtyCheques) {
		if cheques[id].stored {
			oldCheques = append(oldCheques, id)
		} else {
			newCheques = append(newCheques, id)
		}
	}
	queueCarnets(b, carnets, oldCarnets)
	queueCheques(b, cheques, oldCheques)
	queueBatches(b, batches, core.Unique(dirtyBatches))
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("cheques: %w", err)
	}
	if err := copyCarnets(ctx, tx, carnets, newCarnets); err != nil {
		return err
	}
	if err := copyCheques(ctx, tx, cheques, newCheques); err != nil {
		return err
	}
	return claims.Send(ctx, tx, "cheque_claims", []string{"redemption_id", "serial", "batch_id", "claimed_at"})
}

func loadCarnets(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*carnetRow, error) {
	out := map[string]*carnetRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT carnet_id, programme_id, prescriber_id, ordinal, cheque_count, cheque_value, status,
was_issued, territory, need_level, job_seeker, minted_at, issued_at, cancelled_at, cancel_reason
FROM unnest($1::text[]) AS k(id) JOIN cheque_carnets ON carnet_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("cheques: load carnets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c carnetRow
		var value domain.Money
		var issued, cancelled pgtype.Timestamptz
		if err := rows.Scan(&c.id, &c.programme, &c.prescriber, &c.ordinal, &c.count, core.ScanMoney(&value), &c.status,
			&c.wasIssued, &c.territory, &c.need, &c.jobSeeker, &c.mintedAt, &issued, &cancelled, &c.reason); err != nil {
			return nil, fmt.Errorf("cheques: load carnets: %w", err)
		}
		c.value, c.issuedAt, c.cancelledAt = core.CentsOf(value), core.TimeOf(issued), core.TimeOf(cancelled)
		c.stored = true
		out[c.id] = &c
	}
	return out, rows.Err()
}

func loadCheques(ctx context.Context, tx pgx.Tx, serials []string) (map[string]*chequeRow, error) {
	out := map[string]*chequeRow{}
	if len(serials) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT serial, carnet_id, programme_id, status, redemption_id, place_id, place_territory,
session_date, redeemed_at, amount, reversals, closed_on, last_position
FROM unnest($1::text[]) AS k(id) JOIN cheques ON serial = k.id`, serials)
	if err != nil {
		return nil, fmt.Errorf("cheques: load cheques: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c chequeRow
		var redeemedAt pgtype.Timestamptz
		var amount pgtype.Numeric
		if err := rows.Scan(&c.serial, &c.carnet, &c.programme, &c.status, &c.redemption, &c.place, &c.placeTerritory,
			core.ScanDate(&c.session), &redeemedAt, &amount, &c.reversals, core.ScanDate(&c.closedOn), &c.lastPosition); err != nil {
			return nil, fmt.Errorf("cheques: load cheques: %w", err)
		}
		c.redeemedAt, c.stored = core.TimeOf(redeemedAt), true
		if amount.Valid {
			m, err := core.MoneyOf(amount)
			if err != nil {
				return nil, err
			}
			c.amount, c.hasAmount = core.CentsOf(m), true
		}
		out[c.serial] = &c
	}
	return out, rows.Err()
}

func loadBatches(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*batchRow, error) {
	out := map[string]*batchRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT batch_id, cut_off, created_at, paid_on, bank_reference
FROM unnest($1::text[]) AS k(id) JOIN cheque_batches ON batch_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("cheques: load batches: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b batchRow
		if err := rows.Scan(&b.id, core.ScanDate(&b.cutOff), &b.createdAt, core.ScanDate(&b.paidOn), &b.bankRef); err != nil {
			return nil, fmt.Errorf("cheques: load batches: %w", err)
		}
		out[b.id] = &b
	}
	return out, rows.Err()
}

func queueCarnets(b *pgx.Batch, carnets map[string]*carnetRow, ids []string) {
	n := len(ids)
	var (
		id, programme, prescriber, status, territory, need, reason = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		ordinal, count                                             = make([]int32, n), make([]int32, n)
		value                                                      = make([]int64, n)
		wasIssued, jobSeeker                                       = make([]bool, n), make([]bool, n)
		minted, issued, cancelled                                  = make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
	)
	for i, k := range ids {
		c := carnets[k]
		id[i], programme[i], prescriber[i], status[i], territory[i], need[i], reason[i] = c.id, c.programme, c.prescriber, c.status, c.territory, c.need, c.reason
		ordinal[i], count[i], value[i], wasIssued[i], jobSeeker[i] = int32(c.ordinal), int32(c.count), c.value, c.wasIssued, c.jobSeeker
		minted[i], issued[i], cancelled[i] = core.PgTime(c.mintedAt), core.PgTime(c.issuedAt), core.PgTime(c.cancelledAt)
	}
	if n == 0 {
		return
	}
	b.Queue(`INSERT INTO cheque_carnets (carnet_id, programme_id, prescriber_id, ordinal, cheque_count, cheque_value, status,
was_issued, territory, need_level, job_seeker, minted_at, issued_at, cancelled_at, cancel_reason)
SELECT id, p, pr, o, c, v::numeric / 100, s, wi, t, nl, js, m, i, ca, r
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::bigint[], $7::text[], $8::bool[], $9::text[],
            $10::text[], $11::bool[], $12::timestamptz[], $13::timestamptz[], $14::timestamptz[], $15::text[])
     AS u(id, p, pr, o, c, v, s, wi, t, nl, js, m, i, ca, r)
ON CONFLICT (carnet_id) DO UPDATE SET status = EXCLUDED.status, was_issued = EXCLUDED.was_issued,
  territory = EXCLUDED.territory, need_level = EXCLUDED.need_level, job_seeker = EXCLUDED.job_seeker,
  issued_at = EXCLUDED.issued_at, cancelled_at = EXCLUDED.cancelled_at, cancel_reason = EXCLUDED.cancel_reason`,
		id, programme, prescriber, ordinal, count, value, status, wasIssued, territory, need, jobSeeker, minted, issued, cancelled, reason)
}

func queueCheques(b *pgx.Batch, cheques map[string]*chequeRow, serials []string) {
	n := len(serials)
	if n == 0 {
		return
	}
	var (
		serial, carnet, programme, status, redemption, place, placeT = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		session, closed                                              = make([]pgtype.Date, n), make([]pgtype.Date, n)
		redeemedAt                                                   = make([]pgtype.Timestamptz, n)
		amount                                                       = make([]pgtype.Int8, n)
		reversals                                                    = make([]int32, n)
		lastPos                                                      = make([]int64, n)
	)
	for i, k := range serials {
		c := cheques[k]
		serial[i], carnet[i], programme[i], status[i], redemption[i], place[i], placeT[i] = c.serial, c.carnet, c.programme, c.status, c.redemption, c.place, c.placeTerritory
		session[i], closed[i] = core.PgDate(c.session), core.PgDate(c.closedOn)
		redeemedAt[i] = core.PgTime(c.redeemedAt)
		amount[i] = pgtype.Int8{Int64: c.amount, Valid: c.hasAmount}
		reversals[i], lastPos[i] = int32(c.reversals), c.lastPosition
	}
	b.Queue(`INSERT INTO cheques (serial, carnet_id, programme_id, status, redemption_id, place_id, place_territory,
session_date, redeemed_at, amount, reversals, closed_on, last_position)
SELECT s, c, p, st, r, pl, pt, sd, ra, a::numeric / 100, rv, co, lp
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::date[],
            $9::timestamptz[], $10::bigint[], $11::int[], $12::date[], $13::bigint[])
     AS u(s, c, p, st, r, pl, pt, sd, ra, a, rv, co, lp)
ON CONFLICT (serial) DO UPDATE SET status = EXCLUDED.status, redemption_id = EXCLUDED.redemption_id,
  place_id = EXCLUDED.place_id, place_territory = EXCLUDED.place_territory, session_date = EXCLUDED.session_date,
  redeemed_at = EXCLUDED.redeemed_at, amount = EXCLUDED.amount, reversals = EXCLUDED.reversals,
  closed_on = EXCLUDED.closed_on, last_position = EXCLUDED.last_position`,
		serial, carnet, programme, status, redemption, place, placeT, session, redeemedAt, amount, reversals, closed, lastPos)
}

func queueBatches(b *pgx.Batch, batches map[string]*batchRow, ids []string) {
	n := len(ids)
	if n == 0 {
		return
	}
	id, ref := make([]string, n), make([]string, n)
	cut, paid := make([]pgtype.Date, n), make([]pgtype.Date, n)
	created := make([]pgtype.Timestamptz, n)
	for i, k := range ids {
		r := batches[k]
		id[i], ref[i], cut[i], paid[i], created[i] = r.id, r.bankRef, core.PgDate(r.cutOff), core.PgDate(r.paidOn), core.PgTime(r.createdAt)
	}
	b.Queue(`INSERT INTO cheque_batches (batch_id, cut_off, created_at, paid_on, bank_reference)
SELECT * FROM unnest($1::text[], $2::date[], $3::timestamptz[], $4::date[], $5::text[])
ON CONFLICT (batch_id) DO UPDATE SET paid_on = EXCLUDED.paid_on, bank_reference = EXCLUDED.bank_reference`,
		id, cut, created, paid, ref)
}

func copyCarnets(ctx context.Context, tx pgx.Tx, carnets map[string]*carnetRow, ids []string) error {
	w := core.NewCopyWriter(15)
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
	return w.Send(ctx, tx, "cheque_carnets", []string{"carnet_id", "programme_id", "prescriber_id", "ordinal",
		"cheque_count", "cheque_value", "status", "was_issued", "territory", "need_level", "job_seeker", "minted_at", "issued_at",
		"cancelled_at", "cancel_reason"})
}

func copyCheques(ctx context.Context, tx pgx.Tx, cheques map[string]*chequeRow, serials []string) error {
	w := core.NewCopyWriter(13)
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
	return w.Send(ctx, tx, "cheques", []string{"serial", "carnet_id", "programme_id", "status", "redemption_id",
		"place_id", "place_territory", "session_date", "redeemed_at", "amount", "reversals", "closed_on", "last_position"})
}
