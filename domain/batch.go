package domain

import (
	"fmt"
	"sort"
	"time"
)

// BatchLine is what one place is owed in a reimbursement batch, with its
// breakdown by programme (each programme's cash pays its own share).
type BatchLine struct {
	PlaceID     string            `json:"place_id"`
	Amount      Money             `json:"amount"`
	Count       int               `json:"count"`
	ByProgramme []ProgrammeAmount `json:"by_programme"`
}

// ProgrammeAmount is an amount belonging to one programme.
type ProgrammeAmount struct {
	ProgrammeID string `json:"programme_id"`
	Amount      Money  `json:"amount"`
}

// BatchRedemption is one redemption claimed by a reimbursement batch.
type BatchRedemption struct {
	Serial       string `json:"serial"`
	RedemptionID string `json:"redemption_id"`
	PlaceID      string `json:"place_id"`
	ProgrammeID  string `json:"programme_id"`
	Amount       Money  `json:"amount"`
}

// BatchPayment is the part of a batch payment that one programme's cash
// pays to one place.
type BatchPayment struct {
	PlaceID     string `json:"place_id"`
	ProgrammeID string `json:"programme_id"`
	Amount      Money  `json:"amount"`
}

// ReimbursementBatchCreated gathers what is owed to places for redemptions
// made up to CutOff (one line per place, sorted by place id) and lists the
// redemptions it claims (sorted by place id then serial); each of them gets
// a ChequeReimbursementClaimed in the same atomic append. Stream:
// BatchStream(BatchID).
//
// Postings: for each line, Dr place:{L}:payable / Cr place:{L}:batched.
type ReimbursementBatchCreated struct {
	BatchID     string            `json:"batch_id"`
	CutOff      Date              `json:"cut_off"`
	Lines       []BatchLine       `json:"lines"`
	Redemptions []BatchRedemption `json:"redemptions"`
	Total       Money             `json:"total"`
	Count       int               `json:"count"`
	CreatedAt   time.Time         `json:"created_at"`
}

// EventType returns "ReimbursementBatchCreated".
func (ReimbursementBatchCreated) EventType() string { return "ReimbursementBatchCreated" }

// ReimbursementBatchPaid marks a batch paid: the places' balances drop by
// their lines, each programme's ring-fenced cash pays its share (Payments,
// one per place and programme, sorted). Stream: BatchStream(BatchID).
//
// Postings: for each payment, Dr place:{L}:batched / Cr cash:programme:{P}.
type ReimbursementBatchPaid struct {
	BatchID       string         `json:"batch_id"`
	PaidOn        Date           `json:"paid_on"`
	BankReference string         `json:"bank_reference"`
	Total         Money          `json:"total"`
	Payments      []BatchPayment `json:"payments"`
	PaidAt        time.Time      `json:"paid_at"`
}

// EventType returns "ReimbursementBatchPaid".
func (ReimbursementBatchPaid) EventType() string { return "ReimbursementBatchPaid" }

// BatchState is the fold of a batch stream.
type BatchState struct {
	Created       bool
	BatchID       string
	CutOff        Date
	Lines         []BatchLine
	Redemptions   []BatchRedemption
	Total         Money
	Paid          bool
	PaidOn        Date
	BankReference string
}

// Apply folds one event into the state; other events are ignored.
func (s *BatchState) Apply(e Event) {
	switch ev := e.(type) {
	case ReimbursementBatchCreated:
		s.Created = true
		s.BatchID, s.CutOff, s.Total = ev.BatchID, ev.CutOff, ev.Total
		s.Lines = append([]BatchLine(nil), ev.Lines...)
		s.Redemptions = append([]BatchRedemption(nil), ev.Redemptions...)
	case ReimbursementBatchPaid:
		s.Paid, s.PaidOn, s.BankReference = true, ev.PaidOn, ev.BankReference
	}
}

// ByProgramme returns the batch total per programme id.
func (s BatchState) ByProgramme() map[string]Money {
	m := map[string]Money{}
	for _, l := range s.Lines {
		for _, p := range l.ByProgramme {
			m[p.ProgrammeID] = m[p.ProgrammeID].Add(p.Amount)
		}
	}
	return m
}

