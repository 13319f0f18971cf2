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

// Apply loads the places, redemptions and batches the events touch, folds the
// events onto them in order, and writes them back (new redemptions with a binary
// COPY, the others with one upsert per table); claims are appended with COPY, and
// batch lines inserted once, from ReimbursementBatchCreated.
func (*Projection) Apply(ctx context.Context, tx pgx.Tx, events []core.Event) error {
	placeIDs, redemptionIDs, batchIDs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.PlaceLabelChanged:
			placeIDs[e.PlaceID] = true
		case domain.PlaceBankAccountSet:
			placeIDs[e.PlaceID] = true
		case domain.RedemptionReversed:
			redemptionIDs[e.RedemptionID] = true
		case domain.ReimbursementBatchPaid:
			batchIDs[e.BatchID] = true
		}
	}
	places, err := loadPlaces(ctx, tx, slices.Collect(maps.Keys(placeIDs)))
	if err != nil {
		return err
	}
	reds, err := loadRedemptions(ctx, tx, slices.Collect(maps.Keys(redemptionIDs)))
	if err != nil {
		return err
	}
	batches, err := loadBatches(ctx, tx, slices.Collect(maps.Keys(batchIDs)))
	if err != nil {
		return err
	}
	var dirtyPlaces, dirtyReds, dirtyBatches []string
	var lines [][]any
	claims := core.NewCopyWriter(3)
	for _, ev := range events {
		switch e := ev.Data.(type) {
		case domain.PlaceRegistered:
			p := places[e.PlaceID]
			if p == nil {
				p = &placeRow{id: e.PlaceID, label: string(domain.LabelNone)}
				places[e.PlaceID] = p
			}
			p.name, p.siret, p.territory = e.Name, e.SIRET, e.Territory
			dirtyPlaces = append(dirtyPlaces, e.PlaceID)
		case domain.PlaceLabelChanged:
			p := places[e.PlaceID]
			if p == nil {
				p = &placeRow{id: e.PlaceID}
				places[e.PlaceID] = p
			}
			p.label, p.labelOn = labelStatus(e.Action), e.EffectiveOn
			dirtyPlaces = append(dirtyPlaces, e.PlaceID)
		case domain.PlaceBankAccountSet:
			p := places[e.PlaceID]
			if p == nil {
				p = &placeRow{id: e.PlaceID, label: string(domain.LabelNone)}
				places[e.PlaceID] = p
			}
			p.iban, p.bic, p.holder = e.IBAN, e.BIC, e.Holder
			dirtyPlaces = append(dirtyPlaces, e.PlaceID)
		case domain.ChequeRedeemed:
			reds[e.RedemptionID] = &redemptionRow{id: e.RedemptionID, place: e.PlaceID, serial: e.Serial,
				programme: e.ProgrammeID, session: e.SessionDate, redeemedAt: e.RedeemedAt, amount: core.CentsOf(e.Amount), position: ev.Position}
			dirtyReds = append(dirtyReds, e.RedemptionID)
		case domain.RedemptionReversed:
			r := reds[e.RedemptionID]
			if r == nil {
				return fmt.Errorf("places: reversal at position %d of unknown redemption %s", ev.Position, e.RedemptionID)
			}
			r.reversedAt = e.ReversedAt
			dirtyReds = append(dirtyReds, e.RedemptionID)
		case domain.ChequeReimbursementClaimed:
			claims.Row()
			claims.Text(e.RedemptionID)
			claims.Text(e.BatchID)
			claims.Time(e.ClaimedAt)
		case domain.ReimbursementBatchCreated:
			batches[e.BatchID] = &batchRow{id: e.BatchID, cutOff: e.CutOff, createdAt: e.CreatedAt}
			dirtyBatches = append(dirtyBatches, e.BatchID)
			for _, l := range e.Lines {
				lines = append(lines, []any{e.BatchID, l.PlaceID, core.CentsOf(l.Amount), int32(l.Count)})
			}
		case domain.ReimbursementBatchPaid:
			b := batches[e.BatchID]
			if b == nil {
				return fmt.Errorf("places: payment at position %d of unknown batch %s", ev.Position, e.BatchID)
			}
			b.paidOn, b.bankRef = e.PaidOn, e.BankReference
			dirtyBatches = append(dirtyBatches, e.BatchID)
		}
	}
	b := &pgx.Batch{}
	if ids := core.Unique(dirtyPlaces); len(ids) > 0 {
		n := len(ids)
		id, name, siret, territory, label := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		iban, bic, holder := make([]string, n), make([]string, n), make([]string, n)
		on := make([]pgtype.Date, n)
		for i, k := range ids {
			p := places[k]
			id[i], name[i], siret[i], territory[i], label[i], on[i] = p.id, p.name, p.siret, p.territory, p.label, core.PgDate(p.labelOn)
			iban[i], bic[i], holder[i] = p.iban, p.bic, p.holder
		}
		b.Queue(`INSERT INTO place_info (place_id, name, siret, territory, label_status, label_effective_on, iban, bic, bank_holder)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::date[], $7::text[], $8::text[], $9::text[])
ON CONFLICT (place_id) DO UPDATE SET name = EXCLUDED.name, siret = EXCLUDED.siret, territory = EXCLUDED.territory,
  label_status = EXCLUDED.label_status, label_effective_on = EXCLUDED.label_effective_on,
  iban = EXCLUDED.iban, bic = EXCLUDED.bic, bank_holder = EXCLUDED.bank_holder`, id, name, siret, territory, label, on, iban, bic, holder)
	}
	var newReds, oldReds []string
	for _, id := range core.Unique(dirtyReds) {
		if reds[id].stored {
			oldReds = append(oldReds, id)
		} else {
			newReds = append(newReds, id)
		}
	}
	if ids := oldReds; len(ids) > 0 {
		n := len(ids)
		id, place, serial, programme := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		session := make([]pgtype.Date, n)
		redeemed, reversed := make([]pgtype.Timestamptz, n), make([]pgtype.Timestamptz, n)
		amount, position := make([]int64, n), make([]int64, n)
		for i, k := range ids {
			r := reds[k]
			id[i], place[i], serial[i], programme[i] = r.id, r.place, r.serial, r.programme
			session[i], redeemed[i], reversed[i] = core.PgDate(r.session), core.PgTime(r.redeemedAt), core.PgTime(r.reversedAt)
			amount[i], position[i] = r.amount, r.position
		}
		b.Queue(`INSERT INTO place_redemptions (redemption_id, place_id, serial, programme_id, session_date, redeemed_at, amount,
reversed_at, position)
SELECT id, pl, s, p, sd, ra, a::numeric / 100, rv, pos
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::timestamptz[], $7::bigint[],
            $8::timestamptz[], $9::bigint[]) AS u(id, pl, s, p, sd, ra, a, rv, pos)
ON CONFLICT (redemption_id) DO UPDATE SET reversed_at = EXCLUDED.reversed_at`,
			id, place, serial, programme, session, redeemed, amount, reversed, position)
	}
	if ids := core.Unique(dirtyBatches); len(ids) > 0 {
		n := len(ids)
		id, ref := make([]string, n), make([]string, n)
		cut, paid := make([]pgtype.Date, n), make([]pgtype.Date, n)
		created := make([]pgtype.Timestamptz, n)
		for i, k := range ids {
			r := batches[k]
			id[i], ref[i], cut[i], paid[i], created[i] = r.id, r.bankRef, core.PgDate(r.cutOff), core.PgDate(r.paidOn), core.PgTime(r.createdAt)
		}
		b.Queue(`INSERT INTO place_batches (batch_id, cut_off, created_at, paid_on, bank_reference)
SELECT * FROM unnest($1::text[], $2::date[], $3::timestamptz[], $4::date[], $5::text[])
ON CONFLICT (batch_id) DO UPDATE SET paid_on = EXCLUDED.paid_on, bank_reference = EXCLUDED.bank_reference`, id, cut, created, paid, ref)
	}
	if n := len(lines); n > 0 {
		bs, ps, as, cs := make([]string, n), make([]string, n), make([]int64, n), make([]int32, n)
		for i, l := range lines {
			bs[i], ps[i], as[i], cs[i] = l[0].(string), l[1].(string), l[2].(int64), l[3].(int32)
		}
		b.Queue(`INSERT INTO place_batch_lines (batch_id, place_id, amount, count)
SELECT b, p, a::numeric / 100, c FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) AS u(b, p, a, c)
ON CONFLICT DO NOTHING`, bs, ps, as, cs)
	}
	if err := core.SendBatch(ctx, tx, b); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	w := core.NewCopyWriter(9)
	for _, id := range newReds {
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
	if err := w.Send(ctx, tx, "place_redemptions", []string{"redemption_id", "place_id", "serial",
		"programme_id", "session_date", "redeemed_at", "amount", "reversed_at", "position"}); err != nil {
		return fmt.Errorf("places: %w", err)
	}
	return claims.Send(ctx, tx, "place_claims", []string{"redemption_id", "batch_id", "claimed_at"})
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

func loadPlaces(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*placeRow, error) {
	out := map[string]*placeRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT place_id, name, siret, territory, label_status, label_effective_on, iban, bic, bank_holder
FROM unnest($1::text[]) AS k(id) JOIN place_info ON place_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p placeRow
		if err := rows.Scan(&p.id, &p.name, &p.siret, &p.territory, &p.label, core.ScanDate(&p.labelOn), &p.iban, &p.bic, &p.holder); err != nil {
			return nil, err
		}
		out[p.id] = &p
	}
	return out, rows.Err()
}

