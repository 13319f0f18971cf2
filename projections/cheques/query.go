package cheques

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"

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
	db := core.ReadOnly(q)
	k, err := queries.Carnet(ctx, db, carnetID)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && index > int(k.ChequeCount)) {
		return State{}, fmt.Errorf("%w: cheque %s", core.ErrNotFound, serial)
	}
	if err != nil {
		return State{}, fmt.Errorf("cheques: %w", err)
	}
	c.ProgrammeID, c.PrescriberID, c.CarnetStatus, c.Territory, c.NeedLevel = k.ProgrammeID, k.PrescriberID, k.Status, k.Territory, k.NeedLevel
	if c.FaceValue, err = core.MoneyOf(k.ChequeValue); err != nil {
		return State{}, fmt.Errorf("cheques: %w", err)
	}
	programmeClosed := core.DateOf(k.ClosedOn)
	// A cheque never redeemed: its carnet and programme say where it stands.
	switch {
	case c.CarnetStatus == CarnetCancelled:
		c.Status = StatusBlocked
		if d := domain.DateOf(core.TimeOf(k.CancelledAt)); k.CancelledAt.Valid {
			c.ClosedOn = &d
		}
	case !programmeClosed.IsZero():
		c.Status, c.ClosedOn = StatusExpired, &programmeClosed
	case c.CarnetStatus == CarnetIssued:
		c.Status = StatusIssued
	default:
		c.Status = StatusInStock
	}
	r, err := queries.Cheque(ctx, db, serial)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return State{}, fmt.Errorf("cheques: %w", err)
	default:
		amount, err := core.MoneyOf(r.Amount)
		if err != nil {
			return State{}, fmt.Errorf("cheques: %w", err)
		}
		c.Status, c.Reversals = r.Status, int(r.Reversals)
		if r.Status == StatusRedeemed {
			c.Redemption = &Redemption{RedemptionID: r.RedemptionID, PlaceID: r.PlaceID, PlaceTerritory: r.PlaceTerritory,
				SessionDate: core.DateOf(r.SessionDate), RedeemedAt: core.TimeOf(r.RedeemedAt), Amount: amount}
			if r.BatchID != "" {
				c.BatchID, c.Reimbursement = r.BatchID, ReimbursementClaimed
				if paidOn := core.DateOf(r.PaidOn); !paidOn.IsZero() {
					c.Reimbursement, c.PaidOn = ReimbursementPaid, &paidOn
				}
			}
		}
		c.ClosedOn = nil
		if closed := core.DateOf(r.ClosedOn); !closed.IsZero() {
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
		ev, err := domain.DecodeEvent(r.Type, r.Payload)
		if err != nil {
			return nil, fmt.Errorf("cheques: history at position %d: %w", r.Position, err)
		}
		h := historyEntry{HistoryEntry: HistoryEntry{Position: r.Position, Event: r.Type}}
		if err := historyHandlers.Handle(&h, core.Event{RecordedEvent: r, Data: ev}); err != nil {
			return nil, err
		}
		if h.kept {
			h.At = h.At.UTC()
			out = append(out, h.HistoryEntry)
		}
	}
	return out, nil
}

// UnclaimedRedemptions returns, sorted, the serials of the cheques whose standing
// redemption no reimbursement batch has claimed yet and that were redeemed on or
// before cutOff (the UTC date of RedeemedAt, as domain.CreateReimbursementBatch
// counts it): the candidates of a reimbursement batch. The caller loads their
// streams (for the expected versions) and lets the domain decide.
func UnclaimedRedemptions(ctx context.Context, q core.Querier, cutOff domain.Date) ([]string, error) {
	serials, err := queries.UnclaimedRedemptions(ctx, core.ReadOnly(q), core.PgTime(cutOff.AddDays(1).Time()))
	if err != nil {
		return nil, fmt.Errorf("cheques: unclaimed: %w", err)
	}
	return serials, nil
}

// CountByStatus returns how many cheques have each status (statuses with none are
// left out), over the carnets this projection knows (untouched cheques counted from
// their carnet's status).
func CountByStatus(ctx context.Context, q core.Querier) (map[string]int64, error) {
	rows, err := queries.CountByStatus(ctx, core.ReadOnly(q))
	if err != nil {
		return nil, fmt.Errorf("cheques: count: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		if r.Cheques > 0 {
			out[r.Status] += r.Cheques
		}
	}
	return out, nil
}

// historyEntry is one entry of a cheque's history being filled; kept says its
// event belongs in the history (it has a handler in historyHandlers).
type historyEntry struct {
	HistoryEntry
	kept bool
}

// historyHandlers fill a history entry from each event of a cheque's or its
// carnet's life that the history shows.
var historyHandlers = func() *core.Handlers[*historyEntry] {
	money := func(m domain.Money) *domain.Money { return &m }
	h := core.NewHandlers[*historyEntry]()
	core.On(h, func(h *historyEntry, _ core.Event, e domain.CarnetMinted) error {
		h.At, h.Detail, h.kept = e.MintedAt, "prescriber "+e.PrescriberID, true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.CarnetIssued) error {
		h.At, h.Detail, h.kept = e.IssuedAt, "need level "+string(e.NeedLevel), true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.CarnetCancelled) error {
		h.At, h.Detail, h.kept = e.CancelledAt, "reason "+string(e.Reason), true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.ChequeRedeemed) error {
		h.At, h.RedemptionID, h.PlaceID, h.Amount = e.RedeemedAt, e.RedemptionID, e.PlaceID, money(e.Amount)
		h.Detail, h.kept = "session "+e.SessionDate.String(), true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.RedemptionReversed) error {
		h.At, h.RedemptionID, h.PlaceID, h.Amount, h.Detail = e.ReversedAt, e.RedemptionID, e.PlaceID, money(e.Amount), e.Reason
		h.kept = true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.ChequeReimbursementClaimed) error {
		h.At, h.RedemptionID, h.PlaceID, h.BatchID, h.Amount = e.ClaimedAt, e.RedemptionID, e.PlaceID, e.BatchID, money(e.Amount)
		h.kept = true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.ChequeExpired) error {
		h.At, h.Amount, h.Detail, h.kept = e.ExpiredAt, money(e.Amount), "expired on "+e.ExpiredOn.String(), true
		return nil
	})
	core.On(h, func(h *historyEntry, _ core.Event, e domain.ChequeBlocked) error {
		h.At, h.Amount, h.Detail, h.kept = e.BlockedAt, money(e.Amount), "reason "+string(e.Reason), true
		return nil
	})
	return h
}()
