package domain

import "reflect"

// Chart of accounts (docs/domain.md). An account name is a colon-separated
// path; ids never contain colons (ValidID), so names are unambiguous.
// Balances follow Posting's sign convention: debits positive, credits
// negative, and the sum of all balances is always zero.

// AccountFunderReceivable is "funder:{F}:receivable:{C}": pledged by funder F
// on contribution C and not yet received.
func AccountFunderReceivable(funderID, contributionID string) string {
	return "funder:" + funderID + ":receivable:" + contributionID
}

// AccountProgrammeReturned is "programme:{P}:returned": value of expired or
// blocked cheques, and of unminted funding at close, returned to the
// programme's funders. The ledger posts per programme; each funder's part
// is AttributeProgramme's split of the programme's totals (the funder audit
// shows it), because per-cheque postings per funder cannot be both exact and
// written without serialising a programme's redemptions.
func AccountProgrammeReturned(programmeID string) string {
	return "programme:" + programmeID + ":returned"
}

// AccountProgrammeFees is "programme:{P}:fees": operator fees owed by the
// programme's funders on redeemed cheques (paid on top of the cheques, never
// out of their cash); each funder's part is AttributeProgramme's.
func AccountProgrammeFees(programmeID string) string { return "programme:" + programmeID + ":fees" }

// AccountOperatorFees is "operator:fees": operator fees earned.
const AccountOperatorFees = "operator:fees"

// AccountFundUnallocated is "fund:{X}:unallocated": fund equity not shared to
// a territory yet.
func AccountFundUnallocated(fundID string) string { return "fund:" + fundID + ":unallocated" }

// AccountFundTerritory is "fund:{X}:territory:{T}": allocated to territory T
// by péréquation and not yet drawn by a programme.
func AccountFundTerritory(fundID, territory string) string {
	return "fund:" + fundID + ":territory:" + territory
}

// AccountProgrammeFunding is "programme:{P}:funding": funding available to
// mint cheques.
func AccountProgrammeFunding(programmeID string) string {
	return "programme:" + programmeID + ":funding"
}

// AccountProgrammeCheques is "programme:{P}:cheques": cheques minted and
// outstanding (a liability).
func AccountProgrammeCheques(programmeID string) string {
	return "programme:" + programmeID + ":cheques"
}

// AccountPlacePayable is "place:{L}:payable": owed to place L for redeemed
// cheques not yet in a reimbursement batch.
func AccountPlacePayable(placeID string) string { return "place:" + placeID + ":payable" }

// AccountPlaceBatched is "place:{L}:batched": owed to place L in a
// reimbursement batch not yet paid.
func AccountPlaceBatched(placeID string) string { return "place:" + placeID + ":batched" }

// AccountProgrammeCash is "cash:programme:{P}": the programme's ring-fenced
// cash.
func AccountProgrammeCash(programmeID string) string { return "cash:programme:" + programmeID }

// AccountFundCash is "cash:fund:{X}": the fund's ring-fenced cash.
func AccountFundCash(fundID string) string { return "cash:fund:" + fundID }

// AccountAdvance is "advance:{C}:{A}": treasury advance A against
// contribution C, to be repaid.
func AccountAdvance(contributionID, advanceID string) string {
	return "advance:" + contributionID + ":" + advanceID
}

// Entry is one balanced movement of an event: Amount (positive) debited to
// Debit and credited to Credit. An event's postings are its entries' legs
// (Transfer), in order.
type Entry struct {
	Debit  string `json:"debit"`
	Credit string `json:"credit"`
	Amount Money  `json:"amount"`
}

// postings accumulates balanced transfers, skipping zero amounts.
type postings []Entry

func (ps *postings) transfer(debit, credit string, amount Money) {
	if amount.IsZero() {
		return
	}
	*ps = append(*ps, Entry{Debit: debit, Credit: credit, Amount: amount})
}

