package projections_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/projections"
)

// pageSample is a page of two events, without a database.
func pageSample() (eventstore.Cursor, []eventstore.RecordedEvent) {
	at := time.Date(2026, 3, 9, 10, 11, 12, 123456789, time.UTC)
	redeemed, _ := domain.EncodeEvent(domain.ChequeRedeemed{RedemptionID: "RD-1", Serial: domain.SerialFor("K0000001", 3),
		ProgrammeTerritory: "63", PlaceTerritory: "2A", Amount: domain.MustMoney("10.00"), RedeemedAt: at})
	created, _ := domain.EncodeEvent(domain.ProgrammeCreated{ProgrammeID: "P-63-2026", Territory: "63"})
	return eventstore.Cursor{TxID: 9007199254740993, Position: 41}, []eventstore.RecordedEvent{
		{Position: 42, TxID: 9007199254740993, EventID: "0193c7a0-0000-7000-8000-000000000001", StreamID: "programme-P-63-2026",
			Version: 1, Type: "ProgrammeCreated", Payload: created, Metadata: []byte(`{"actor":"a"}`), RecordedAt: at},
		{Position: 45, TxID: 9007199254740995, EventID: "0193c7a0-0000-7000-8000-000000000002", StreamID: "cheque-K0000001-03",
			Version: 2, Type: "ChequeRedeemed", Payload: redeemed, Metadata: []byte(`{}`), RecordedAt: at.Add(-time.Hour)},
	}
}

// legacyPage writes a page in the first (JSON) format.
func legacyPage(t testing.TB, after eventstore.Cursor, recs []eventstore.RecordedEvent) []byte {
	type ev struct {
		Position   int64           `json:"position"`
		TxID       uint64          `json:"transaction_id,string"`
		EventID    string          `json:"event_id"`
		StreamID   string          `json:"stream_id"`
		Version    int64           `json:"stream_version"`
		Type       string          `json:"type"`
		Payload    json.RawMessage `json:"payload"`
		Metadata   json.RawMessage `json:"metadata"`
		RecordedAt time.Time       `json:"recorded_at"`
	}
	var p struct {
		After struct {
			TxID     uint64 `json:"transaction_id,string"`
			Position int64  `json:"position"`
		} `json:"after"`
		Events []ev `json:"events"`
	}
	p.After.TxID, p.After.Position = after.TxID, after.Position
	for _, r := range recs {
		p.Events = append(p.Events, ev{r.Position, r.TxID, r.EventID, r.StreamID, r.Version, r.Type, r.Payload, r.Metadata, r.RecordedAt})
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func samePage(a, b []eventstore.RecordedEvent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Position != y.Position || x.TxID != y.TxID || x.EventID != y.EventID || x.StreamID != y.StreamID ||
			x.Version != y.Version || x.Type != y.Type || !bytes.Equal(x.Payload, y.Payload) ||
			!bytes.Equal(x.Metadata, y.Metadata) || !x.RecordedAt.Equal(y.RecordedAt) || x.RecordedAt.Location() != time.UTC {
			return false
		}
	}
	return true
}

// TestPageFormats checks that a page reads back as written, in the binary format
// and in the first (JSON) one.
func TestPageFormats(t *testing.T) {
	after, recs := pageSample()
	msg, err := projections.NewPageMessage(after, recs)
	if err != nil {
		t.Fatal(err)
	}
	for name, payload := range map[string][]byte{"binary": msg.Payload, "json": legacyPage(t, after, recs)} {
		gotAfter, got, err := projections.DecodeRawPageForTest(payload)
		if err != nil || gotAfter != after || !samePage(got, recs) {
			t.Errorf("%s page: after %v, %d events, %v; want after %v and the events written", name, gotAfter, len(got), err, after)
		}
		b, err := projections.DecodePage(payload)
		if err != nil || len(b.Events) != 2 || b.Events[1].Data.(domain.ChequeRedeemed).PlaceTerritory != "2A" {
			t.Errorf("%s page: DecodePage gave %+v, %v", name, b, err)
		}
	}
	for n := 0; n < len(msg.Payload); n++ {
		if _, _, err := projections.DecodeRawPageForTest(msg.Payload[:n]); err == nil {
			t.Errorf("a page cut at %d of %d bytes decodes", n, len(msg.Payload))
		}
	}
	if _, _, err := projections.DecodeRawPageForTest(append(bytes.Clone(msg.Payload), 0)); err == nil {
		t.Error("a page with a byte after its last event decodes")
	}
}

// FuzzDecodePage: whatever the payload, decoding a page either fails or gives a
// page that encodes and decodes back to itself; it never panics, and DecodePage
// fails when the page does not decode.
func FuzzDecodePage(f *testing.F) {
	after, recs := pageSample()
	msg, _ := projections.NewPageMessage(after, recs)
	f.Add([]byte(msg.Payload))
	f.Add(legacyPage(f, after, recs))
	empty, _ := projections.NewPageMessage(after, nil)
	f.Add([]byte(empty.Payload))
	f.Add([]byte(msg.Payload[:len(msg.Payload)/2]))
	f.Add([]byte("PLP\x01\x00\x00\xff\xff\xff\xff\x0f"))
	f.Add([]byte(`{"after":{"transaction_id":"1","position":1},"events":[]}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		a, got, err := projections.DecodeRawPageForTest(payload)
		if err != nil {
			if _, err2 := projections.DecodePage(payload); err2 == nil {
				t.Fatalf("DecodePage takes a page that does not decode: %v", err)
			}
			return
		}
		_, _ = projections.DecodePage(payload)
		again, err := projections.NewPageMessage(a, got)
		if err != nil {
			t.Fatal(err)
		}
		a2, got2, err := projections.DecodeRawPageForTest(again.Payload)
		if err != nil || a2 != a || !samePage(got, got2) {
			t.Fatalf("a decoded page does not read back after encoding: %v", err)
		}
		third, _ := projections.NewPageMessage(a2, got2)
		if !bytes.Equal(third.Payload, again.Payload) {
			t.Fatal("encoding a decoded page is not stable")
		}
	})
}
