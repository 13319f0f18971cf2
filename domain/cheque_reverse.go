package domain

import (
	"fmt"
	"time"
)

// ReversalWindow is how long after a redemption the redeeming place may
// reverse it (SPEC §3: 48 hours), measured between RedeemedAt and the
// reversal's Now, inclusive.
const ReversalWindow = 48 * time.Hour

// ReverseRedemptionCommand is a place's request to reverse its redemption of
// a cheque made by mistake.
type ReverseRedemptionCommand struct {
	Serial string
	// RedemptionID, if set, names the redemption to reverse; it must be the
	// cheque's current one. Empty means the current one.
	RedemptionID string
	// PlaceID is the acting place.
	PlaceID string
	// Reason is optional free text (at most MaxNameLength characters).
	Reason string
	Now    time.Time
}

// ReverseRedemption decides a reversal and returns a RedemptionReversed for
// ChequeStream(cmd.Serial); the cheque becomes redeemable again. programme is
// the state of the redemption's programme: if it is already closed (a
// redemption made on the last day, reversed after the close), the cheque
// cannot be redeemed any more, so a ChequeExpired follows the reversal in
// the same result, returning its value to the funders with the redemption's
// attribution, dated Now.
//
// Rules: the cheque is redeemed (ErrChequeNotRedeemed; if the named or last
// redemption was already reversed, ErrRedemptionAlreadyReversed); the named
// redemption is the current one (ErrNotFound otherwise); the acting place is
// the redeeming place (ErrNotYourRedemption); no reimbursement batch has
// claimed it (ErrRedemptionAlreadyBatched); Now is at most ReversalWindow
// after RedeemedAt (ErrReversalWindowClosed).
func ReverseRedemption(cmd ReverseRedemptionCommand, cheque ChequeState, programme ProgrammeState) ([]Event, error) {
	if _, _, err := ParseSerial(cmd.Serial); err != nil {
		return nil, err
	}
	if cheque.Serial != "" && cheque.Serial != cmd.Serial {
		return nil, invalid("cheque state is for %q, not %q", cheque.Serial, cmd.Serial)
	}
	if err := checkID("place_id", cmd.PlaceID); err != nil {
		return nil, err
	}
	if cmd.RedemptionID != "" {
		if err := checkID("redemption_id", cmd.RedemptionID); err != nil {
			return nil, err
		}
	}
	if !cheque.Redeemed {
		n := len(cheque.ReversedRedemptionIDs)
		if (cmd.RedemptionID == "" && n > 0) || (cmd.RedemptionID != "" && cheque.wasReversed(cmd.RedemptionID)) {
			return nil, fmt.Errorf("%w: cheque %s", ErrRedemptionAlreadyReversed, cmd.Serial)
		}
		return nil, fmt.Errorf("%w: %s", ErrChequeNotRedeemed, cmd.Serial)
	}
	r := cheque.Redemption
	if cmd.RedemptionID != "" && cmd.RedemptionID != r.RedemptionID {
		if cheque.wasReversed(cmd.RedemptionID) {
			return nil, fmt.Errorf("%w: redemption %s", ErrRedemptionAlreadyReversed, cmd.RedemptionID)
		}
		return nil, fmt.Errorf("%w: redemption %s of cheque %s", ErrNotFound, cmd.RedemptionID, cmd.Serial)
	}
	if r.PlaceID != cmd.PlaceID {
		return nil, fmt.Errorf("%w: cheque %s", ErrNotYourRedemption, cmd.Serial)
	}
	if cheque.Claimed {
		return nil, fmt.Errorf("%w: batch %s", ErrRedemptionAlreadyBatched, cheque.BatchID)
	}
	if err := checkText("reason", cmd.Reason, false, MaxNameLength); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if now.Sub(r.RedeemedAt) > ReversalWindow {
		return nil, fmt.Errorf("%w: redeemed at %s", ErrReversalWindowClosed, r.RedeemedAt.Format(time.RFC3339))
	}
	if err := checkProgramme(r.ProgrammeID, programme); err != nil {
		return nil, err
	}
	evs := []Event{RedemptionReversed{
		RedemptionID: r.RedemptionID, Serial: r.Serial, CarnetID: r.CarnetID, ProgrammeID: r.ProgrammeID,
		PlaceID: r.PlaceID, PlaceTerritory: r.PlaceTerritory, ProgrammeTerritory: r.ProgrammeTerritory,
		SessionDate: r.SessionDate, Amount: r.Amount, Fee: r.Fee,
		Reason: trimSpace(cmd.Reason), ReversedAt: now,
	}}
	if programme.Closed {
		evs = append(evs, ChequeExpired{
			Serial: r.Serial, CarnetID: r.CarnetID, ProgrammeID: r.ProgrammeID, Amount: r.Amount,
			ExpiredOn: DateOf(now), ExpiredAt: now,
		})
	}
	return evs, nil
}
