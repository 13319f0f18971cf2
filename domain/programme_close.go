package domain

import (
	"fmt"
	"time"
)

// ProgrammeClosed closes a programme after its validity window and grace
// period: its unredeemed cheques expire (one ChequeExpired each, appended in
// the same atomic append; ExpiredCount and ExpiredValue sum them up), and the
// funding that was never minted (Unminted) returns to the funders pro rata
// (attributed with the programme's other totals, AttributeProgramme: once
// closed, every funder's consumed part is exactly its funding line). Stream:
// ProgrammeStream(ProgrammeID).
//
// Postings: Dr programme:{P}:funding / Cr programme:{P}:returned for
// Unminted (the expiries post on their own).
type ProgrammeClosed struct {
	ProgrammeID  string    `json:"programme_id"`
	ClosedOn     Date      `json:"closed_on"`
	ExpiredCount int       `json:"expired_count"`
	ExpiredValue Money     `json:"expired_value"`
	Unminted     Money     `json:"unminted"`
	ClosedAt     time.Time `json:"closed_at"`
}

// EventType returns "ProgrammeClosed".
func (ProgrammeClosed) EventType() string { return "ProgrammeClosed" }

// CloseProgrammeCommand closes a programme.
type CloseProgrammeCommand struct {
	ProgrammeID string
	// AsOf is the closing date, after ValidUntil + GraceDays and not after
	// Now's date; it becomes the cheques' ExpiredOn.
	AsOf Date
	Now  time.Time
}

// CloseProgramme decides a programme's close. It returns a Change for
// ProgrammeStream with a ProgrammeClosed, then, for every minted cheque that
// is unredeemed, unexpired and unblocked (ChequeState.Unredeemed), carnet by
// carnet in minting order and cheque by cheque, a Change for
// ChequeStream(serial) with a ChequeExpired whose value returns to the
// funders (attributed as part of the programme's expired total,
// AttributeProgramme). cheques are
// the states of the programme's cheque streams that have events (redeemed,
// reversed, claimed, blocked); a serial without a state is a cheque never
// touched. The caller appends each cheque stream with the version it read
// ("no stream" when empty), so a late concurrent redemption makes the whole
// close fail and retry rather than expire a redeemed cheque.
//
// Rules: the programme exists (ErrNotFound) and is not closed
// (ErrProgrammeClosed); AsOf is after ValidUntil + GraceDays
// (ErrProgrammeStillValid) and not after Now's date (ErrDateInFuture).
func CloseProgramme(cmd CloseProgrammeCommand, programme ProgrammeState, cheques []ChequeState) ([]Change, error) {
	if err := checkProgramme(cmd.ProgrammeID, programme); err != nil {
		return nil, err
	}
	if programme.Closed {
		return nil, fmt.Errorf("%w: programme %s closed on %s", ErrProgrammeClosed, programme.ProgrammeID, programme.ClosedOn)
	}
	if err := requireDate("as_of", cmd.AsOf); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if last := programme.LastRedeemableDay(); !cmd.AsOf.After(last) {
		return nil, fmt.Errorf("%w: cheques may be redeemed until %s", ErrProgrammeStillValid, last)
	}
	if err := notAfterToday("as_of", cmd.AsOf, cmd.Now); err != nil {
		return nil, err
	}
	states := chequeStatesBySerial(cheques)
	var (
		expired []Change
		value   Money
	)
	if programme.ChequesPerCarnet < 1 || programme.ChequesPerCarnet > MaxChequesPerCarnet {
		return nil, invalid("programme state has %d cheques per carnet", programme.ChequesPerCarnet)
	}
	for _, carnetID := range programme.CarnetIDs {
		if !ValidCarnetID(carnetID) {
			return nil, invalid("programme state holds an invalid carnet id %q", carnetID)
		}
		for index := 1; index <= programme.ChequesPerCarnet; index++ {
			serial := SerialFor(carnetID, index)
			if !states[serial].Unredeemed() {
				continue
			}
			value = value.Add(programme.ChequeValue)
			expired = append(expired, Change{Stream: ChequeStream(serial), Events: []Event{ChequeExpired{
				Serial: serial, CarnetID: carnetID, ProgrammeID: programme.ProgrammeID,
				Amount: programme.ChequeValue, ExpiredOn: cmd.AsOf, ExpiredAt: now,
			}}})
		}
	}
	unminted := programme.Unminted()
	closed := Change{Stream: ProgrammeStream(programme.ProgrammeID), Events: []Event{ProgrammeClosed{
		ProgrammeID: programme.ProgrammeID, ClosedOn: cmd.AsOf, ExpiredCount: len(expired),
		ExpiredValue: value, Unminted: unminted, ClosedAt: now,
	}}}
	return append([]Change{closed}, expired...), nil
}
