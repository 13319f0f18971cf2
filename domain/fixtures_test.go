package domain

import (
	"errors"
	"testing"
	"time"
)

// Shared fixtures of the write-model tests: a clock, keys, shorthand
// constructors, a tiny in-memory stream store that applies Changes, and a
// "world" built by the commands themselves (a Puy-de-Dôme programme with
// three funders, a prescriber, two labelled places and two carnets).

var (
	fxNow        = time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	fxCheckKey   = []byte("test-check-key-0123456789abcdef")
	fxBenKey     = []byte("test-beneficiary-key-0123456789")
	fxSIRET      = "73282932000074"
	fxOtherSIRET = "12345678901237"
)

func eur(s string) Money { return MustMoney(s) }
func day(s string) Date  { return MustDate(s) }
func intPtr(i int) *int  { return &i }

// checkErr fails the test unless err matches want (nil: no error).
func checkErr(t testing.TB, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// fxStore is an in-memory event store: stream id -> events.
type fxStore map[string][]Event

func (s fxStore) add(stream string, evs ...Event) { s[stream] = append(s[stream], evs...) }

func (s fxStore) all() []Event {
	var out []Event
	for _, evs := range s {
		out = append(out, evs...)
	}
	return out
}

type fxWorld struct {
	t     testing.TB
	store fxStore
}

// apply appends a multi-stream command's changes, failing on error.
func (w *fxWorld) apply(changes []Change, err error) []Change {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("command failed: %v", err)
	}
	for _, c := range changes {
		w.store.add(c.Stream, c.Events...)
	}
	return changes
}

// on returns a function appending a single-stream command's events to
// stream, failing on error: w.on(s)(Command(...)).
func (w *fxWorld) on(stream string) func([]Event, error) []Event {
	return func(evs []Event, err error) []Event {
		w.t.Helper()
		if err != nil {
			w.t.Fatalf("command on %s failed: %v", stream, err)
		}
		w.store.add(stream, evs...)
		return evs
	}
}

func (w *fxWorld) programme(id string) ProgrammeState {
	return Fold[ProgrammeState](w.store[ProgrammeStream(id)])
}
func (w *fxWorld) carnet(id string) CarnetState { return Fold[CarnetState](w.store[CarnetStream(id)]) }
func (w *fxWorld) cheque(serial string) ChequeState {
	return Fold[ChequeState](w.store[ChequeStream(serial)])
}
func (w *fxWorld) place(id string) PlaceState { return Fold[PlaceState](w.store[PlaceStream(id)]) }
func (w *fxWorld) prescriber(id string) PrescriberState {
	return Fold[PrescriberState](w.store[PrescriberStream(id)])
}
func (w *fxWorld) funder(id string) FunderState { return Fold[FunderState](w.store[FunderStream(id)]) }

