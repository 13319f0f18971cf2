package domain

import (
	"reflect"
	"strings"
	"testing"
)

// stringFieldNames returns the JSON names of the string fields of ev's type.
func stringFieldNames(ev Event) []string {
	var out []string
	t := reflect.TypeOf(ev)
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Type.Kind() == reflect.String {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			out = append(out, name)
		}
	}
	return out
}

// fieldByJSON returns the string field of ev named name in JSON.
func fieldByJSON(ev Event, name string) string {
	t, v := reflect.TypeOf(ev), reflect.ValueOf(ev)
	for i := 0; i < t.NumField(); i++ {
		if n, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); n == name {
			return v.Field(i).String()
		}
	}
	return ""
}

func fieldSamples() []Event {
	return append(sampleEvents(),
		ProgrammeCreated{ProgrammeID: "P-63-2026", Territory: "63", Name: "Puy-de-Dôme « 2026 »"},
		PlaceRegistered{PlaceID: "L-63-1", Territory: "63"},
		PrescriberRegistered{PrescriberID: "PR-2A-1", Territory: "2A"},
		TerritoryNeedRecorded{Code: "974"},
		PlaceLabelChanged{PlaceID: "L-63-1"},
	)
}

// TestStringFields checks that StringFields reads every string field of canonical
// payloads as DecodeEvent decodes it, and on payloads the domain would not write
// either gives up or agrees.
func TestStringFields(t *testing.T) {
	for _, ev := range fieldSamples() {
		payload, err := EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		var names []string // those the payload holds (not omitted as empty)
		for _, name := range stringFieldNames(ev) {
			if strings.Contains(string(payload), `"`+name+`":`) {
				names = append(names, name)
			}
		}
		if len(names) == 0 {
			continue
		}
		for _, name := range names {
			var v [1]string
			if !StringFields(payload, []string{name}, v[:]) {
				t.Errorf("%s.%s: gave up on a canonical payload %s", ev.EventType(), name, payload)
			} else if want := fieldByJSON(ev, name); v[0] != want {
				t.Errorf("%s.%s = %q, want %q", ev.EventType(), name, v[0], want)
			}
		}
		all := make([]string, len(names))
		if !StringFields(payload, names, all) {
			t.Errorf("%s: gave up reading all its string fields", ev.EventType())
		}
		for i, name := range names {
			if want := fieldByJSON(ev, name); all[i] != want {
				t.Errorf("%s.%s = %q with the others, want %q", ev.EventType(), name, all[i], want)
			}
		}
		var v [1]string
		if StringFields(payload, []string{"no_such_field"}, v[:]) {
			t.Errorf("%s: read a missing field", ev.EventType())
		}
		for _, mutated := range append(mutations(string(payload)),
			strings.Replace(string(payload), `"territory"`, `"Territory"`, 1),
			strings.Replace(string(payload), `"territory":"63"`, `"territory":"63","territory":"64"`, 1),
			strings.Replace(string(payload), `"territory"`, `"territor\u0079"`, 1),
			strings.Replace(string(payload), `"programme_territory"`, `"programme_\u017ferritory"`, 1),
			strings.Replace(string(payload), `"serial"`, `"ſerial"`, 1)) {
			for _, name := range names {
				checkFieldAgrees(t, ev.EventType(), []byte(mutated), name)
			}
		}
	}
}

func checkFieldAgrees(t *testing.T, eventType string, payload []byte, name string) {
	t.Helper()
	var v [1]string
	if !StringFields(payload, []string{name}, v[:]) {
		return // the caller decodes
	}
	ev, err := DecodeEvent(eventType, payload)
	if err != nil {
		return // documented: an undecodable payload may still give its fields
	}
	if want := fieldByJSON(ev, name); v[0] != want {
		t.Errorf("%s: %q: field %s = %q, DecodeEvent gives %q", eventType, payload, name, v[0], want)
	}
}

// FuzzStringFields: whatever the payload, StringFields either gives up or gives
// the field DecodeEvent decodes (when DecodeEvent takes the payload).
func FuzzStringFields(f *testing.F) {
	for _, ev := range fieldSamples() {
		p, _ := EncodeEvent(ev)
		for _, name := range stringFieldNames(ev) {
			f.Add(ev.EventType(), p, name)
		}
	}
	f.Fuzz(func(t *testing.T, eventType string, payload []byte, name string) {
		checkFieldAgrees(t, eventType, payload, name)
	})
}
