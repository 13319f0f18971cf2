package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/camt"
	"github.com/passnumerique/passledger/internal/sepa"
	"github.com/passnumerique/passledger/internal/spreadsheet"
	"github.com/passnumerique/passledger/projections/places"
)

// Banking: places' bank accounts, SEPA credit transfer files of reimbursement
// batches, bank statements in CSV or camt.053.

// BankAccountRequest is the body of PUT /v1/places/{id}/bank-account.
type BankAccountRequest struct {
	IBAN   string `json:"iban" required:"true" doc:"IBAN, spaces allowed; checked by ISO 13616 mod-97"`
	BIC    string `json:"bic,omitempty" doc:"BIC of the place's bank (8 or 11 characters), optional"`
	Holder string `json:"holder,omitempty" doc:"account holder when it is not the place itself (at most 70 characters)"`
}

// BankAccountResponse is a place's bank account as recorded.
type BankAccountResponse struct {
	PlaceID  string `json:"place_id"`
	IBAN     string `json:"iban"`
	BIC      string `json:"bic"`
	Holder   string `json:"holder"`
	Changed  bool   `json:"changed"`
	Position int64  `json:"position"`
}

func (s *Server) putPlaceBankAccount(r *http.Request, p Principal) (int, any, error) {
	var req BankAccountRequest
	if err := decodeJSON(r, &req); err != nil {
		return 0, nil, err
	}
	id := pathID(r, "id")
	res, err := s.app.SetPlaceBankAccount(r.Context(), meta(r, p), domain.SetPlaceBankAccountCommand{
		PlaceID: id, IBAN: req.IBAN, BIC: req.BIC, Holder: req.Holder})
	if err != nil {
		return 0, nil, err
	}
	out := BankAccountResponse{PlaceID: id, IBAN: domain.NormalizeIBAN(req.IBAN), BIC: strings.ToUpper(strings.TrimSpace(req.BIC)),
		Holder: strings.TrimSpace(req.Holder), Position: res.Position}
	if evs := res.Events(); len(evs) > 0 {
		ev := evs[0].(domain.PlaceBankAccountSet)
		out.IBAN, out.BIC, out.Holder, out.Changed = ev.IBAN, ev.BIC, ev.Holder, true
	}
	return http.StatusOK, out, nil
}

// wantsXLSX reports whether the client asked for a spreadsheet (?format=xlsx or
// Accept: the XLSX media type); ?format= other than json or xlsx is refused.
func wantsXLSX(r *http.Request, also ...string) (bool, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "xlsx":
		return true, nil
	case "", "json":
	default:
		for _, a := range also {
			if f == a {
				return false, nil
			}
		}
		return false, errBadRequest("format must be json or xlsx")
	}
	return strings.Contains(r.Header.Get("Accept"), spreadsheet.ContentType), nil
}

func xlsxBody(sheets ...spreadsheet.Sheet) (rawBody, error) {
	var b bytes.Buffer
	if err := spreadsheet.Write(&b, sheets...); err != nil {
		return rawBody{}, err
	}
	return rawBody{contentType: spreadsheet.ContentType, body: b.Bytes()}, nil
}

func (s *Server) getBatch(r *http.Request, _ Principal) (int, any, error) {
	xlsx, err := wantsXLSX(r)
	if err != nil {
		return 0, nil, err
	}
	b, err := places.BatchOf(r.Context(), s.pool, pathID(r, "id"))
	if err != nil {
		return 0, nil, err
	}
	if xlsx {
		body, err := xlsxBody(batchSheet(b))
		return http.StatusOK, body, err
	}
	return http.StatusOK, b, nil
}

// getBatchSEPA answers the batch's SEPA credit transfer initiation file.
func (s *Server) getBatchSEPA(r *http.Request, _ Principal) (int, any, error) {
	version := r.URL.Query().Get("version")
	if version == "" {
		version = sepa.Pain00100109
	}
	if version != sepa.Pain00100109 && version != sepa.Pain00100103 {
		return 0, nil, errBadRequest("version must be %s or %s", sepa.Pain00100109, sepa.Pain00100103)
	}
	exec, err := queryDate(r, "execution_date")
	if err != nil {
		return 0, nil, err
	}
	b, err := places.BatchOf(r.Context(), s.pool, pathID(r, "id"))
	if err != nil {
		return 0, nil, err
	}
	day := domain.DateOf(s.app.Now())
	switch {
	case exec != nil:
		day = *exec
	case b.PaidOn != nil:
		day = *b.PaidOn
	}
	pay, err := sepa.ForBatch(b, s.debtor, version, day, s.app.Now())
	if err != nil {
		return 0, nil, err
	}
	var out bytes.Buffer
	if err := sepa.Write(&out, pay); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, rawBody{contentType: "application/xml; charset=utf-8", body: out.Bytes()}, nil
}

// readStatement reads a statement document: camt.053 (.001.02 or .001.08) when
// the Content-Type is application/xml or text/xml, else the CSV of
// ParseBankStatement (text/csv, text/plain or none).
func readStatement(r *http.Request) (app.BankStatement, error) {
	ct := r.Header.Get("Content-Type")
	media := ""
	if ct != "" {
		var err error
		if media, _, err = mime.ParseMediaType(ct); err != nil {
			return app.BankStatement{}, problemf(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type", "malformed Content-Type %q", ct)
		}
	}
	isXML := media == "application/xml" || media == "text/xml"
	if media != "" && !isXML && media != "text/csv" && media != "text/plain" {
		return app.BankStatement{}, problemf(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			"send text/csv (date;amount;reference;label) or application/xml (camt.053.001.02 or .001.08)")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return app.BankStatement{}, errBadRequest("cannot read the body: %v", err)
	}
	if len(body) > maxBody {
		return app.BankStatement{}, errBadRequest("statement larger than %d bytes", maxBody)
	}
	if !isXML {
		lines, err := ParseBankStatement(body)
		if err != nil {
			return app.BankStatement{}, errBadRequest("%v", err)
		}
		sum := sha256.Sum256(body)
		return app.BankStatement{Format: domain.StatementCSV, Statements: []app.StatementPart{
			{Reference: "sha256:" + hex.EncodeToString(sum[:]), Lines: lines}}}, nil
	}
	doc, err := camt.Parse(body)
	if err != nil {
		if errors.Is(err, camt.ErrStatement) {
			return app.BankStatement{}, errBadRequest("%v", err)
		}
		return app.BankStatement{}, err
	}
	out := app.BankStatement{Format: doc.Version}
	for _, st := range doc.Statements {
		if len(st.Entries) == 0 {
			continue // nothing booked: nothing to remember either
		}
		part := app.StatementPart{Account: st.Account, Reference: st.ID}
		for _, e := range st.Entries {
			part.Lines = append(part.Lines, app.BankLineInput{Date: e.Date, Amount: e.Amount, Reference: e.Reference, Label: e.Label})
		}
		out.Statements = append(out.Statements, part)
	}
	if len(out.Statements) == 0 {
		return app.BankStatement{}, errBadRequest("camt.053: no booked entry")
	}
	return out, nil
}
