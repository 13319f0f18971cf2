package domain

import (
	"errors"
	"testing"
)

// contributionWith folds a contribution of 1000.00 pledged by F1 to
// programme P1 with the given events after the pledge.
func contributionWith(evs ...Event) ContributionState {
	all := append([]Event{ContributionPledged{ContributionID: "C1", FunderID: "F1", ProgrammeID: "P1", Amount: eur("1000.00"), PledgedOn: day("2026-01-05")}}, evs...)
	return Fold[ContributionState](all)
}

func receipt(id, amount string) Event {
	return ContributionReceived{ContributionID: "C1", ReceiptID: id, FunderID: "F1", ProgrammeID: "P1", Amount: eur(amount)}
}
func advance(id, amount string) Event {
	return AdvanceGranted{ContributionID: "C1", AdvanceID: id, FunderID: "F1", ProgrammeID: "P1", Amount: eur(amount), GrantedOn: day("2026-02-01")}
}
func repayment(adv, id, amount string) Event {
	return AdvanceRepaid{ContributionID: "C1", AdvanceID: adv, RepaymentID: id, FunderID: "F1", ProgrammeID: "P1", Amount: eur(amount)}
}

func TestPledgeContribution(t *testing.T) {
	funder := FunderState{Registered: true, FunderID: "F1"}
	ok := PledgeContributionCommand{ContributionID: "C1", FunderID: "F1", ProgrammeID: "P1", Amount: eur("1000.00"), PledgedOn: day("2026-01-05"), Now: fxNow}
	tests := []struct {
		name     string
		mod      func(*PledgeContributionCommand)
		existing ContributionState
		funder   FunderState
		want     error
	}{
		{"to a programme", func(*PledgeContributionCommand) {}, ContributionState{}, funder, nil},
		{"to a fund", func(c *PledgeContributionCommand) { c.ProgrammeID, c.FundID = "", "X1" }, ContributionState{}, funder, nil},
		{"both targets", func(c *PledgeContributionCommand) { c.FundID = "X1" }, ContributionState{}, funder, ErrInvalidArgument},
		{"no target", func(c *PledgeContributionCommand) { c.ProgrammeID = "" }, ContributionState{}, funder, ErrInvalidArgument},
		{"zero amount", func(c *PledgeContributionCommand) { c.Amount = Money{} }, ContributionState{}, funder, ErrNonPositiveAmount},
		{"negative amount", func(c *PledgeContributionCommand) { c.Amount = eur("-1.00") }, ContributionState{}, funder, ErrNonPositiveAmount},
		{"unknown funder", func(*PledgeContributionCommand) {}, ContributionState{}, FunderState{}, ErrNotFound},
		{"already pledged", func(*PledgeContributionCommand) {}, contributionWith(), funder, ErrAlreadyExists},
		{"no date", func(c *PledgeContributionCommand) { c.PledgedOn = Date{} }, ContributionState{}, funder, ErrInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := ok
			tt.mod(&cmd)
			evs, err := PledgeContribution(cmd, tt.existing, tt.funder)
			checkErr(t, err, tt.want)
			if err == nil {
				s := Fold[ContributionState](evs)
				if !s.Pledged || !s.Pledge.Equal(cmd.Amount) || s.FundID != cmd.FundID {
					t.Fatalf("state %+v", s)
				}
			}
		})
	}
}

func TestRecordReceipt(t *testing.T) {
	tests := []struct {
		name   string
		state  ContributionState
		id     string
		amount string
		want   error
	}{
		{"first receipt", contributionWith(), "RC1", "400.00", nil},
		{"receipt up to the pledge", contributionWith(receipt("RC1", "400.00")), "RC2", "600.00", nil},
		{"receipt beyond the pledge", contributionWith(receipt("RC1", "400.00")), "RC2", "600.01", ErrReceiptExceedsPledge},
		{"fully received", contributionWith(receipt("RC1", "1000.00")), "RC2", "0.01", ErrReceiptExceedsPledge},
		{"duplicate receipt id", contributionWith(receipt("RC1", "400.00")), "RC1", "1.00", ErrAlreadyExists},
		{"zero", contributionWith(), "RC1", "0.00", ErrNonPositiveAmount},
		{"not pledged", ContributionState{}, "RC1", "1.00", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := RecordReceipt(RecordReceiptCommand{ContributionID: "C1", ReceiptID: tt.id, Amount: eur(tt.amount), ReceivedOn: day("2026-02-01"), Now: fxNow}, tt.state)
			checkErr(t, err, tt.want)
			if err == nil {
				ev := evs[0].(ContributionReceived)
				if ev.FunderID != "F1" || ev.ProgrammeID != "P1" {
					t.Fatalf("event %+v", ev)
				}
			}
		})
	}
	_, err := RecordReceipt(RecordReceiptCommand{ContributionID: "C1", ReceiptID: "RC2", Amount: eur("700.00"), ReceivedOn: day("2026-02-01"), Now: fxNow}, contributionWith(receipt("RC1", "400.00")))
	var le *LimitError
	if !errors.As(err, &le) || !le.Limit.Equal(eur("600.00")) || !le.Requested.Equal(eur("700.00")) {
		t.Fatalf("limit error %#v", err)
	}
}

