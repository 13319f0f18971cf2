// Package camt reads ISO 20022 bank-to-customer statements, camt.053.001.02 and
// camt.053.001.08, into statement lines the ledger can import: for each booked
// entry its value date, its signed amount (credit +, debit −), the reference that
// names the expected movement (the end-to-end id of a single transaction, else the
// payment-information id of a batch booking, else the entry reference) and a label.
// Each statement keeps its identity (Stmt/Id and the account's IBAN), so that the
// ledger imports it at most once.
//
// Parsing is strict about what the ledger relies on (namespace and version, EUR,
// CRDT/DBIT, dates, amounts with at most two decimals) and ignores the rest.
// It never panics, whatever the bytes (FuzzParse).
package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/passnumerique/passledger/domain"
)

// The versions Parse reads (domain.StatementCamt05302, domain.StatementCamt05308).
const (
	nsPrefix = "urn:iso:std:iso:20022:tech:xsd:"
	V02      = "camt.053.001.02"
	V08      = "camt.053.001.08"
)

// ErrStatement reports a document Parse cannot read.
var ErrStatement = errors.New("camt.053")

// Document is a parsed camt.053 message.
type Document struct {
	Version    string
	MessageID  string
	Statements []Statement
}

// Statement is one account statement of the message.
type Statement struct {
	ID      string
	Account string
	Entries []Entry
}

// Entry is one booked entry.
type Entry struct {
	Date      domain.Date
	Amount    domain.Money
	Reference string
	Label     string
}

type dateChoice struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

type amount struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type refs struct {
	MsgID      string `xml:"MsgId"`
	PmtInfID   string `xml:"PmtInfId"`
	InstrID    string `xml:"InstrId"`
	EndToEndID string `xml:"EndToEndId"`
}

type txDtls struct {
	Refs     refs     `xml:"Refs"`
	Ustrd    []string `xml:"RmtInf>Ustrd"`
	AddtlInf string   `xml:"AddtlTxInf"`
}

type entryXML struct {
	NtryRef   string `xml:"NtryRef"`
	Amt       amount `xml:"Amt"`
	CdtDbtInd string `xml:"CdtDbtInd"`
	// Sts is "BOOK" in .02, <Cd>BOOK</Cd> in .08.
	Sts struct {
		Text string `xml:",chardata"`
		Cd   string `xml:"Cd"`
	} `xml:"Sts"`
	BookgDt dateChoice `xml:"BookgDt"`
	ValDt   dateChoice `xml:"ValDt"`
	Dtls    []struct {
		BtchPmtInfID string   `xml:"Btch>PmtInfId"`
		BtchMsgID    string   `xml:"Btch>MsgId"`
		Txs          []txDtls `xml:"TxDtls"`
	} `xml:"NtryDtls"`
	AddtlNtryInf string `xml:"AddtlNtryInf"`
}

type stmtXML struct {
	ID      string     `xml:"Id"`
	IBAN    string     `xml:"Acct>Id>IBAN"`
	OthrID  string     `xml:"Acct>Id>Othr>Id"`
	Entries []entryXML `xml:"Ntry"`
}

type documentXML struct {
	XMLName    xml.Name
	MsgID      string    `xml:"BkToCstmrStmt>GrpHdr>MsgId"`
	Statements []stmtXML `xml:"BkToCstmrStmt>Stmt"`
}

// maxEntries bounds a document (a year of a busy account fits).
const maxEntries = 100_000

// Parse reads a camt.053.001.02 or .001.08 document. Entries whose status is not
// booked (pending, information) are left out; a statement with no booked entry is
// kept, with no entry. Any malformed entry rejects the whole document, naming it.
func Parse(body []byte) (Document, error) {
	var d documentXML
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("%w: not an XML document: %v", ErrStatement, err)
	}
	if d.XMLName.Local != "Document" || !strings.HasPrefix(d.XMLName.Space, nsPrefix) {
		return Document{}, fmt.Errorf("%w: root is {%s}%s, want an ISO 20022 Document", ErrStatement, d.XMLName.Space, d.XMLName.Local)
	}
	version := strings.TrimPrefix(d.XMLName.Space, nsPrefix)
	if version != V02 && version != V08 {
		return Document{}, fmt.Errorf("%w: %s is not %s or %s", ErrStatement, version, V02, V08)
	}
	if len(d.Statements) == 0 {
		return Document{}, fmt.Errorf("%w: no statement (BkToCstmrStmt/Stmt)", ErrStatement)
	}
	out := Document{Version: version, MessageID: strings.TrimSpace(d.MsgID)}
	n := 0
	for si, s := range d.Statements {
		st := Statement{ID: strings.TrimSpace(s.ID), Account: domain.NormalizeIBAN(s.IBAN)}
		if st.Account == "" {
			st.Account = strings.TrimSpace(s.OthrID)
		}
		if st.ID == "" || utf8.RuneCountInString(st.ID) > 35 || !printable(st.ID) {
			return Document{}, fmt.Errorf("%w: statement %d: Id missing or malformed", ErrStatement, si+1)
		}
		if st.Account == "" || len(st.Account) > 34 || !printable(st.Account) {
			return Document{}, fmt.Errorf("%w: statement %s: account (Acct/Id) missing or malformed", ErrStatement, st.ID)
		}
		for ei, e := range s.Entries {
			if n++; n > maxEntries {
				return Document{}, fmt.Errorf("%w: more than %d entries", ErrStatement, maxEntries)
			}
			status := strings.TrimSpace(e.Sts.Cd)
			if status == "" {
				status = strings.TrimSpace(e.Sts.Text)
			}
			if status != "BOOK" {
				continue
			}
			entry, err := readEntry(e)
			if err != nil {
				return Document{}, fmt.Errorf("%w: statement %s, entry %d: %v", ErrStatement, st.ID, ei+1, err)
			}
			st.Entries = append(st.Entries, entry)
		}
		out.Statements = append(out.Statements, st)
	}
	return out, nil
}

