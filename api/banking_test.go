package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/internal/spreadsheet"
	"github.com/passnumerique/passledger/internal/xsdtest"
	"github.com/passnumerique/passledger/projections/audit"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/projections/places"
	"github.com/passnumerique/passledger/projections/treasury"
)

// testDebtor is the operator account of every test server.
var testDebtor = sepa.Debtor{Name: "Opérateur Pass numérique (test)", IBAN: "FR7630006000011234567890189", BIC: "AGRIFRPP"}

func init() {
	// The OpenAPI document declares these answers as strings; let the response
	// validator read them as such.
	openapi3filter.RegisterBodyDecoder("application/xml", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder(spreadsheet.ContentType, openapi3filter.FileBodyDecoder)
}

// xmllint checks that doc is well-formed XML: for pain.001.001.09, whose official
// schema cannot be had from this workplace's registries (see the README); the
// other ISO 20022 documents are validated against their schema (xsdtest).
func xmllint(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatal("xmllint is missing: run `make tools` (Debian package libxml2-utils)")
	}
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("xmllint", "--noout", f).CombinedOutput(); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s\n%s", err, out, doc)
	}
}

// painTransfers reads a pain.001 with a minimal parser of its own: header count
// and control sum, and each transfer's IBAN and amount.
type painTransfer struct {
	IBAN   string
	Amount decimal.Decimal
	E2E    string
	Ustrd  string
}

