package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"time"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/projections/core"
)

// Config holds what the pages need.
type Config struct {
	// API is the JSON port: the pages write through it (ServeAs) and log in
	// with its tokens (Authenticate).
	API *api.Server
	// Querier reads the projections (the database pool).
	Querier core.Querier
	// Waiter waits for a projection to apply a page's own write.
	Waiter api.Waiter
	// SessionKey signs the session cookies and CSRF tokens (credentials.Secrets.Session).
	SessionKey []byte
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
	// SecureCookies marks the cookies Secure even on plain HTTP (behind a TLS
	// proxy); they are always Secure on a TLS connection.
	SecureCookies bool
	// SessionTTL bounds a session (default 8 hours).
	SessionTTL time.Duration
}

// Pages serves the web pages, and the API for everything else.
type Pages struct {
	cfg Config
	mux *http.ServeMux
}

// New builds the pages.
func New(cfg Config) (*Pages, error) {
	if cfg.API == nil || cfg.Querier == nil {
		return nil, errors.New("web: API and Querier are required")
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("web: a session key of at least 32 bytes is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	p := &Pages{cfg: cfg, mux: http.NewServeMux()}
	p.routes()
	return p, nil
}

// Handler returns the root handler: the pages, and the API (/v1, /openapi.json,
// /healthz, /readyz, /metrics) for every other path.
func (p *Pages) Handler() http.Handler { return p.mux }

func (p *Pages) routes() {
	m := p.mux
	m.HandleFunc("GET /{$}", p.home)
	m.HandleFunc("GET /connexion", p.loginForm)
	m.HandleFunc("POST /connexion", p.login)
	m.Handle("POST /deconnexion", p.page(nil, p.logout))
	m.Handle("GET /lieu", p.page(roles(api.RolePlace), p.placePage))
	m.Handle("POST /lieu/encaissement", p.page(roles(api.RolePlace), p.redeem))
	m.Handle("GET /prescripteur", p.page(roles(api.RolePrescriber), p.prescriberPage))
	m.Handle("POST /prescripteur/remise", p.page(roles(api.RolePrescriber), p.issue))
	m.Handle("GET /financeurs", p.page(roles(api.RoleFinance, api.RoleAuditor, api.RoleAdmin, api.RoleFunder), p.funderIndex))
	m.Handle("GET /financeurs/{id}", p.page(roles(api.RoleFunder, api.RoleFinance, api.RoleAuditor, api.RoleAdmin), p.funderPage))
	m.Handle("GET /finance", p.page(roles(api.RoleFinance, api.RoleAuditor, api.RoleAdmin), p.financePage))
	m.Handle("GET /reports/equity", p.page(reportReaders, p.equityPage))
	m.Handle("GET /reports/equity.csv", p.page(reportReaders, p.equityCSV))
	m.HandleFunc("/", p.passThrough)
}

var reportReaders = roles(api.RoleFunder, api.RoleFinance, api.RoleAuditor, api.RoleAdmin)

func roles(rs ...api.Role) []api.Role { return rs }

// passThrough gives every other path to the API. A GET under /v1 with no
// Authorization header from a logged-in browser is served for the session's
// principal (the download links of the pages); GET is safe, and the cookie is
// SameSite=Strict, so no other site can make use of it.
func (p *Pages) passThrough(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/") && r.Header.Get("Authorization") == "" {
		if s, ok := p.session(r); ok {
			p.cfg.API.ServeAs(w, r, s.principal())
			return
		}
	}
	p.cfg.API.Handler().ServeHTTP(w, r)
}

// home sends a logged-in user to the page of its role.
func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	s, ok := p.session(r)
	if !ok {
		http.Redirect(w, r, "/connexion", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, homeOf(s.principal()), http.StatusSeeOther)
}

func homeOf(pr api.Principal) string {
	switch pr.Role {
	case api.RolePlace:
		return "/lieu"
	case api.RolePrescriber:
		return "/prescripteur"
	case api.RoleFunder:
		return "/financeurs/" + pr.Org
	case api.RoleFinance:
		return "/finance"
	default:
		return "/reports/equity"
	}
}

// page wraps a page handler: a session (else the login form), one of the roles
// (nil: any), and a valid CSRF token on POST.
func (p *Pages) page(allowed []api.Role, h func(http.ResponseWriter, *http.Request, *session)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := p.session(r)
		if !ok {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/connexion?suite="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.errorPage(w, r, nil, http.StatusUnauthorized, "Votre session a expiré. Reconnectez-vous, puis recommencez.")
			return
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil || !p.validCSRF(s, r.PostForm.Get("csrf")) || !sameOrigin(r) {
				p.errorPage(w, r, s, http.StatusForbidden,
					"Le formulaire a expiré ou ne vient pas de cette page. Rechargez la page, puis recommencez.")
				return
			}
		}
		if allowed != nil && !hasRole(allowed, s.Role) {
			p.errorPage(w, r, s, http.StatusForbidden, "Cette page n'est pas ouverte à votre profil ("+roleLabel(s.Role)+").")
			return
		}
		h(w, r, s)
	})
}

func hasRole(rs []api.Role, r api.Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

// sameOrigin refuses a POST whose Origin header names another site (defence in
// depth behind SameSite=Strict and the CSRF token; browsers send Origin on POST).
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	_, host, _ := strings.Cut(o, "://")
	return host == r.Host
}

// apiAnswer is the API's answer to an in-process request.
type apiAnswer struct {
	Status  int
	Body    []byte
	Problem *api.Problem
}

// callAPI runs method path with body (JSON) through the API for the session's
// principal; key, when set, is the Idempotency-Key.
func (p *Pages) callAPI(ctx context.Context, s *session, method, path string, body any, key string) (apiAnswer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apiAnswer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, path, rd)
	if err != nil {
		return apiAnswer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", "web:"+key)
	}
	rec := httptest.NewRecorder()
	p.cfg.API.ServeAs(rec, req, s.principal())
	a := apiAnswer{Status: rec.Code, Body: rec.Body.Bytes()}
	if rec.Code >= 400 {
		var pr api.Problem
		if err := json.Unmarshal(a.Body, &pr); err != nil {
			return a, fmt.Errorf("web: %s %s: status %d: %s", method, path, rec.Code, a.Body)
		}
		a.Problem = &pr
	}
	return a, nil
}

// waitFor waits (bounded) for a projection to apply position, so that a page shows
// its own write; a projection that lags only makes the page older.
func (p *Pages) waitFor(ctx context.Context, projection string, position int64) {
	if p.cfg.Waiter == nil || position <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := p.cfg.Waiter.WaitFor(ctx, projection, position); err != nil {
		p.cfg.Logger.Warn("web: projection lagging", "projection", projection, "position", position, "err", err)
	}
}

// formKey is a fresh idempotency key for one rendered form.
func formKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// styleHash is the CSP hash of the one inline style sheet.
var styleHash = func() string {
	h := sha256.Sum256([]byte(pageCSS))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}()

// securityHeaders: no script at all, the one style sheet, forms to this site only.
func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src "+styleHash+"; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
}