// Entries returns the movements of a money-moving event, each a debit
// account, a credit account and an amount, in the order Postings lists
// their legs, and nil for an event that moves no money. Postings(e) is the
// legs of Entries(e): Transfer(Debit, Credit, Amount) of each entry.
func Entries(e Event) []Entry {
	ps := entries(e)
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Postings returns the double-entry postings of a money-moving event, and
// nil for an event that moves no money; see entries for the chart of
// movements. Every posting comes in a balanced debit/credit pair (Transfer),
// so the postings of any event, even a malformed one, sum to zero; zero
// amounts give no posting. Postings accepts events by value or by pointer.
func Postings(e Event) []Posting {
	es := entries(e)
	if len(es) == 0 {
		return nil
	}
	out := make([]Posting, 0, 2*len(es))
	for _, x := range es {
		out = append(out, Transfer(x.Debit, x.Credit, x.Amount)...)
	}
	return out
}

// entries returns the movements of an event: none for an event that moves
// no money (registrations, label changes, issuing, claims, bank
// reconciliation, ...), otherwise:
//
//	ContributionPledged        Dr funder:F:receivable:C   Cr programme:P:funding | fund:X:unallocated
//	ContributionReceived       Dr cash:{target}           Cr funder:F:receivable:C
//	AdvanceGranted             Dr cash:{target}           Cr advance:C:A
//	AdvanceRepaid              Dr advance:C:A             Cr cash:{target}
//	PerequationRun (each T)    Dr fund:X:unallocated      Cr fund:X:territory:T
//	FundDrawn                  Dr fund:X:territory:T      Cr programme:P:funding
//	                           Dr cash:programme:P        Cr cash:fund:X
//	CarnetsMinted              Dr programme:P:funding     Cr programme:P:cheques
//	ChequeRedeemed             Dr programme:P:cheques     Cr place:L:payable
//	  (fee)                    Dr programme:P:fees        Cr operator:fees
//	RedemptionReversed         the opposite of ChequeRedeemed
//	ChequeExpired, ChequeBlocked
//	                           Dr programme:P:cheques     Cr programme:P:returned
//	ProgrammeClosed (unminted) Dr programme:P:funding     Cr programme:P:returned
//	ReimbursementBatchCreated (each line)
//	                           Dr place:L:payable         Cr place:L:batched
//	ReimbursementBatchPaid (each payment)
//	                           Dr place:L:batched         Cr cash:programme:P
func entries(e Event) postings {
	var ps postings
	switch ev := deref(e).(type) {
	case ContributionPledged:
		credit := AccountProgrammeFunding(ev.ProgrammeID)
		if ev.FundID != "" {
			credit = AccountFundUnallocated(ev.FundID)
		}
		ps.transfer(AccountFunderReceivable(ev.FunderID, ev.ContributionID), credit, ev.Amount)
	case ContributionReceived:
		ps.transfer(cashAccountOf(ev.FundID, ev.ProgrammeID), AccountFunderReceivable(ev.FunderID, ev.ContributionID), ev.Amount)
	case AdvanceGranted:
		ps.transfer(cashAccountOf(ev.FundID, ev.ProgrammeID), AccountAdvance(ev.ContributionID, ev.AdvanceID), ev.Amount)
	case AdvanceRepaid:
		ps.transfer(AccountAdvance(ev.ContributionID, ev.AdvanceID), cashAccountOf(ev.FundID, ev.ProgrammeID), ev.Amount)
	case PerequationRun:
		for _, a := range ev.Allocations {
			ps.transfer(AccountFundUnallocated(ev.FundID), AccountFundTerritory(ev.FundID, a.Code), a.Amount)
		}
	case FundDrawn:
		ps.transfer(AccountFundTerritory(ev.FundID, ev.Territory), AccountProgrammeFunding(ev.ProgrammeID), ev.Amount)
		ps.transfer(AccountProgrammeCash(ev.ProgrammeID), AccountFundCash(ev.FundID), ev.Amount)
	case CarnetsMinted:
		ps.transfer(AccountProgrammeFunding(ev.ProgrammeID), AccountProgrammeCheques(ev.ProgrammeID), ev.Value)
	case ChequeRedeemed:
		ps.transfer(AccountProgrammeCheques(ev.ProgrammeID), AccountPlacePayable(ev.PlaceID), ev.Amount)
		ps.transfer(AccountProgrammeFees(ev.ProgrammeID), AccountOperatorFees, ev.Fee)
	case RedemptionReversed:
		ps.transfer(AccountPlacePayable(ev.PlaceID), AccountProgrammeCheques(ev.ProgrammeID), ev.Amount)
		ps.transfer(AccountOperatorFees, AccountProgrammeFees(ev.ProgrammeID), ev.Fee)
	case ChequeExpired:
		ps.transfer(AccountProgrammeCheques(ev.ProgrammeID), AccountProgrammeReturned(ev.ProgrammeID), ev.Amount)
	case ChequeBlocked:
		ps.transfer(AccountProgrammeCheques(ev.ProgrammeID), AccountProgrammeReturned(ev.ProgrammeID), ev.Amount)
	case ProgrammeClosed:
		ps.transfer(AccountProgrammeFunding(ev.ProgrammeID), AccountProgrammeReturned(ev.ProgrammeID), ev.Unminted)
	case ReimbursementBatchCreated:
		for _, l := range ev.Lines {
			ps.transfer(AccountPlacePayable(l.PlaceID), AccountPlaceBatched(l.PlaceID), l.Amount)
		}
	case ReimbursementBatchPaid:
		for _, p := range ev.Payments {
			ps.transfer(AccountPlaceBatched(p.PlaceID), AccountProgrammeCash(p.ProgrammeID), p.Amount)
		}
	}
	return ps
}

// deref turns a non-nil pointer to an event into the event value (event
// types have value receivers, so the pointed-to value is an Event too), so
// that Postings and Fold see values whichever form they are given.
func deref(e Event) Event {
	if e == nil {
		return nil
	}
	v := reflect.ValueOf(e)
	if v.Kind() != reflect.Pointer {
		return e
	}
	if v.IsNil() {
		return nil
	}
	if inner, ok := v.Elem().Interface().(Event); ok {
		return inner
	}
	return e
}