func readPain(t *testing.T, doc []byte) (n int, ctrl decimal.Decimal, txs []painTransfer) {
	t.Helper()
	var d struct {
		NbOfTxs string `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
		CtrlSum string `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
		Txs     []struct {
			E2E   string `xml:"PmtId>EndToEndId"`
			Amt   string `xml:"Amt>InstdAmt"`
			IBAN  string `xml:"CdtrAcct>Id>IBAN"`
			Ustrd string `xml:"RmtInf>Ustrd"`
		} `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	n, _ = strconv.Atoi(d.NbOfTxs)
	ctrl = decimal.RequireFromString(d.CtrlSum)
	for _, x := range d.Txs {
		txs = append(txs, painTransfer{IBAN: x.IBAN, Amount: decimal.RequireFromString(strings.TrimSpace(x.Amt)), E2E: x.E2E, Ustrd: x.Ustrd})
	}
	return
}

// sendBody posts a raw body with a content type.
func (e *env) sendBody(t *testing.T, path, token, contentType string, body []byte) response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r := readResponse(t, resp)
	e.validate(req, body, r)
	return r
}

// TestBankingEndToEnd: places' bank accounts, a batch's SEPA file validated
// against the ISO 20022 schema with sums recounted from the redemptions, the
// batch paid and reconciled from a camt.053 statement (matched, unmatched with
// reasons, a duplicate line, the same statement twice), and the spreadsheets read
// back and compared with the JSON cent by cent.
func TestBankingEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	e.clock.set(time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC))
	w := newWorld(t, e)
	finance := e.token(api.RoleFinance, "org_finance")

	// A second place, and money for the programme.
	var c api.CreatedResponse
	e.call("POST", "/v1/places", e.admin, map[string]any{"name": "Tiers-lieu d'Issoire", "siret": "73282932000074", "territory": "63"}).want(t, 201).decode(t, &c)
	place2 := c.ID
	e.call("POST", "/v1/places/"+place2+"/label", e.admin, map[string]any{"action": "grant", "effective_on": "2026-01-01"}).want(t, 200)
	place2Tok := e.token(api.RolePlace, place2)
	e.call("POST", "/v1/contributions", e.admin, map[string]any{"funder_id": w.funders[0], "programme_id": w.programme, "amount": "1000.00", "pledged_on": "2026-02-01"}).want(t, 201).decode(t, &c)
	contribution := c.ID
	e.call("POST", "/v1/contributions/"+contribution+"/receipts", finance, map[string]any{"amount": "1000.00", "received_on": "2026-02-10", "bank_reference": "ETAT-REF-1"}).want(t, 201).decode(t, &c)
	receipt := c.ID

	// Redemptions: 3 at the first place, 2 at the second. The expected sums
	// come from these answers, not from the exporter.
	owed := map[string]decimal.Decimal{}
	counts := map[string]int{}
	var redemptions []api.RedemptionResponse
	for i := 0; i < 5; i++ {
		var r api.RedemptionResponse
		if i < 3 {
			w.redeem(t, i).want(t, 201).decode(t, &r)
		} else {
			e.call("POST", "/v1/redemptions", place2Tok, map[string]any{"serial": w.cheques[i].Serial, "check_code": w.cheques[i].CheckCode,
				"session_date": "2026-03-14", "service": "atelier"}).want(t, 201).decode(t, &r)
		}
		redemptions = append(redemptions, r)
		owed[r.PlaceID] = owed[r.PlaceID].Add(r.Amount.Decimal())
		counts[r.PlaceID]++
	}
	var expected decimal.Decimal
	for _, v := range owed {
		expected = expected.Add(v)
	}
	var batch api.BatchResponse
	e.call("POST", "/v1/reimbursement-batches", finance, map[string]any{"cut_off": "2026-03-15"}).want(t, 201).decode(t, &batch)
	q := "?min_position=" + strconv.FormatInt(batch.Position, 10)

	// No bank account yet: the file cannot be written.
	if p := e.call("GET", "/v1/reimbursement-batches/"+batch.ID+"/sepa"+q, finance, nil).want(t, 409).problemType(); p != "place-bank-account-missing" {
		t.Fatalf("problem %s", p)
	}
	// Bank accounts: admin only, IBAN and BIC checked, changes recorded.
	e.call("PUT", "/v1/places/"+w.place+"/bank-account", finance, map[string]any{"iban": "FR7630006000011234567890189"}).want(t, 403)
	if p := e.call("PUT", "/v1/places/"+w.place+"/bank-account", e.admin, map[string]any{"iban": "FR7630006000011234567890188"}).want(t, 422).problemType(); p != "invalid-iban" {
		t.Fatalf("problem %s", p)
	}
	if p := e.call("PUT", "/v1/places/"+w.place+"/bank-account", e.admin, map[string]any{"iban": "FR7630006000011234567890189", "bic": "AGRI"}).want(t, 422).problemType(); p != "invalid-bic" {
		t.Fatalf("problem %s", p)
	}
	ibans := map[string]string{w.place: "FR1420041010050500013M02606", place2: "DE89370400440532013000"}
	var acc api.BankAccountResponse
	e.call("PUT", "/v1/places/"+w.place+"/bank-account", e.admin, map[string]any{"iban": "fr14 2004 1010 0505 0001 3m02 606", "bic": "psstfrppclf"}).want(t, 200).decode(t, &acc)
	if !acc.Changed || acc.IBAN != ibans[w.place] || acc.BIC != "PSSTFRPPCLF" {
		t.Fatalf("%+v", acc)
	}
	e.call("PUT", "/v1/places/"+w.place+"/bank-account", e.admin, map[string]any{"iban": ibans[w.place], "bic": "PSSTFRPPCLF"}).want(t, 200).decode(t, &acc)
	if acc.Changed || acc.Position != 0 {
		t.Fatalf("unchanged account rewritten: %+v", acc)
	}
	e.call("PUT", "/v1/places/"+place2+"/bank-account", e.admin, map[string]any{"iban": ibans[place2], "holder": "Commune d'Issoire"}).want(t, 200).decode(t, &acc)
	q = "?min_position=" + strconv.FormatInt(acc.Position, 10)

	// The batch (JSON) carries the accounts.
	var b places.Batch
	e.call("GET", "/v1/reimbursement-batches/"+batch.ID+q, finance, nil).want(t, 200).decode(t, &b)
	if len(b.Lines) != 2 || !b.Total.Decimal().Equal(expected) || b.Count != 5 {
		t.Fatalf("batch %+v", b)
	}

	// The SEPA file: well-formed (pain.001.001.09) or valid against the official
	// schema (pain.001.001.03); header = lines = redemptions.
	for _, version := range []string{"", "pain.001.001.03"} {
		path := "/v1/reimbursement-batches/" + batch.ID + "/sepa" + q + "&execution_date=2026-03-20"
		if version != "" {
			path += "&version=" + version
		}
		r := e.call("GET", path, finance, nil).want(t, 200)
		if !strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
			t.Fatalf("content type %s", r.header.Get("Content-Type"))
		}
		if version == "" {
			xmllint(t, r.body) // no official pain.001.001.09 schema here: see the README
		} else {
			xsdtest.Validate(t, r.body, xsdtest.Pain00100103)
		}
		n, ctrl, txs := readPain(t, r.body)
		var sum decimal.Decimal
		for _, tx := range txs {
			sum = sum.Add(tx.Amount)
		}
		if n != len(owed) || len(txs) != len(owed) || !ctrl.Equal(expected) || !sum.Equal(expected) {
			t.Fatalf("%s: NbOfTxs %d, CtrlSum %s, %d transfers summing %s; want %d and %s", version, n, ctrl, len(txs), sum, len(owed), expected)
		}
		for _, tx := range txs {
			var place string
			for p, iban := range ibans {
				if iban == tx.IBAN {
					place = p
				}
			}
			if place == "" || !tx.Amount.Equal(owed[place]) || !strings.Contains(tx.Ustrd, fmt.Sprintf(" %d cheque", counts[place])) {
				t.Fatalf("transfer %+v (owed %v)", tx, owed)
			}
		}
	}
	e.call("GET", "/v1/reimbursement-batches/"+batch.ID+"/sepa?version=pain.001.001.02", finance, nil).want(t, 400)
	e.call("GET", "/v1/reimbursement-batches/"+batch.ID+"/sepa", w.placeTok, nil).want(t, 403)

	// Paid, then reconciled from the bank's camt.053.001.08.
	e.clock.set(time.Date(2026, 3, 22, 10, 0, 0, 0, time.UTC))
	e.call("POST", "/v1/reimbursement-batches/"+batch.ID+"/payment", finance, map[string]any{"paid_on": "2026-03-20", "bank_reference": "VIR-LOT-1"}).want(t, 200)
	ref, _ := domain.SEPAReference(batch.ID)
	entry := func(amount, cd, ref, info string) string {
		dtls := ""
		if ref != "" {
			dtls = "<NtryDtls><TxDtls><Refs><EndToEndId>" + ref + "</EndToEndId></Refs></TxDtls></NtryDtls>"
		}
		return `<Ntry><Amt Ccy="EUR">` + amount + `</Amt><CdtDbtInd>` + cd + `</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-21</Dt></BookgDt><ValDt><Dt>2026-03-21</Dt></ValDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>` + dtls + `<AddtlNtryInf>` + info + `</AddtlNtryInf></Ntry>`
	}
	batchEntry := `<Ntry><Amt Ccy="EUR">` + expected.StringFixed(2) + `</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-03-20</Dt></BookgDt><ValDt><Dt>2026-03-20</Dt></ValDt>
<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
<NtryDtls><Btch><PmtInfId>` + ref + `</PmtInfId><NbOfTxs>2</NbOfTxs></Btch>
<TxDtls><Refs><EndToEndId>` + ref + `/1</EndToEndId></Refs></TxDtls><TxDtls><Refs><EndToEndId>` + ref + `/2</EndToEndId></Refs></TxDtls></NtryDtls>
<AddtlNtryInf>REMISE VIREMENTS</AddtlNtryInf></Ntry>`
	statement := `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>CAMT-TEST-1</MsgId><CreDtTm>2026-03-22T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-2026-03-W12</Id><CreDtTm>2026-03-22T06:00:00</CreDtTm><Acct><Id><IBAN>` + testDebtor.IBAN + `</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-03-22</Dt></Dt></Bal>` +
		entry("1000.00", "CRDT", "ETAT-REF-1", "VIR ETAT") + // matches the receipt
		entry("1000.00", "CRDT", "ETAT-REF-1", "VIR ETAT DOUBLON") + // the same receipt again: already matched
		batchEntry + // the batch payment, batch booking
		entry("12.34", "CRDT", "", "VIREMENT INCONNU") + // no reference
		entry("99.00", "CRDT", "INCONNU-42", "VIR INCONNU") + // no candidate
		entry("999.00", "CRDT", receipt, "MONTANT FAUX") + // the receipt's id, another amount
		`</Stmt></BkToCstmrStmt></Document>`
	xsdtest.Validate(t, []byte(statement), xsdtest.Camt05300108)
	var imported api.BankStatementResponse
	e.sendBody(t, "/v1/bank-statements", finance, "application/xml", []byte(statement)).want(t, 201).decode(t, &imported)
	type outcome struct{ kind, reason string }
	want := []outcome{{"receipt", ""}, {"", "already_matched"}, {"reimbursement_payment", ""}, {"", "no_reference"}, {"", "no_candidate"}, {"", "amount_differs"}}
	if imported.Format != "camt.053.001.08" || len(imported.Lines) != len(want) || imported.Matched != 2 || imported.Unmatched != 4 ||
		len(imported.Statements) != 1 || imported.Statements[0].Account != testDebtor.IBAN {
		t.Fatalf("import %+v", imported)
	}
	for i, w := range want {
		l := imported.Lines[i]
		if l.MovementKind != w.kind || l.UnmatchedReason != w.reason {
			t.Errorf("line %d: %s/%s, want %s/%s", i+1, l.MovementKind, l.UnmatchedReason, w.kind, w.reason)
		}
	}
	if imported.Lines[2].MovementID != batch.ID || imported.Lines[2].Amount.String() != "-"+expected.StringFixed(2) {
		t.Fatalf("batch line %+v", imported.Lines[2])
	}
	// The same statement again changes nothing.
	var rec treasury.BankReconciliation
	q = "?min_position=" + strconv.FormatInt(imported.Position, 10)
	e.call("GET", "/v1/reconciliation"+q, finance, nil).want(t, 200).decode(t, &rec)
	before := len(rec.Lines)
	if p := e.sendBody(t, "/v1/bank-statements", finance, "text/xml; charset=utf-8", []byte(statement)).want(t, 409).problemType(); p != "statement-already-imported" {
		t.Fatalf("problem %s", p)
	}
	csvBody := []byte("date;amount;reference;label\n21/03/2026;5,00;XYZ;INCONNU\n")
	e.sendBody(t, "/v1/bank-statements", finance, "text/csv", csvBody).want(t, 201)
	if p := e.sendBody(t, "/v1/bank-statements", finance, "text/csv", csvBody).want(t, 409).problemType(); p != "statement-already-imported" {
		t.Fatalf("problem %s", p)
	}
	var last api.BankStatementResponse
	e.sendBody(t, "/v1/bank-statements", finance, "text/csv", append(csvBody, "22/03/2026;6,00;;AUTRE\n"...)).want(t, 201).decode(t, &last)
	e.call("GET", "/v1/reconciliation?min_position="+strconv.FormatInt(last.Position, 10), finance, nil).want(t, 200).decode(t, &rec)
	if len(rec.Lines) != before+1+2 {
		t.Fatalf("%d lines after, %d before (+3 expected from the two CSV files)", len(rec.Lines), before)
	}
	e.sendBody(t, "/v1/bank-statements", finance, "application/pdf", csvBody).want(t, 415)
	q = "?min_position=" + strconv.FormatInt(last.Position, 10)

	// Spreadsheets read back, compared with the JSON cent by cent.
	func() { // batch xlsx
		var b places.Batch
		e.call("GET", "/v1/reimbursement-batches/"+batch.ID+q, finance, nil).want(t, 200).decode(t, &b)
		f := openXLSX(t, e.call("GET", "/v1/reimbursement-batches/"+batch.ID+q+"&format=xlsx", finance, nil).want(t, 200))
		rows := sheetRows(t, f, f.GetSheetList()[0])
		if rows[0][7] != "Montant" || len(rows) != len(b.Lines)+2 {
			t.Fatalf("%q", rows)
		}
		for i, l := range b.Lines {
			if rows[i+1][0] != l.PlaceID || rows[i+1][4] != l.IBAN || rows[i+1][7] != l.Amount.String() || rows[i+1][6] != strconv.Itoa(l.Count) {
				t.Fatalf("row %d %q, want %+v", i+1, rows[i+1], l)
			}
		}
		total := rows[len(rows)-1]
		if total[0] != "Total" || total[7] != b.Total.String() || total[6] != strconv.Itoa(b.Count) {
			t.Fatalf("total %q, want %s", total, b.Total)
		}
		checkEuroCell(t, f, f.GetSheetList()[0], "H2")
	}()
	func() { // statement xlsx
		var st places.Report
		e.call("GET", "/v1/places/"+w.place+"/statement"+q, w.placeTok, nil).want(t, 200).decode(t, &st)
		f := openXLSX(t, e.call("GET", "/v1/places/"+w.place+"/statement"+q, w.placeTok, nil, "Accept", spreadsheet.ContentType).want(t, 200))
		sum := sheetRows(t, f, "Synthèse")
		for i, m := range []domain.Money{st.Owed, st.Batched, st.Paid, st.Reversed} {
			if sum[i+1][2] != m.String() {
				t.Fatalf("summary row %d %q, want %s", i+1, sum[i+1], m)
			}
		}
		reds := sheetRows(t, f, "Chèques")
		var all domain.Money
		for i, r := range st.Redemptions {
			all = all.Add(r.Amount)
			if reds[i+1][1] != r.Serial || reds[i+1][3] != r.Amount.String() {
				t.Fatalf("row %q, want %+v", reds[i+1], r)
			}
		}
		if total := reds[len(reds)-1]; total[0] != "Total" || total[3] != all.String() {
			t.Fatalf("total %q, want %s", total, all)
		}
		if shown, _ := f.GetCellValue("Chèques", "A2"); shown != "14/03/2026" {
			t.Fatalf("date cell shows %q", shown)
		}
		lots := sheetRows(t, f, "Lots")
		if len(st.Batches) != 1 || lots[1][0] != batch.ID || lots[1][3] != st.Batches[0].Amount.String() || lots[2][3] != st.Batches[0].Amount.String() {
			t.Fatalf("lots %q, want %+v", lots, st.Batches)
		}
	}()
	func() { // equity xlsx and csv
		var rep equity.Figures
		e.call("GET", "/v1/reports/equity"+q, finance, nil).want(t, 200).decode(t, &rep)
		f := openXLSX(t, e.call("GET", "/v1/reports/equity"+q+"&format=xlsx", finance, nil).want(t, 200))
		rows := sheetRows(t, f, "Équité territoriale")
		// Not through e.call: the OpenAPI validator's CSV decoder wants every
		// record to have as many fields as the header, which the report's
		// trailing summary lines do not.
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/reports/equity"+q, nil)
		req.Header.Set("Authorization", "Bearer "+finance)
		req.Header.Set("Accept", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		csvRows := readCSV(t, readResponse(t, resp).want(t, 200).body)
		if len(rep.Territories) == 0 || len(rows) != len(rep.Territories)+2 {
			t.Fatalf("%d rows for %d territories", len(rows), len(rep.Territories))
		}
		for i, tr := range rep.Territories {
			x, c := rows[i+1], csvRows[i+1]
			for j, m := range []domain.Money{tr.Allocated, tr.Minted, tr.Issued, tr.Redeemed, tr.Expired, tr.Blocked} {
				if x[4+j] != m.String() || frToMoney(t, c[4+j]) != m.String() {
					t.Fatalf("%s column %d: xlsx %q, csv %q, json %s", tr.Code, 4+j, x[4+j], c[4+j], m)
				}
			}
		}
		total := rows[len(rows)-1]
		for j, m := range []domain.Money{rep.Total.Allocated, rep.Total.Minted, rep.Total.Issued, rep.Total.Redeemed, rep.Total.Expired, rep.Total.Blocked} {
			if total[4+j] != m.String() {
				t.Fatalf("total column %d %q, want %s", 4+j, total[4+j], m)
			}
		}
		if total[1] != strconv.FormatInt(rep.Total.Population, 10) {
			t.Fatalf("population total %q, want %d", total[1], rep.Total.Population)
		}
	}()
	func() { // audit xlsx
		var tr audit.Trail
		e.call("GET", "/v1/funders/"+w.funders[0]+"/audit"+q, finance, nil).want(t, 200).decode(t, &tr)
		f := openXLSX(t, e.call("GET", "/v1/funders/"+w.funders[0]+"/audit"+q+"&format=xlsx", finance, nil).want(t, 200))
		sum := sheetRows(t, f, "Synthèse")
		for i, m := range []domain.Money{tr.Pledged, tr.Received, tr.NotReceived} {
			if sum[i+1][1] != m.String() {
				t.Fatalf("row %q, want %s", sum[i+1], m)
			}
		}
		byPlace := sheetRows(t, f, "Utilisé par lieu")
		var all domain.Money
		for i, p := range tr.RedeemedByPlace {
			all = all.Add(p.Amount)
			if byPlace[i+1][0] != p.PlaceID || byPlace[i+1][2] != p.Amount.String() {
				t.Fatalf("row %q, want %+v", byPlace[i+1], p)
			}
		}
		if all.String() != tr.Redeemed.String() || byPlace[len(byPlace)-1][2] != tr.Redeemed.String() {
			t.Fatalf("redeemed by place %s / %q, trail %s", all, byPlace[len(byPlace)-1], tr.Redeemed)
		}
		e.call("GET", "/v1/funders/"+w.funders[0]+"/audit?format=pdf", finance, nil).want(t, 400)
	}()
}

func openXLSX(t *testing.T, r response) *excelize.File {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != spreadsheet.ContentType {
		t.Fatalf("content type %q", ct)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// sheetRows reads the stored values (numbers as written, two decimals).
func sheetRows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 1 {
		t.Fatalf("%s: header not frozen: %+v %v", sheet, panes, err)
	}
	return rows
}

func checkEuroCell(t *testing.T, f *excelize.File, sheet, cell string) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != spreadsheet.EuroFormat {
		t.Fatalf("%s!%s style %+v %v", sheet, cell, st, err)
	}
}

func readCSV(t *testing.T, body []byte) [][]string {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	cr.Comma, cr.FieldsPerRecord = ';', -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// frToMoney reads a French amount ("1 234,50") as the ledger's "1234.50".
func frToMoney(t *testing.T, s string) string {
	t.Helper()
	m, err := domain.ParseMoneyFR(s)
	if err != nil {
		t.Fatalf("csv amount %q: %v", s, err)
	}
	return m.String()
}
