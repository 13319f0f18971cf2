package domain

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

func TestRedeemChequeRules(t *testing.T) {
	serialA1 := SerialFor("CARNETA1", 1)
	serialB1 := SerialFor("CARNETB2", 1)
	at := func(s string) time.Time { return day(s).Time().Add(15 * time.Hour) }
	tests := []struct {
		name  string
		opts  []func(*CreateProgrammeCommand)
		setup func(w *fxWorld)
		cmd   func() RedeemChequeCommand
		key   []byte
		want  error
	}{
		{name: "accepted", cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "session today accepted", cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate = DateOf(fxNow)
			return c
		}},
		{name: "malformed serial", want: ErrInvalidSerial, cmd: func() RedeemChequeCommand { return redeemCmd("CARNETA1-01", "R1") }},
		{name: "lower-case serial is not canonical", want: ErrInvalidSerial, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.Serial = strings.ToLower(serialA1)
			return c
		}},
		{name: "mistyped serial", want: ErrInvalidSerial, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.Serial = "CARNETA7" + serialA1[8:]
			return c
		}},
		{name: "wrong check code", want: ErrInvalidCheckCode, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.CheckCode = "000000"
			if c.CheckCode == CheckCode(fxCheckKey, serialA1) {
				c.CheckCode = "000001"
			}
			return c
		}},
		{name: "check code of another serial", want: ErrInvalidCheckCode, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.CheckCode = CheckCode(fxCheckKey, SerialFor("CARNETA1", 2))
			return c
		}},
		{name: "no key", key: []byte{}, want: ErrMissingKey, cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "unknown carnet", want: ErrNotFound, cmd: func() RedeemChequeCommand { return redeemCmd(SerialFor("ZZZZ9999", 1), "R1") }},
		{name: "index beyond carnet size", want: ErrInvalidSerial, cmd: func() RedeemChequeCommand { return redeemCmd(SerialFor("CARNETA1", 11), "R1") }},
		{name: "carnet not issued", want: ErrCarnetNotIssued, cmd: func() RedeemChequeCommand { return redeemCmd(serialB1, "R1") }},
		{name: "already redeemed", want: ErrChequeAlreadyRedeemed,
			setup: func(w *fxWorld) { w.mustRedeem(redeemCmd(serialA1, "R0")) },
			cmd:   func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "already redeemed by another place", want: ErrChequeAlreadyRedeemed,
			opts:  []func(*CreateProgrammeCommand){func(c *CreateProgrammeCommand) { c.AllowOutsideTerritory = true }},
			setup: func(w *fxWorld) { w.mustRedeem(redeemCmd(serialA1, "R0")) },
			cmd: func() RedeemChequeCommand {
				c := redeemCmd(serialA1, "R1")
				c.PlaceID = "L2"
				return c
			}},
		{name: "redeemable again after reversal",
			setup: func(w *fxWorld) {
				w.mustRedeem(redeemCmd(serialA1, "R0"))
				w.on(ChequeStream(serialA1))(ReverseRedemption(ReverseRedemptionCommand{Serial: serialA1, PlaceID: "L1", Now: fxNow}, w.cheque(serialA1), w.programme("P63")))
			},
			cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "reversed redemption id cannot be reused", want: ErrAlreadyExists,
			setup: func(w *fxWorld) {
				w.mustRedeem(redeemCmd(serialA1, "R0"))
				w.on(ChequeStream(serialA1))(ReverseRedemption(ReverseRedemptionCommand{Serial: serialA1, PlaceID: "L1", Now: fxNow}, w.cheque(serialA1), w.programme("P63")))
			},
			cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R0") }},
		{name: "carnet cancelled", want: ErrChequeBlocked,
			setup: func(w *fxWorld) {
				var states []ChequeState
				w.apply(CancelCarnet(CancelCarnetCommand{CarnetID: "CARNETA1", PrescriberID: "PR1", Reason: CancelStolen, Now: fxNow}, w.carnet("CARNETA1"), w.programme("P63"), states))
			},
			cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "cheque expired", want: ErrChequeExpired,
			setup: func(w *fxWorld) {
				w.store.add(ChequeStream(serialA1), ChequeExpired{Serial: serialA1, CarnetID: "CARNETA1", ProgrammeID: "P63", Amount: eur("10.00")})
			},
			cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "programme closed", want: ErrProgrammeClosed,
			setup: func(w *fxWorld) { w.store.add(ProgrammeStream("P63"), ProgrammeClosed{ProgrammeID: "P63"}) },
			cmd:   func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "session before validity", want: ErrOutsideValidity, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate = day("2025-12-31")
			return c
		}},
		{name: "session on first day", cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate = day("2026-01-01")
			return c
		}},
		{name: "session in grace period, redeemed on last day", cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate, c.Now = day("2027-01-31"), at("2027-01-31")
			return c
		}},
		{name: "session after grace", want: ErrOutsideValidity, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate, c.Now = day("2027-02-01"), at("2027-02-01")
			return c
		}},
		{name: "grace 0: session the day after validity", want: ErrOutsideValidity,
			opts: []func(*CreateProgrammeCommand){func(c *CreateProgrammeCommand) { c.GraceDays = intPtr(0) }},
			cmd: func() RedeemChequeCommand {
				c := redeemCmd(serialA1, "R1")
				c.SessionDate, c.Now = day("2027-01-01"), at("2027-01-01")
				return c
			}},
		{name: "valid session but redeemed after grace", want: ErrOutsideValidity, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate, c.Now = day("2026-12-31"), at("2027-02-01")
			return c
		}},
		{name: "session in the future", want: ErrSessionInFuture, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate = DateOf(fxNow).AddDays(1)
			return c
		}},
		{name: "place never labelled", want: ErrPlaceNotLabelled,
			setup: func(w *fxWorld) {
				w.on(PlaceStream("L3"))(RegisterPlace(RegisterPlaceCommand{PlaceID: "L3", Name: "Médiathèque", SIRET: fxSIRET, Territory: "63", Now: fxNow}, PlaceState{}))
			},
			cmd: func() RedeemChequeCommand {
				c := redeemCmd(serialA1, "R1")
				c.PlaceID = "L3"
				return c
			}},
		{name: "label suspended before the session", want: ErrPlaceNotLabelled,
			setup: func(w *fxWorld) {
				w.on(PlaceStream("L1"))(ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "L1", Action: LabelSuspend, EffectiveOn: day("2026-03-01"), Now: fxNow}, w.place("L1")))
			},
			cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "label suspended after the session still counts", setup: func(w *fxWorld) {
			w.on(PlaceStream("L1"))(ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: "L1", Action: LabelSuspend, EffectiveOn: day("2026-03-10"), Now: fxNow}, w.place("L1")))
		}, cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R1") }},
		{name: "unknown place", want: ErrNotFound, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.PlaceID = "L9"
			return c
		}},
		{name: "place outside territory", want: ErrPlaceOutsideTerritory, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.PlaceID = "L2"
			return c
		}},
		{name: "place outside territory allowed",
			opts: []func(*CreateProgrammeCommand){func(c *CreateProgrammeCommand) { c.AllowOutsideTerritory = true }},
			cmd: func() RedeemChequeCommand {
				c := redeemCmd(serialA1, "R1")
				c.PlaceID = "L2"
				return c
			}},
		{name: "empty service", want: ErrInvalidArgument, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.Service = "  "
			return c
		}},
		{name: "bad redemption id", want: ErrInvalidArgument, cmd: func() RedeemChequeCommand { return redeemCmd(serialA1, "R 1") }},
		{name: "no session date", want: ErrInvalidArgument, cmd: func() RedeemChequeCommand {
			c := redeemCmd(serialA1, "R1")
			c.SessionDate = Date{}
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, tt.opts...)
			if tt.setup != nil {
				tt.setup(w)
			}
			cmd := tt.cmd()
			carnetID, _, _ := ParseSerial(cmd.Serial)
			if carnetID == "" {
				carnetID = "CARNETA1"
			}
			c := w.carnet(carnetID)
			key := fxCheckKey
			if tt.key != nil {
				key = tt.key
			}
			evs, err := RedeemCheque(cmd, w.cheque(cmd.Serial), c, w.programme("P63"), w.place(cmd.PlaceID), key)
			checkErr(t, err, tt.want)
			if tt.want != nil {
				if evs != nil {
					t.Fatalf("events returned with an error: %v", evs)
				}
				return
			}
			r := evs[0].(ChequeRedeemed)
			if r.Serial != cmd.Serial || r.RedemptionID != cmd.RedemptionID || r.PlaceID != cmd.PlaceID || !r.Amount.Equal(eur("10.00")) {
				t.Fatalf("unexpected event %+v", r)
			}
		})
	}
}

