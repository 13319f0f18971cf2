package web

import (
	"net/http"
	"strings"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/audit"
)

// funderView is a funder's audit page, printable.
type funderView struct {
	Layout
	FunderID string
	AsOf     string
	Trail    audit.Trail
	Printed  string
}

// funderIndex asks staff for a funder id (a funder goes to its own page).
func (p *Pages) funderIndex(w http.ResponseWriter, r *http.Request, s *session) {
	if s.Role == api.RoleFunder {
		http.Redirect(w, r, "/financeurs/"+s.Org, http.StatusSeeOther)
		return
	}
	if id := strings.TrimSpace(r.URL.Query().Get("id")); id != "" && domain.ValidID(id) {
		http.Redirect(w, r, "/financeurs/"+id, http.StatusSeeOther)
		return
	}
	p.render(w, http.StatusOK, "funders", struct{ Layout }{Layout{Title: "Audit d'un financeur", Session: s}})
}

// funderPage shows audit.Audit, the read GET /v1/funders/{id}/audit makes; a
// funder sees its own only.
func (p *Pages) funderPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	if s.Role == api.RoleFunder && id != s.Org {
		p.errorPage(w, r, s, http.StatusForbidden, "Vous ne pouvez consulter que l'audit de vos propres fonds.")
		return
	}
	day := domain.DateOf(p.cfg.Now().In(paris))
	asOf := r.URL.Query().Get("au")
	if asOf != "" {
		d, err := domain.ParseDate(asOf)
		if err != nil {
			p.errorPage(w, r, s, http.StatusBadRequest, "La date demandée n'est pas valide.")
			return
		}
		day = d
	}
	tr, err := audit.Audit(r.Context(), p.cfg.Querier, id, day)
	if err != nil {
		p.failed(w, r, s, err)
		return
	}
	name := tr.Name
	if name == "" {
		name = id
	}
	p.render(w, http.StatusOK, "funder", funderView{Layout: Layout{Title: "Audit — " + name, Session: s}, FunderID: id,
		AsOf: day.String(), Trail: tr, Printed: p.cfg.Now().In(paris).Format("02/01/2006 à 15:04")})
}
