package domain

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

func TestNormalizeBeneficiaryRef(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"CCAS63-2026-000123", "CCAS63-2026-000123", true},
		{"  ccas63/2026_12.a ", "CCAS63/2026_12.A", true},
		{strings.Repeat("A", 64), strings.Repeat("A", 64), true},
		{strings.Repeat("A", 65), "", false},
		{"", "", false},
		{"   ", "", false},
		{"Jean Dupont", "", false},
		{"jean.dupont@example.org", "", false},
		{"Hélène", "", false},
		{"A\nB", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeBeneficiaryRef(tt.in)
		if tt.ok != (err == nil) || got != tt.want {
			t.Errorf("NormalizeBeneficiaryRef(%q) = %q, %v", tt.in, got, err)
		}
		if !tt.ok && !errors.Is(err, ErrInvalidBeneficiaryRef) {
			t.Errorf("%q: error %v", tt.in, err)
		}
	}
}

func TestBeneficiaryHash(t *testing.T) {
	h := BeneficiaryHash(fxBenKey, "CCAS63-42")
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Fatalf("hash %q", h)
	}
	if BeneficiaryHash(fxBenKey, " ccas63-42 ") != h {
		t.Fatal("references are case-insensitive and trimmed")
	}
	if BeneficiaryHash(fxBenKey, "CCAS63-43") == h || BeneficiaryHash([]byte("another-beneficiary-key-0000000"), "CCAS63-42") == h {
		t.Fatal("hash ignores its inputs")
	}
	if strings.Contains(h, "CCAS") {
		t.Fatal("reference leaks")
	}
}