func TestRedeemChequeEventContent(t *testing.T) {
	rate := decimal.RequireFromString("0.04")
	w := newWorld(t, func(c *CreateProgrammeCommand) { c.OperatorFeeRate = &rate })
	serial := SerialFor("CARNETA1", 3)
	r := w.mustRedeem(redeemCmd(serial, "R1"))
	want := ChequeRedeemed{
		RedemptionID: "R1", Serial: serial, CarnetID: "CARNETA1", ProgrammeID: "P63", PlaceID: "L1",
		PlaceTerritory: "63", ProgrammeTerritory: "63", SessionDate: day("2026-03-09"),
		Service: "atelier smartphone", Amount: eur("10.00"), RedeemedAt: fxNow,
		// fee 4 % of 10.00; no attribution: AttributeProgramme splits totals.
		Fee: eur("0.40"),
	}
	a, _ := EncodeEvent(r)
	b, _ := EncodeEvent(want)
	if string(a) != string(b) {
		t.Fatalf("got  %s\nwant %s", a, b)
	}
	if got := Fold[ChequeState](w.store[ChequeStream(serial)]); !got.Redeemed || got.Redemption.RedemptionID != "R1" {
		t.Fatalf("state %+v", got)
	}
}

// A 1/3-1/3-1/3 programme: the attribution of the running redeemed total is
// its largest-remainder split, so after 1, 2, 3, … cheques of 10.00 no funder
// is ever more than a cent from a third, and after 9 each has exactly 30.00.
func TestRedeemChequeRunningTotalAttribution(t *testing.T) {
	w := newWorld(t, func(c *CreateProgrammeCommand) {
		c.FundingLines = []FundingLine{
			{FunderID: "STATE", Amount: eur("1000.00")},
			{FunderID: "DEP63", Amount: eur("1000.00")},
			{FunderID: "CAF63", Amount: eur("1000.00")},
		}
	})
	funders := w.programme("P63").Funders
	var totals AttributionTotals
	for i := 1; i <= 9; i++ {
		totals.Apply(w.mustRedeem(redeemCmd(SerialFor("CARNETA1", i), "R"+string(rune('0'+i)))))
		a, err := AttributeProgramme(funders, totals)
		if err != nil {
			t.Fatal(err)
		}
		third := totals.Redeemed.Cents() / 3
		for k, p := range a.Redeemed {
			if c := p.Cents(); c != third && c != third+1 {
				t.Fatalf("after %d cheques funder %d has %s of %s", i, k, p, totals.Redeemed)
			}
		}
		if i == 9 && !(a.Redeemed[0].Equal(eur("30.00")) && a.Redeemed[1].Equal(eur("30.00")) && a.Redeemed[2].Equal(eur("30.00"))) {
			t.Fatalf("after 9 cheques %v", a.Redeemed)
		}
	}
}