// CreateReimbursementBatchCommand creates a reimbursement batch.
type CreateReimbursementBatchCommand struct {
	BatchID string
	// CutOff is the last redemption date (RedeemedAt's date in UTC) the
	// batch covers; not after Now's date.
	CutOff Date
	Now    time.Time
}

// CreateReimbursementBatch decides a batch. candidates are the states of
// cheque streams that may be owed to places (typically every cheque
// redeemed and not claimed, from the cheque-status projection); the batch
// takes those that are redeemed (not reversed), not claimed by another
// batch, and redeemed on or before CutOff, and ignores the others. It
// returns a Change for BatchStream(cmd.BatchID) with a
// ReimbursementBatchCreated, then, for each redemption taken, sorted by
// serial, a Change for ChequeStream(serial) with a
// ChequeReimbursementClaimed. The caller appends the cheque streams with the
// versions it read, so a concurrent reversal or another batch makes the
// append fail: a redemption is reimbursed at most once, and once claimed can
// no longer be reversed.
//
// Rules: the batch does not exist (ErrAlreadyExists); ValidID, CutOff set
// and not after Now's date (ErrInvalidArgument); at least one redemption is
// eligible (ErrEmptyBatch).
func CreateReimbursementBatch(cmd CreateReimbursementBatchCommand, existing BatchState, candidates []ChequeState) ([]Change, error) {
	if err := checkID("batch_id", cmd.BatchID); err != nil {
		return nil, err
	}
	if existing.Created {
		return nil, fmt.Errorf("%w: batch %s", ErrAlreadyExists, cmd.BatchID)
	}
	if err := requireDate("cut_off", cmd.CutOff); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("cut_off", cmd.CutOff, cmd.Now); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var taken []ChequeRedeemed
	for _, c := range candidates {
		if !c.Redeemed || c.Claimed || c.Expired || c.Blocked || seen[c.Redemption.Serial] {
			continue
		}
		if DateOf(c.Redemption.RedeemedAt.UTC()).After(cmd.CutOff) {
			continue
		}
		seen[c.Redemption.Serial] = true
		taken = append(taken, c.Redemption)
	}
	if len(taken) == 0 {
		return nil, fmt.Errorf("%w: up to %s", ErrEmptyBatch, cmd.CutOff)
	}
	sort.Slice(taken, func(i, j int) bool {
		if taken[i].PlaceID != taken[j].PlaceID {
			return taken[i].PlaceID < taken[j].PlaceID
		}
		return taken[i].Serial < taken[j].Serial
	})
	var (
		lines       []BatchLine
		redemptions = make([]BatchRedemption, 0, len(taken))
		total       Money
	)
	for _, r := range taken {
		redemptions = append(redemptions, BatchRedemption{
			Serial: r.Serial, RedemptionID: r.RedemptionID, PlaceID: r.PlaceID,
			ProgrammeID: r.ProgrammeID, Amount: r.Amount,
		})
		total = total.Add(r.Amount)
		if len(lines) == 0 || lines[len(lines)-1].PlaceID != r.PlaceID {
			lines = append(lines, BatchLine{PlaceID: r.PlaceID})
		}
		l := &lines[len(lines)-1]
		l.Amount = l.Amount.Add(r.Amount)
		l.Count++
		l.ByProgramme = addProgrammeAmount(l.ByProgramme, r.ProgrammeID, r.Amount)
	}
	changes := make([]Change, 0, len(taken)+1)
	changes = append(changes, Change{Stream: BatchStream(cmd.BatchID), Events: []Event{ReimbursementBatchCreated{
		BatchID: cmd.BatchID, CutOff: cmd.CutOff, Lines: lines, Redemptions: redemptions,
		Total: total, Count: len(redemptions), CreatedAt: now,
	}}})
	bySerial := append([]BatchRedemption(nil), redemptions...)
	sort.Slice(bySerial, func(i, j int) bool { return bySerial[i].Serial < bySerial[j].Serial })
	for _, r := range bySerial {
		changes = append(changes, Change{Stream: ChequeStream(r.Serial), Events: []Event{ChequeReimbursementClaimed{
			BatchID: cmd.BatchID, RedemptionID: r.RedemptionID, Serial: r.Serial,
			PlaceID: r.PlaceID, Amount: r.Amount, ClaimedAt: now,
		}}})
	}
	return changes, nil
}

