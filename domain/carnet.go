package domain

import (
	"fmt"
	"time"
)

// NeedLevel is a beneficiary's public category of need.
type NeedLevel string

// The need levels of SPEC §3.
const (
	NeedUrgence   NeedLevel = "urgence"
	NeedInclusion NeedLevel = "inclusion"
	NeedAutonomie NeedLevel = "autonomie"
)

// NeedLevels lists every valid NeedLevel.
var NeedLevels = []NeedLevel{NeedUrgence, NeedInclusion, NeedAutonomie}

// Valid reports whether n is one of NeedLevels (urgence, inclusion or
// autonomie).
func (n NeedLevel) Valid() bool { return oneOf(n, NeedLevels) }

// CarnetMinted creates a carnet in a prescriber's stock: its programme,
// ordinal (0-based minting order within the programme), serials and cheque
// value. Stream: CarnetStream(CarnetID). No postings (see CarnetsMinted).
type CarnetMinted struct {
	CarnetID     string    `json:"carnet_id"`
	ProgrammeID  string    `json:"programme_id"`
	PrescriberID string    `json:"prescriber_id"`
	Ordinal      int       `json:"ordinal"`
	Serials      []string  `json:"serials"`
	ChequeValue  Money     `json:"cheque_value"`
	MintedAt     time.Time `json:"minted_at"`
}

// EventType returns "CarnetMinted".
func (CarnetMinted) EventType() string { return "CarnetMinted" }

// CarnetIssued records that a prescriber handed a carnet to a beneficiary,
// known only by BeneficiaryHash, with the beneficiary's public category
// (NeedLevel, JobSeeker) and the carnet's value and programme territory for
// the equity projection. Stream: CarnetStream(CarnetID). No money moves.
type CarnetIssued struct {
	CarnetID        string    `json:"carnet_id"`
	ProgrammeID     string    `json:"programme_id"`
	PrescriberID    string    `json:"prescriber_id"`
	Territory       string    `json:"territory"`
	BeneficiaryHash string    `json:"beneficiary_hash"`
	NeedLevel       NeedLevel `json:"need_level"`
	JobSeeker       bool      `json:"job_seeker"`
	Value           Money     `json:"value"`
	IssuedAt        time.Time `json:"issued_at"`
}

// EventType returns "CarnetIssued".
func (CarnetIssued) EventType() string { return "CarnetIssued" }

// CarnetState is the fold of a carnet stream.
type CarnetState struct {
	Minted       bool
	CarnetID     string
	ProgrammeID  string
	PrescriberID string
	Ordinal      int
	Serials      []string
	ChequeValue  Money

	Issued          bool
	BeneficiaryHash string
	NeedLevel       NeedLevel
	JobSeeker       bool
	IssuedAt        time.Time

	Cancelled    bool
	CancelReason CancelReason
}

// Apply folds one event into the state; other events are ignored.
func (s *CarnetState) Apply(e Event) {
	switch ev := e.(type) {
	case CarnetMinted:
		s.Minted = true
		s.CarnetID, s.ProgrammeID, s.PrescriberID = ev.CarnetID, ev.ProgrammeID, ev.PrescriberID
		s.Ordinal, s.ChequeValue = ev.Ordinal, ev.ChequeValue
		s.Serials = append([]string(nil), ev.Serials...)
	case CarnetIssued:
		s.Issued = true
		s.BeneficiaryHash, s.NeedLevel, s.JobSeeker, s.IssuedAt = ev.BeneficiaryHash, ev.NeedLevel, ev.JobSeeker, ev.IssuedAt
	case CarnetCancelled:
		s.Cancelled, s.CancelReason = true, ev.Reason
	}
}

// Value returns the face value of the carnet.
func (s CarnetState) Value() Money { return s.ChequeValue.MulInt(int64(len(s.Serials))) }

func checkCarnet(id string, c CarnetState) error {
	if !ValidCarnetID(id) {
		return invalid("carnet id %q is not 4-20 upper-case letters and digits", id)
	}
	if !c.Minted {
		return fmt.Errorf("%w: carnet %s", ErrNotFound, id)
	}
	if c.CarnetID != id {
		return invalid("carnet state is for %q, not %q", c.CarnetID, id)
	}
	return nil
}

