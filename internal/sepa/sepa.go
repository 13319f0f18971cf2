package sepa

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/places"
)

// The message versions Write knows.
const (
	Pain00100109 = "pain.001.001.09"
	Pain00100103 = "pain.001.001.03"
)

// Errors of a file that cannot be written.
var (
	// ErrDebtor: the debtor (the programme operator's account) is not
	// configured or not valid.
	ErrDebtor = errors.New("sepa: debtor account not configured or invalid")
	// ErrCreditorAccount: a place of the batch has no valid bank account.
	ErrCreditorAccount = errors.New("sepa: place without a valid bank account")
	// ErrInvalid: a value the file cannot carry (unknown version, empty
	// batch, reference too long).
	ErrInvalid = errors.New("sepa: invalid transfer")
)

// Debtor is the account the transfers are paid from.
type Debtor struct {
	Name string
	IBAN string
	BIC  string // optional
}

// Transfer is one credit transfer.
type Transfer struct {
	EndToEndID   string
	CreditorName string
	IBAN         string
	BIC          string // optional
	Amount       domain.Money
	Remittance   string
}

// Payment is one pain.001 message with one payment instruction.
type Payment struct {
	Version       string
	MessageID     string
	CreatedAt     time.Time
	Debtor        Debtor
	ExecutionDate domain.Date
	Transfers     []Transfer
}

// Total is the sum of the transfers.
func (p Payment) Total() domain.Money {
	var t domain.Money
	for _, tr := range p.Transfers {
		t = t.Add(tr.Amount)
	}
	return t
}

// ForBatch turns a reimbursement batch into a payment: message and payment
// instruction ids are the batch's SEPA reference (domain.SEPAReference), each
// place's transfer has the end-to-end id "{reference}/{n}" (n its line number) and
// the remittance "Pass numerique remboursement {reference} {count} cheque(s)".
// Every place must have a valid IBAN (ErrCreditorAccount names those that do
// not); the debtor's IBAN must be valid (ErrDebtor).
func ForBatch(b places.Batch, debtor Debtor, version string, execution domain.Date, now time.Time) (Payment, error) {
	if version != Pain00100109 && version != Pain00100103 {
		return Payment{}, fmt.Errorf("%w: version %q is not %s or %s", ErrInvalid, version, Pain00100109, Pain00100103)
	}
	debtor.IBAN = domain.NormalizeIBAN(debtor.IBAN)
	debtor.BIC = strings.ToUpper(strings.TrimSpace(debtor.BIC))
	if strings.TrimSpace(debtor.Name) == "" || !domain.ValidIBAN(debtor.IBAN) || (debtor.BIC != "" && !domain.ValidBIC(debtor.BIC)) {
		return Payment{}, fmt.Errorf("%w: name %q, IBAN %q, BIC %q", ErrDebtor, debtor.Name, debtor.IBAN, debtor.BIC)
	}
	ref, ok := domain.SEPAReference(b.BatchID)
	if !ok || len(ref)+5 > 35 {
		return Payment{}, fmt.Errorf("%w: batch id %q does not fit a SEPA reference", ErrInvalid, b.BatchID)
	}
	if len(b.Lines) == 0 || len(b.Lines) > 9999 {
		return Payment{}, fmt.Errorf("%w: batch %s has %d lines", ErrInvalid, b.BatchID, len(b.Lines))
	}
	p := Payment{Version: version, MessageID: ref, CreatedAt: now, Debtor: debtor, ExecutionDate: execution}
	var missing []string
	for i, l := range b.Lines {
		if !domain.ValidIBAN(l.IBAN) {
			missing = append(missing, l.PlaceID)
			continue
		}
		name := l.Holder
		if name == "" {
			name = l.Name
		}
		if name == "" {
			name = l.PlaceID
		}
		cheques := "cheques"
		if l.Count == 1 {
			cheques = "cheque"
		}
		p.Transfers = append(p.Transfers, Transfer{
			EndToEndID:   ref + "/" + strconv.Itoa(i+1),
			CreditorName: name, IBAN: l.IBAN, BIC: l.BIC, Amount: l.Amount,
			Remittance: fmt.Sprintf("Pass numerique remboursement %s %d %s", ref, l.Count, cheques),
		})
	}
	if len(missing) > 0 {
		return Payment{}, fmt.Errorf("%w: %s (PUT /v1/places/{id}/bank-account)", ErrCreditorAccount, strings.Join(missing, ", "))
	}
	return p, nil
}

