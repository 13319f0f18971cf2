package web

import (
	"bytes"
	"embed"
	"github.com/passnumerique/passledger/internal/reference"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/equity"
)

//go:embed templates/*.html
var templateFS embed.FS

// Layout is what every page's frame shows: its title, and the session's
// navigation (none on a standalone page, such as the report the CLI writes).
type Layout struct {
	Title   string
	Session *session
}

// Nav lists the pages of the session's role.
func (l Layout) Nav() []navItem {
	if l.Session == nil {
		return nil
	}
	var out []navItem
	switch l.Session.Role {
	case api.RolePlace:
		out = append(out, navItem{"/lieu", "Encaisser et relevé"})
	case api.RolePrescriber:
		out = append(out, navItem{"/prescripteur", "Carnets"})
	case api.RoleFunder:
		out = append(out, navItem{"/financeurs/" + l.Session.Org, "Audit de mes fonds"}, navItem{"/reports/equity", "Équité territoriale"})
	case api.RoleFinance, api.RoleAuditor, api.RoleAdmin:
		out = append(out, navItem{"/finance", "Remboursements"}, navItem{"/financeurs", "Audit d'un financeur"}, navItem{"/reports/equity", "Équité territoriale"})
	}
	return out
}

// Who names the session's role and organisation.
func (l Layout) Who() string {
	if l.Session == nil {
		return ""
	}
	if l.Session.Org == "" {
		return roleLabel(l.Session.Role)
	}
	return roleLabel(l.Session.Role) + " · " + l.Session.Org
}

// CSS is the page's one style sheet.
func (Layout) CSS() template.CSS { return template.CSS(pageCSS) }

type navItem struct{ Href, Label string }

func roleLabel(r api.Role) string {
	switch r {
	case api.RolePlace:
		return "Lieu de médiation"
	case api.RolePrescriber:
		return "Prescripteur"
	case api.RoleFunder:
		return "Financeur"
	case api.RoleFinance:
		return "Service financier"
	case api.RoleAuditor:
		return "Auditeur"
	case api.RoleAdmin:
		return "Administrateur"
	}
	return string(r)
}

var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

var funcs = template.FuncMap{
	"money": func(m domain.Money) string { return frMoney(m) + "\u00a0€" },
	"date": func(d any) string {
		switch v := d.(type) {
		case domain.Date:
			return frDate(v)
		case *domain.Date:
			if v == nil {
				return "—"
			}
			return frDate(*v)
		}
		return ""
	},
	"datetime": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			return v.In(paris).Format("02/01/2006 15:04")
		case *time.Time:
			if v == nil {
				return "—"
			}
			return v.In(paris).Format("02/01/2006 15:04")
		}
		return ""
	},
	"ratio":   frRatio,
	"percent": frPercent,
	"int":     func(n int64) string { return frGroup(strconv.FormatInt(n, 10)) },
	"need": func(n string) string {
		switch n {
		case "urgence":
			return "Urgence"
		case "inclusion":
			return "Inclusion"
		case "autonomie":
			return "Autonomie"
		}
		return n
	},
	"deptName":    deptName,
	"statusLabel": statusLabel,
	"statusClass": statusClass,
	"movement": func(k string) string {
		switch k {
		case "receipt":
			return "Encaissement d'une contribution"
		case "reimbursement_payment":
			return "Paiement d'un lot de remboursement"
		case "advance":
			return "Avance de trésorerie"
		case "repayment":
			return "Remboursement d'avance"
		}
		return k
	},
}

func frDate(d domain.Date) string {
	if d.IsZero() {
		return "—"
	}
	return d.Time().Format("02/01/2006")
}

// frMoney writes an amount the French way: "1 234,50".
func frMoney(m domain.Money) string { return frGroup(strings.Replace(m.String(), ".", ",", 1)) }

func frRatio(d *decimal.Decimal) string {
	if d == nil {
		return "—"
	}
	return strings.Replace(d.StringFixed(4), ".", ",", 1)
}

func frPercent(d *decimal.Decimal) string {
	if d == nil {
		return "—"
	}
	return strings.Replace(d.Mul(decimal.NewFromInt(100)).StringFixed(1), ".", ",", 1) + "\u00a0%"
}

// frGroup groups the integer digits by three with a narrow no-break space
// (equity.FrGroup), and writes a negative sign as the typographic minus.
func frGroup(s string) string {
	out := equity.FrGroup(s)
	if rest, ok := strings.CutPrefix(out, "-"); ok {
		return "−" + rest
	}
	return out
}

func deptName(code string) string {
	if d, ok := reference.Departement(code); ok {
		return d.Name
	}
	return code
}

// pages are the page templates, each with the layout.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{"login", "error", "place", "prescriber", "funder", "funders", "finance", "equity"} {
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, "templates/"+name+".html"))
	}
	return out
}()

// render writes a page; a template error is a 500 (and logged).
func (p *Pages) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		p.cfg.Logger.Error("web: render", "page", name, "err", err)
		http.Error(w, "erreur interne", http.StatusInternalServerError)
		return
	}
	securityHeaders(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

type errorView struct {
	Layout
	Message string
	Home    string
}

func (p *Pages) errorPage(w http.ResponseWriter, _ *http.Request, s *session, status int, msg string) {
	home := "/connexion"
	if s != nil {
		home = homeOf(s.principal())
	}
	p.render(w, status, "error", errorView{Layout: Layout{Title: "Opération impossible", Session: s}, Message: msg, Home: home})
}

// failed shows an unexpected error (logged) as a French error page.
func (p *Pages) failed(w http.ResponseWriter, r *http.Request, s *session, err error) {
	pr := api.ProblemFor(err)
	if pr.Status >= 500 {
		p.cfg.Logger.Error("web: page failed", "path", r.URL.Path, "err", err)
	}
	p.errorPage(w, r, s, pr.Status, FrenchMessage(pr))
}
