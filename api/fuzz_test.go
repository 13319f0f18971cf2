package api_test

import (
	"encoding/json"
	"testing"

	"github.com/passnumerique/passledger/api"
)

// FuzzDecodeRequests feeds arbitrary bytes to the strict decoder of every request
// type: it must never panic, and what it accepts must survive a round trip.
func FuzzDecodeRequests(f *testing.F) {
	for _, s := range []string{
		`{"name":"État","kind":"state"}`,
		`{"serial":"ABCD1234-0317","check_code":"123456","session_date":"2026-03-14","service":"atelier"}`,
		`{"name":"P","territory":"63","valid_from":"2026-01-01","valid_until":"2026-12-31","cheque_value":"10.00","cheques_per_carnet":10,"funding":[{"funder_id":"f","amount":"1.00"}]}`,
		`{"amount":"10.001"}`, `{"amount":1e400}`, `{"budget":"100.00","floor":"1.00","territories":["63"]}`,
		`[]`, `null`, `{}`, `{"a":`, "\xff\xfe",
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

// FuzzParseBankStatement: never panics; accepted lines carry valid amounts.
func FuzzParseBankStatement(f *testing.F) {
	for _, s := range []string{
		"date;amount;reference;label\n2026-03-10;25,00;EU-2026-1;FSE+\n",
		"\xef\xbb\xbf10/03/2026;-1 234,56;VIR-1;Remboursement\n",
		"2026-03-10;12.5;r;l\n2026-03-11;0,01;\"a;b\";\"x\"\"y\"\n",
		"10/03/2026;1.234,56;r;l\n", "2026-02-30;1,00;r;l\n", ";;;\n", "caf\xe9;1,00;r;l\n",
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
		}
	})
}
