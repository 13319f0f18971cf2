package sepa_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/internal/xsdtest"
	"github.com/passnumerique/passledger/projections/places"
)

var debtor = sepa.Debtor{Name: "Opérateur Pass numérique", IBAN: "FR76 3000 6000 0112 3456 7890 189", BIC: "AGRIFRPP"}

func batch() places.Batch {
	return places.Batch{BatchID: "bat_0K3ABCDEFGHJ", CutOff: domain.MustDate("2026-02-28"), Lines: []places.BatchPlace{
		{PlaceID: "plc_1", Name: "Médiathèque de Jaude & Cœur", IBAN: "FR7630006000011234567890189", BIC: "BNPAFRPPXXX", Amount: domain.MustMoney("120.00"), Count: 12},
		{PlaceID: "plc_2", Name: "EPN <Thiers>", IBAN: "DE89370400440532013000", Amount: domain.MustMoney("10.00"), Count: 1},
		{PlaceID: "plc_3", Name: "Tiers-lieu", Holder: "Commune d'Issoire", IBAN: "BE68539007547034", Amount: domain.MustMoney("0.30"), Count: 3},
	}}
}

// WellFormed checks an XML file with xmllint (installed by `make test` when
// missing). pain.001.001.09 files cannot be checked against their official schema
// here: no copy of pain.001.001.09.xsd can be had from this workplace's package
// registries (see the README's note); their structure and sums are checked by the
// test's own parser. pain.001.001.03 files are validated against the official
// schema (xsdtest.Pain00100103).
func WellFormed(t *testing.T, doc []byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Fatalf("xmllint is missing: run `make tools` (Debian package libxml2-utils)")
	}
	f := filepath.Join(t.TempDir(), "doc.xml")
	if err := os.WriteFile(f, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("xmllint", "--noout", f).CombinedOutput()
	if err != nil {
		t.Fatalf("not well-formed XML: %v\n%s\n%s", err, out, doc)
	}
}

// sums re-reads a pain.001 with a parser of its own: the group header's count
// and control sum, and the count and sum of the transfers.
func sums(t *testing.T, doc []byte) (hdrN int, hdrSum decimal.Decimal, n int, sum decimal.Decimal) {
	t.Helper()
	var d struct {
		GrpHdr struct {
			NbOfTxs string `xml:"NbOfTxs"`
			CtrlSum string `xml:"CtrlSum"`
		} `xml:"CstmrCdtTrfInitn>GrpHdr"`
		Amounts []struct {
			Ccy   string `xml:"Ccy,attr"`
			Value string `xml:",chardata"`
		} `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf>Amt>InstdAmt"`
	}
	if err := xml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	hdrN, _ = strconv.Atoi(d.GrpHdr.NbOfTxs)
	hdrSum = decimal.RequireFromString(d.GrpHdr.CtrlSum)
	for _, a := range d.Amounts {
		if a.Ccy != "EUR" {
			t.Fatalf("currency %s", a.Ccy)
		}
		n++
		sum = sum.Add(decimal.RequireFromString(a.Value))
	}
	return
}

func TestPain00100109ValidAndSums(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	p, err := sepa.ForBatch(batch(), debtor, sepa.Pain00100109, domain.MustDate("2026-03-05"), now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sepa.Write(&b, p); err != nil {
		t.Fatal(err)
	}
	WellFormed(t, b.Bytes())
	hn, hs, n, s := sums(t, b.Bytes())
	if hn != 3 || n != 3 || !hs.Equal(decimal.RequireFromString("130.30")) || !s.Equal(hs) {
		t.Fatalf("header %d %s, lines %d %s", hn, hs, n, s)
	}
	doc := b.String()
	for _, want := range []string{"<MsgId>bat+0K3ABCDEFGHJ</MsgId>", "<EndToEndId>bat+0K3ABCDEFGHJ/1</EndToEndId>",
		"<Ustrd>Pass numerique remboursement bat+0K3ABCDEFGHJ 12 cheques</Ustrd>", "<Nm>Mediatheque de Jaude Coeur</Nm>",
		"<Nm>Commune d&#39;Issoire</Nm>", "<BICFI>BNPAFRPPXXX</BICFI>", "<ReqdExctnDt>\n        <Dt>2026-03-05</Dt>", "<BtchBookg>true</BtchBookg>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %q in\n%s", want, doc)
		}
	}
}

func TestPain00100103(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	d := debtor
	d.BIC = ""
	p, err := sepa.ForBatch(batch(), d, sepa.Pain00100103, domain.MustDate("2026-03-05"), now)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := sepa.Write(&b, p); err != nil {
		t.Fatal(err)
	}
	xsdtest.Validate(t, b.Bytes(), xsdtest.Pain00100103)
	hn, hs, n, s := sums(t, b.Bytes())
	if hn != 3 || n != 3 || !s.Equal(hs) || !hs.Equal(decimal.RequireFromString("130.30")) {
		t.Fatalf("header %d %s, lines %d %s", hn, hs, n, s)
	}
	doc := b.String()
	for _, want := range []string{`xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"`, "<ReqdExctnDt>2026-03-05</ReqdExctnDt>",
		"<BIC>BNPAFRPPXXX</BIC>", "<Id>NOTPROVIDED</Id>"} {
		if !strings.Contains(doc, want) {
			t.Errorf("missing %q in\n%s", want, doc)
		}
	}
}

func TestForBatchRefusals(t *testing.T) {
	now := time.Now()
	b := batch()
	b.Lines[1].IBAN = ""
	if _, err := sepa.ForBatch(b, debtor, sepa.Pain00100109, domain.MustDate("2026-03-05"), now); !errors.Is(err, sepa.ErrCreditorAccount) || !strings.Contains(err.Error(), "plc_2") {
		t.Fatal(err)
	}
	if _, err := sepa.ForBatch(batch(), sepa.Debtor{Name: "X", IBAN: "FR00"}, sepa.Pain00100109, domain.MustDate("2026-03-05"), now); !errors.Is(err, sepa.ErrDebtor) {
		t.Fatal(err)
	}
	if _, err := sepa.ForBatch(batch(), debtor, "pain.001.001.02", domain.MustDate("2026-03-05"), now); !errors.Is(err, sepa.ErrInvalid) {
		t.Fatal(err)
	}
}
