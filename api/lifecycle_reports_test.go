package api_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/cheques"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/prescribers"
	"github.com/passnumerique/passledger/projections/treasury"
)

// checkReports asserts the read models at the end of the life cycle, each read with
// ?min_position= of the last write (read-your-writes).
func (l *lifecycle) checkReports(t *testing.T) {
	e := l.e
	at := func(path string) string {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		return fmt.Sprintf("%s%smin_position=%d", path, sep, l.last)
	}

	// Funder audit trails at 2 February 2027. Each total of the programme is
	// split 30/20/10 (Département, CAF, State) as a whole, to the cent, each part
	// its exact share rounded down or up (domain.AttributeProgramme):
	// Redeemed: 30.00 → Dép 15.00, CAF 10.00, State 5.00.
	// Expired: 170.00 → Dép 85.00, CAF 56.666…, State 28.333…: the cent left
	// goes to the larger remainder: CAF 56.67, State 28.33.
	// Never minted: 59,800.00 → Dép 29,900.00, CAF 19,933.333…, State
	// 9,966.666…: CAF 19,933.33, State 9,966.67.
	// Each funder's redeemed + expired + unminted is its line exactly (CAF
	// 10.00 + 56.67 + 19,933.33 = 20,000.00): nothing left in the programme.
	// Reimbursed (the batch of the three redemptions was paid): same as redeemed.
	want := []struct {
		id                                             string
		pledged, received, redeemed, expired, unminted string
	}{
		{l.state, "60000.00", "60000.00", "5.00", "28.33", "9966.67"},
		{l.dep, "30000.00", "5000.00", "15.00", "85.00", "29900.00"},
		{l.caf, "20000.00", "1000.00", "10.00", "56.67", "19933.33"},
	}
	for _, w := range want {
		var tr audit.Trail
		e.call("GET", at("/v1/funders/"+w.id+"/audit?as_of=2027-02-02"), e.admin, nil).want(t, 200).decode(t, &tr)
		got := []string{tr.Pledged.String(), tr.Received.String(), tr.Redeemed.String(), tr.Expired.String(), tr.UnmintedReturned.String(), tr.Reimbursed.String()}
		exp := []string{w.pledged, w.received, w.redeemed, w.expired, w.unminted, w.redeemed}
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Errorf("audit of %s: pledged/received/redeemed/expired/unminted/reimbursed = %v, want %v", w.id, got, exp)
		}
		if !tr.InProgrammes.IsZero() {
			t.Errorf("audit of %s: %s in programmes after the close", w.id, tr.InProgrammes)
		}
		if len(tr.RedeemedByPlace) != 1 || tr.RedeemedByPlace[0].PlaceID != l.place || tr.RedeemedByPlace[0].Amount.String() != w.redeemed {
			t.Errorf("audit of %s: redeemed by place %+v", w.id, tr.RedeemedByPlace)
		}
	}
	// The State's leverage: in the programme it co-funds (60,000.00), its own 10,000.00
	// brings 50,000.00 of others: 5 euros of others per own euro.
	var st audit.Trail
	e.call("GET", at("/v1/funders/"+l.state+"/audit?as_of=2027-02-02"), e.admin, nil).want(t, 200).decode(t, &st)
	if st.Leverage == nil || st.Leverage.String() != "5" {
		t.Errorf("State leverage %v, want 5", st.Leverage)
	}
	// A funder sees its own audit only.
	stateTok := e.token(api.RoleFunder, l.state)
	e.call("GET", "/v1/funders/"+l.state+"/audit", stateTok, nil).want(t, 200)
	e.call("GET", "/v1/funders/"+l.dep+"/audit", stateTok, nil).want(t, 403)

	// Double entry: the trial balance is zero, and the place is fully paid.
	var tb api.TrialBalanceResponse
	e.call("GET", at("/v1/trial-balance"), l.financeTok, nil).want(t, 200).decode(t, &tb)
	if !tb.Balanced || tb.Total.String() != "0.00" {
		t.Errorf("trial balance %+v", tb)
	}
	var stmt places.Report
	e.call("GET", at("/v1/places/"+l.place+"/statement"), l.placeTok, nil).want(t, 200).decode(t, &stmt)
	if stmt.Paid.String() != "30.00" || stmt.Owed.String() != "0.00" || stmt.Batched.String() != "0.00" {
		t.Errorf("statement owed %s batched %s paid %s", stmt.Owed, stmt.Batched, stmt.Paid)
	}

	// The cheque reversed and redeemed again: redeemed, paid, with its history.
	var ch cheques.State
	e.call("GET", at("/v1/cheques/"+l.carnets[0].Cheques[0].Serial), l.placeTok, nil).want(t, 200).decode(t, &ch)
	if ch.Status != "redeemed" || ch.Reversals != 1 || ch.Reimbursement != "paid" {
		t.Errorf("cheque status %s reversals %d reimbursement %s", ch.Status, ch.Reversals, ch.Reimbursement)
	}
	var stock prescribers.Inventory
	e.call("GET", at("/v1/prescribers/"+l.prescriber+"/stock"), l.prescriberTok, nil).want(t, 200).decode(t, &stock)
	if stock.InStock != 0 || stock.Issued != 2 {
		t.Errorf("stock in %d issued %d", stock.InStock, stock.Issued)
	}

	// Treasury: the advance is repaid, nothing outstanding; the statement's unknown
	// line (12.34) is the only unmatched one.
	var advs api.AdvancesResponse
	e.call("GET", at("/v1/advances?status=outstanding&as_of=2026-07-01"), l.financeTok, nil).want(t, 200).decode(t, &advs)
	if len(advs.Advances) != 0 || advs.Outstanding.String() != "0.00" {
		t.Errorf("outstanding advances %+v", advs)
	}
	var rec treasury.BankReconciliation
	e.call("GET", at("/v1/reconciliation"), l.financeTok, nil).want(t, 200).decode(t, &rec)
	if rec.MatchedLines != 2 || rec.UnmatchedLines != 1 || rec.UnmatchedLinesAmount.String() != "12.34" {
		t.Errorf("reconciliation matched %d unmatched %d (%s)", rec.MatchedLines, rec.UnmatchedLines, rec.UnmatchedLinesAmount)
	}

	// Equity: 63 received 32,784.93 from the fund; 200.00 minted and issued, 30.00
	// redeemed, 170.00 expired.
	var eq equity.Figures
	e.call("GET", at("/v1/reports/equity"), e.admin, nil).want(t, 200).decode(t, &eq)
	found := false
	for _, tr := range eq.Territories {
		if tr.Code != "63" {
			continue
		}
		found = true
		got := []string{tr.Allocated.String(), tr.Minted.String(), tr.Issued.String(), tr.Redeemed.String(), tr.Expired.String()}
		if fmt.Sprint(got) != "[32784.93 200.00 200.00 30.00 170.00]" {
			t.Errorf("equity 63: allocated/minted/issued/redeemed/expired %v", got)
		}
	}
	if !found || eq.Total.Allocated.String() != "60000.00" || eq.Total.Redeemed.String() != "30.00" {
		t.Errorf("equity totals %+v (63 found: %v)", eq.Total, found)
	}
	// CSV for a French spreadsheet: UTF-8 BOM and ';'.
	req, _ := http.NewRequest("GET", e.srv.URL+at("/v1/reports/equity"), nil)
	req.Header.Set("Authorization", "Bearer "+e.admin)
	req.Header.Set("Accept", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := readResponse(t, resp)
	if r.status != 200 || !bytes.HasPrefix(r.body, []byte("\xef\xbb\xbf")) || !strings.Contains(string(r.body), ";") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Errorf("equity CSV: %d %s %q", r.status, r.header.Get("Content-Type"), r.body[:min(len(r.body), 80)])
	}

	// The auditor verifies the whole history.
	auditor := e.token(api.RoleAuditor, "")
	var v struct {
		OK     bool  `json:"ok"`
		Events int64 `json:"events"`
	}
	e.call("GET", "/v1/verify", auditor, nil).want(t, 200).decode(t, &v)
	if !v.OK || v.Events == 0 {
		t.Errorf("verify %+v", v)
	}
}
