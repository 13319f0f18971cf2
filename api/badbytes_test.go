package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/eventstore"
)

// eventCount is the number of events stored.
func eventCount(t *testing.T, e *env) int {
	t.Helper()
	// Every committed event, readable yet or not (the reading watermark is
	// cluster-wide and may hold a fresh one back for a moment).
	_, stored, err := eventstore.New(e.d.Pool).Count(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return int(stored)
}

// badCase is one bad input sent to one route; the 400's detail must match want.
type badCase struct {
	name, path string
	body       any
	headers    []string
	want       string // regexp the problem detail must match
}

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// jsonStringField picks the field of a request type a bad string goes into: an id
// (json name ending in _id) if there is one, else the first field whose JSON form
// is a string (a plain string, a date, an amount) or an array of strings.
func jsonStringField(req any, preferID bool) (name string, list bool) {
	t := reflect.TypeOf(req)
	var first string
	var firstList bool
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		isList := ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String
		// Strings, and types that decode themselves from a JSON string (dates,
		// amounts, rates).
		textual := ft.Kind() == reflect.String || reflect.PointerTo(ft).Implements(reflect.TypeFor[json.Unmarshaler]())
		if !isList && !textual {
			continue
		}
		if preferID && strings.HasSuffix(n, "_id") {
			return n, isList
		}
		if first == "" {
			first, firstList = n, isList
		}
	}
	return first, firstList
}

// validBodies holds a well-formed body for every write route, so that each bad
// case differs from an acceptable request by its bad bytes only (the ids need not
// exist: without the check at the door, these reached the database).
var validBodies = map[string]string{
	"PUT /v1/territories/{code}":                  `{"population":662285,"fragility_rate":"0.18","source":"INSEE"}`,
	"POST /v1/funders":                            `{"name":"État","kind":"state"}`,
	"POST /v1/funds":                              `{"name":"Fonds","territories":["63"]}`,
	"POST /v1/prescribers":                        `{"name":"CCAS","kind":"ccas","territory":"63"}`,
	"POST /v1/places":                             `{"name":"EPN","siret":"73282932000074","territory":"63"}`,
	"POST /v1/places/{id}/label":                  `{"action":"grant","effective_on":"2026-01-01"}`,
	"POST /v1/programmes":                         `{"name":"P","territory":"63","valid_from":"2026-01-01","valid_until":"2026-12-31","cheque_value":"10.00","cheques_per_carnet":10,"funding":[{"funder_id":"fnd_1","amount":"100.00"}]}`,
	"POST /v1/programmes/{id}/mint":               `{"carnets":1,"prescriber_id":"prs_1"}`,
	"POST /v1/programmes/{id}/close":              `{"as_of":"2026-03-14"}`,
	"POST /v1/tokens":                             `{"role":"auditor","label":"t"}`,
	"POST /v1/contributions":                      `{"funder_id":"fnd_1","programme_id":"pgm_1","amount":"10.00"}`,
	"POST /v1/contributions/{id}/receipts":        `{"amount":"10.00","received_on":"2026-03-14"}`,
	"POST /v1/funds/{id}/perequation-runs":        `{"budget":"100.00"}`,
	"POST /v1/carnets/{id}/issue":                 `{"beneficiary_ref":"BEN-1","need_level":"urgence"}`,
	"POST /v1/carnets/{id}/cancel":                `{"reason":"lost"}`,
	"POST /v1/redemptions":                        `{"serial":"ABCD1234-0317","check_code":"123456","session_date":"2026-03-14","service":"atelier"}`,
	"POST /v1/redemptions/{id}/reversal":          `{"reason":"erreur"}`,
	"POST /v1/reimbursement-batches":              `{"cut_off":"2026-03-14"}`,
	"POST /v1/reimbursement-batches/{id}/payment": `{"paid_on":"2026-03-14","bank_reference":"VIR-1"}`,
	"POST /v1/advances":                           `{"contribution_id":"ctb_1","amount":"10.00","granted_on":"2026-03-14"}`,
	"POST /v1/advances/{id}/repayments":           `{"amount":"10.00","repaid_on":"2026-03-14"}`,
	"POST /v1/bank-statements":                    "date;amount;reference;label\n2026-03-10;25,00;EU-1;FSE+\n",
	"POST /v1/bank-lines/{id}/match":              `{"movement_kind":"receipt","movement_id":"rcp_1"}`,
	"PUT /v1/places/{id}/bank-account":            `{"iban":"FR7630006000011234567890189","bic":"AGRIFRPP","holder":"EPN Clermont"}`,
}