func TestIssueCarnet(t *testing.T) {
	tests := []struct {
		name       string
		setup      func(w *fxWorld)
		carnet     string
		prescriber string
		ref        string
		need       NeedLevel
		key        []byte
		want       error
	}{
		{name: "accepted", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-2", need: NeedUrgence},
		{name: "not the holder", carnet: "CARNETB2", prescriber: "PR2", ref: "BEN-2", need: NeedUrgence, want: ErrNotYourCarnet},
		{name: "already issued", carnet: "CARNETA1", prescriber: "PR1", ref: "BEN-3", need: NeedUrgence, want: ErrCarnetAlreadyIssued},
		{name: "beneficiary already holds a carnet", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-1", need: NeedUrgence, want: ErrBeneficiaryAlreadyHasCarnet},
		{name: "same beneficiary typed differently", carnet: "CARNETB2", prescriber: "PR1", ref: " ben-1", need: NeedUrgence, want: ErrBeneficiaryAlreadyHasCarnet},
		{name: "cancelled carnet", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-2", need: NeedUrgence, want: ErrCarnetCancelled,
			setup: func(w *fxWorld) {
				w.apply(CancelCarnet(CancelCarnetCommand{CarnetID: "CARNETB2", PrescriberID: "PR1", Reason: CancelLost, Now: fxNow}, w.carnet("CARNETB2"), w.programme("P63"), nil))
			}},
		{name: "closed programme", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-2", need: NeedUrgence, want: ErrProgrammeClosed,
			setup: func(w *fxWorld) { w.store.add(ProgrammeStream("P63"), ProgrammeClosed{ProgrammeID: "P63"}) }},
		{name: "unknown carnet", carnet: "CARNETZ9", prescriber: "PR1", ref: "BEN-2", need: NeedUrgence, want: ErrNotFound},
		{name: "bad need level", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-2", need: "high", want: ErrInvalidArgument},
		{name: "name as reference", carnet: "CARNETB2", prescriber: "PR1", ref: "Jean Dupont", need: NeedUrgence, want: ErrInvalidBeneficiaryRef},
		{name: "no key", carnet: "CARNETB2", prescriber: "PR1", ref: "BEN-2", need: NeedUrgence, key: []byte("k"), want: ErrMissingKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			key := fxBenKey
			if tt.key != nil {
				key = tt.key
			}
			claim := Fold[BeneficiaryClaimState](w.store[BeneficiaryStream("P63", BeneficiaryHash(fxBenKey, tt.ref))])
			changes, err := IssueCarnet(IssueCarnetCommand{CarnetID: tt.carnet, PrescriberID: tt.prescriber, BeneficiaryRef: tt.ref, NeedLevel: tt.need, JobSeeker: true, Now: fxNow}, w.carnet(tt.carnet), w.programme("P63"), claim, key)
			checkErr(t, err, tt.want)
			if err != nil {
				return
			}
			hash := BeneficiaryHash(fxBenKey, tt.ref)
			if len(changes) != 2 || changes[0].Stream != CarnetStream(tt.carnet) || changes[1].Stream != BeneficiaryStream("P63", hash) {
				t.Fatalf("changes %+v", changes)
			}
			issued := changes[0].Events[0].(CarnetIssued)
			if issued.BeneficiaryHash != hash || !issued.JobSeeker || issued.NeedLevel != tt.need || !issued.Value.Equal(eur("100.00")) || issued.Territory != "63" {
				t.Fatalf("issued %+v", issued)
			}
			for _, c := range changes {
				for _, e := range c.Events {
					b, _ := EncodeEvent(e)
					if strings.Contains(strings.ToUpper(string(b)), strings.ToUpper(tt.ref)) {
						t.Fatalf("reference stored in %s", b)
					}
				}
			}
		})
	}
}

func TestCancelCarnet(t *testing.T) {
	w := newWorld(t)
	s1, s2 := SerialFor("CARNETA1", 1), SerialFor("CARNETA1", 2)
	w.mustRedeem(redeemCmd(s1, "R1"))
	w.mustRedeem(redeemCmd(s2, "R2"))
	w.on(ChequeStream(s2))(ReverseRedemption(ReverseRedemptionCommand{Serial: s2, PlaceID: "L1", Now: fxNow}, w.cheque(s2), w.programme("P63")))

	tests := []struct {
		name       string
		carnet     string
		prescriber string
		reason     CancelReason
		want       error
	}{
		{"not the holder", "CARNETA1", "PR2", CancelLost, ErrNotYourCarnet},
		{"bad reason", "CARNETA1", "PR1", "burnt", ErrInvalidArgument},
		{"unknown carnet", "CARNETZ9", "PR1", CancelLost, ErrNotFound},
	}
	for _, tt := range tests {
		_, err := CancelCarnet(CancelCarnetCommand{CarnetID: tt.carnet, PrescriberID: tt.prescriber, Reason: tt.reason, Now: fxNow}, w.carnet(tt.carnet), w.programme("P63"), nil)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}

	states := []ChequeState{w.cheque(s1), w.cheque(s2)}
	changes := w.apply(CancelCarnet(CancelCarnetCommand{CarnetID: "CARNETA1", PrescriberID: "PR1", Reason: CancelStolen, Now: fxNow}, w.carnet("CARNETA1"), w.programme("P63"), states))
	// cheque 1 stays redeemed; cheque 2 (reversed) and 3..10 are blocked.
	if len(changes) != 10 || changes[0].Stream != "carnet-CARNETA1" {
		t.Fatalf("%d changes", len(changes))
	}
	cancelled := changes[0].Events[0].(CarnetCancelled)
	if len(cancelled.BlockedSerials) != 9 || cancelled.BlockedSerials[0] != s2 {
		t.Fatalf("blocked %v", cancelled.BlockedSerials)
	}
	for _, c := range changes[1:] {
		b := c.Events[0].(ChequeBlocked)
		if c.Stream != ChequeStream(b.Serial) || !b.Amount.Equal(eur("10.00")) || b.Reason != CancelStolen {
			t.Fatalf("blocked %+v", b)
		}
	}
	if !w.cheque(s1).Redeemed || !w.cheque(s2).Blocked || !w.carnet("CARNETA1").Cancelled {
		t.Fatal("states after cancel")
	}
	_, err := CancelCarnet(CancelCarnetCommand{CarnetID: "CARNETA1", PrescriberID: "PR1", Reason: CancelLost, Now: fxNow}, w.carnet("CARNETA1"), w.programme("P63"), nil)
	checkErr(t, err, ErrCarnetCancelled)
	// the redeemed cheque of a cancelled carnet is still owed to the place.
	if _, err := ReverseRedemption(ReverseRedemptionCommand{Serial: s1, PlaceID: "L1", Now: fxNow}, w.cheque(s1), w.programme("P63")); err != nil {
		t.Fatalf("reversal after cancel: %v", err)
	}
}
