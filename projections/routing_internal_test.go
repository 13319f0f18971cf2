package projections

import (
	"reflect"
	"strconv"
	"testing"

	"github.com/passnumerique/passledger/domain"
)

// TestRoutingReadsPayloads checks that every field the routing and the Resolver
// read from payloads (domain.StringFields) is the field of the decoded event
// (fieldOf), for events of every routed type whose string fields all differ.
func TestRoutingReadsPayloads(t *testing.T) {
	fields := map[string][]string{}
	for _, rs := range routings {
		for typ, r := range rs {
			if r.kind != refNational {
				fields[typ] = append(fields[typ], r.field)
			}
		}
	}
	for typ, f := range facts {
		fields[typ] = append(fields[typ], f.key, f.value)
	}
	for typ, names := range fields {
		blank, err := domain.DecodeEvent(typ, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		v := reflect.New(reflect.TypeOf(blank)).Elem()
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).Kind() == reflect.String {
				v.Field(i).SetString("v" + strconv.Itoa(i) + "-é")
			}
		}
		if typ == "ChequeReimbursementClaimed" {
			v.FieldByName("Serial").SetString(domain.SerialFor("K0000042", 3))
		}
		ev := v.Interface().(domain.Event)
		payload, err := domain.EncodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			var got [1]string
			if !domain.StringFields(payload, []string{name}, got[:]) {
				t.Errorf("%s.%s: not read from the canonical payload %s", typ, name, payload)
				continue
			}
			if want := fieldOf(ev, name); got[0] != want || want == "" {
				t.Errorf("%s.%s: payload gives %q, the decoded event %q", typ, name, got[0], want)
			}
		}
	}
	if r := (rule{refSerial, "serial"}).refOf(domain.SerialFor("K0000042", 3)); r != (ref{refCarnet, "K0000042"}) {
		t.Errorf("a claim routes as %+v, want its carnet K0000042", r)
	}
}