// withField returns the JSON body valid with field set to the raw JSON string
// bad (appended when the field is a list).
func withField(t *testing.T, valid, field string, list bool, bad string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(valid), &m); err != nil {
		t.Fatal(err)
	}
	const mark = "\x01MARK\x01"
	if list {
		l, _ := m[field].([]any)
		m[field] = append(l, mark)
	} else {
		m[field] = mark
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Replace(string(b), `"\u0001MARK\u0001"`, bad, 1)
}

// badCases derives the five bad inputs of one write route from its table entry.
func badCases(t *testing.T, rt api.Route) []badCase {
	t.Helper()
	valid, ok := validBodies[rt.Method+" "+rt.Path]
	if !ok {
		t.Fatalf("%s %s: no valid body in validBodies", rt.Method, rt.Path)
	}
	var cases []badCase
	var headers []string
	if rt.Request == nil { // the bank statement
		headers = []string{"Content-Type", "text/csv"}
	}
	// In the path: the route's path parameter, or (none) a query parameter.
	for _, bad := range []struct{ name, escaped, why string }{
		{"NUL in path", "a%00b", "NUL"}, {"invalid UTF-8 in path", "a%FF%FEb", "invalid UTF-8"},
	} {
		c := badCase{name: bad.name, body: valid, headers: headers}
		if m := pathParam.FindStringSubmatch(rt.Path); m != nil {
			c.path = strings.Replace(rt.Path, m[0], bad.escaped, 1)
			c.want = `^path parameter "` + m[1] + `": ` + bad.why
		} else {
			c.path = rt.Path + "?ref=" + bad.escaped
			c.want = `^query parameter "ref": ` + bad.why
		}
		cases = append(cases, c)
	}
	path := pathParam.ReplaceAllString(rt.Path, "x1")
	if rt.Request == nil { // CSV cells, not JSON strings
		return append(cases,
			badCase{name: "NUL in the reference cell", path: path, body: strings.Replace(valid, "EU-1", "EU\x00-1", 1), headers: headers,
				want: `line 2, column 3 \(reference\): NUL`},
			badCase{name: "control character in the label cell", path: path, body: strings.Replace(valid, "FSE+", "FSE\x07", 1), headers: headers,
				want: `line 2, column 4 \(label\): control character U\+0007`},
			badCase{name: "null body", path: path, body: "null", headers: headers, want: `line 1: 1 columns`},
		)
	}
	id, idList := jsonStringField(rt.Request, true)
	str, strList := jsonStringField(rt.Request, false)
	if id == "" || str == "" {
		t.Fatalf("%s %s: request %T has no string field", rt.Method, rt.Path, rt.Request)
	}
	fieldRE := func(name string, list bool) string {
		if list {
			var m map[string][]any
			_ = json.Unmarshal([]byte(valid), &m)
			return regexp.QuoteMeta(name + "[" + strconv.Itoa(len(m[name])) + "]")
		}
		return regexp.QuoteMeta(name)
	}
	return append(cases,
		badCase{name: "NUL in an id field", path: path, body: withField(t, valid, id, idList, `"x\u0000y"`),
			want: `^field "` + fieldRE(id, idList) + `": NUL`},
		badCase{name: "invalid UTF-8 in a string field", path: path, body: []byte(withField(t, valid, str, strList, "\"x\xff\xfey\"")),
			want: `^field "` + fieldRE(str, strList) + `": invalid UTF-8`},
		badCase{name: "null body", path: path, body: "null", want: `JSON object, not null`},
	)
}