func TestGrantAdvance(t *testing.T) {
	tests := []struct {
		name   string
		state  ContributionState
		id     string
		amount string
		want   error
	}{
		{"whole pledge", contributionWith(), "A1", "1000.00", nil},
		{"beyond the pledge", contributionWith(), "A1", "1000.01", ErrAdvanceExceedsPledge},
		{"beyond pledge minus received", contributionWith(receipt("RC1", "300.00")), "A1", "700.01", ErrAdvanceExceedsPledge},
		{"up to pledge minus received", contributionWith(receipt("RC1", "300.00")), "A1", "700.00", nil},
		{"beyond what is left after advances", contributionWith(advance("A1", "600.00")), "A2", "400.01", ErrAdvanceExceedsPledge},
		{"up to what is left after advances", contributionWith(advance("A1", "600.00")), "A2", "400.00", nil},
		{"repaid advance frees room", contributionWith(advance("A1", "600.00"), receipt("RC1", "600.00"), repayment("A1", "RP1", "600.00")), "A2", "400.00", nil},
		{"received but not repaid", contributionWith(advance("A1", "600.00"), receipt("RC1", "600.00")), "A2", "0.01", ErrAdvanceExceedsPledge},
		{"duplicate id", contributionWith(advance("A1", "100.00")), "A1", "1.00", ErrAlreadyExists},
		{"zero", contributionWith(), "A1", "0.00", ErrNonPositiveAmount},
		{"not pledged", ContributionState{}, "A1", "1.00", ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GrantAdvance(GrantAdvanceCommand{ContributionID: "C1", AdvanceID: tt.id, Amount: eur(tt.amount), GrantedOn: day("2026-02-01"), Now: fxNow}, tt.state)
			checkErr(t, err, tt.want)
		})
	}
}

func TestRepayAdvance(t *testing.T) {
	tests := []struct {
		name   string
		state  ContributionState
		adv    string
		id     string
		amount string
		want   error
	}{
		{"repay from receipts", contributionWith(advance("A1", "600.00"), receipt("RC1", "600.00")), "A1", "RP1", "600.00", nil},
		{"partial repayment", contributionWith(advance("A1", "600.00"), receipt("RC1", "200.00")), "A1", "RP1", "200.00", nil},
		{"more than the receipts", contributionWith(advance("A1", "600.00"), receipt("RC1", "200.00")), "A1", "RP1", "200.01", ErrRepaymentExceedsReceipts},
		{"nothing received", contributionWith(advance("A1", "600.00")), "A1", "RP1", "1.00", ErrRepaymentExceedsReceipts},
		{"cumulative repayments beyond receipts", contributionWith(advance("A1", "300.00"), advance("A2", "300.00"), receipt("RC1", "400.00"), repayment("A1", "RP1", "300.00")), "A2", "RP2", "100.01", ErrRepaymentExceedsReceipts},
		{"cumulative repayments up to receipts", contributionWith(advance("A1", "300.00"), advance("A2", "300.00"), receipt("RC1", "400.00"), repayment("A1", "RP1", "300.00")), "A2", "RP2", "100.00", nil},
		{"more than the advance", contributionWith(advance("A1", "600.00"), receipt("RC1", "1000.00")), "A1", "RP1", "600.01", ErrRepaymentExceedsAdvance},
		{"advance already repaid", contributionWith(advance("A1", "600.00"), receipt("RC1", "1000.00"), repayment("A1", "RP1", "600.00")), "A1", "RP2", "0.01", ErrRepaymentExceedsAdvance},
		{"unknown advance", contributionWith(receipt("RC1", "100.00")), "A9", "RP1", "1.00", ErrNotFound},
		{"duplicate repayment id", contributionWith(advance("A1", "600.00"), receipt("RC1", "600.00"), repayment("A1", "RP1", "100.00")), "A1", "RP1", "1.00", ErrAlreadyExists},
		{"zero", contributionWith(advance("A1", "600.00"), receipt("RC1", "600.00")), "A1", "RP1", "0.00", ErrNonPositiveAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := RepayAdvance(RepayAdvanceCommand{ContributionID: "C1", AdvanceID: tt.adv, RepaymentID: tt.id, Amount: eur(tt.amount), RepaidOn: day("2026-03-09"), Now: fxNow}, tt.state)
			checkErr(t, err, tt.want)
			if err == nil {
				after := tt.state
				after.Apply(evs[0])
				a, _ := after.Advance(tt.adv)
				if a.Outstanding().IsNegative() || after.Repaid.GreaterThan(after.Received) {
					t.Fatalf("invariant broken: %+v", after)
				}
			}
		})
	}
	s := contributionWith(advance("A1", "600.00"), advance("A2", "100.00"), receipt("RC1", "600.00"), repayment("A1", "RP1", "250.00"))
	if !s.OutstandingAdvances().Equal(eur("450.00")) || !s.NotReceived().Equal(eur("400.00")) || s.CashAccount() != "cash:programme:P1" {
		t.Fatalf("state figures %+v", s)
	}
}

func TestAgeingBucket(t *testing.T) {
	granted := day("2025-01-01")
	tests := []struct {
		days int
		want string
	}{
		{-3, "0-90"}, {0, "0-90"}, {90, "0-90"}, {91, "91-180"}, {180, "91-180"},
		{181, "181-365"}, {365, "181-365"}, {366, "365+"}, {1000, "365+"},
	}
	for _, tt := range tests {
		if got := AgeingBucket(granted, granted.AddDays(tt.days)); got != tt.want {
			t.Errorf("age %d days: %s, want %s", tt.days, got, tt.want)
		}
	}
}
