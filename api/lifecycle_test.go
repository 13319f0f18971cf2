package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/passnumerique/passledger/api"
)

// lifecycle holds the ids and the position of the last write of the walk.
type lifecycle struct {
	e                        *env
	state, dep, caf, fse     string
	fund, programme          string
	prescriber, place        string
	prescriberTok, placeTok  string
	financeTok               string
	contribState, contribDep string
	contribCAF               string
	advance                  string
	carnets                  []api.MintedCarnet
	last                     int64
	redeemed                 []api.RedemptionResponse
}

func (l *lifecycle) pos(p int64) {
	if p > l.last {
		l.last = p
	}
}

// TestLifecycle walks SPEC's whole life cycle through real HTTP: pledge → receipt →
// péréquation → programme → mint → issue → redeem → reverse → redeem → batch → pay
// → advance → repay → bank import → close → reports. Every figure asserted is
// computed by hand in the comments, not by the code under test.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	l := &lifecycle{e: e}
	e.clock.set(time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC))
	l.financeTok = e.token(api.RoleFinance, "org_finance")

	// Territories: need = population × fragility rate.
	// 63: 662,285 × 0.18 = 119,211.30; 03: 335,975 × 0.20 = 67,195.00;
	// 15: 144,379 × 0.22 = 31,763.38. Total need 218,169.68.
	for _, tr := range []struct {
		code string
		pop  int64
		rate string
	}{{"63", 662285, "0.18"}, {"03", 335975, "0.20"}, {"15", 144379, "0.22"}} {
		var resp api.TerritoryResponse
		e.call("PUT", "/v1/territories/"+tr.code, e.admin, map[string]any{"population": tr.pop, "fragility_rate": tr.rate, "source": "test figures"}).want(t, 200).decode(t, &resp)
		l.pos(resp.Position)
	}
	created := func(path string, body any, tok string) string {
		t.Helper()
		var c api.CreatedResponse
		e.call("POST", path, tok, body).want(t, 201).decode(t, &c)
		l.pos(c.Position)
		return c.ID
	}
	l.state = created("/v1/funders", map[string]any{"name": "État (ANCT)", "kind": "state"}, e.admin)
	l.dep = created("/v1/funders", map[string]any{"name": "Département du Puy-de-Dôme", "kind": "departement"}, e.admin)
	l.caf = created("/v1/funders", map[string]any{"name": "CAF du Puy-de-Dôme", "kind": "caf"}, e.admin)
	l.fse = created("/v1/funders", map[string]any{"name": "FSE+ (UE)", "kind": "eu_fse"}, e.admin)
	l.fund = created("/v1/funds", map[string]any{"name": "Fonds de soutien Auvergne", "territories": []string{"63", "03", "15"}}, e.admin)

	// The State pledges 60,000.00 to the fund (its own token) and finance records the receipt.
	stateTok := e.token(api.RoleFunder, l.state)
	if r := e.call("POST", "/v1/contributions", stateTok, map[string]any{"funder_id": l.dep, "fund_id": l.fund, "amount": "1.00"}); r.status != 403 {
		t.Fatalf("a funder pledging for another: %d", r.status)
	}
	l.contribState = created("/v1/contributions", map[string]any{"funder_id": l.state, "fund_id": l.fund, "amount": "60000.00", "pledged_on": "2026-01-05"}, stateTok)
	created("/v1/contributions/"+l.contribState+"/receipts", map[string]any{"amount": "60000.00", "received_on": "2026-01-08", "bank_reference": "ETAT-2026-01"}, l.financeTok)
	// More than received cannot be shared.
	e.call("POST", "/v1/funds/"+l.fund+"/perequation-runs", l.financeTok, map[string]any{"budget": "60000.01"}).want(t, 422)

	// Péréquation of 60,000.00 by need (largest remainder in cents):
	// 63: 60000 × 119211.30 / 218169.68 = 32,784.9314… → 32,784.93
	// 03: 60000 × 67195.00 / 218169.68 = 18,479.6531… → 18,479.65
	// 15: 60000 × 31763.38 / 218169.68 = 8,735.4155… → 8,735.42 (largest remainder: the cent left)
	var run api.PerequationResponse
	e.call("POST", "/v1/funds/"+l.fund+"/perequation-runs", l.financeTok, map[string]any{"budget": "60000.00"}).want(t, 201).decode(t, &run)
	l.pos(run.Position)
	wantAlloc := map[string]string{"63": "32784.93", "03": "18479.65", "15": "8735.42"}
	for _, a := range run.Allocations {
		if a.Amount.String() != wantAlloc[a.Territory] {
			t.Fatalf("allocation %s = %s, want %s", a.Territory, a.Amount, wantAlloc[a.Territory])
		}
	}

	// Programme 63: Département 30,000.00 + CAF 20,000.00 direct, 10,000.00 drawn
	// from the fund's 63 allocation (attributed onward to the State, the only
	// contributor who paid into the fund). Per €10 cheque: 10 × 30/60 = 5.00 (Dép),
	// 10 × 20/60 = 3.333… (CAF), 10 × 10/60 = 1.666… (State): cents 500 + 333 + 166
	// = 999, the last cent to the largest remainder (.67, State): 5.00 / 3.33 / 1.67.
	var prog api.ProgrammeResponse
	e.call("POST", "/v1/programmes", e.admin, map[string]any{
		"name": "Pass numérique Puy-de-Dôme 2026", "territory": "63", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
		"cheque_value": "10.00", "cheques_per_carnet": 10,
		"funding": []map[string]any{{"funder_id": l.dep, "amount": "30000.00"}, {"funder_id": l.caf, "amount": "20000.00"}, {"fund_id": l.fund, "amount": "10000.00"}},
	}).want(t, 201).decode(t, &prog)
	l.programme = prog.ID
	l.pos(prog.Position)
	if prog.Total.String() != "60000.00" {
		t.Fatalf("total funding %s", prog.Total)
	}
	l.contribDep = created("/v1/contributions", map[string]any{"funder_id": l.dep, "programme_id": l.programme, "amount": "30000.00"}, e.admin)
	e.clock.set(time.Date(2026, 1, 20, 9, 0, 0, 0, time.UTC))
	// Money movements are recorded once they happened: a receipt dated
	// tomorrow is refused, with the same problem type as any future date.
	if r := e.call("POST", "/v1/contributions/"+l.contribDep+"/receipts", l.financeTok, map[string]any{"amount": "5000.00", "received_on": "2026-01-21"}); r.status != 422 || r.problemType() != "date-in-future" {
		t.Fatalf("future receipt: %d %s", r.status, r.body)
	}
	created("/v1/contributions/"+l.contribDep+"/receipts", map[string]any{"amount": "5000.00", "received_on": "2026-01-20", "bank_reference": "DEP63-001"}, l.financeTok)
	l.contribCAF = created("/v1/contributions", map[string]any{"funder_id": l.caf, "programme_id": l.programme, "amount": "20000.00"}, e.admin)

	// Organisations, a label, and two carnets of 10 minted into the prescriber's stock.
	l.prescriber = created("/v1/prescribers", map[string]any{"name": "CCAS de Clermont-Ferrand", "kind": "ccas", "territory": "63"}, e.admin)
	l.place = created("/v1/places", map[string]any{"name": "Médiathèque de Jaude", "siret": "73282932000074", "territory": "63"}, e.admin)
	var w api.WriteResponse
	e.call("POST", "/v1/places/"+l.place+"/label", e.admin, map[string]any{"action": "grant", "effective_on": "2026-01-01"}).want(t, 200).decode(t, &w)
	var mint api.MintResponse
	e.call("POST", "/v1/programmes/"+l.programme+"/mint", e.admin, map[string]any{"carnets": 2, "prescriber_id": l.prescriber}).want(t, 201).decode(t, &mint)
	if mint.Value.String() != "200.00" || len(mint.Carnets) != 2 || len(mint.Carnets[0].Cheques) != 10 {
		t.Fatalf("mint %+v", mint)
	}
	l.carnets = mint.Carnets
	l.pos(mint.Position)
	l.prescriberTok = e.token(api.RolePrescriber, l.prescriber)
	l.placeTok = e.token(api.RolePlace, l.place)
	for i, c := range l.carnets {
		var ir api.WriteResponse
		e.call("POST", "/v1/carnets/"+c.ID+"/issue", l.prescriberTok, map[string]any{"beneficiary_ref": []string{"CCAS-0001", "CCAS-0002"}[i], "need_level": []string{"urgence", "inclusion"}[i]}).want(t, 200).decode(t, &ir)
		l.pos(ir.Position)
	}
	// One beneficiary, one carnet per programme.
	if r := e.call("POST", "/v1/carnets/"+l.carnets[1].ID+"/issue", l.prescriberTok, map[string]any{"beneficiary_ref": "CCAS-0001", "need_level": "urgence"}); r.status != 409 {
		t.Fatalf("second issue: %d %s", r.status, r.body)
	}

	// March: three cheques redeemed; the first reversed by mistake and redeemed again.
	e.clock.set(time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC))
	redeem := func(c api.MintedCheque) api.RedemptionResponse {
		t.Helper()
		var r api.RedemptionResponse
		e.call("POST", "/v1/redemptions", l.placeTok, map[string]any{"serial": c.Serial, "check_code": c.CheckCode, "session_date": "2026-03-14", "service": "atelier numérique"}).want(t, 201).decode(t, &r)
		l.pos(r.Position)
		return r
	}
	first := redeem(l.carnets[0].Cheques[0])
	e.call("POST", "/v1/redemptions/"+first.ID+"/reversal", l.placeTok, map[string]any{"reason": "wrong cheque scanned"}).want(t, 200).decode(t, &w)
	l.pos(w.Position)
	l.redeemed = append(l.redeemed, redeem(l.carnets[0].Cheques[0]), redeem(l.carnets[0].Cheques[1]), redeem(l.carnets[1].Cheques[0]))

	// Reimbursement: one line, the place, 3 × 10.00 = 30.00; paid from the
	// programme's cash (5,000.00 received from the Département + 10,000.00 drawn).
	var batch api.BatchResponse
	e.call("POST", "/v1/reimbursement-batches", l.financeTok, map[string]any{"cut_off": "2026-03-15"}).want(t, 201).decode(t, &batch)
	if batch.Total.String() != "30.00" || len(batch.Lines) != 1 || batch.Lines[0].PlaceID != l.place || batch.Count != 3 {
		t.Fatalf("batch %+v", batch)
	}
	e.clock.set(time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC))
	var paid api.PaymentResponse
	e.call("POST", "/v1/reimbursement-batches/"+batch.ID+"/payment", l.financeTok, map[string]any{"paid_on": "2026-03-20", "bank_reference": "PAY-2026-03"}).want(t, 200).decode(t, &paid)
	l.pos(paid.Position)
	e.call("POST", "/v1/reimbursement-batches/"+batch.ID+"/payment", l.financeTok, map[string]any{"paid_on": "2026-03-20", "bank_reference": "PAY-2026-03"}).want(t, 409)
	// A paid redemption can no longer be reversed.
	if r := e.call("POST", "/v1/redemptions/"+l.redeemed[1].ID+"/reversal", l.placeTok, nil); r.status != 409 {
		t.Fatalf("reversal of a batched redemption: %d", r.status)
	}

	// Treasury: CAF's money is late; 1,000.00 advanced against its pledge on 1 February,
	// repaid in June from its receipt.
	l.advance = created("/v1/advances", map[string]any{"contribution_id": l.contribCAF, "beneficiary_org_id": "org_ccas63", "amount": "1000.00", "granted_on": "2026-02-01", "due_on": "2026-12-31"}, l.financeTok)
	e.call("POST", "/v1/advances/"+l.advance+"/repayments", l.financeTok, map[string]any{"amount": "1000.00", "repaid_on": "2026-03-01"}).want(t, 422) // nothing received yet
	e.clock.set(time.Date(2026, 6, 5, 9, 0, 0, 0, time.UTC))
	created("/v1/contributions/"+l.contribCAF+"/receipts", map[string]any{"amount": "1000.00", "received_on": "2026-06-01", "bank_reference": "CAF-2026-06"}, l.financeTok)
	created("/v1/advances/"+l.advance+"/repayments", map[string]any{"amount": "1000.00", "repaid_on": "2026-06-02"}, l.financeTok)

	// Bank statement (French export: decimal comma, DD/MM/YYYY): the Département's
	// receipt and the batch payment match by reference; an unknown line stays unmatched.
	csv := "date;amount;reference;label\n20/01/2026;5 000,00;DEP63-001;VIR DEPARTEMENT 63\n20/03/2026;-30,00;PAY-2026-03;REMBOURSEMENT LIEUX\n21/03/2026;12,34;XYZ;INCONNU\n"
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/bank-statements", strings.NewReader(csv))
	req.Header.Set("Authorization", "Bearer "+l.financeTok)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var stmt api.BankStatementResponse
	r := readResponse(t, resp)
	e.validate(req, []byte(csv), r)
	r.want(t, 201).decode(t, &stmt)
	l.pos(stmt.Position)
	if stmt.Matched != 2 || stmt.Unmatched != 1 || stmt.Lines[0].MovementKind != "receipt" || stmt.Lines[1].MovementKind != "reimbursement_payment" {
		t.Fatalf("statement %+v", stmt)
	}

	// Closing before validity + grace (31 Dec + 31 days) is refused; after, the 17
	// unredeemed cheques expire (170.00) and the 59,800.00 never minted return.
	e.clock.set(time.Date(2027, 1, 15, 9, 0, 0, 0, time.UTC))
	e.call("POST", "/v1/programmes/"+l.programme+"/close", e.admin, map[string]any{"as_of": "2027-01-15"}).want(t, 409)
	e.clock.set(time.Date(2027, 2, 2, 9, 0, 0, 0, time.UTC))
	var closed api.CloseResponse
	e.call("POST", "/v1/programmes/"+l.programme+"/close", e.admin, map[string]any{"as_of": "2027-02-01"}).want(t, 200).decode(t, &closed)
	l.pos(closed.Position)
	if closed.ExpiredCount != 17 || closed.ExpiredValue.String() != "170.00" || closed.Unminted.String() != "59800.00" {
		t.Fatalf("close %+v", closed)
	}

	l.checkReports(t)
}

func readResponse(t *testing.T, resp *http.Response) response {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}
