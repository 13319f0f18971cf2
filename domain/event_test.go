package domain

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// pointerTo returns a pointer to a copy of the event value e.
func pointerTo(e Event) Event {
	v := reflect.New(reflect.TypeOf(e))
	v.Elem().Set(reflect.ValueOf(e))
	return v.Interface().(Event)
}

func TestEventTypesAreRegistered(t *testing.T) {
	names := EventTypes()
	if len(names) != 31 {
		t.Fatalf("%d event types: %v", len(names), names)
	}
	for _, n := range names {
		if eventGoTypes[n].Name() != n {
			t.Errorf("type name %s registered as Go type %s", n, eventGoTypes[n])
		}
	}
}

// Every event type round-trips through EncodeEvent / DecodeEvent, byte for
// byte, by value and by pointer, and keeps its postings.
func TestEventJSONRoundTrip(t *testing.T) {
	for _, name := range EventTypes() {
		t.Run(name, func(t *testing.T) {
			rapid.Check(t, func(t *rapid.T) {
				e, ok := genEvent(t, name)
				if !ok {
					t.Fatalf("no generator for %s", name)
				}
				b, err := EncodeEvent(e)
				if err != nil {
					t.Fatal(err)
				}
				if bp, err := EncodeEvent(pointerTo(e)); err != nil || !bytes.Equal(b, bp) {
					t.Fatalf("pointer encoding differs: %s / %v", bp, err)
				}
				d, err := DecodeEvent(name, b)
				if err != nil {
					t.Fatalf("decode %s: %v", b, err)
				}
				if reflect.TypeOf(d) != reflect.TypeOf(e) {
					t.Fatalf("decoded %T, want %T", d, e)
				}
				b2, err := EncodeEvent(d)
				if err != nil || !bytes.Equal(b, b2) {
					t.Fatalf("round trip differs:\n%s\n%s", b, b2)
				}
				if !reflect.DeepEqual(postingStrings(Postings(e)), postingStrings(Postings(d))) {
					t.Fatal("postings changed")
				}
				if bytes.Contains(b, []byte(`":0.`)) || bytes.Contains(b, []byte(`"amount":1`)) {
					t.Fatalf("a number where a string was expected: %s", b)
				}
				checkFastDecode(t, name, b)
			})
		})
	}
}

func postingStrings(ps []Posting) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Account+"="+p.Amount.String())
	}
	return out
}

