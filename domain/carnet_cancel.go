package domain

import (
	"fmt"
	"time"
)

// CancelReason says why a carnet was cancelled.
type CancelReason string

// The cancellation reasons.
const (
	CancelLost   CancelReason = "lost"
	CancelStolen CancelReason = "stolen"
	CancelOther  CancelReason = "other"
)

// CancelReasons lists every valid CancelReason.
var CancelReasons = []CancelReason{CancelLost, CancelStolen, CancelOther}

// Valid reports whether r is one of CancelReasons (lost, stolen or other).
func (r CancelReason) Valid() bool { return oneOf(r, CancelReasons) }

// CarnetCancelled records that a carnet was cancelled (lost, stolen, other)
// by its prescriber, issued or not; BlockedSerials are its cheques that were
// unredeemed then and got a ChequeBlocked in the same atomic append.
// Stream: CarnetStream(CarnetID). No postings (each ChequeBlocked posts).
type CarnetCancelled struct {
	CarnetID       string       `json:"carnet_id"`
	ProgrammeID    string       `json:"programme_id"`
	PrescriberID   string       `json:"prescriber_id"`
	Reason         CancelReason `json:"reason"`
	BlockedSerials []string     `json:"blocked_serials"`
	CancelledAt    time.Time    `json:"cancelled_at"`
}

// EventType returns "CarnetCancelled".
func (CarnetCancelled) EventType() string { return "CarnetCancelled" }

// CancelCarnetCommand cancels a carnet.
type CancelCarnetCommand struct {
	CarnetID string
	// PrescriberID is the acting prescriber.
	PrescriberID string
	Reason       CancelReason
	Now          time.Time
}

// CancelCarnet decides a cancellation. It returns a Change for
// CarnetStream(cmd.CarnetID) with a CarnetCancelled, then, for each of the
// carnet's cheques that is unredeemed (ChequeState.Unredeemed), in serial
// order, a Change for ChequeStream(serial) with a ChequeBlocked whose value
// returns to the funders. cheques are the states of the carnet's cheque
// streams; a serial without a state is taken as never touched, so the caller
// must append each cheque stream with the version it read ("no stream" for
// one it found empty): a concurrent redemption then makes the append fail.
//
// Rules: the carnet is minted (ErrNotFound), held by the acting prescriber
// (ErrNotYourCarnet), not already cancelled (ErrCarnetCancelled); the reason
// is lost, stolen or other (ErrInvalidArgument); the programme is not closed
// (ErrProgrammeClosed).
func CancelCarnet(cmd CancelCarnetCommand, carnet CarnetState, programme ProgrammeState, cheques []ChequeState) ([]Change, error) {
	if err := checkCarnet(cmd.CarnetID, carnet); err != nil {
		return nil, err
	}
	if err := checkID("prescriber_id", cmd.PrescriberID); err != nil {
		return nil, err
	}
	if carnet.PrescriberID != cmd.PrescriberID {
		return nil, fmt.Errorf("%w: carnet %s", ErrNotYourCarnet, carnet.CarnetID)
	}
	if carnet.Cancelled {
		return nil, fmt.Errorf("%w: carnet %s", ErrCarnetCancelled, carnet.CarnetID)
	}
	if !cmd.Reason.Valid() {
		return nil, invalid("cancel reason %q is not lost, stolen or other", cmd.Reason)
	}
	if err := checkProgramme(carnet.ProgrammeID, programme); err != nil {
		return nil, err
	}
	if programme.Closed {
		return nil, fmt.Errorf("%w: programme %s", ErrProgrammeClosed, programme.ProgrammeID)
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	states := chequeStatesBySerial(cheques)
	var blocked []Change
	serials := []string{}
	for _, serial := range carnet.Serials {
		if !states[serial].Unredeemed() {
			continue
		}
		serials = append(serials, serial)
		blocked = append(blocked, Change{Stream: ChequeStream(serial), Events: []Event{ChequeBlocked{
			Serial: serial, CarnetID: carnet.CarnetID, ProgrammeID: programme.ProgrammeID,
			Reason: cmd.Reason, Amount: carnet.ChequeValue, BlockedAt: now,
		}}})
	}
	cancelled := Change{Stream: CarnetStream(carnet.CarnetID), Events: []Event{CarnetCancelled{
		CarnetID: carnet.CarnetID, ProgrammeID: programme.ProgrammeID, PrescriberID: cmd.PrescriberID,
		Reason: cmd.Reason, BlockedSerials: serials, CancelledAt: now,
	}}}
	return append([]Change{cancelled}, blocked...), nil
}
