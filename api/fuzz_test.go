package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/passnumerique/passledger/api"
)

// cleanText reports whether s is text the ledger accepts: valid UTF-8 without
// a NUL or any control character (C0, DEL, C1).
func cleanText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r >= 0xd800 && r <= 0xdfff {
			return false
		}
	}
	return true
}

// badString returns the first string in v (walked by reflection) that is not
// clean text, and whether there is one.
func badString(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badString(v.Elem())
		}
	case reflect.String:
		if !cleanText(v.String()) {
			return v.String(), true
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if s, bad := badString(v.Field(i)); bad {
					return s, true
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if s, bad := badString(v.Index(i)); bad {
				return s, true
			}
		}
	}
	return "", false
}

// FuzzDecodeRequests feeds arbitrary bytes to the strict decoder of every request
// type: it must never panic, every refusal is a 400, what it accepts is a JSON
// object in valid UTF-8 whose strings hold no NUL or control character, and it
// survives a round trip.
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{
		`{"name":"État","kind":"state"}`,
		`{"serial":"ABCD1234-0317","check_code":"123456","session_date":"2026-03-14","service":"atelier"}`,
		`{"name":"P","territory":"63","valid_from":"2026-01-01","valid_until":"2026-12-31","cheque_value":"10.00","cheques_per_carnet":10,"funding":[{"funder_id":"f","amount":"1.00"}]}`,
		`{"amount":"10.001"}`, `{"amount":1e400}`, `{"budget":"100.00","floor":"1.00","territories":["63"]}`,
		`[]`, `null`, `{}`, `{"a":`, "\xff\xfe",
		`{"name":"x\u0000y","kind":"state"}`, "{\"name\":\"x\xff\xfey\",\"kind\":\"state\"}", `{"serial":"\ud800","check_code":"1"}`,
		`{"reason":"a\nb"}`, "{\"name\":\"a\x7f\"}", `{"name":"\u0085"}`, ` null `, `"x"`, `42`,
		`{"funding":[null]}`, `{"funding":[{"funder_id":"\u0000","amount":"1.00"}]}`, `{"territories":["63","\u001f"]}`,
		`{"name":"\ud83d\ude00 État"}`, "{\"x\u0000\":1}", `{"NAME":"\u0007"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		targets := []func() any{
			func() any { return &api.FunderRequest{} }, func() any { return &api.ProgrammeRequest{} },
			func() any { return &api.RedemptionRequest{} }, func() any { return &api.ContributionRequest{} },
			func() any { return &api.PerequationRequest{} }, func() any { return &api.AdvanceRequest{} },
			func() any { return &api.TerritoryRequest{} }, func() any { return &api.IssueRequest{} },
			func() any { return &api.ReceiptRequest{} }, func() any { return &api.MatchRequest{} },
		}
		for _, newV := range targets {
			v := newV()
			if err := api.DecodeStrict(body, v); err != nil {
				if p := api.ProblemFor(err); p.Status != 400 {
					t.Fatalf("decode error mapped to %d, want 400: %v", p.Status, err)
				}
				continue
			}
			if !utf8.Valid(body) || !bytes.HasPrefix(bytes.TrimLeft(body, " \t\r\n"), []byte("{")) {
				t.Fatalf("accepted %q: not a JSON object in UTF-8", body)
			}
			if s, bad := badString(reflect.ValueOf(v)); bad {
				t.Fatalf("accepted %q into %T with the string %q", body, v, s)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("accepted value does not encode: %v", err)
			}
			w := newV()
			if err := json.Unmarshal(again, w); err != nil {
				t.Fatalf("round trip of %s: %v", again, err)
			}
		}
	})
}

// FuzzParseBankStatement: never panics; accepted lines carry valid amounts and
// clean text (no invalid UTF-8, NUL or control character, no U+FFFD from an
// undecodable byte).
func FuzzParseBankStatement(f *testing.F) {
	for _, s := range []string{
		"date;amount;reference;label\n2026-03-10;25,00;EU-2026-1;FSE+\n",
		"\xef\xbb\xbf10/03/2026;-1 234,56;VIR-1;Remboursement\n",
		"2026-03-10;12.5;r;l\n2026-03-11;0,01;\"a;b\";\"x\"\"y\"\n",
		"10/03/2026;1.234,56;r;l\n", "2026-02-30;1,00;r;l\n", ";;;\n", "caf\xe9;1,00;r;l\n",
		"2026-03-10;25,00;EU\x00-1;FSE+\n", "2026-03-10;25,00;EU-1;FSE\x07\n", "2026-03-10;25,00;EU-1;caf\x81\n",
		"2026-03-10;25,00;\"EU\t1\";l\n", "2026-03-10;25,00;r;\"deux\nlignes\"\n", "2026-03-10;25,00;r;\x7f\n", "null",
		"2026-03-10;25,00;r;caf\xe9\x85\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		lines, err := api.ParseBankStatement(body)
		if err != nil {
			return
		}
		for _, l := range lines {
			if l.Amount.IsZero() || l.Date.IsZero() {
				t.Fatalf("accepted line with zero amount or date: %+v", l)
			}
			if !cleanText(l.Reference) || !cleanText(l.Label) || !utf8.Valid(body) && strings.ContainsRune(l.Reference+l.Label, utf8.RuneError) {
				t.Fatalf("accepted line with bad text: %+v", l)
			}
		}
	})
}

// FuzzWriteEndpoints sends arbitrary path parameters, query values and bodies to
// every write endpoint of a real server (one database per fuzzing process): no
// input answers 5xx, every refusal is problem+json, and a path parameter or query
// value that is not clean text is refused with 400 before anything else.
func FuzzWriteEndpoints(f *testing.F) {
	e := newEnv(f, db.Fresh(f))
	var writes []api.Route
	tokens := map[api.Role]string{}
	for _, rt := range e.api.Routes() {
		if rt.Method != "POST" && rt.Method != "PUT" {
			continue
		}
		writes = append(writes, rt)
		if role := rt.Roles[0]; tokens[role] == "" {
			org := "org_" + string(role)
			if role == api.RoleAdmin || role == api.RoleAuditor {
				org = ""
			}
			tokens[role] = e.token(role, org)
		}
	}
	for i, rt := range writes {
		valid := []byte(validBodies[rt.Method+" "+rt.Path])
		f.Add(uint8(i), "x1", "", valid)
		f.Add(uint8(i), "a\x00b", "", valid)
		f.Add(uint8(i), "a\xff\xfeb", "", valid)
		f.Add(uint8(i), "x1", "\x00", valid)
		f.Add(uint8(i), "x1", "", []byte("null"))
		f.Add(uint8(i), "x1", "", bytes.Replace(valid, []byte(`":"`), []byte(`":"\u0000`), 1))
		f.Add(uint8(i), "x1", "", bytes.Replace(valid, []byte(`":"`), []byte("\":\"\xff"), 1))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	f.Fuzz(func(t *testing.T, route uint8, param, query string, body []byte) {
		rt := writes[int(route)%len(writes)]
		path := pathParam.ReplaceAllLiteralString(rt.Path, url.PathEscape(param))
		if query != "" {
			path += "?q=" + url.QueryEscape(query)
		}
		req, err := http.NewRequest(rt.Method, e.srv.URL+path, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		ct := "application/json"
		if rt.Request == nil {
			ct = "text/csv"
		}
		req.Header.Set("Content-Type", ct)
		req.Header.Set("Authorization", "Bearer "+tokens[rt.Roles[0]])
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %q → %d: %s", rt.Method, path, resp.StatusCode, out)
		}
		if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %q → %d as %s: %s", rt.Method, path, resp.StatusCode, resp.Header.Get("Content-Type"), out)
		}
		hasParam := strings.Contains(rt.Path, "{")
		if (hasParam && !cleanText(param) || !cleanText(query)) && resp.StatusCode != 400 {
			t.Fatalf("%s %q (param %q, query %q) → %d, want 400: %s", rt.Method, path, param, query, resp.StatusCode, out)
		}
	})
}