// Every POST and PUT endpoint of the route table × {NUL in path, invalid UTF-8 in
// path, NUL in an id field, invalid UTF-8 in a string field, null body}: 400
// malformed-request naming the field, and no event written. A route without a path
// parameter gets the path cases in a query parameter; the bank statement (CSV) gets
// a NUL in its reference cell, a control character in its label cell and "null".
func TestBadBytesAreRefusedAtTheDoor(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	tokens := map[api.Role]string{}
	before := eventCount(t, e)
	n := 0
	for _, rt := range e.api.Routes() {
		if rt.Method != "POST" && rt.Method != "PUT" {
			continue
		}
		role := rt.Roles[0]
		if tokens[role] == "" {
			org := "org_" + string(role)
			if role == api.RoleAdmin || role == api.RoleAuditor {
				org = ""
			}
			tokens[role] = e.token(role, org)
		}
		for _, c := range badCases(t, rt) {
			n++
			t.Run(rt.Method+" "+rt.Path+"/"+c.name, func(t *testing.T) {
				r := e.call(rt.Method, c.path, tokens[role], c.body, c.headers...).want(t, 400)
				var p api.Problem
				r.decode(t, &p)
				if r.header.Get("Content-Type") != "application/problem+json" || r.problemType() != "malformed-request" {
					t.Fatalf("problem %s %s", r.header.Get("Content-Type"), r.body)
				}
				if !regexp.MustCompile(c.want).MatchString(p.Detail) {
					t.Fatalf("detail %q does not match %q", p.Detail, c.want)
				}
				if after := eventCount(t, e); after != before {
					t.Fatalf("%d events written", after-before)
				}
			})
		}
	}
	if n < 23*5 {
		t.Fatalf("%d cases, want 5 for each of the 23 write routes", n)
	}
	// The valid bodies pass the door and the decoder (their ids need not exist).
	for _, rt := range e.api.Routes() {
		valid, ok := validBodies[rt.Method+" "+rt.Path]
		if !ok {
			continue
		}
		var headers []string
		if rt.Request == nil {
			headers = []string{"Content-Type", "text/csv"}
		}
		r := e.call(rt.Method, pathParam.ReplaceAllString(rt.Path, "x1"), tokens[rt.Roles[0]], valid, headers...)
		if r.status == 400 || r.status >= 500 {
			t.Errorf("%s %s with its valid body: %d %s", rt.Method, rt.Path, r.status, r.body)
		}
	}
}

