package domain

import (
	"testing"
	"time"
)

func TestCloseProgramme(t *testing.T) {
	after := day("2027-02-01") // valid until 2026-12-31 + 31 days grace = 2027-01-31
	nowAfter := after.Time().Add(9 * time.Hour)
	tests := []struct {
		name  string
		setup func(w *fxWorld)
		asOf  Date
		now   time.Time
		want  error
	}{
		{name: "accepted", asOf: after, now: nowAfter},
		{name: "on the last redeemable day", asOf: day("2027-01-31"), now: nowAfter, want: ErrProgrammeStillValid},
		{name: "during validity", asOf: day("2026-06-01"), now: nowAfter, want: ErrProgrammeStillValid},
		{name: "as-of in the future", asOf: after.AddDays(1), now: nowAfter, want: ErrDateInFuture},
		{name: "twice", asOf: after, now: nowAfter, want: ErrProgrammeClosed,
			setup: func(w *fxWorld) {
				w.store.add(ProgrammeStream("P63"), ProgrammeClosed{ProgrammeID: "P63", ClosedOn: after})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			_, err := CloseProgramme(CloseProgrammeCommand{ProgrammeID: "P63", AsOf: tt.asOf, Now: tt.now}, w.programme("P63"), nil)
			checkErr(t, err, tt.want)
		})
	}
}

// Redeemed, reversed, blocked and untouched cheques at close; unminted
// funding returns to the funders.
func TestCloseProgrammeExpiresUnredeemedCheques(t *testing.T) {
	w := newWorld(t)
	// CARNETA1: cheque 1 redeemed, cheque 2 redeemed then reversed.
	s1, s2 := SerialFor("CARNETA1", 1), SerialFor("CARNETA1", 2)
	w.mustRedeem(redeemCmd(s1, "R1"))
	w.mustRedeem(redeemCmd(s2, "R2"))
	w.on(ChequeStream(s2))(ReverseRedemption(ReverseRedemptionCommand{Serial: s2, PlaceID: "L1", Now: fxNow}, w.cheque(s2), w.programme("P63")))
	// CARNETB2 cancelled: its 10 cheques are blocked.
	w.apply(CancelCarnet(CancelCarnetCommand{CarnetID: "CARNETB2", PrescriberID: "PR1", Reason: CancelLost, Now: fxNow}, w.carnet("CARNETB2"), w.programme("P63"), nil))
	var states []ChequeState
	for _, serial := range w.programme("P63").Serials() {
		if _, ok := w.store[ChequeStream(serial)]; ok {
			states = append(states, w.cheque(serial))
		}
	}
	changes := w.apply(CloseProgramme(CloseProgrammeCommand{ProgrammeID: "P63", AsOf: day("2027-02-01"), Now: day("2027-02-01").Time()}, w.programme("P63"), states))
	// 9 expire: A1 cheques 2..10.
	if len(changes) != 10 {
		t.Fatalf("%d changes", len(changes))
	}
	closed := changes[0].Events[0].(ProgrammeClosed)
	// funding 100 000.00, minted 2 carnets = 200.00, unminted 99 800.00.
	if closed.ExpiredCount != 9 || !closed.ExpiredValue.Equal(eur("90.00")) || !closed.Unminted.Equal(eur("99800.00")) {
		t.Fatalf("closed %+v", closed)
	}
	for i, c := range changes[1:] {
		e := c.Events[0].(ChequeExpired)
		if e.Serial != SerialFor("CARNETA1", i+2) || c.Stream != ChequeStream(e.Serial) || !e.Amount.Equal(eur("10.00")) || e.ExpiredOn != day("2027-02-01") {
			t.Fatalf("expired %+v", e)
		}
	}
	p := w.programme("P63")
	if !p.Closed || p.ClosedOn != day("2027-02-01") {
		t.Fatalf("programme %+v", p)
	}
	if _, err := w.redeem(redeemCmd(s2, "R3")); err == nil {
		t.Fatal("expired cheque redeemed")
	}
	// Every money event of the programme's life balances; no cheque is
	// outstanding any more: 200.00 minted = 10.00 redeemed (owed to L1) +
	// 100.00 blocked + 90.00 expired. The world pledged nothing, so the
	// funding account shows the 100 000.00 minted or returned as a debit.
	bal := trialBalance(t, w.store.all())
	want := map[string]string{
		AccountProgrammeCheques("P63"): "0.00",
		AccountPlacePayable("L1"):      "-10.00",
		AccountProgrammeFunding("P63"): "100000.00",
		// 99 800.00 unminted + 100.00 blocked + 90.00 expired
		AccountProgrammeReturned("P63"): "-99990.00",
	}
	for acc, v := range want {
		if !bal[acc].Equal(eur(v)) {
			t.Errorf("%s = %s, want %s", acc, bal[acc], v)
		}
	}
	// Per funder (5/3/2): 49 900.00 unminted + 50.00 blocked + 45.00 expired
	// for the State, …; each consumed part is its line, 0.00 left in the
	// programme.
	var totals AttributionTotals
	for _, e := range w.store.all() {
		totals.Apply(e)
	}
	p = w.programme("P63")
	attr, err := AttributeProgramme(p.Funders, totals)
	if err != nil {
		t.Fatal(err)
	}
	wantReturned := []string{"49995.00", "29997.00", "19998.00"}
	for j, s := range p.Funders {
		if got := attr.Unminted[j].Add(attr.Blocked[j]).Add(attr.Expired[j]); !got.Equal(eur(wantReturned[j])) {
			t.Errorf("%s returned %s, want %s", s.FunderID, got, wantReturned[j])
		}
		if !attr.Consumed(j).Equal(s.Amount) {
			t.Errorf("%s consumed %s, line %s", s.FunderID, attr.Consumed(j), s.Amount)
		}
	}
}