// Write writes p as an XML document of p.Version.
func Write(w io.Writer, p Payment) error {
	v09 := p.Version == Pain00100109
	if !v09 && p.Version != Pain00100103 {
		return fmt.Errorf("%w: version %q", ErrInvalid, p.Version)
	}
	if len(p.Transfers) == 0 {
		return fmt.Errorf("%w: no transfer", ErrInvalid)
	}
	total := p.Total()
	n := strconv.Itoa(len(p.Transfers))
	agent := func(bic string) *agentXML {
		switch {
		case bic != "" && v09:
			return &agentXML{FinInstnID: finInstnXML{BICFI: bic}}
		case bic != "":
			return &agentXML{FinInstnID: finInstnXML{BIC: bic}}
		}
		return nil
	}
	dbtrAgt := agent(p.Debtor.BIC)
	if dbtrAgt == nil { // the debtor agent is mandatory: "NOTPROVIDED" when the BIC is not known
		dbtrAgt = &agentXML{FinInstnID: finInstnXML{Othr: &othrXML{ID: "NOTPROVIDED"}}}
	}
	pi := pmtInfXML{
		PmtInfID: text(p.MessageID, 35), PmtMtd: "TRF", BtchBookg: true, NbOfTxs: n, CtrlSum: total.String(),
		PmtTpInf:    pmtTpInfXML{SvcLvl: cdXML{Cd: "SEPA"}},
		ReqdExctnDt: reqdDate{v09: v09, date: p.ExecutionDate.String()},
		Dbtr:        partyXML{Nm: text(p.Debtor.Name, 70)},
		DbtrAcct:    acctXML{ID: ibanXML{IBAN: p.Debtor.IBAN}},
		DbtrAgt:     *dbtrAgt,
		ChrgBr:      "SLEV",
	}
	for _, t := range p.Transfers {
		if !t.Amount.IsPositive() {
			return fmt.Errorf("%w: amount %s to %s", ErrInvalid, t.Amount, t.IBAN)
		}
		pi.Txs = append(pi.Txs, txXML{
			PmtID:    pmtIDXML{EndToEndID: text(t.EndToEndID, 35)},
			Amt:      amtXML{InstdAmt: instdAmtXML{Ccy: "EUR", Value: t.Amount.String()}},
			CdtrAgt:  agent(t.BIC),
			Cdtr:     partyXML{Nm: text(t.CreditorName, 70)},
			CdtrAcct: acctXML{ID: ibanXML{IBAN: t.IBAN}},
			RmtInf:   &rmtInfXML{Ustrd: text(t.Remittance, 140)},
		})
	}
	doc := documentXML{
		XMLName: xml.Name{Local: "Document"},
		Xmlns:   "urn:iso:std:iso:20022:tech:xsd:" + p.Version,
		Msg: msgXML{
			GrpHdr: grpHdrXML{MsgID: text(p.MessageID, 35), CreDtTm: p.CreatedAt.UTC().Format("2006-01-02T15:04:05"),
				NbOfTxs: n, CtrlSum: total.String(), InitgPty: partyXML{Nm: text(p.Debtor.Name, 70)}},
			PmtInf: []pmtInfXML{pi},
		},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type documentXML struct {
	XMLName xml.Name
	Xmlns   string `xml:"xmlns,attr"`
	Msg     msgXML `xml:"CstmrCdtTrfInitn"`
}

type msgXML struct {
	GrpHdr grpHdrXML   `xml:"GrpHdr"`
	PmtInf []pmtInfXML `xml:"PmtInf"`
}

type grpHdrXML struct {
	MsgID    string   `xml:"MsgId"`
	CreDtTm  string   `xml:"CreDtTm"`
	NbOfTxs  string   `xml:"NbOfTxs"`
	CtrlSum  string   `xml:"CtrlSum"`
	InitgPty partyXML `xml:"InitgPty"`
}

type pmtInfXML struct {
	PmtInfID    string      `xml:"PmtInfId"`
	PmtMtd      string      `xml:"PmtMtd"`
	BtchBookg   bool        `xml:"BtchBookg"`
	NbOfTxs     string      `xml:"NbOfTxs"`
	CtrlSum     string      `xml:"CtrlSum"`
	PmtTpInf    pmtTpInfXML `xml:"PmtTpInf"`
	ReqdExctnDt reqdDate    `xml:"ReqdExctnDt"`
	Dbtr        partyXML    `xml:"Dbtr"`
	DbtrAcct    acctXML     `xml:"DbtrAcct"`
	DbtrAgt     agentXML    `xml:"DbtrAgt"`
	ChrgBr      string      `xml:"ChrgBr"`
	Txs         []txXML     `xml:"CdtTrfTxInf"`
}

type pmtTpInfXML struct {
	SvcLvl cdXML `xml:"SvcLvl"`
}

type cdXML struct {
	Cd string `xml:"Cd"`
}

// reqdDate is the requested execution date: a plain ISODate in
// pain.001.001.03, a DateAndDateTime2Choice (<Dt>) in pain.001.001.09.
type reqdDate struct {
	v09  bool
	date string
}

func (d reqdDate) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if d.v09 {
		return e.EncodeElement(struct {
			Dt string `xml:"Dt"`
		}{d.date}, start)
	}
	return e.EncodeElement(d.date, start)
}

type partyXML struct {
	Nm string `xml:"Nm"`
}

type acctXML struct {
	ID ibanXML `xml:"Id"`
}

type ibanXML struct {
	IBAN string `xml:"IBAN"`
}

type agentXML struct {
	FinInstnID finInstnXML `xml:"FinInstnId"`
}

type finInstnXML struct {
	BICFI string   `xml:"BICFI,omitempty"` // pain.001.001.09
	BIC   string   `xml:"BIC,omitempty"`   // pain.001.001.03
	Othr  *othrXML `xml:"Othr,omitempty"`
}

type othrXML struct {
	ID string `xml:"Id"`
}

type txXML struct {
	PmtID    pmtIDXML   `xml:"PmtId"`
	Amt      amtXML     `xml:"Amt"`
	CdtrAgt  *agentXML  `xml:"CdtrAgt,omitempty"`
	Cdtr     partyXML   `xml:"Cdtr"`
	CdtrAcct acctXML    `xml:"CdtrAcct"`
	RmtInf   *rmtInfXML `xml:"RmtInf,omitempty"`
}

type pmtIDXML struct {
	EndToEndID string `xml:"EndToEndId"`
}

type amtXML struct {
	InstdAmt instdAmtXML `xml:"InstdAmt"`
}

type instdAmtXML struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

type rmtInfXML struct {
	Ustrd string `xml:"Ustrd"`
}

// text reduces s to the SEPA (EPC basic Latin) character set — letters, digits,
// space and / - ? : ( ) . , ' + — transliterating French accented letters
// (é → e, œ → oe, ç → c…) and replacing anything else by a space, then trims and
// cuts it to max characters. An empty result becomes "-" (elements are 1..n).
func text(s string, max int) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(" /-?:().,'+", r):
			b.WriteRune(r)
		case r == 'œ':
			b.WriteString("oe")
		case r == 'Œ':
			b.WriteString("OE")
		case r == 'æ':
			b.WriteString("ae")
		case r == 'Æ':
			b.WriteString("AE")
		case r == 'ß':
			b.WriteString("ss")
		case r == '’' || r == '‘':
			b.WriteRune('\'')
		case r >= 0x300 && r <= 0x36f: // combining marks left by NFD: drop
		default:
			b.WriteRune(' ')
		}
	}
	out := strings.Join(strings.Fields(b.String()), " ")
	if utf8.RuneCountInString(out) > max {
		out = strings.TrimSpace(out[:max])
	}
	if out == "" {
		out = "-"
	}
	return out
}
