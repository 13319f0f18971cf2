package domain

import (
	"fmt"
	"testing"
	"time"
)

// The worked example of the specification, run through the pure domain:
//
// "Pass numérique Puy-de-Dôme 2026" (territory 63) is funded by
//
//	State       50 000.00   (50 %)
//	Département 30 000.00   (30 %)
//	CAF         20 000.00   (20 %)
//	total      100 000.00
//
// 1 000 carnets of 10 cheques of €10.00 are minted: 10 000 cheques, the
// whole 100 000.00. 30 carnets are issued and their 300 cheques redeemed
// (3 000.00); the programme closes and the other 9 700 cheques (97 000.00)
// expire. A €10.00 cheque splits 5.00 / 3.00 / 2.00 exactly, so, by hand:
//
//	redeemed  300 × 5.00 = 1 500.00 State, 300 × 3.00 = 900.00 Département, 300 × 2.00 = 600.00 CAF  (= 3 000.00)
//	expired 9 700 × 5.00 = 48 500.00 State, 9 700 × 3.00 = 29 100.00 Département, 9 700 × 2.00 = 19 400.00 CAF  (= 97 000.00)
//
// The test computes these figures by summing the attributions written in the
// ChequeRedeemed and ChequeExpired events, and checks that the postings of
// every event of the example give a zero trial balance with the expected
// account balances.
func TestWorkedExamplePuyDeDome(t *testing.T) {
	w := &fxWorld{t: t, store: fxStore{}}
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

	funders := []struct {
		id     string
		kind   FunderKind
		amount string
	}{{"STATE", FunderKindState, "50000.00"}, {"DEP63", FunderKindDepartement, "30000.00"}, {"CAF63", FunderKindCAF, "20000.00"}}
	var lines []FundingLine
	for _, f := range funders {
		w.on(FunderStream(f.id))(RegisterFunder(RegisterFunderCommand{FunderID: f.id, Name: f.id, Kind: f.kind, Now: now}, FunderState{}))
		lines = append(lines, FundingLine{FunderID: f.id, Amount: eur(f.amount)})
	}
	w.apply(CreateProgramme(CreateProgrammeCommand{
		ProgrammeID: "PN63-2026", Name: "Pass numérique Puy-de-Dôme 2026", Territory: "63",
		ValidFrom: day("2026-01-01"), ValidUntil: day("2026-12-31"), FundingLines: lines, Now: now,
	}, ProgrammeState{}, nil))
	// Each funder pledges its line to the programme and pays it.
	for _, f := range funders {
		c := "C-" + f.id
		w.on(ContributionStream(c))(PledgeContribution(PledgeContributionCommand{ContributionID: c, FunderID: f.id, ProgrammeID: "PN63-2026", Amount: eur(f.amount), PledgedOn: day("2026-01-05"), Now: now}, ContributionState{}, w.funder(f.id)))
		w.on(ContributionStream(c))(RecordReceipt(RecordReceiptCommand{ContributionID: c, ReceiptID: "RC-" + f.id, Amount: eur(f.amount), ReceivedOn: day("2026-01-05"), Now: now}, Fold[ContributionState](w.store[ContributionStream(c)])))
	}
	w.on(PrescriberStream("CCAS63"))(RegisterPrescriber(RegisterPrescriberCommand{PrescriberID: "CCAS63", Name: "CCAS de Clermont-Ferrand", Kind: PrescriberKindCCAS, Territory: "63", Now: now}, PrescriberState{}))
	w.on(PlaceStream("EPN-THIERS"))(RegisterPlace(RegisterPlaceCommand{PlaceID: "EPN-THIERS", Name: "EPN de Thiers", SIRET: fxSIRET, Territory: "63", Now: now}, PlaceState{}))
	w.on(PlaceStream("EPN-THIERS"))(ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "EPN-THIERS", Action: LabelGrant, EffectiveOn: day("2026-01-01"), Now: now}, w.place("EPN-THIERS")))

	// Mint 1 000 carnets of 10 × €10.00 = 100 000.00, the whole funding.
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = fmt.Sprintf("PN63%05d", i)
	}
	w.apply(MintCarnets(MintCarnetsCommand{ProgrammeID: "PN63-2026", PrescriberID: "CCAS63", CarnetIDs: ids, Now: now}, w.programme("PN63-2026"), w.prescriber("CCAS63")))
	if p := w.programme("PN63-2026"); !p.Minted.Equal(eur("100000.00")) || len(p.Serials()) != 10000 {
		t.Fatalf("minted %s in %d cheques", p.Minted, len(p.Serials()))
	}
	if _, err := MintCarnets(MintCarnetsCommand{ProgrammeID: "PN63-2026", PrescriberID: "CCAS63", CarnetIDs: []string{"EXTRA001"}, Now: now}, w.programme("PN63-2026"), w.prescriber("CCAS63")); err == nil {
		t.Fatal("minted beyond the funding")
	}

	// Issue 30 carnets (every 33rd) and redeem their 300 cheques in March.
	march := time.Date(2026, 3, 16, 14, 0, 0, 0, time.UTC)
	var redeemed []ChequeState
	n := 0
	for k := 0; k < 30; k++ {
		id := ids[k*33]
		c := w.carnet(id)
		ref := fmt.Sprintf("CCAS63-2026-%04d", k)
		claim := Fold[BeneficiaryClaimState](w.store[BeneficiaryStream("PN63-2026", BeneficiaryHash(fxBenKey, ref))])
		w.apply(IssueCarnet(IssueCarnetCommand{CarnetID: id, PrescriberID: "CCAS63", BeneficiaryRef: ref, NeedLevel: NeedInclusion, Now: now}, c, w.programme("PN63-2026"), claim, fxBenKey))
		for i := 1; i <= 10; i++ {
			serial := SerialFor(id, i)
			n++
			evs, err := RedeemCheque(RedeemChequeCommand{
				Serial: serial, CheckCode: CheckCode(fxCheckKey, serial), PlaceID: "EPN-THIERS",
				SessionDate: DateOf(march), Service: "atelier démarches en ligne", RedemptionID: fmt.Sprintf("RD%05d", n), Now: march,
			}, w.cheque(serial), w.carnet(id), w.programme("PN63-2026"), w.place("EPN-THIERS"), fxCheckKey)
			w.on(ChequeStream(serial))(evs, err)
			redeemed = append(redeemed, w.cheque(serial))
		}
	}

	// Reimburse the place in April from the programme's ring-fenced cash.
	april := time.Date(2026, 4, 3, 9, 0, 0, 0, time.UTC)
	w.apply(CreateReimbursementBatch(CreateReimbursementBatchCommand{BatchID: "B-2026-03", CutOff: day("2026-03-31"), Now: april}, BatchState{}, redeemed))
	cash := trialBalance(t, w.store.all())[AccountProgrammeCash("PN63-2026")]
	w.on(BatchStream("B-2026-03"))(PayReimbursementBatch(PayReimbursementBatchCommand{BatchID: "B-2026-03", PaidOn: DateOf(april), BankReference: "VIR-2026-04-03", Now: april}, Fold[BatchState](w.store[BatchStream("B-2026-03")]), map[string]Money{"PN63-2026": cash}))

	// Close after the validity end (2026-12-31) and the 31 days of grace.
	closing := time.Date(2027, 2, 1, 8, 0, 0, 0, time.UTC)
	var touched []ChequeState
	for _, serial := range w.programme("PN63-2026").Serials() {
		if _, ok := w.store[ChequeStream(serial)]; ok {
			touched = append(touched, w.cheque(serial))
		}
	}
	changes := w.apply(CloseProgramme(CloseProgrammeCommand{ProgrammeID: "PN63-2026", AsOf: DateOf(closing), Now: closing}, w.programme("PN63-2026"), touched))
	if len(changes) != 1+9700 {
		t.Fatalf("%d changes at close", len(changes))
	}

	// Attribute the programme's totals, folded from the events.
	redeemedBy, expiredBy := map[string]Money{}, map[string]Money{}
	var redeemedCount, expiredCount int
	var totals AttributionTotals
	for _, e := range w.store.all() {
		switch e.(type) {
		case ChequeRedeemed:
			redeemedCount++
		case ChequeExpired:
			expiredCount++
		}
		totals.Apply(e)
	}
	shares := w.programme("PN63-2026").Funders
	attr, err := AttributeProgramme(shares, totals)
	if err != nil {
		t.Fatal(err)
	}
	for j, s := range shares {
		redeemedBy[s.FunderID] = redeemedBy[s.FunderID].Add(attr.Redeemed[j])
		expiredBy[s.FunderID] = expiredBy[s.FunderID].Add(attr.Expired[j])
		if !attr.Consumed(j).Equal(s.Amount) {
			t.Errorf("%s: consumed %s of its line %s after the close", s.FunderID, attr.Consumed(j), s.Amount)
		}
	}
	if redeemedCount != 300 || expiredCount != 9700 {
		t.Fatalf("%d redeemed, %d expired", redeemedCount, expiredCount)
	}
	wantRedeemed := map[string]string{"STATE": "1500.00", "DEP63": "900.00", "CAF63": "600.00"}
	wantExpired := map[string]string{"STATE": "48500.00", "DEP63": "29100.00", "CAF63": "19400.00"}
	for f, v := range wantRedeemed {
		if !redeemedBy[f].Equal(eur(v)) {
			t.Errorf("%s redeemed %s, want %s", f, redeemedBy[f], v)
		}
	}
	for f, v := range wantExpired {
		if !expiredBy[f].Equal(eur(v)) {
			t.Errorf("%s expired %s, want %s", f, expiredBy[f], v)
		}
	}

	// Trial balance: zero in total (checked by trialBalance), and per account:
	bal := trialBalance(t, w.store.all())
	wantBal := map[string]string{
		// pledges received in full
		AccountFunderReceivable("STATE", "C-STATE"): "0.00",
		AccountFunderReceivable("DEP63", "C-DEP63"): "0.00",
		AccountFunderReceivable("CAF63", "C-CAF63"): "0.00",
		// 100 000.00 pledged, all minted; every cheque redeemed or expired
		AccountProgrammeFunding("PN63-2026"): "0.00",
		AccountProgrammeCheques("PN63-2026"): "0.00",
		// 3 000.00 owed to the place, batched and paid
		AccountPlacePayable("EPN-THIERS"): "0.00",
		AccountPlaceBatched("EPN-THIERS"): "0.00",
		// 100 000.00 received − 3 000.00 paid out
		AccountProgrammeCash("PN63-2026"): "97000.00",
		// expired value returned to the funders (48 500 / 29 100 / 19 400 above)
		AccountProgrammeReturned("PN63-2026"): "-97000.00",
	}
	for acc, v := range wantBal {
		if !bal[acc].Equal(eur(v)) {
			t.Errorf("balance %s = %s, want %s", acc, bal[acc], v)
		}
	}
	if closed := changes[0].Events[0].(ProgrammeClosed); closed.ExpiredCount != 9700 || !closed.ExpiredValue.Equal(eur("97000.00")) || !closed.Unminted.IsZero() {
		t.Errorf("closed %+v", closed)
	}
}