func readEntry(e entryXML) (Entry, error) {
	if e.Amt.Ccy != "EUR" {
		return Entry{}, fmt.Errorf("currency %q, only EUR is kept", e.Amt.Ccy)
	}
	amt, err := domain.ParseMoney(strings.TrimSpace(e.Amt.Value))
	if err != nil {
		return Entry{}, fmt.Errorf("amount %q: %v", e.Amt.Value, err)
	}
	if !amt.IsPositive() {
		return Entry{}, fmt.Errorf("amount %q must be positive (the sign is CdtDbtInd)", e.Amt.Value)
	}
	switch strings.TrimSpace(e.CdtDbtInd) {
	case "CRDT":
	case "DBIT":
		amt = amt.Neg()
	default:
		return Entry{}, fmt.Errorf("CdtDbtInd %q is not CRDT or DBIT", e.CdtDbtInd)
	}
	date, err := pickDate(e.ValDt)
	if err != nil || date.IsZero() {
		if date, err = pickDate(e.BookgDt); err != nil {
			return Entry{}, err
		}
	}
	if date.IsZero() {
		return Entry{}, errors.New("no value date nor booking date")
	}
	return Entry{Date: date, Amount: amt, Reference: clean(reference(e), domain.MaxNameLength), Label: clean(label(e), domain.MaxNameLength)}, nil
}

func pickDate(c dateChoice) (domain.Date, error) {
	s := strings.TrimSpace(c.Dt)
	if s == "" {
		s = strings.TrimSpace(c.DtTm)
		if len(s) >= 10 {
			s = s[:10]
		}
	}
	if s == "" {
		return domain.Date{}, nil
	}
	d, err := domain.ParseDate(s)
	if err != nil {
		return domain.Date{}, fmt.Errorf("date %q: %v", s, err)
	}
	return d, nil
}

func provided(s string) string {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "NOTPROVIDED") {
		return ""
	}
	return s
}

// reference picks the reference that names the expected movement: the
// end-to-end id of the entry's only transaction; else the payment-information id
// of a batch booking (Btch/PmtInfId, or the one all transactions share); else the
// entry reference (NtryRef).
func reference(e entryXML) string {
	var txs []txDtls
	batch := ""
	for _, d := range e.Dtls {
		txs = append(txs, d.Txs...)
		if batch == "" {
			batch = provided(d.BtchPmtInfID)
		}
	}
	if len(txs) == 1 {
		if r := provided(txs[0].Refs.EndToEndID); r != "" {
			return r
		}
	}
	if batch != "" {
		return batch
	}
	if len(txs) > 0 {
		shared := provided(txs[0].Refs.PmtInfID)
		for _, t := range txs[1:] {
			if provided(t.Refs.PmtInfID) != shared {
				shared = ""
				break
			}
		}
		if shared != "" {
			return shared
		}
		if len(txs) == 1 {
			if r := provided(txs[0].Refs.InstrID); r != "" {
				return r
			}
		}
	}
	return provided(e.NtryRef)
}

func label(e entryXML) string {
	if s := strings.TrimSpace(e.AddtlNtryInf); s != "" {
		return s
	}
	for _, d := range e.Dtls {
		for _, t := range d.Txs {
			if len(t.Ustrd) > 0 {
				return strings.Join(t.Ustrd, " ")
			}
			if s := strings.TrimSpace(t.AddtlInf); s != "" {
				return s
			}
		}
	}
	return ""
}

// clean makes a text the ledger accepts: valid UTF-8, no control character,
// spaces collapsed, at most max characters.
func clean(s string, max int) string {
	s = strings.ToValidUTF8(s, " ")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > max {
		s = strings.TrimSpace(string([]rune(s)[:max]))
	}
	return s
}

func printable(s string) bool {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return utf8.ValidString(s)
}
