package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/prescribers"
)

// prescriberView is the prescriber's page: stock, the issue form, what it issued.
type prescriberView struct {
	Layout
	Key                     string
	Carnet, Ref, Need       string
	JobSeeker               bool
	Success                 *issueSuccess
	Refusal                 string
	Stock                   prescribers.Inventory
	InStock, Issued         []prescribers.Carnet
	NeedLevels              []string
	MoreInStock, MoreIssued bool
}

type issueSuccess struct{ Carnet, Need string }

// maxCarnets bounds the carnets listed on the page (each kind).
const maxCarnets = 200

func (p *Pages) prescriberPage(w http.ResponseWriter, r *http.Request, s *session) {
	p.renderPrescriber(w, r, s, http.StatusOK, prescriberView{})
}

func (p *Pages) renderPrescriber(w http.ResponseWriter, r *http.Request, s *session, status int, v prescriberView) {
	v.Layout = Layout{Title: "Carnets", Session: s}
	v.Key = formKey()
	v.NeedLevels = []string{string(domain.NeedUrgence), string(domain.NeedInclusion), string(domain.NeedAutonomie)}
	st, err := prescribers.Stock(r.Context(), p.cfg.Querier, s.Org)
	switch {
	case err == nil:
		v.Stock = st
	case api.ProblemFor(err).Status == http.StatusNotFound:
		v.Stock = prescribers.Inventory{PrescriberID: s.Org}
	default:
		p.failed(w, r, s, err)
		return
	}
	if v.InStock, v.Issued, err = prescribers.Carnets(r.Context(), p.cfg.Querier, s.Org, maxCarnets); err != nil {
		p.failed(w, r, s, err)
		return
	}
	v.MoreInStock, v.MoreIssued = len(v.InStock) == maxCarnets, len(v.Issued) == maxCarnets
	p.render(w, status, "prescriber", v)
}

// issue posts the form to POST /v1/carnets/{id}/issue through the API.
func (p *Pages) issue(w http.ResponseWriter, r *http.Request, s *session) {
	f := r.PostForm
	v := prescriberView{Carnet: strings.ToUpper(strings.TrimSpace(f.Get("carnet"))), Ref: strings.TrimSpace(f.Get("beneficiaire")),
		Need: f.Get("besoin"), JobSeeker: f.Get("demandeur_emploi") == "oui"}
	switch {
	case v.Carnet == "":
		v.Refusal = "Choisissez le carnet à remettre."
	case v.Ref == "":
		v.Refusal = "Saisissez la référence du bénéficiaire (votre numéro de dossier)."
	case !domain.NeedLevel(v.Need).Valid():
		v.Refusal = "Indiquez le niveau de besoin du bénéficiaire."
	case !carnetID(v.Carnet):
		v.Refusal = "Ce numéro de carnet n'est pas valide."
	}
	if v.Refusal != "" {
		p.renderPrescriber(w, r, s, http.StatusUnprocessableEntity, v)
		return
	}
	ans, err := p.callAPI(r.Context(), s, http.MethodPost, "/v1/carnets/"+v.Carnet+"/issue",
		api.IssueRequest{BeneficiaryRef: v.Ref, NeedLevel: v.Need, JobSeeker: v.JobSeeker}, f.Get("cle"))
	if err != nil {
		p.failed(w, r, s, err)
		return
	}
	if ans.Problem != nil {
		v.Refusal = FrenchMessage(*ans.Problem)
		p.renderPrescriber(w, r, s, ans.Status, v)
		return
	}
	var res api.WriteResponse
	if err := json.Unmarshal(ans.Body, &res); err != nil {
		p.failed(w, r, s, err)
		return
	}
	p.waitFor(r.Context(), prescribers.Name, res.Position)
	p.renderPrescriber(w, r, s, http.StatusOK, prescriberView{Success: &issueSuccess{Carnet: v.Carnet, Need: v.Need}})
}

// carnetID reports a plausible carnet id (upper-case letters and digits), safe in
// a path.
func carnetID(id string) bool {
	if len(id) < domain.MinCarnetIDLength || len(id) > domain.MaxCarnetIDLength {
		return false
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
