package core

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/passnumerique/passledger/domain"
)

func sampleEvents() []domain.Event {
	at := time.Date(2026, 3, 9, 10, 11, 12, 123456000, time.UTC)
	serial := domain.SerialFor("K0000001", 3)
	return []domain.Event{
		domain.ChequeRedeemed{RedemptionID: "RD-1", Serial: serial, CarnetID: "K0000001", ProgrammeID: "P-63-2026",
			PlaceID: "L-63-1", PlaceTerritory: "63", ProgrammeTerritory: "63", SessionDate: domain.MustDate("2026-03-08"),
			Service: "atelier numérique « smartphone »", Amount: domain.MustMoney("10.00"), RedeemedAt: at,
			Fee: domain.MustMoney("0.40")},
		domain.ChequeRedeemed{RedemptionID: "RD-2", Serial: serial, Amount: domain.MustMoney("10"), RedeemedAt: at.Add(time.Hour)},
		domain.ChequeReimbursementClaimed{BatchID: "B-2026-03", RedemptionID: "RD-1", Serial: serial, PlaceID: "L-63-1", Amount: domain.MustMoney("10.00"), ClaimedAt: at},
		domain.ChequeExpired{Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", Amount: domain.MustMoney("10.00"), ExpiredOn: domain.MustDate("2027-02-01"), ExpiredAt: at},
		domain.ChequeBlocked{Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", Reason: domain.CancelStolen, Amount: domain.MustMoney("10.00"), BlockedAt: at},
		domain.RedemptionReversed{RedemptionID: "RD-1", Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", PlaceID: "L",
			PlaceTerritory: "63", ProgrammeTerritory: "63", SessionDate: domain.MustDate("2026-03-08"), Amount: domain.MustMoney("10.00"),
			Fee: domain.MustMoney("0.00"), Reason: "erreur", ReversedAt: at},
		domain.CarnetMinted{CarnetID: "K0000001", ProgrammeID: "P", PrescriberID: "PR", Ordinal: 1234,
			Serials: []string{serial, domain.SerialFor("K0000001", 4)}, ChequeValue: domain.MustMoney("10.00"), MintedAt: at},
		domain.CarnetMinted{CarnetID: "K0000002", Ordinal: 0, Serials: []string{}, MintedAt: at},
		domain.CarnetIssued{CarnetID: "K0000001", ProgrammeID: "P", PrescriberID: "PR", Territory: "63", BeneficiaryHash: strings.Repeat("ab", 32),
			NeedLevel: domain.NeedUrgence, JobSeeker: true, Value: domain.MustMoney("100.00"), IssuedAt: at},
		domain.CarnetIssued{CarnetID: "K0000001", NeedLevel: domain.NeedAutonomie, JobSeeker: false, IssuedAt: at},
		domain.BeneficiaryCarnetAssigned{ProgrammeID: "P", BeneficiaryHash: "x", CarnetID: "K0000001", PrescriberID: "PR", AssignedAt: at},
		domain.ReimbursementBatchCreated{BatchID: "B-2026-03", CutOff: domain.MustDate("2026-02-28"), Lines: []domain.BatchLine{
			{PlaceID: "L1", Amount: domain.MustMoney("20.00"), Count: 2, ByProgramme: []domain.ProgrammeAmount{{ProgrammeID: "P1", Amount: domain.MustMoney("10.00")}, {ProgrammeID: "P2", Amount: domain.MustMoney("10.00")}}},
			{PlaceID: "L2", Amount: domain.MustMoney("10.00"), Count: 1, ByProgramme: []domain.ProgrammeAmount{}},
		}, Redemptions: []domain.BatchRedemption{
			{Serial: serial, RedemptionID: "RD-1", PlaceID: "L1", ProgrammeID: "P1", Amount: domain.MustMoney("10.00")},
			{Serial: serial, RedemptionID: "RD-2", PlaceID: "L1", ProgrammeID: "P2", Amount: domain.MustMoney("10.00")},
		}, Total: domain.MustMoney("30.00"), Count: 3, CreatedAt: at},
		domain.ReimbursementBatchCreated{BatchID: "B", Lines: []domain.BatchLine{}, Redemptions: []domain.BatchRedemption{}, CreatedAt: at},
	}
}

// TestFastDecode checks that the fast path gives exactly domain.DecodeEvent's
// value on canonical payloads, and gives up (so that DecodeEvent decides) or agrees
// on payloads the domain would not write.
func TestFastDecode(t *testing.T) {
	for _, ev := range sampleEvents() {
		payload, err := domain.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := fastDecode(ev.EventType(), payload)
		if !ok {
			t.Errorf("%s: fast path gave up on a canonical payload %s", ev.EventType(), payload)
			continue
		}
		want, err := domain.DecodeEvent(ev.EventType(), payload)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: fast %#v\nwant %#v", ev.EventType(), got, want)
		}
		for _, mutated := range mutations(string(payload)) {
			checkAgree(t, ev.EventType(), []byte(mutated))
		}
	}
	if _, ok := fastDecode("FunderRegistered", []byte(`{}`)); ok {
		t.Error("fast path took a type it does not know")
	}
}

// mutations are payloads the domain never writes.
func mutations(p string) []string {
	return []string{
		p + " ", " " + p, p + "x", p + "{}", strings.Replace(p, `"serial"`, `"Serial"`, 1),
		strings.Replace(p, `{"`, `{"unknown":1,"`, 1), strings.Replace(p, `"10.00"`, `10.00`, 1),
		strings.Replace(p, `"10.00"`, `"10.001"`, 1), strings.Replace(p, `"10.00"`, `null`, 1),
		strings.Replace(p, `"K0000001"`, `"K000\u00301"`, 1), strings.Replace(p, `,"`, `, "`, -1),
		strings.Replace(p, `1234`, `01234`, 1), strings.Replace(p, `1234`, `1234.0`, 1), strings.Replace(p, `1234`, `-7`, 1),
		strings.Replace(p, `true`, `null`, 1), strings.Replace(p, `"2026-03-08"`, `null`, 1),
		strings.Replace(p, `"2026-03-08"`, `"2026-02-30"`, 1), strings.Replace(p, `[]`, `null`, 1),
		strings.Replace(p, `"amount"`, `"amount":"1.00","amount"`, 1), strings.Replace(p, `Z"`, `+02:00"`, 1),
		strings.Replace(p, `}`, `,}`, 1), strings.Replace(p, `"63"`, "\"6\xff\"", 1), `{}`, `[]`, `null`, ``,
	}
}

func checkAgree(t *testing.T, eventType string, payload []byte) {
	t.Helper()
	got, ok := fastDecode(eventType, payload)
	if !ok {
		return // DecodeEvent decides
	}
	want, err := domain.DecodeEvent(eventType, payload)
	if err != nil {
		t.Errorf("%s: fast path accepted %q that DecodeEvent refuses: %v", eventType, payload, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %q: fast %#v, want %#v", eventType, payload, got, want)
	}
}

// FuzzFastDecode: whatever the payload, the fast path either gives up or gives
// DecodeEvent's value.
func FuzzFastDecode(f *testing.F) {
	for _, ev := range sampleEvents() {
		p, _ := domain.EncodeEvent(ev)
		f.Add(ev.EventType(), p)
	}
	f.Fuzz(func(t *testing.T, eventType string, payload []byte) {
		checkAgree(t, eventType, payload)
	})
}

func BenchmarkDecode(b *testing.B) {
	evs := sampleEvents()[:1]
	p, _ := domain.EncodeEvent(evs[0])
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := fastDecode("ChequeRedeemed", p); !ok {
				b.Fatal("gave up")
			}
		}
	})
	b.Run("domain", func(b *testing.B) {
		for b.Loop() {
			if _, err := domain.DecodeEvent("ChequeRedeemed", p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
