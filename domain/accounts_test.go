package domain

import (
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// trialBalance sums the postings of events per account and checks that the
// whole ledger balances.
func trialBalance(t testing.TB, events []Event) map[string]Money {
	t.Helper()
	bal := map[string]Money{}
	var total Money
	for _, e := range events {
		for _, p := range Postings(e) {
			bal[p.Account] = bal[p.Account].Add(p.Amount)
			total = total.Add(p.Amount)
		}
	}
	if !total.IsZero() {
		t.Fatalf("trial balance is %s, not zero", total)
	}
	return bal
}

// moneyEvents are the event types that move money (Postings returns
// postings for them when amounts are not zero).
var moneyEvents = map[string]bool{
	"ContributionPledged": true, "ContributionReceived": true, "AdvanceGranted": true, "AdvanceRepaid": true,
	"PerequationRun": true, "FundDrawn": true, "CarnetsMinted": true, "ChequeRedeemed": true,
	"RedemptionReversed": true, "ChequeExpired": true, "ChequeBlocked": true, "ProgrammeClosed": true,
	"ReimbursementBatchCreated": true, "ReimbursementBatchPaid": true,
}

// Property: the postings of every event of every type sum to zero, never
// carry a zero amount, and name accounts of the chart.
func TestPostingsBalanceForEveryEventType(t *testing.T) {
	for _, name := range EventTypes() {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				e, ok := genEvent(t, name)
				if !ok {
					t.Fatalf("no generator for %s", name)
				}
				ps := Postings(e)
				if !PostingsBalance(ps).IsZero() {
					t.Fatalf("%s postings sum to %s: %v", name, PostingsBalance(ps), ps)
				}
				if !moneyEvents[name] && ps != nil {
					t.Fatalf("%s moves no money but posts %v", name, ps)
				}
				for _, p := range ps {
					if p.Amount.IsZero() {
						t.Fatalf("zero posting %v", p)
					}
					prefix, _, _ := strings.Cut(p.Account, ":")
					switch prefix {
					case "funder", "fund", "programme", "place", "cash", "advance", "operator":
					default:
						t.Fatalf("account %q outside the chart", p.Account)
					}
				}
				// pointers post the same as values
				if pp := Postings(pointerTo(e)); !PostingsBalance(pp).IsZero() || len(pp) != len(ps) {
					t.Fatalf("pointer postings differ: %v vs %v", pp, ps)
				}
			})
		})
	}
}

func TestPostingsExamples(t *testing.T) {
	type leg struct {
		account string
		amount  string
	}
	tests := []struct {
		name string
		e    Event
		want []leg
	}{
		{"pledge to a programme", ContributionPledged{ContributionID: "C1", FunderID: "F1", ProgrammeID: "P1", Amount: eur("100.00")},
			[]leg{{"funder:F1:receivable:C1", "100.00"}, {"programme:P1:funding", "-100.00"}}},
		{"pledge to a fund", ContributionPledged{ContributionID: "C1", FunderID: "F1", FundID: "X1", Amount: eur("100.00")},
			[]leg{{"funder:F1:receivable:C1", "100.00"}, {"fund:X1:unallocated", "-100.00"}}},
		{"receipt", ContributionReceived{ContributionID: "C1", FunderID: "F1", FundID: "X1", Amount: eur("40.00")},
			[]leg{{"cash:fund:X1", "40.00"}, {"funder:F1:receivable:C1", "-40.00"}}},
		{"advance", AdvanceGranted{ContributionID: "C1", AdvanceID: "A1", ProgrammeID: "P1", Amount: eur("60.00")},
			[]leg{{"cash:programme:P1", "60.00"}, {"advance:C1:A1", "-60.00"}}},
		{"repayment", AdvanceRepaid{ContributionID: "C1", AdvanceID: "A1", ProgrammeID: "P1", Amount: eur("60.00")},
			[]leg{{"advance:C1:A1", "60.00"}, {"cash:programme:P1", "-60.00"}}},
		{"péréquation", PerequationRun{FundID: "X1", Allocations: []PerequationAllocation{{Code: "63", Amount: eur("70.00")}, {Code: "15", Amount: eur("30.00")}}},
			[]leg{{"fund:X1:unallocated", "70.00"}, {"fund:X1:territory:63", "-70.00"}, {"fund:X1:unallocated", "30.00"}, {"fund:X1:territory:15", "-30.00"}}},
		{"draw", FundDrawn{FundID: "X1", ProgrammeID: "P1", Territory: "63", Amount: eur("50.00")},
			[]leg{{"fund:X1:territory:63", "50.00"}, {"programme:P1:funding", "-50.00"}, {"cash:programme:P1", "50.00"}, {"cash:fund:X1", "-50.00"}}},
		{"mint", CarnetsMinted{ProgrammeID: "P1", Value: eur("200.00")},
			[]leg{{"programme:P1:funding", "200.00"}, {"programme:P1:cheques", "-200.00"}}},
		{"redemption with fee", ChequeRedeemed{ProgrammeID: "P1", PlaceID: "L1", Amount: eur("10.00"), Fee: eur("0.40")},
			[]leg{{"programme:P1:cheques", "10.00"}, {"place:L1:payable", "-10.00"}, {"programme:P1:fees", "0.40"}, {"operator:fees", "-0.40"}}},
		{"reversal with fee", RedemptionReversed{ProgrammeID: "P1", PlaceID: "L1", Amount: eur("10.00"), Fee: eur("0.40")},
			[]leg{{"place:L1:payable", "10.00"}, {"programme:P1:cheques", "-10.00"}, {"operator:fees", "0.40"}, {"programme:P1:fees", "-0.40"}}},
		{"expiry", ChequeExpired{ProgrammeID: "P1", Amount: eur("10.00")},
			[]leg{{"programme:P1:cheques", "10.00"}, {"programme:P1:returned", "-10.00"}}},
		{"block", ChequeBlocked{ProgrammeID: "P1", Amount: eur("10.00")},
			[]leg{{"programme:P1:cheques", "10.00"}, {"programme:P1:returned", "-10.00"}}},
		{"close", ProgrammeClosed{ProgrammeID: "P1", Unminted: eur("5.00")},
			[]leg{{"programme:P1:funding", "5.00"}, {"programme:P1:returned", "-5.00"}}},
		{"batch", ReimbursementBatchCreated{Lines: []BatchLine{{PlaceID: "L1", Amount: eur("20.00")}}},
			[]leg{{"place:L1:payable", "20.00"}, {"place:L1:batched", "-20.00"}}},
		{"payment", ReimbursementBatchPaid{Payments: []BatchPayment{{PlaceID: "L1", ProgrammeID: "P1", Amount: eur("20.00")}}},
			[]leg{{"place:L1:batched", "20.00"}, {"cash:programme:P1", "-20.00"}}},
		{"registration", FunderRegistered{FunderID: "F1"}, nil},
		{"claim", ChequeReimbursementClaimed{Amount: eur("10.00")}, nil},
		{"zero mint", CarnetsMinted{ProgrammeID: "P1"}, nil},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		got := Postings(tt.e)
		if len(got) != len(tt.want) {
			t.Errorf("%s: %v", tt.name, got)
			continue
		}
		for i, w := range tt.want {
			if got[i].Account != w.account || !got[i].Amount.Equal(eur(w.amount)) {
				t.Errorf("%s leg %d: %v, want %v", tt.name, i, got[i], w)
			}
		}
	}
}
