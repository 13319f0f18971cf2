package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// MaxBeneficiaryRefLength is the longest pseudonymous beneficiary reference.
const MaxBeneficiaryRefLength = 64

// NormalizeBeneficiaryRef returns the canonical form of a pseudonymous
// beneficiary reference (a file number of the prescriber, e.g.
// "CCAS63-2026-000123"): surrounding white space trimmed, letters upper-cased
// (references are case-insensitive), then 1 to 64 characters among A–Z,
// 0–9, '-', '_', '.', '/'. Anything else gives ErrInvalidBeneficiaryRef: in
// particular spaces, '@' and accented letters are refused, so that a name or
// an e-mail address cannot be used as a reference by mistake. The reference
// itself never enters an event: only BeneficiaryHash of it does.
func NormalizeBeneficiaryRef(ref string) (string, error) {
	r := strings.ToUpper(strings.TrimSpace(ref))
	if r == "" || len(r) > MaxBeneficiaryRefLength {
		return "", fmt.Errorf("%w: must have 1 to %d characters", ErrInvalidBeneficiaryRef, MaxBeneficiaryRefLength)
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'A' && c <= 'Z') && !isDigit(c) && c != '-' && c != '_' && c != '.' && c != '/' {
			return "", fmt.Errorf("%w: only letters, digits and - _ . / are allowed", ErrInvalidBeneficiaryRef)
		}
	}
	return r, nil
}

// BeneficiaryHash returns the keyed hash that stands for a beneficiary in
// events: the lower-case hex HMAC-SHA256 under key (a server secret of at
// least MinKeyLength bytes) of "passledger/beneficiary/v1\x00" followed by
// the reference trimmed and upper-cased (as NormalizeBeneficiaryRef does; it
// does not validate: IssueCarnet does). The same reference always gives the
// same hash, so "one carnet per beneficiary per programme" can be enforced,
// but the reference cannot be recovered without the key.
func BeneficiaryHash(key []byte, ref string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("passledger/beneficiary/v1\x00"))
	mac.Write([]byte(strings.ToUpper(strings.TrimSpace(ref))))
	return hex.EncodeToString(mac.Sum(nil))
}

// BeneficiaryCarnetAssigned says that the beneficiary with BeneficiaryHash
// holds CarnetID of ProgrammeID. It is the only event of the stream
// BeneficiaryStream(ProgrammeID, BeneficiaryHash), appended with expected
// version "no stream": a second carnet for the same beneficiary in the same
// programme fails the append. No money moves.
type BeneficiaryCarnetAssigned struct {
	ProgrammeID     string    `json:"programme_id"`
	BeneficiaryHash string    `json:"beneficiary_hash"`
	CarnetID        string    `json:"carnet_id"`
	PrescriberID    string    `json:"prescriber_id"`
	AssignedAt      time.Time `json:"assigned_at"`
}

// EventType returns "BeneficiaryCarnetAssigned".
func (BeneficiaryCarnetAssigned) EventType() string { return "BeneficiaryCarnetAssigned" }

// BeneficiaryClaimState is the fold of a beneficiary stream.
type BeneficiaryClaimState struct {
	Assigned        bool
	ProgrammeID     string
	BeneficiaryHash string
	CarnetID        string
}

// Apply folds one event into the state; other events are ignored.
func (s *BeneficiaryClaimState) Apply(e Event) {
	if ev, ok := e.(BeneficiaryCarnetAssigned); ok {
		*s = BeneficiaryClaimState{Assigned: true, ProgrammeID: ev.ProgrammeID, BeneficiaryHash: ev.BeneficiaryHash, CarnetID: ev.CarnetID}
	}
}
