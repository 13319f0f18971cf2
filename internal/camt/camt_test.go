package camt_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/camt"
	"github.com/passnumerique/passledger/internal/xsdtest"
)

// The test statement is valid against the official camt.053.001.08 schema
// and reads as: a receipt, the same receipt again, a batch booking, an unknown
// credit, and a pending entry left out.
func TestParseV08(t *testing.T) {
	body, err := os.ReadFile("testdata/statement.camt.053.001.08.xml")
	if err != nil {
		t.Fatal(err)
	}
	xsdtest.Validate(t, body, xsdtest.Camt05300108)
	doc, err := camt.Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Version != camt.V08 || doc.MessageID != "CAMT-2026-03-31-001" || len(doc.Statements) != 1 {
		t.Fatalf("%+v", doc)
	}
	st := doc.Statements[0]
	if st.ID != "STMT-2026-03" || st.Account != "FR7630006000011234567890189" || len(st.Entries) != 4 {
		t.Fatalf("%+v", st)
	}
	want := []camt.Entry{
		{Date: domain.MustDate("2026-03-10"), Amount: domain.MustMoney("25.00"), Reference: "EU-2026-1", Label: "FSE+ versement"},
		{Date: domain.MustDate("2026-03-11"), Amount: domain.MustMoney("25.00"), Reference: "EU-2026-1", Label: "FSE+ versement (doublon)"},
		{Date: domain.MustDate("2026-03-15"), Amount: domain.MustMoney("-130.30"), Reference: "bat+0K3ABCDEFGHJ"},
		{Date: domain.MustDate("2026-03-20"), Amount: domain.MustMoney("12.34"), Label: "VIREMENT INCONNU"},
	}
	for i, w := range want {
		g := st.Entries[i]
		if g.Date != w.Date || !g.Amount.Equal(w.Amount) || g.Reference != w.Reference || g.Label != w.Label {
			t.Errorf("entry %d: %+v, want %+v", i+1, g, w)
		}
	}
}

func TestParseV02(t *testing.T) {
	body := `<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>M2</MsgId><CreDtTm>2026-04-01T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S-02</Id><CreDtTm>2026-04-01T06:00:00</CreDtTm><Acct><Id><IBAN>FR76 3000 6000 0112 3456 7890 189</IBAN></Id></Acct>
<Ntry><NtryRef>R9</NtryRef><Amt Ccy="EUR">1 500.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-03-02</Dt></BookgDt>
<NtryDtls><TxDtls><Refs><InstrId>I1</InstrId><EndToEndId>adv_1</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">1500.00</Amt></TxAmt></AmtDtls></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>`
	if _, err := camt.Parse([]byte(body)); !errors.Is(err, camt.ErrStatement) {
		t.Fatalf("amount with a space accepted: %v", err)
	}
	body = strings.Replace(body, "1 500.00", "1500.00", 1)
	doc, err := camt.Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	e := doc.Statements[0].Entries[0]
	if doc.Version != camt.V02 || doc.Statements[0].Account != "FR7630006000011234567890189" || e.Reference != "adv_1" ||
		!e.Amount.Equal(domain.MustMoney("-1500.00")) || e.Date != domain.MustDate("2026-03-02") {
		t.Fatalf("%+v", doc)
	}
}

func TestParseRefusals(t *testing.T) {
	for name, body := range map[string]string{
		"not xml":      "date;amount\n",
		"other msg":    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.08"><BkToCstmrAcctRpt/></Document>`,
		"no statement": `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt/></Document>`,
		"usd": `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>S</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
<Ntry><Amt Ccy="USD">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><ValDt><Dt>2026-03-02</Dt></ValDt></Ntry></Stmt></BkToCstmrStmt></Document>`,
		"three decimals": `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>S</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">1.001</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><ValDt><Dt>2026-03-02</Dt></ValDt></Ntry></Stmt></BkToCstmrStmt></Document>`,
	} {
		if _, err := camt.Parse([]byte(body)); !errors.Is(err, camt.ErrStatement) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzParse: Parse never panics; what it accepts has statements with an id and
// an account, and entries with a date and a non-zero amount of two decimals.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/statement.camt.053.001.08.xml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := camt.Parse(body)
		if err != nil {
			return
		}
		for _, s := range doc.Statements {
			if s.ID == "" || s.Account == "" {
				t.Fatalf("statement without identity: %+v", s)
			}
			for _, e := range s.Entries {
				if e.Date.IsZero() || e.Amount.IsZero() || e.Amount.String() != domain.MustMoney(e.Amount.String()).String() {
					t.Fatalf("bad entry %+v", e)
				}
			}
		}
	})
}
