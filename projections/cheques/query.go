package cheques

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections/core"
)

// State is the status of one cheque and its history, as Cheque returns it.
type State struct {
	Serial       string       `json:"serial"`
	CarnetID     string       `json:"carnet_id"`
	ProgrammeID  string       `json:"programme_id"`
	PrescriberID string       `json:"prescriber_id"`
	FaceValue    domain.Money `json:"face_value"`
	// Status is one of the Status* constants.
	Status string `json:"status" enum:"ChequeStatus"`
	// Redeemable says a place may redeem it now as far as its own history goes
	// (issued or reversed; the programme's validity is checked by the write side).
	Redeemable bool `json:"redeemable"`
	// CarnetStatus is in_stock, issued or cancelled.
	CarnetStatus string `json:"carnet_status" enum:"CarnetStatus"`
	// Territory and NeedLevel are the carnet's, once issued.
	Territory string `json:"territory,omitempty"`
	NeedLevel string `json:"need_level,omitempty" enum:"NeedLevel"`
	// Redemption is the standing redemption (Status redeemed), if any.
	Redemption *Redemption `json:"redemption,omitempty"`
	// Reimbursement is "", claimed (in a batch) or paid; BatchID and PaidOn say
	// which batch and when it was paid.
	Reimbursement string       `json:"reimbursement,omitempty" enum:"ReimbursementStatus"`
	BatchID       string       `json:"batch_id,omitempty"`
	PaidOn        *domain.Date `json:"paid_on,omitempty"`
	// Reversals counts the redemptions of this cheque that were reversed.
	Reversals int `json:"reversals"`
	// ClosedOn is when it expired or was blocked.
	ClosedOn *domain.Date `json:"closed_on,omitempty"`
	// History lists the events of its carnet and of the cheque, in log order, as
	// the event store holds them (the cheque's stream is its history).
	History []HistoryEntry `json:"history"`
}

// Redemption is a standing redemption of a cheque.
type Redemption struct {
	RedemptionID   string       `json:"redemption_id"`
	PlaceID        string       `json:"place_id"`
	PlaceTerritory string       `json:"place_territory"`
	SessionDate    domain.Date  `json:"session_date"`
	RedeemedAt     time.Time    `json:"redeemed_at"`
	Amount         domain.Money `json:"amount"`
}

// HistoryEntry is one event in a cheque's life.
type HistoryEntry struct {
	Position     int64         `json:"position"`
	Event        string        `json:"event" enum:"EventType"`
	At           time.Time     `json:"at"`
	RedemptionID string        `json:"redemption_id,omitempty"`
	PlaceID      string        `json:"place_id,omitempty"`
	BatchID      string        `json:"batch_id,omitempty"`
	Amount       *domain.Money `json:"amount,omitempty"`
	Detail       string        `json:"detail,omitempty" pattern:"-"`
}

// Cheque returns the status and history of the cheque with this canonical serial
// (domain.NormalizeSerial typed input first). A malformed serial, or one whose
// carnet this projection has not seen (or whose index is beyond the carnet's size),
// gives core.ErrNotFound. The status comes from the projection's tables (q), the
// history from the cheque's and its carnet's streams in store.
func Cheque(ctx context.Context, q core.Querier, store *eventstore.Store, serial string) (State, error) {
	carnetID, index, err := domain.ParseSerial(serial)
	if err != nil {
		return State{}, fmt.Errorf("%w: cheque %q", core.ErrNotFound, serial)
	}
	c := State{Serial: serial, CarnetID: carnetID}
	var issuedAt, cancelledAt pgtype.Timestamptz
	var count int
	var programmeClosed domain.Date
	err = q.QueryRow(ctx, `SELECT k.programme_id, k.prescriber_id, k.cheque_count, k.cheque_value, k.status, k.territory, k.need_level,
k.issued_at, k.cancelled_at, p.closed_on
FROM cheque_carnets k LEFT JOIN cheque_programmes p USING (programme_id) WHERE k.carnet_id = $1`, carnetID).Scan(
		&c.ProgrammeID, &c.PrescriberID, &count, core.ScanMoney(&c.FaceValue), &c.CarnetStatus, &c.Territory, &c.NeedLevel,
		&issuedAt, &cancelledAt, core.ScanDate(&programmeClosed))
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && index > count) {
		return State{}, fmt.Errorf("%w: cheque %s", core.ErrNotFound, serial)
	}
	if err != nil {
		return State{}, fmt.Errorf("cheques: %w", err)
	}
	// A cheque never redeemed: its carnet and programme say where it stands.
	switch {
	case c.CarnetStatus == CarnetCancelled:
		c.Status = StatusBlocked
		if d := domain.DateOf(core.TimeOf(cancelledAt)); cancelledAt.Valid {
			c.ClosedOn = &d
		}
	case !programmeClosed.IsZero():
		c.Status, c.ClosedOn = StatusExpired, &programmeClosed
	case c.CarnetStatus == CarnetIssued:
		c.Status = StatusIssued
	default:
		c.Status = StatusInStock
	}
	var (
		status, redemption, place, placeT, batch string
		session, closed, paidOn                  domain.Date
		redeemedAt                               pgtype.Timestamptz
		amount                                   domain.Money
	)
	err = q.QueryRow(ctx, `SELECT c.status, c.redemption_id, c.place_id, c.place_territory, c.session_date, c.redeemed_at,
c.amount, coalesce(k.batch_id, ''), c.reversals, c.closed_on, b.paid_on
FROM cheques c
LEFT JOIN cheque_claims k ON k.redemption_id = c.redemption_id AND c.status = 'redeemed'
LEFT JOIN cheque_batches b ON b.batch_id = k.batch_id
WHERE c.serial = $1`, serial).Scan(&status, &redemption, &place, &placeT, core.ScanDate(&session), &redeemedAt,
		core.ScanMoney(&amount), &batch, &c.Reversals, core.ScanDate(&closed), core.ScanDate(&paidOn))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return State{}, fmt.Errorf("cheques: %w", err)
	default:
		c.Status = status
		if status == StatusRedeemed {
			c.Redemption = &Redemption{RedemptionID: redemption, PlaceID: place, PlaceTerritory: placeT,
				SessionDate: session, RedeemedAt: core.TimeOf(redeemedAt), Amount: amount}
			if batch != "" {
				c.BatchID, c.Reimbursement = batch, ReimbursementClaimed
				if !paidOn.IsZero() {
					c.Reimbursement, c.PaidOn = ReimbursementPaid, &paidOn
				}
			}
		}
		c.ClosedOn = nil
		if !closed.IsZero() {
			c.ClosedOn = &closed
		}
	}
	c.Redeemable = c.Status == StatusIssued || (c.Status == StatusReversed && c.CarnetStatus == CarnetIssued)
	if c.History, err = history(ctx, q, store, serial, carnetID); err != nil {
		return State{}, err
	}
	return c, nil
}

