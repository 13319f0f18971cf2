package domain

import (
	"testing"
	"time"
)

func TestReverseRedemption(t *testing.T) {
	serial := SerialFor("CARNETA1", 1)
	tests := []struct {
		name  string
		setup func(w *fxWorld)
		cmd   ReverseRedemptionCommand
		want  error
	}{
		{name: "accepted", cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow.Add(time.Hour)}},
		{name: "named redemption", cmd: ReverseRedemptionCommand{Serial: serial, RedemptionID: "R1", PlaceID: "L1", Now: fxNow}},
		{name: "at exactly 48 h", cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow.Add(48 * time.Hour)}},
		{name: "after 48 h", want: ErrReversalWindowClosed, cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow.Add(48*time.Hour + time.Second)}},
		{name: "another place", want: ErrNotYourRedemption, cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L2", Now: fxNow}},
		{name: "another redemption id", want: ErrNotFound, cmd: ReverseRedemptionCommand{Serial: serial, RedemptionID: "R9", PlaceID: "L1", Now: fxNow}},
		{name: "batched", want: ErrRedemptionAlreadyBatched,
			setup: func(w *fxWorld) {
				w.apply(CreateReimbursementBatch(CreateReimbursementBatchCommand{BatchID: "B1", CutOff: DateOf(fxNow), Now: fxNow}, BatchState{}, []ChequeState{w.cheque(serial)}))
			},
			cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow}},
		{name: "twice", want: ErrRedemptionAlreadyReversed,
			setup: func(w *fxWorld) {
				w.on(ChequeStream(serial))(ReverseRedemption(ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow}, w.cheque(serial), w.programme("P63")))
			},
			cmd: ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow}},
		{name: "twice by id after a new redemption", want: ErrRedemptionAlreadyReversed,
			setup: func(w *fxWorld) {
				w.on(ChequeStream(serial))(ReverseRedemption(ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: fxNow}, w.cheque(serial), w.programme("P63")))
				w.mustRedeem(redeemCmd(serial, "R2"))
			},
			cmd: ReverseRedemptionCommand{Serial: serial, RedemptionID: "R1", PlaceID: "L1", Now: fxNow}},
		{name: "never redeemed", want: ErrChequeNotRedeemed, cmd: ReverseRedemptionCommand{Serial: SerialFor("CARNETA1", 2), PlaceID: "L1", Now: fxNow}},
		{name: "bad serial", want: ErrInvalidSerial, cmd: ReverseRedemptionCommand{Serial: "X", PlaceID: "L1", Now: fxNow}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.mustRedeem(redeemCmd(serial, "R1"))
			if tt.setup != nil {
				tt.setup(w)
			}
			evs, err := ReverseRedemption(tt.cmd, w.cheque(tt.cmd.Serial), w.programme("P63"))
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			r := evs[0].(RedemptionReversed)
			if r.RedemptionID != "R1" || r.PlaceID != "L1" || !r.Amount.Equal(eur("10.00")) || !r.Fee.IsZero() {
				t.Fatalf("reversal %+v", r)
			}
			w.store.add(ChequeStream(serial), evs...)
			if s := w.cheque(serial); s.Redeemed || !s.Unredeemed() {
				t.Fatalf("cheque not redeemable after reversal: %+v", s)
			}
		})
	}
}

// A redemption on the last redeemable day, reversed after the programme's
// close: the cheque expires at once, its value returning to the funders.
func TestReverseRedemptionAfterClose(t *testing.T) {
	w := newWorld(t)
	serial := SerialFor("CARNETA1", 1)
	lastDay := day("2027-01-31").Time().Add(20 * time.Hour)
	c := redeemCmd(serial, "R1")
	c.SessionDate, c.Now = DateOf(lastDay), lastDay
	w.mustRedeem(c)
	closing := day("2027-02-01").Time().Add(time.Hour)
	w.apply(CloseProgramme(CloseProgrammeCommand{ProgrammeID: "P63", AsOf: DateOf(closing), Now: closing}, w.programme("P63"), []ChequeState{w.cheque(serial)}))
	if w.cheque(serial).Expired {
		t.Fatal("a redeemed cheque expired at close")
	}
	evs := w.on(ChequeStream(serial))(ReverseRedemption(ReverseRedemptionCommand{Serial: serial, PlaceID: "L1", Now: closing.Add(time.Hour)}, w.cheque(serial), w.programme("P63")))
	if len(evs) != 2 {
		t.Fatalf("events %v", evs)
	}
	if exp := evs[1].(ChequeExpired); !exp.Amount.Equal(evs[0].(RedemptionReversed).Amount) || exp.ExpiredOn != DateOf(closing) {
		t.Fatalf("expiry %+v", exp)
	}
	if s := w.cheque(serial); !s.Expired || s.Redeemed {
		t.Fatalf("cheque %+v", s)
	}
	bal := trialBalance(t, w.store.all())
	if !bal[AccountPlacePayable("L1")].IsZero() || !bal[AccountProgrammeCheques("P63")].IsZero() {
		t.Fatalf("balances %v", bal)
	}
}