// newWorld builds: funders STATE, DEP63, CAF63; programme P63 (territory 63,
// 2026-01-01..2026-12-31, grace 31 days, €10 cheques, 10 per carnet, lines
// 50 000 / 30 000 / 20 000, fee rate feeRate if not empty); prescriber PR1
// (63); place L1 (63) and L2 (15), both labelled from 2026-01-01; carnets
// CARNETA1 (issued to BEN-1) and CARNETB2 (not issued), both held by PR1.
func newWorld(t testing.TB, opts ...func(*CreateProgrammeCommand)) *fxWorld {
	t.Helper()
	w := &fxWorld{t: t, store: fxStore{}}
	for _, f := range []struct {
		id   string
		kind FunderKind
	}{{"STATE", FunderKindState}, {"DEP63", FunderKindDepartement}, {"CAF63", FunderKindCAF}} {
		evs, err := RegisterFunder(RegisterFunderCommand{FunderID: f.id, Name: "Funder " + f.id, Kind: f.kind, Now: fxNow}, FunderState{})
		w.on(FunderStream(f.id))(evs, err)
	}
	cmd := CreateProgrammeCommand{
		ProgrammeID: "P63", Name: "Pass numérique Puy-de-Dôme 2026", Territory: "63",
		ValidFrom: day("2026-01-01"), ValidUntil: day("2026-12-31"),
		FundingLines: []FundingLine{
			{FunderID: "STATE", Amount: eur("50000.00")},
			{FunderID: "DEP63", Amount: eur("30000.00")},
			{FunderID: "CAF63", Amount: eur("20000.00")},
		},
		Now: fxNow,
	}
	for _, o := range opts {
		o(&cmd)
	}
	w.apply(CreateProgramme(cmd, ProgrammeState{}, nil))
	evs, err := RegisterPrescriber(RegisterPrescriberCommand{PrescriberID: "PR1", Name: "CCAS de Clermont-Ferrand", Kind: PrescriberKindCCAS, Territory: "63", Now: fxNow}, PrescriberState{})
	w.on(PrescriberStream("PR1"))(evs, err)
	evs, err = RegisterPrescriber(RegisterPrescriberCommand{PrescriberID: "PR2", Name: "Mission locale", Kind: PrescriberKindMissionLocale, Territory: "63", Now: fxNow}, PrescriberState{})
	w.on(PrescriberStream("PR2"))(evs, err)
	for _, p := range []struct{ id, siret, territory string }{{"L1", fxSIRET, "63"}, {"L2", fxOtherSIRET, "15"}} {
		evs, err := RegisterPlace(RegisterPlaceCommand{PlaceID: p.id, Name: "EPN " + p.id, SIRET: p.siret, Territory: p.territory, Now: fxNow}, PlaceState{})
		w.on(PlaceStream(p.id))(evs, err)
		evs, err = ChangePlaceLabel(ChangePlaceLabelCommand{PlaceID: p.id, Action: LabelGrant, EffectiveOn: day("2026-01-01"), Now: fxNow}, w.place(p.id))
		w.on(PlaceStream(p.id))(evs, err)
	}
	w.apply(MintCarnets(MintCarnetsCommand{ProgrammeID: "P63", PrescriberID: "PR1", CarnetIDs: []string{"CARNETA1", "CARNETB2"}, Now: fxNow}, w.programme("P63"), w.prescriber("PR1")))
	w.issue("CARNETA1", "BEN-1")
	return w
}

func (w *fxWorld) issue(carnetID, ref string) {
	w.t.Helper()
	c := w.carnet(carnetID)
	claim := Fold[BeneficiaryClaimState](w.store[BeneficiaryStream(c.ProgrammeID, BeneficiaryHash(fxBenKey, ref))])
	w.apply(IssueCarnet(IssueCarnetCommand{CarnetID: carnetID, PrescriberID: c.PrescriberID, BeneficiaryRef: ref, NeedLevel: NeedInclusion, Now: fxNow}, c, w.programme(c.ProgrammeID), claim, fxBenKey))
}

// redeemCmd is a valid redemption of serial at L1 on 2026-03-09.
func redeemCmd(serial, redemptionID string) RedeemChequeCommand {
	return RedeemChequeCommand{
		Serial: serial, CheckCode: CheckCode(fxCheckKey, serial), PlaceID: "L1",
		SessionDate: day("2026-03-09"), Service: "atelier smartphone", RedemptionID: redemptionID, Now: fxNow,
	}
}

// redeem runs RedeemChequeCommand against the world's states.
func (w *fxWorld) redeem(cmd RedeemChequeCommand) ([]Event, error) {
	carnetID, _, _ := ParseSerial(cmd.Serial)
	c := w.carnet(carnetID)
	return RedeemCheque(cmd, w.cheque(cmd.Serial), c, w.programme(c.ProgrammeID), w.place(cmd.PlaceID), fxCheckKey)
}

func (w *fxWorld) mustRedeem(cmd RedeemChequeCommand) ChequeRedeemed {
	w.t.Helper()
	evs, err := w.redeem(cmd)
	w.on(ChequeStream(cmd.Serial))(evs, err)
	return evs[0].(ChequeRedeemed)
}

// sharesEqual compares attributions by value (Money holds big.Ints, so ==
// does not compare amounts).
func sharesEqual(a, b []FunderShare) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].FunderID != b[i].FunderID || a[i].ViaFundID != b[i].ViaFundID || !a[i].Amount.Equal(b[i].Amount) {
			return false
		}
	}
	return true
}
