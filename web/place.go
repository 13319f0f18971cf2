package web

import (
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/places"
)

// placeView is the place's page: the redemption form, the outcome of the last
// submission, and the statement.
type placeView struct {
	Layout
	Key                         string
	Serial, Code, Date, Service string
	Today                       string
	Success                     *redeemSuccess
	Refusal                     string
	Statement                   places.Report
	Recent                      []places.Redemption
	StatementErr                string
}

type redeemSuccess struct {
	Serial      string
	Amount      domain.Money
	SessionDate string
	ReceiptURL  template.URL
	ReceiptName string
}

// maxRecent bounds the redemptions listed on the page.
const maxRecent = 50

func (p *Pages) placePage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderPlace(w, r, s, http.StatusOK, placeView{})
}

func (p *Pages) renderPlace(w http.ResponseWriter, r *http.Request, s *session, status int, v placeView) {
	today := domain.DateOf(p.cfg.Now().In(paris)).String()
	v.Layout = Layout{Title: "Encaisser un chèque", Session: s}
	v.Key, v.Today = formKey(), today
	if v.Date == "" {
		v.Date = today
	}
	st, err := places.Statement(r.Context(), p.cfg.Querier, s.Org)
	switch {
	case err == nil:
		v.Statement = st
	case api.ProblemFor(err).Status == http.StatusNotFound:
		v.Statement = places.Report{PlaceID: s.Org}
	default:
		p.failed(w, r, s, err)
		return
	}
	// Latest first.
	for i := len(v.Statement.Redemptions) - 1; i >= 0 && len(v.Recent) < maxRecent; i-- {
		v.Recent = append(v.Recent, v.Statement.Redemptions[i])
	}
	p.render(w, status, "place", v)
}

// redeem posts the form to POST /v1/redemptions through the API, with the form's
// key as Idempotency-Key (a double submission redeems once and shows the same
// receipt).
func (p *Pages) redeem(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	v := placeView{Serial: strings.TrimSpace(f.Get("serie")), Code: strings.TrimSpace(f.Get("code")),
		Date: strings.TrimSpace(f.Get("date")), Service: strings.TrimSpace(f.Get("prestation"))}
	date, err := domain.ParseDate(v.Date)
	switch {
	case v.Serial == "" || v.Code == "":
		v.Refusal = "Saisissez le numéro du chèque et son code de contrôle."
	case err != nil:
		v.Refusal = "La date de la séance n'est pas valide : utilisez le format JJ/MM/AAAA."
	case v.Service == "":
		v.Refusal = "Indiquez la séance, par exemple « atelier smartphone »."
	}
	if v.Refusal != "" {
		p.renderPlace(w, r, s, http.StatusUnprocessableEntity, v)
		return
	}
	ans, err := p.callAPI(r.Context(), s, http.MethodPost, "/v1/redemptions",
		api.RedemptionRequest{Serial: v.Serial, CheckCode: v.Code, SessionDate: date, Service: v.Service}, f.Get("cle"))
	if err != nil {
		p.failed(w, r, s, err)
		return
	}
	if ans.Problem != nil {
		v.Refusal = FrenchMessage(*ans.Problem)
		p.renderPlace(w, r, s, ans.Status, v)
		return
	}
	var red api.RedemptionResponse
	if err := json.Unmarshal(ans.Body, &red); err != nil {
		p.failed(w, r, s, err)
		return
	}
	p.waitFor(r.Context(), places.Name, red.Position)
	p.renderPlace(w, r, s, http.StatusOK, placeView{Success: &redeemSuccess{
		Serial: red.Serial, Amount: red.Amount, SessionDate: frDate(date),
		// The file is the API's answer: `passledger receipt verify` reads it.
		ReceiptURL:  template.URL("data:application/json;base64," + base64.StdEncoding.EncodeToString(ans.Body)),
		ReceiptName: "recu-" + red.Serial + ".json",
	}})
}

func statusLabel(st string) string {
	switch st {
	case places.StatusOwed:
		return "À rembourser"
	case places.StatusBatched:
		return "En cours de remboursement"
	case places.StatusPaid:
		return "Remboursé"
	case places.StatusReversed:
		return "Annulé"
	}
	return st
}

func statusClass(st string) string {
	switch st {
	case places.StatusPaid:
		return "good"
	case places.StatusReversed:
		return "bad"
	}
	return "wait"
}