// The rules in detail: no control character anywhere (TAB, LF, CR, DEL and C1
// included, in free text too: the domain accepts none), no lone surrogate escape,
// no null where an object is expected, no bad bytes in a query on a read or in an
// Idempotency-Key; accents and escaped non-BMP characters are fine.
func TestBadBytesRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	w := newWorld(t, e)
	before := eventCount(t, e)
	refused := []struct {
		name, method, path, body, want string
		headers                        []string
	}{
		{"TAB in a name", "POST", "/v1/funders", `{"name":"a\tb","kind":"state"}`, `field "name": control character U\+0009`, nil},
		{"escaped LF in an id", "POST", "/v1/contributions", `{"funder_id":"f\n","amount":"1.00"}`, `field "funder_id": control character U\+000A`, nil},
		{"escaped CR in an id", "POST", "/v1/contributions", `{"funder_id":"\u000df","amount":"1.00"}`, `field "funder_id": control character U\+000D`, nil},
		{"LF in free text", "POST", "/v1/places/" + w.place + "/label", `{"action":"suspend","effective_on":"2026-03-01","reason":"a\nb"}`, `field "reason": control character U\+000A`, nil},
		{"DEL in free text", "POST", "/v1/places/" + w.place + "/label", "{\"action\":\"suspend\",\"effective_on\":\"2026-03-01\",\"reason\":\"a\x7f\"}", `field "reason": control character U\+007F`, nil},
		{"C1 control", "POST", "/v1/funders", `{"name":"a\u0085","kind":"state"}`, `field "name": control character U\+0085`, nil},
		{"lone surrogate", "POST", "/v1/funders", `{"name":"a\ud800b","kind":"state"}`, `field "name": lone UTF-16 surrogate`, nil},
		{"NUL in a list", "POST", "/v1/funds", `{"name":"F","territories":["63","6\u00003"]}`, `field "territories\[1\]": NUL`, nil},
		{"NUL in a field name", "POST", "/v1/funders", `{"name":"a","kind":"state","x\u0000":1}`, `a field name in the body: NUL`, nil},
		{"null funding line", "POST", "/v1/programmes", `{"name":"P","territory":"63","funding":[null]}`, `field "funding\[0\]": null where an object is expected`, nil},
		{"NUL in a nested id", "POST", "/v1/programmes", `{"name":"P","funding":[{"funder_id":"\u0000","amount":"1.00"}]}`, `field "funding\[0\].funder_id": NUL`, nil},
		{"array body", "POST", "/v1/funders", `[]`, `JSON object, not an array`, nil},
		{"string body", "POST", "/v1/funders", `"x"`, `JSON object, not a string`, nil},
		{"NUL in a query on a read", "GET", "/v1/reports/equity?fund_id=%00", ``, `query parameter "fund_id": NUL`, nil},
		{"TAB in a path id on a read", "GET", "/v1/places/a%09b/statement", ``, `path parameter "id": control character U\+0009`, nil},
		{"malformed query escape", "GET", "/v1/advances?status=%zz", ``, `malformed query string`, nil},
		{"invalid UTF-8 Idempotency-Key", "POST", "/v1/funders", `{"name":"a","kind":"state"}`, `header Idempotency-Key: invalid UTF-8`, []string{"Idempotency-Key", "k\xff"}},
	}
	for _, c := range refused {
		t.Run("refused/"+c.name, func(t *testing.T) {
			var body any
			if c.body != "" {
				body = c.body
			}
			r := e.call(c.method, c.path, e.admin, body, c.headers...).want(t, 400)
			var p api.Problem
			r.decode(t, &p)
			if r.problemType() != "malformed-request" || !regexp.MustCompile(c.want).MatchString(p.Detail) {
				t.Fatalf("problem %s, want detail matching %q", r.body, c.want)
			}
		})
	}
	// An unknown path is refused for its bytes before routing (not in openapi.json:
	// sent without the harness's response validation).
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/nowhere/%00", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `path segment 3: NUL`) {
		t.Fatalf("unknown path with a NUL: %d %s", resp.StatusCode, b)
	}
	if after := eventCount(t, e); after != before {
		t.Fatalf("%d events written by refused requests", after-before)
	}
	accepted := []struct{ name, method, path, body string }{
		{"accents and an escaped emoji in a name", "POST", "/v1/funders", `{"name":"Département de l'Ardèche \ud83d\ude00","kind":"departement"}`},
		{"accents in free text", "POST", "/v1/places/" + w.place + "/label", `{"action":"suspend","effective_on":"2026-03-01","reason":"fermé pour travaux « été »"}`},
		{"a field name in capitals", "POST", "/v1/funders", `{"NAME":"Région","kind":"other"}`},
	}
	for _, c := range accepted {
		t.Run("accepted/"+c.name, func(t *testing.T) {
			if r := e.call(c.method, c.path, e.admin, c.body); r.status >= 300 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		})
	}
}

// A bank statement with a control character in a cell names its line and column,
// counting the physical lines of quoted multi-line labels (refused too: no text
// field of the ledger holds a line feed).
func TestBankStatementControlCharacters(t *testing.T) {
	for _, c := range []struct{ body, want string }{
		{"2026-03-10;25,00;EU-1;FSE\x00\n", "line 1, column 4 (label): NUL character"},
		{"2026-03-10;25,00;\"EU\t1\";FSE\n", "line 1, column 3 (reference): control character U+0009"},
		{"2026-03-10;25,00;EU-1;\"deux\nlignes\"\n", "line 1, column 4 (label): control character U+000A"},
		{"2026-03-10;25,00;EU-1;\"deux\"\n\n2026-03-11;1,00;\x1b;x\n", "line 3, column 3 (reference): control character U+001B"},
		{"2026-03-10;25,00;EU-1;caf\x81\n", "line 1, column 4 (label): a byte that is neither UTF-8 nor Windows-1252"},
		{"2026-03-10;25,00;EU-1;caf\xe9\x85\n", ""}, // Windows-1252: café…
	} {
		_, err := api.ParseBankStatement([]byte(c.body))
		if c.want == "" {
			if err != nil {
				t.Errorf("%q: %v", c.body, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.body, err, c.want)
		}
	}
	lines, err := api.ParseBankStatement([]byte("2026-03-10;25,00;EU-1;\"Pôle « emploi »; avance\"\n"))
	if err != nil || len(lines) != 1 || lines[0].Label != "Pôle « emploi »; avance" {
		t.Fatalf("quoted label: %+v %v", lines, err)
	}
}
