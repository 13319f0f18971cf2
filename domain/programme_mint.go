package domain

import (
	"fmt"
	"time"
)

// CarnetsMinted is the programme-side summary of one minting: the carnets
// created (in ordinal order from FirstOrdinal), their prescriber, and their
// total face value. Each carnet also gets a CarnetMinted on its own stream.
// Stream: ProgrammeStream(ProgrammeID).
//
// Postings: Dr programme:{P}:funding / Cr programme:{P}:cheques, for Value
// (CarnetMinted does not post, so minted value is counted once).
type CarnetsMinted struct {
	ProgrammeID      string    `json:"programme_id"`
	PrescriberID     string    `json:"prescriber_id"`
	CarnetIDs        []string  `json:"carnet_ids"`
	FirstOrdinal     int       `json:"first_ordinal"`
	ChequesPerCarnet int       `json:"cheques_per_carnet"`
	ChequeValue      Money     `json:"cheque_value"`
	ChequeCount      int       `json:"cheque_count"`
	Value            Money     `json:"value"`
	MintedAt         time.Time `json:"minted_at"`
}

// EventType returns "CarnetsMinted".
func (CarnetsMinted) EventType() string { return "CarnetsMinted" }

// MintCarnetsCommand mints carnets into a prescriber's stock.
type MintCarnetsCommand struct {
	ProgrammeID  string
	PrescriberID string
	// CarnetIDs are the new carnets' ids, made by the caller (ValidCarnetID,
	// unique, not yet used in the programme). The caller appends each
	// CarnetStream with expected version "no stream", which also guards
	// against an id used by another programme.
	CarnetIDs []string
	Now       time.Time
}

// MaxCarnetsPerMint bounds one minting, to keep one atomic append reasonable.
const MaxCarnetsPerMint = 10_000

// MintCarnets decides a minting. It returns a Change for
// ProgrammeStream(cmd.ProgrammeID) with a CarnetsMinted, then one Change per
// carnet, in order, for CarnetStream(id) with a CarnetMinted listing the
// carnet's serials (SerialFor(id, 1..ChequesPerCarnet)). Check codes are not
// in any event: the print run computes CheckCode(key, serial) itself.
//
// Rules: the programme exists (ErrNotFound) and is not closed
// (ErrProgrammeClosed), today is not after ValidUntil (ErrOutsideValidity);
// the prescriber is registered (ErrNotFound); 1..MaxCarnetsPerMint carnet ids,
// valid and new in the programme (ErrInvalidArgument, ErrAlreadyExists); the
// value of all cheques ever minted stays within the programme's total
// funding (*LimitError wrapping ErrMintExceedsFunding, limit = unminted
// funding).
func MintCarnets(cmd MintCarnetsCommand, programme ProgrammeState, prescriber PrescriberState) ([]Change, error) {
	if err := checkProgramme(cmd.ProgrammeID, programme); err != nil {
		return nil, err
	}
	if programme.Closed {
		return nil, fmt.Errorf("%w: programme %s", ErrProgrammeClosed, programme.ProgrammeID)
	}
	if err := checkID("prescriber_id", cmd.PrescriberID); err != nil {
		return nil, err
	}
	if !prescriber.Registered || prescriber.PrescriberID != cmd.PrescriberID {
		return nil, fmt.Errorf("%w: prescriber %s", ErrNotFound, cmd.PrescriberID)
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if DateOf(now).After(programme.ValidUntil) {
		return nil, fmt.Errorf("%w: programme %s ended on %s", ErrOutsideValidity, programme.ProgrammeID, programme.ValidUntil)
	}
	n := len(cmd.CarnetIDs)
	if n == 0 || n > MaxCarnetsPerMint {
		return nil, invalid("mint 1 to %d carnets, not %d", MaxCarnetsPerMint, n)
	}
	seen := make(map[string]bool, n)
	for _, id := range cmd.CarnetIDs {
		if !ValidCarnetID(id) {
			return nil, invalid("carnet id %q is not 4-20 upper-case letters and digits", id)
		}
		if seen[id] {
			return nil, invalid("carnet id %q listed twice", id)
		}
		seen[id] = true
		if _, dup := programme.CarnetOrdinals[id]; dup {
			return nil, fmt.Errorf("%w: carnet %s", ErrAlreadyExists, id)
		}
	}
	value := programme.CarnetValue().MulInt(int64(n))
	if left := programme.Unminted(); value.GreaterThan(left) {
		return nil, limitErr(ErrMintExceedsFunding, "programme "+programme.ProgrammeID, value, left)
	}
	first := len(programme.CarnetIDs)
	changes := make([]Change, 0, n+1)
	changes = append(changes, Change{Stream: ProgrammeStream(programme.ProgrammeID), Events: []Event{CarnetsMinted{
		ProgrammeID: programme.ProgrammeID, PrescriberID: cmd.PrescriberID,
		CarnetIDs: append([]string(nil), cmd.CarnetIDs...), FirstOrdinal: first,
		ChequesPerCarnet: programme.ChequesPerCarnet, ChequeValue: programme.ChequeValue,
		ChequeCount: n * programme.ChequesPerCarnet, Value: value, MintedAt: now,
	}}})
	for i, id := range cmd.CarnetIDs {
		serials := make([]string, programme.ChequesPerCarnet)
		for j := range serials {
			serials[j] = SerialFor(id, j+1)
		}
		changes = append(changes, Change{Stream: CarnetStream(id), Events: []Event{CarnetMinted{
			CarnetID: id, ProgrammeID: programme.ProgrammeID, PrescriberID: cmd.PrescriberID,
			Ordinal: first + i, Serials: serials, ChequeValue: programme.ChequeValue, MintedAt: now,
		}}})
	}
	return changes, nil
}