// IssueCarnetCommand issues a carnet to a beneficiary.
type IssueCarnetCommand struct {
	CarnetID string
	// PrescriberID is the acting prescriber (from the caller's token).
	PrescriberID string
	// BeneficiaryRef is the prescriber's pseudonymous reference for the
	// beneficiary (see NormalizeBeneficiaryRef). It is hashed, never stored.
	BeneficiaryRef string
	NeedLevel      NeedLevel
	// JobSeeker says the beneficiary is a job seeker of the skills-investment
	// plan.
	JobSeeker bool
	Now       time.Time
}

// IssueCarnet decides the issuing of a carnet. It returns a Change for
// CarnetStream(cmd.CarnetID) with a CarnetIssued, and a Change for
// BeneficiaryStream(programme, hash) with a BeneficiaryCarnetAssigned, where
// hash = BeneficiaryHash(beneficiaryKey, cmd.BeneficiaryRef). The caller
// computes the same hash to load claim, the beneficiary stream's state, and
// appends that stream with expected version "no stream".
//
// Rules: the key is at least MinKeyLength bytes (ErrMissingKey); the carnet
// is minted (ErrNotFound) and held by the acting prescriber
// (ErrNotYourCarnet), not cancelled (ErrCarnetCancelled), not issued yet
// (ErrCarnetAlreadyIssued); the reference is valid
// (ErrInvalidBeneficiaryRef); the need level is urgence, inclusion or
// autonomie (ErrInvalidArgument); the programme is not closed
// (ErrProgrammeClosed) and today is not after its ValidUntil
// (ErrOutsideValidity); the beneficiary has no carnet of this programme yet
// (ErrBeneficiaryAlreadyHasCarnet).
func IssueCarnet(cmd IssueCarnetCommand, carnet CarnetState, programme ProgrammeState, claim BeneficiaryClaimState, beneficiaryKey []byte) ([]Change, error) {
	if len(beneficiaryKey) < MinKeyLength {
		return nil, ErrMissingKey
	}
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
		return nil, fmt.Errorf("%w: carnet %s (%s)", ErrCarnetCancelled, carnet.CarnetID, carnet.CancelReason)
	}
	if carnet.Issued {
		return nil, fmt.Errorf("%w: carnet %s", ErrCarnetAlreadyIssued, carnet.CarnetID)
	}
	if _, err := NormalizeBeneficiaryRef(cmd.BeneficiaryRef); err != nil {
		return nil, err
	}
	if !cmd.NeedLevel.Valid() {
		return nil, invalid("need level %q is not urgence, inclusion or autonomie", cmd.NeedLevel)
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
	if DateOf(now).After(programme.ValidUntil) {
		return nil, fmt.Errorf("%w: programme %s ended on %s", ErrOutsideValidity, programme.ProgrammeID, programme.ValidUntil)
	}
	hash := BeneficiaryHash(beneficiaryKey, cmd.BeneficiaryRef)
	if claim.Assigned {
		if claim.BeneficiaryHash != hash || claim.ProgrammeID != programme.ProgrammeID {
			return nil, invalid("beneficiary state is not the stream of this beneficiary and programme")
		}
		return nil, fmt.Errorf("%w: carnet %s", ErrBeneficiaryAlreadyHasCarnet, claim.CarnetID)
	}
	return []Change{
		{Stream: CarnetStream(carnet.CarnetID), Events: []Event{CarnetIssued{
			CarnetID: carnet.CarnetID, ProgrammeID: programme.ProgrammeID, PrescriberID: cmd.PrescriberID,
			Territory: programme.Territory, BeneficiaryHash: hash, NeedLevel: cmd.NeedLevel,
			JobSeeker: cmd.JobSeeker, Value: carnet.Value(), IssuedAt: now,
		}}},
		{Stream: BeneficiaryStream(programme.ProgrammeID, hash), Events: []Event{BeneficiaryCarnetAssigned{
			ProgrammeID: programme.ProgrammeID, BeneficiaryHash: hash, CarnetID: carnet.CarnetID,
			PrescriberID: cmd.PrescriberID, AssignedAt: now,
		}}},
	}, nil
}
