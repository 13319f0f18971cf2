package domain

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func sampleEvents() []Event {
	at := time.Date(2026, 3, 9, 10, 11, 12, 123456000, time.UTC)
	serial := SerialFor("K0000001", 3)
	return []Event{
		ChequeRedeemed{RedemptionID: "RD-1", Serial: serial, CarnetID: "K0000001", ProgrammeID: "P-63-2026",
			PlaceID: "L-63-1", PlaceTerritory: "63", ProgrammeTerritory: "63", SessionDate: MustDate("2026-03-08"),
			Service: "atelier numérique « smartphone »", Amount: MustMoney("10.00"), RedeemedAt: at,
			Fee: MustMoney("0.40")},
		ChequeRedeemed{RedemptionID: "RD-2", Serial: serial, Amount: MustMoney("10"), RedeemedAt: at.Add(time.Hour)},
		ChequeReimbursementClaimed{BatchID: "B-2026-03", RedemptionID: "RD-1", Serial: serial, PlaceID: "L-63-1", Amount: MustMoney("10.00"), ClaimedAt: at},
		ChequeExpired{Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", Amount: MustMoney("10.00"), ExpiredOn: MustDate("2027-02-01"), ExpiredAt: at},
		ChequeBlocked{Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", Reason: CancelStolen, Amount: MustMoney("10.00"), BlockedAt: at},
		RedemptionReversed{RedemptionID: "RD-1", Serial: serial, CarnetID: "K0000001", ProgrammeID: "P", PlaceID: "L",
			PlaceTerritory: "63", ProgrammeTerritory: "63", SessionDate: MustDate("2026-03-08"), Amount: MustMoney("10.00"),
			Fee: MustMoney("0.00"), Reason: "erreur", ReversedAt: at},
		CarnetMinted{CarnetID: "K0000001", ProgrammeID: "P", PrescriberID: "PR", Ordinal: 1234,
			Serials: []string{serial, SerialFor("K0000001", 4)}, ChequeValue: MustMoney("10.00"), MintedAt: at},
		CarnetMinted{CarnetID: "K0000002", Ordinal: 0, Serials: []string{}, MintedAt: at},
		CarnetIssued{CarnetID: "K0000001", ProgrammeID: "P", PrescriberID: "PR", Territory: "63", BeneficiaryHash: strings.Repeat("ab", 32),
			NeedLevel: NeedUrgence, JobSeeker: true, Value: MustMoney("100.00"), IssuedAt: at},
		CarnetIssued{CarnetID: "K0000001", NeedLevel: NeedAutonomie, JobSeeker: false, IssuedAt: at},
		BeneficiaryCarnetAssigned{ProgrammeID: "P", BeneficiaryHash: "x", CarnetID: "K0000001", PrescriberID: "PR", AssignedAt: at},
		ReimbursementBatchCreated{BatchID: "B-2026-03", CutOff: MustDate("2026-02-28"), Lines: []BatchLine{
			{PlaceID: "L1", Amount: MustMoney("20.00"), Count: 2, ByProgramme: []ProgrammeAmount{{ProgrammeID: "P1", Amount: MustMoney("10.00")}, {ProgrammeID: "P2", Amount: MustMoney("10.00")}}},
			{PlaceID: "L2", Amount: MustMoney("10.00"), Count: 1, ByProgramme: []ProgrammeAmount{}},
		}, Redemptions: []BatchRedemption{
			{Serial: serial, RedemptionID: "RD-1", PlaceID: "L1", ProgrammeID: "P1", Amount: MustMoney("10.00")},
			{Serial: serial, RedemptionID: "RD-2", PlaceID: "L1", ProgrammeID: "P2", Amount: MustMoney("10.00")},
		}, Total: MustMoney("30.00"), Count: 3, CreatedAt: at},
		ReimbursementBatchCreated{BatchID: "B", Lines: []BatchLine{}, Redemptions: []BatchRedemption{}, CreatedAt: at},
	}
}

// TestFastDecode checks that the fast path gives exactly decodeStrict's
// value on canonical payloads, and gives up (so that decodeStrict decides) or agrees
// on payloads the domain would not write.
func TestFastDecode(t *testing.T) {
	for _, ev := range sampleEvents() {
		payload, err := EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := fastDecode(ev.EventType(), payload)
		if !ok {
			t.Errorf("%s: fast path gave up on a canonical payload %s", ev.EventType(), payload)
			continue
		}
		want, err := decodeStrict(ev.EventType(), payload)
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

// checkFastDecode checks the fast path against decodeStrict on the canonical
// payload b of a generated event of type name (TestEventJSONRoundTrip's, for
// every type): where it takes the payload it gives decodeStrict's value, and it
// takes every canonical payload of the types it knows whose strings need no
// escape.
func checkFastDecode(t *rapid.T, name string, b []byte) {
	got, ok := fastDecode(name, b)
	want, err := decodeStrict(name, b)
	if err != nil {
		t.Fatalf("decodeStrict refuses its own encoding %s: %v", b, err)
	}
	if !ok {
		if _, known := fastDecode(name, []byte("{}")); known && !bytes.Contains(b, []byte(`\`)) {
			t.Fatalf("fast path gave up on canonical %s", b)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: fast %#v\nwant %#v", b, got, want)
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
		return // decodeStrict decides
	}
	want, err := decodeStrict(eventType, payload)
	if err != nil {
		t.Errorf("%s: fast path accepted %q that decodeStrict refuses: %v", eventType, payload, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: %q: fast %#v, want %#v", eventType, payload, got, want)
	}
}

// FuzzFastDecode: whatever the payload, the fast path either gives up or gives
// decodeStrict's value.
func FuzzFastDecode(f *testing.F) {
	for _, ev := range sampleEvents() {
		p, _ := EncodeEvent(ev)
		f.Add(ev.EventType(), p)
	}
	f.Fuzz(func(t *testing.T, eventType string, payload []byte) {
		checkAgree(t, eventType, payload)
	})
}

func BenchmarkDecode(b *testing.B) {
	evs := sampleEvents()[:1]
	p, _ := EncodeEvent(evs[0])
	b.Run("fast", func(b *testing.B) {
		for b.Loop() {
			if _, ok := fastDecode("ChequeRedeemed", p); !ok {
				b.Fatal("gave up")
			}
		}
	})
	b.Run("strict", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeStrict("ChequeRedeemed", p); err != nil {
				b.Fatal(err)
			}
		}
	})
}