// history reads the cheque's stream and its carnet's from the event store, in
// reading order, up to the projection's checkpoint so that it agrees with the
// status.
func history(ctx context.Context, q core.Querier, store *eventstore.Store, serial, carnetID string) ([]HistoryEntry, error) {
	cp, err := core.CheckpointOf(ctx, q, Name)
	if err != nil {
		return nil, err
	}
	streams, err := store.ReadStreams(ctx, []string{domain.ChequeStream(serial), domain.CarnetStream(carnetID)})
	if err != nil {
		return nil, fmt.Errorf("cheques: history: %w", err)
	}
	var recs []eventstore.RecordedEvent
	for _, evs := range streams {
		for _, e := range evs {
			if !cp.Less(e.Cursor()) {
				recs = append(recs, e)
			}
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Cursor().Less(recs[j].Cursor()) })
	out := []HistoryEntry{}
	for _, r := range recs {
		h := HistoryEntry{Position: r.Position, Event: r.Type}
		ev, err := domain.DecodeEvent(r.Type, r.Payload)
		if err != nil {
			return nil, fmt.Errorf("cheques: history at position %d: %w", h.Position, err)
		}
		money := func(m domain.Money) *domain.Money { return &m }
		switch e := ev.(type) {
		case domain.CarnetMinted:
			h.At, h.Detail = e.MintedAt, "prescriber "+e.PrescriberID
		case domain.CarnetIssued:
			h.At, h.Detail = e.IssuedAt, "need level "+string(e.NeedLevel)
		case domain.CarnetCancelled:
			h.At, h.Detail = e.CancelledAt, "reason "+string(e.Reason)
		case domain.ChequeRedeemed:
			h.At, h.RedemptionID, h.PlaceID, h.Amount = e.RedeemedAt, e.RedemptionID, e.PlaceID, money(e.Amount)
			h.Detail = "session " + e.SessionDate.String()
		case domain.RedemptionReversed:
			h.At, h.RedemptionID, h.PlaceID, h.Amount, h.Detail = e.ReversedAt, e.RedemptionID, e.PlaceID, money(e.Amount), e.Reason
		case domain.ChequeReimbursementClaimed:
			h.At, h.RedemptionID, h.PlaceID, h.BatchID, h.Amount = e.ClaimedAt, e.RedemptionID, e.PlaceID, e.BatchID, money(e.Amount)
		case domain.ChequeExpired:
			h.At, h.Amount, h.Detail = e.ExpiredAt, money(e.Amount), "expired on "+e.ExpiredOn.String()
		case domain.ChequeBlocked:
			h.At, h.Amount, h.Detail = e.BlockedAt, money(e.Amount), "reason "+string(e.Reason)
		default:
			continue
		}
		h.At = h.At.UTC()
		out = append(out, h)
	}
	return out, nil
}

// UnclaimedRedemptions returns, sorted, the serials of the cheques whose standing
// redemption no reimbursement batch has claimed yet and that were redeemed on or
// before cutOff (the UTC date of RedeemedAt, as domain.CreateReimbursementBatch
// counts it): the candidates of a reimbursement batch. The caller loads their
// streams (for the expected versions) and lets the domain decide.
func UnclaimedRedemptions(ctx context.Context, q core.Querier, cutOff domain.Date) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT c.serial FROM cheques c
WHERE c.status = 'redeemed' AND c.redeemed_at < $1
  AND NOT EXISTS (SELECT 1 FROM cheque_claims k WHERE k.redemption_id = c.redemption_id)
ORDER BY c.serial`, cutOff.AddDays(1).Time())
	if err != nil {
		return nil, fmt.Errorf("cheques: unclaimed: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// CountByStatus returns how many cheques have each status (statuses with none are
// left out), over the carnets this projection knows (untouched cheques counted from
// their carnet's status).
func CountByStatus(ctx context.Context, q core.Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, `
SELECT status, count(*) FROM cheques GROUP BY status
UNION ALL
SELECT CASE WHEN k.status = 'cancelled' THEN 'blocked' WHEN p.closed_on IS NOT NULL THEN 'expired' ELSE k.status END,
       sum(k.cheque_count - coalesce(t.n, 0))
FROM cheque_carnets k
LEFT JOIN cheque_programmes p USING (programme_id)
LEFT JOIN (SELECT carnet_id, count(*) AS n FROM cheques GROUP BY carnet_id) t USING (carnet_id)
GROUP BY 1`)
	if err != nil {
		return nil, fmt.Errorf("cheques: count: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		if n > 0 {
			out[s] += n
		}
	}
	return out, rows.Err()
}
