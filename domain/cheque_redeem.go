package domain

import (
	"fmt"
	"time"
)

// MaxServiceLength bounds the description of a redeemed session's service.
const MaxServiceLength = 100

// RedeemChequeCommand is a place's request to redeem a cheque.
type RedeemChequeCommand struct {
	// Serial is the canonical serial (NormalizeSerial typed input first).
	Serial string
	// CheckCode is the 6-digit code printed beside the serial.
	CheckCode string
	// PlaceID is the acting place (from the caller's token).
	PlaceID string
	// SessionDate is the date of the mediation session the cheque pays for.
	SessionDate Date
	// Service describes the session (e.g. "atelier smartphone",
	// "accompagnement démarches en ligne"): free text, 1 to
	// MaxServiceLength characters, no personal data.
	Service string
	// RedemptionID is the new redemption's id, made by the caller.
	RedemptionID string
	// Now is the moment of the redemption; its date (in Now's location,
	// normally UTC) is "today" for ErrSessionInFuture.
	Now time.Time
}

// RedeemCheque decides a redemption and returns a ChequeRedeemed for
// ChequeStream(cmd.Serial). It reads the cheque, its carnet (CarnetStream of
// the serial's carnet id), its programme and the acting place, but writes
// only the cheque stream, so two redemptions of one cheque conflict on the
// stream version and exactly one wins; the loser, deciding again, gets
// ErrChequeAlreadyRedeemed.
//
// Rules, checked in this order:
//   - the serial is well formed with valid check digits, and its index
//     exists in its carnet (ErrInvalidSerial);
//   - checkKey is a real key (ErrMissingKey) and the check code matches
//     (ErrInvalidCheckCode), before any state is looked at, so an unknown
//     serial cannot be told from a wrong code;
//   - the carnet is minted (ErrNotFound);
//   - the cheque is not blocked and its carnet not cancelled
//     (ErrChequeBlocked), not expired (ErrChequeExpired), not redeemed
//     (ErrChequeAlreadyRedeemed; after a reversal it is redeemable again);
//   - the carnet was issued to a beneficiary (ErrCarnetNotIssued);
//   - the programme is not closed (ErrProgrammeClosed);
//   - the command is well formed (ErrInvalidArgument: ids, service, dates);
//   - ValidFrom <= session date <= ValidUntil + GraceDays, and today is not
//     after ValidUntil + GraceDays either (ErrOutsideValidity);
//   - the session date is not after today (ErrSessionInFuture);
//   - the place is registered (ErrNotFound), its label is active on the
//     session date (ErrPlaceNotLabelled), and it lies in the programme's
//     territory unless the programme allows otherwise
//     (ErrPlaceOutsideTerritory).
//
// The amount is the carnet's cheque value and the fee is
// ProgrammeState.FeeFor(amount); neither is attributed to funders here (see
// AttributeProgramme).
func RedeemCheque(cmd RedeemChequeCommand, cheque ChequeState, carnet CarnetState, programme ProgrammeState, place PlaceState, checkKey []byte) ([]Event, error) {
	carnetID, index, err := ParseSerial(cmd.Serial)
	if err != nil {
		return nil, err
	}
	if err := VerifyCheckCode(checkKey, cmd.Serial, cmd.CheckCode); err != nil {
		return nil, err
	}
	if !carnet.Minted {
		return nil, fmt.Errorf("%w: cheque %s", ErrNotFound, cmd.Serial)
	}
	if carnet.CarnetID != carnetID {
		return nil, invalid("carnet state is for %q, not %q", carnet.CarnetID, carnetID)
	}
	if cheque.Serial != "" && cheque.Serial != cmd.Serial {
		return nil, invalid("cheque state is for %q, not %q", cheque.Serial, cmd.Serial)
	}
	if index > len(carnet.Serials) {
		return nil, fmt.Errorf("%w: carnet %s has %d cheques", ErrInvalidSerial, carnetID, len(carnet.Serials))
	}
	switch {
	case cheque.Blocked || carnet.Cancelled:
		return nil, fmt.Errorf("%w: carnet %s was cancelled", ErrChequeBlocked, carnetID)
	case cheque.Expired:
		return nil, fmt.Errorf("%w: %s", ErrChequeExpired, cmd.Serial)
	case cheque.Redeemed:
		return nil, fmt.Errorf("%w: %s by redemption %s", ErrChequeAlreadyRedeemed, cmd.Serial, cheque.Redemption.RedemptionID)
	case !carnet.Issued:
		return nil, fmt.Errorf("%w: carnet %s", ErrCarnetNotIssued, carnetID)
	}
	if err := checkProgramme(carnet.ProgrammeID, programme); err != nil {
		return nil, err
	}
	if programme.Closed {
		return nil, fmt.Errorf("%w: programme %s", ErrProgrammeClosed, programme.ProgrammeID)
	}
	if err := checkID("redemption_id", cmd.RedemptionID); err != nil {
		return nil, err
	}
	if cheque.wasReversed(cmd.RedemptionID) {
		return nil, fmt.Errorf("%w: redemption %s was used and reversed", ErrAlreadyExists, cmd.RedemptionID)
	}
	if err := checkID("place_id", cmd.PlaceID); err != nil {
		return nil, err
	}
	if err := checkText("service", cmd.Service, true, MaxServiceLength); err != nil {
		return nil, err
	}
	if err := requireDate("session_date", cmd.SessionDate); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	today := DateOf(cmd.Now)
	last := programme.LastRedeemableDay()
	if cmd.SessionDate.Before(programme.ValidFrom) || cmd.SessionDate.After(last) {
		return nil, fmt.Errorf("%w: session %s not in [%s, %s]", ErrOutsideValidity, cmd.SessionDate, programme.ValidFrom, last)
	}
	if today.After(last) {
		return nil, fmt.Errorf("%w: redemptions ended on %s", ErrOutsideValidity, last)
	}
	if cmd.SessionDate.After(today) {
		return nil, fmt.Errorf("%w: session %s is after today %s", ErrSessionInFuture, cmd.SessionDate, today)
	}
	if !place.Registered {
		return nil, fmt.Errorf("%w: place %s", ErrNotFound, cmd.PlaceID)
	}
	if place.PlaceID != cmd.PlaceID {
		return nil, invalid("place state is for %q, not %q", place.PlaceID, cmd.PlaceID)
	}
	if !place.LabelActiveOn(cmd.SessionDate) {
		return nil, fmt.Errorf("%w: place %s on %s (%s)", ErrPlaceNotLabelled, place.PlaceID, cmd.SessionDate, place.LabelStatusOn(cmd.SessionDate))
	}
	if place.Territory != programme.Territory && !programme.AllowOutsideTerritory {
		return nil, fmt.Errorf("%w: place in %s, programme in %s", ErrPlaceOutsideTerritory, place.Territory, programme.Territory)
	}
	amount := carnet.ChequeValue
	fee := programme.FeeFor(amount)
	return []Event{ChequeRedeemed{
		RedemptionID: cmd.RedemptionID, Serial: cmd.Serial, CarnetID: carnetID,
		ProgrammeID: programme.ProgrammeID, PlaceID: place.PlaceID,
		PlaceTerritory: place.Territory, ProgrammeTerritory: programme.Territory,
		SessionDate: cmd.SessionDate, Service: trimSpace(cmd.Service), Amount: amount,
		RedeemedAt: now, Fee: fee,
	}}, nil
}
