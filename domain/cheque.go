package domain

import (
	"time"
)

// ChequeRedeemed records that a labelled place accepted a cheque for a
// session of digital mediation on SessionDate. It carries everything the
// projections and the signed receipt need: the place and programme and
// their territories, the amount owed to the place, and the operator fee the
// funders pay on top. It carries no attribution to funders: the programme's
// redeemed total and fee total are attributed as a whole
// (AttributeProgramme), by whoever reads the log. Stream: ChequeStream(Serial).
//
// Postings: Dr programme:{P}:cheques / Cr place:{L}:payable for Amount; Dr
// programme:{P}:fees / Cr operator:fees for Fee.
type ChequeRedeemed struct {
	RedemptionID       string    `json:"redemption_id"`
	Serial             string    `json:"serial"`
	CarnetID           string    `json:"carnet_id"`
	ProgrammeID        string    `json:"programme_id"`
	PlaceID            string    `json:"place_id"`
	PlaceTerritory     string    `json:"place_territory"`
	ProgrammeTerritory string    `json:"programme_territory"`
	SessionDate        Date      `json:"session_date"`
	Service            string    `json:"service"`
	Amount             Money     `json:"amount"`
	RedeemedAt         time.Time `json:"redeemed_at"`
	Fee                Money     `json:"fee"`
}

// EventType returns "ChequeRedeemed".
func (ChequeRedeemed) EventType() string { return "ChequeRedeemed" }

// RedemptionReversed cancels a redemption at the redeeming place's request
// (within ReversalWindow): the cheque becomes redeemable again. It repeats
// the redemption's figures so that projections subtract them without
// looking back. Stream: ChequeStream(Serial).
//
// Postings: the opposite of the redemption's: Dr place:{L}:payable / Cr
// programme:{P}:cheques, and Dr operator:fees / Cr programme:{P}:fees.
type RedemptionReversed struct {
	RedemptionID       string    `json:"redemption_id"`
	Serial             string    `json:"serial"`
	CarnetID           string    `json:"carnet_id"`
	ProgrammeID        string    `json:"programme_id"`
	PlaceID            string    `json:"place_id"`
	PlaceTerritory     string    `json:"place_territory"`
	ProgrammeTerritory string    `json:"programme_territory"`
	SessionDate        Date      `json:"session_date"`
	Amount             Money     `json:"amount"`
	Fee                Money     `json:"fee"`
	Reason             string    `json:"reason,omitempty"`
	ReversedAt         time.Time `json:"reversed_at"`
}

// EventType returns "RedemptionReversed".
func (RedemptionReversed) EventType() string { return "RedemptionReversed" }

// ChequeExpired records that an unredeemed cheque expired when its programme
// closed: its value returns to the funders pro rata (the programme's expired
// total is attributed as a whole, AttributeProgramme). Stream:
// ChequeStream(Serial).
//
// Postings: Dr programme:{P}:cheques / Cr programme:{P}:returned.
type ChequeExpired struct {
	Serial      string    `json:"serial"`
	CarnetID    string    `json:"carnet_id"`
	ProgrammeID string    `json:"programme_id"`
	Amount      Money     `json:"amount"`
	ExpiredOn   Date      `json:"expired_on"`
	ExpiredAt   time.Time `json:"expired_at"`
}

// EventType returns "ChequeExpired".
func (ChequeExpired) EventType() string { return "ChequeExpired" }

// ChequeBlocked records that an unredeemed cheque of a cancelled (lost,
// stolen) carnet can never be redeemed: like an expiry, its value returns to
// the funders at once (the programme's blocked total is attributed as a
// whole, AttributeProgramme). Stream: ChequeStream(Serial).
//
// Postings: Dr programme:{P}:cheques / Cr programme:{P}:returned.
type ChequeBlocked struct {
	Serial      string       `json:"serial"`
	CarnetID    string       `json:"carnet_id"`
	ProgrammeID string       `json:"programme_id"`
	Reason      CancelReason `json:"reason"`
	Amount      Money        `json:"amount"`
	BlockedAt   time.Time    `json:"blocked_at"`
}

// EventType returns "ChequeBlocked".
func (ChequeBlocked) EventType() string { return "ChequeBlocked" }

// ChequeReimbursementClaimed records that a reimbursement batch claimed the
// cheque's current redemption: it is reimbursed at most once and can no
// longer be reversed. Appended with ReimbursementBatchCreated in one atomic
// append. Stream: ChequeStream(Serial). No postings (the batch posts).
type ChequeReimbursementClaimed struct {
	BatchID      string    `json:"batch_id"`
	RedemptionID string    `json:"redemption_id"`
	Serial       string    `json:"serial"`
	PlaceID      string    `json:"place_id"`
	Amount       Money     `json:"amount"`
	ClaimedAt    time.Time `json:"claimed_at"`
}

// EventType returns "ChequeReimbursementClaimed".
func (ChequeReimbursementClaimed) EventType() string { return "ChequeReimbursementClaimed" }

// ChequeState is the fold of a cheque stream. The zero state is a cheque
// that was minted and never touched (a cheque stream is created by its first
// redemption, expiry or block).
type ChequeState struct {
	// Serial is set by the first event of the stream.
	Serial string
	// Redeemed is true while a redemption stands (not reversed); Redemption
	// is that redemption.
	Redeemed   bool
	Redemption ChequeRedeemed
	// Claimed is true once a reimbursement batch (BatchID) claimed the
	// current redemption.
	Claimed bool
	BatchID string
	// ReversedRedemptionIDs lists the redemptions reversed, in order.
	ReversedRedemptionIDs []string
	// Expired and Blocked are final.
	Expired bool
	Blocked bool
}

// Apply folds one event into the state; other events are ignored.
func (s *ChequeState) Apply(e Event) {
	switch ev := e.(type) {
	case ChequeRedeemed:
		s.Serial = ev.Serial
		s.Redeemed, s.Redemption = true, ev
		s.Claimed, s.BatchID = false, ""
	case RedemptionReversed:
		s.Serial = ev.Serial
		s.Redeemed, s.Redemption = false, ChequeRedeemed{}
		s.ReversedRedemptionIDs = append(s.ReversedRedemptionIDs, ev.RedemptionID)
	case ChequeReimbursementClaimed:
		s.Serial = ev.Serial
		s.Claimed, s.BatchID = true, ev.BatchID
	case ChequeExpired:
		s.Serial = ev.Serial
		s.Expired = true
	case ChequeBlocked:
		s.Serial = ev.Serial
		s.Blocked = true
	}
}

// Unredeemed reports whether the cheque could still be redeemed as far as
// its own stream says: not redeemed (or its redemption reversed), not
// expired, not blocked.
func (s ChequeState) Unredeemed() bool { return !s.Redeemed && !s.Expired && !s.Blocked }

// wasReversed reports whether redemption id was reversed on this cheque.
func (s ChequeState) wasReversed(id string) bool {
	for _, r := range s.ReversedRedemptionIDs {
		if r == id {
			return true
		}
	}
	return false
}

// chequeStatesBySerial indexes states by serial (first one wins), ignoring
// zero states (they are the default anyway).
func chequeStatesBySerial(states []ChequeState) map[string]ChequeState {
	m := make(map[string]ChequeState, len(states))
	for _, s := range states {
		if s.Serial == "" {
			continue
		}
		if _, dup := m[s.Serial]; !dup {
			m[s.Serial] = s
		}
	}
	return m
}