func loadRedemptions(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*redemptionRow, error) {
	out := map[string]*redemptionRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT redemption_id, place_id, serial, programme_id, session_date, redeemed_at, amount,
reversed_at, position FROM unnest($1::text[]) AS k(id) JOIN place_redemptions ON redemption_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r redemptionRow
		var amount domain.Money
		var reversed pgtype.Timestamptz
		if err := rows.Scan(&r.id, &r.place, &r.serial, &r.programme, core.ScanDate(&r.session), &r.redeemedAt,
			core.ScanMoney(&amount), &reversed, &r.position); err != nil {
			return nil, err
		}
		r.amount, r.reversedAt, r.stored = core.CentsOf(amount), core.TimeOf(reversed), true
		out[r.id] = &r
	}
	return out, rows.Err()
}

func loadBatches(ctx context.Context, tx pgx.Tx, ids []string) (map[string]*batchRow, error) {
	out := map[string]*batchRow{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT batch_id, cut_off, created_at, paid_on, bank_reference
FROM unnest($1::text[]) AS k(id) JOIN place_batches ON batch_id = k.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("places: load: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b batchRow
		if err := rows.Scan(&b.id, core.ScanDate(&b.cutOff), &b.createdAt, core.ScanDate(&b.paidOn), &b.bankRef); err != nil {
			return nil, err
		}
		out[b.id] = &b
	}
	return out, rows.Err()
}