func TestDecodeEventIsStrict(t *testing.T) {
	tests := []struct {
		name, typ, payload string
		want               error
	}{
		{"valid", "FunderRegistered", `{"funder_id":"F1","name":"État","kind":"state","registered_at":"2026-03-10T10:00:00Z"}`, nil},
		{"missing fields are zero", "FunderRegistered", `{"funder_id":"F1"}`, nil},
		{"unknown type", "FunderDeleted", `{}`, ErrUnknownEventType},
		{"unknown field", "FunderRegistered", `{"funder_id":"F1","extra":1}`, ErrMalformedEvent},
		{"trailing data", "FunderRegistered", `{"funder_id":"F1"} {}`, ErrMalformedEvent},
		{"not an object", "FunderRegistered", `["F1"]`, ErrMalformedEvent},
		{"null", "FunderRegistered", `null`, ErrMalformedEvent},
		{"empty", "FunderRegistered", ``, ErrMalformedEvent},
		{"amount as a number", "ContributionReceived", `{"amount":10.00}`, ErrMalformedEvent},
		{"amount with 3 decimals", "ContributionReceived", `{"amount":"10.001"}`, ErrMalformedEvent},
		{"amount as null", "ContributionReceived", `{"amount":null}`, ErrMalformedEvent},
		{"bad date", "ContributionReceived", `{"received_on":"2026-02-30"}`, ErrMalformedEvent},
		{"wrong JSON type", "ProgrammeCreated", `{"grace_days":"31"}`, ErrMalformedEvent},
		{"unknown nested field", "ProgrammeCreated", `{"funders":[{"funder_id":"F","amount":"1.00","x":0}]}`, ErrMalformedEvent},
		{"absurd decimal", "TerritoryNeedRecorded", `{"fragility_rate":"1e100000"}`, ErrMalformedEvent},
		{"huge decimal", "TerritoryNeedRecorded", `{"need":"` + strings.Repeat("9", 200) + `"}`, ErrMalformedEvent},
	}
	for _, tt := range tests {
		_, err := DecodeEvent(tt.typ, []byte(tt.payload))
		if (tt.want == nil && err != nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

type notRegistered struct{}

func (notRegistered) EventType() string { return "NotRegistered" }

type fakeFunderRegistered struct{}

func (fakeFunderRegistered) EventType() string { return "FunderRegistered" }

func TestEncodeEventRefusesUnknownTypes(t *testing.T) {
	var nilPtr *FunderRegistered
	for _, e := range []Event{nil, notRegistered{}, fakeFunderRegistered{}, nilPtr} {
		if _, err := EncodeEvent(e); !errors.Is(err, ErrUnknownEventType) {
			t.Errorf("EncodeEvent(%T) = %v", e, err)
		}
	}
}

func TestFoldIgnoresOtherEventsAndAcceptsPointers(t *testing.T) {
	evs := []Event{
		&FunderRegistered{FunderID: "F1", Name: "État", Kind: FunderKindState},
		PlaceRegistered{PlaceID: "L1"},
		nil,
	}
	s := Fold[FunderState](evs)
	if !s.Registered || s.FunderID != "F1" {
		t.Fatalf("state %+v", s)
	}
}

// applyToAllStates folds e into every aggregate state (must not panic).
func applyToAllStates(e Event) {
	_ = Fold[FunderState]([]Event{e})
	_ = Fold[FundState]([]Event{e, e})
	_ = Fold[ContributionState]([]Event{e, e})
	_ = Fold[TerritoryState]([]Event{e, e})
	_ = Fold[PrescriberState]([]Event{e})
	_ = Fold[PlaceState]([]Event{e, e})
	_ = Fold[ProgrammeState]([]Event{e, e})
	_ = Fold[CarnetState]([]Event{e})
	_ = Fold[BeneficiaryClaimState]([]Event{e})
	_ = Fold[ChequeState]([]Event{e, e})
	_ = Fold[BatchState]([]Event{e})
	_ = Fold[BankLineState]([]Event{e})
	_ = Fold[MovementMatchState]([]Event{e})
	_ = Fold[BankStatementState]([]Event{e})
}

// FuzzDecodeEvent: whatever the bytes, DecodeEvent never panics; what it
// accepts re-encodes stably, posts balanced postings, and folds.
func FuzzDecodeEvent(f *testing.F) {
	for _, name := range EventTypes() {
		f.Add(name, []byte(`{}`))
	}
	f.Fuzz(func(t *testing.T, eventType string, payload []byte) {
		e, err := DecodeEvent(eventType, payload)
		if err != nil {
			if e != nil {
				t.Fatal("event returned with an error")
			}
			return
		}
		if e.EventType() != eventType {
			t.Fatalf("decoded %s as %s", eventType, e.EventType())
		}
		b, err := EncodeEvent(e)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		d, err := DecodeEvent(eventType, b)
		if err != nil {
			t.Fatalf("decode of own encoding %s: %v", b, err)
		}
		if b2, _ := EncodeEvent(d); !bytes.Equal(b, b2) {
			t.Fatalf("unstable encoding:\n%s\n%s", b, b2)
		}
		if !PostingsBalance(Postings(e)).IsZero() {
			t.Fatal("unbalanced postings")
		}
		applyToAllStates(e)
	})
}

// TestFuzzSeedCorpus keeps testdata/fuzz/FuzzDecodeEvent in sync with the
// event types: one well-formed seed per type (regenerate with
// PASSLEDGER_WRITE_FUZZ_SEEDS=1 go test ./domain -run TestFuzzSeedCorpus).
func TestFuzzSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzDecodeEvent")
	write := os.Getenv("PASSLEDGER_WRITE_FUZZ_SEEDS") != ""
	for _, name := range EventTypes() {
		path := filepath.Join(dir, "seed-"+name)
		if write {
			var e Event
			rapid.Check(t, func(rt *rapid.T) {
				if e == nil {
					e, _ = genEvent(rt, name)
				}
			})
			b, err := EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			content := "go test fuzz v1\nstring(" + strconv.Quote(name) + ")\n[]byte(" + strconv.Quote(string(b)) + ")\n"
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("missing fuzz seed for %s: %v", name, err)
		}
	}
}