// addProgrammeAmount adds amount to programme id in list, kept sorted by id.
func addProgrammeAmount(list []ProgrammeAmount, id string, amount Money) []ProgrammeAmount {
	i := sort.Search(len(list), func(i int) bool { return list[i].ProgrammeID >= id })
	if i < len(list) && list[i].ProgrammeID == id {
		list[i].Amount = list[i].Amount.Add(amount)
		return list
	}
	list = append(list, ProgrammeAmount{})
	copy(list[i+1:], list[i:])
	list[i] = ProgrammeAmount{ProgrammeID: id, Amount: amount}
	return list
}

// PayReimbursementBatchCommand marks a batch paid.
type PayReimbursementBatchCommand struct {
	BatchID string
	// PaidOn is the payment's value date, not after Now's date.
	PaidOn Date
	// BankReference is the payment order's reference (1 to MaxNameLength
	// characters).
	BankReference string
	Now           time.Time
}

// PayReimbursementBatch decides a batch payment and returns a
// ReimbursementBatchPaid for BatchStream(cmd.BatchID). cashAvailable gives,
// per programme id, the programme's ring-fenced cash available now (the
// balance of cash:programme:P from the projections: receipts, advances and
// fund draws, minus repayments and payments made); a programme missing from
// the map has none.
//
// Rules: the batch exists (ErrNotFound) and is not paid (ErrBatchAlreadyPaid);
// PaidOn set and not after Now's date, bank reference given
// (ErrInvalidArgument); each programme's share of the batch is at most its
// cash (a *LimitError wrapping ErrInsufficientProgrammeCash, for the first
// programme short in id order): money of one programme never pays another's
// cheques.
func PayReimbursementBatch(cmd PayReimbursementBatchCommand, batch BatchState, cashAvailable map[string]Money) ([]Event, error) {
	if err := checkID("batch_id", cmd.BatchID); err != nil {
		return nil, err
	}
	if !batch.Created {
		return nil, fmt.Errorf("%w: batch %s", ErrNotFound, cmd.BatchID)
	}
	if batch.BatchID != cmd.BatchID {
		return nil, invalid("batch state is for %q, not %q", batch.BatchID, cmd.BatchID)
	}
	if batch.Paid {
		return nil, fmt.Errorf("%w: batch %s paid on %s", ErrBatchAlreadyPaid, batch.BatchID, batch.PaidOn)
	}
	if err := requireDate("paid_on", cmd.PaidOn); err != nil {
		return nil, err
	}
	if err := checkText("bank_reference", cmd.BankReference, true, MaxNameLength); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if err := notAfterToday("paid_on", cmd.PaidOn, cmd.Now); err != nil {
		return nil, err
	}
	byProgramme := batch.ByProgramme()
	ids := make([]string, 0, len(byProgramme))
	for id := range byProgramme {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if cash := cashAvailable[id]; byProgramme[id].GreaterThan(cash) {
			return nil, limitErr(ErrInsufficientProgrammeCash, "programme "+id+" cash", byProgramme[id], cash)
		}
	}
	var payments []BatchPayment
	for _, l := range batch.Lines {
		for _, p := range l.ByProgramme {
			payments = append(payments, BatchPayment{PlaceID: l.PlaceID, ProgrammeID: p.ProgrammeID, Amount: p.Amount})
		}
	}
	return []Event{ReimbursementBatchPaid{
		BatchID: batch.BatchID, PaidOn: cmd.PaidOn, BankReference: trimSpace(cmd.BankReference),
		Total: batch.Total, Payments: payments, PaidAt: now,
	}}, nil
}
