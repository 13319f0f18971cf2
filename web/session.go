package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/passnumerique/passledger/api"
)

// Sessions are stateless: the cookie holds the token's id, role and organisation,
// an expiry and a random session id, signed with HMAC-SHA256 under the server's
// session key. The token itself never leaves the login request. Every page checks
// that the token is still not revoked, so revoking a token ends its sessions.
// Logging out clears the browser's cookie; a stolen copy would stay valid until
// its expiry (8 hours by default) unless the token is revoked.
const (
	sessionCookie = "passledger_session"
	loginCookie   = "passledger_login"
)

// session is a logged-in browser.
type session struct {
	TokenID string   `json:"t"`
	Role    api.Role `json:"r"`
	Org     string   `json:"o,omitempty"`
	Expires int64    `json:"e"`
	ID      string   `json:"s"`
	csrf    string
}

func (s *session) principal() api.Principal {
	return api.Principal{TokenID: s.TokenID, Role: s.Role, Org: s.Org}
}

// CSRF returns the session's CSRF token, for the forms.
func (s *session) CSRF() string { return s.csrf }

func (p *Pages) mac(purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, p.cfg.SessionKey)
	m.Write([]byte("passledger web " + purpose + "\x00"))
	m.Write(data)
	return m.Sum(nil)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (p *Pages) sealSession(s *session) string {
	payload, _ := json.Marshal(s)
	return b64(payload) + "." + b64(p.mac("session", payload))
}

// session returns the request's valid session: signature, expiry, and a token
// still not revoked.
func (p *Pages) session(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	enc, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return nil, false
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, p.mac("session", payload)) {
		return nil, false
	}
	var s session
	if json.Unmarshal(payload, &s) != nil || time.Now().Unix() >= s.Expires || s.ID == "" {
		return nil, false
	}
	active, err := p.cfg.API.TokenActive(r.Context(), s.TokenID)
	if err != nil || !active {
		return nil, false
	}
	s.csrf = b64(p.mac("csrf", []byte(s.ID)))
	return &s, true
}

func (p *Pages) validCSRF(s *session, token string) bool {
	return token != "" && hmac.Equal([]byte(token), []byte(s.csrf))
}

func (p *Pages) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || p.cfg.SecureCookies})
}

// loginView is the login form.
type loginView struct {
	Layout
	CSRF  string
	Next  string
	Error string
}

// loginForm shows the login form; a login cookie carries a nonce whose MAC is the
// form's CSRF token (no session exists yet).
func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	p.renderLogin(w, r, http.StatusOK, "")
}

func (p *Pages) renderLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	nonce := make([]byte, 16)
	_, _ = rand.Read(nonce)
	p.setCookie(w, r, loginCookie, b64(nonce), 3600)
	next := r.FormValue("suite")
	p.render(w, status, "login", loginView{Layout: Layout{Title: "Connexion"}, CSRF: b64(p.mac("login", nonce)), Next: safeNext(next), Error: msg})
}

// safeNext keeps a return path on this site only.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return ""
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return next
}

// login checks the form's CSRF token against the login cookie, then the access
// token as the API does, and opens a session.
func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		p.renderLogin(w, r, http.StatusBadRequest, "Le formulaire est illisible. Recommencez.")
		return
	}
	c, err := r.Cookie(loginCookie)
	var nonce []byte
	if err == nil {
		nonce, err = base64.RawURLEncoding.DecodeString(c.Value)
	}
	if err != nil || !sameOrigin(r) || !hmac.Equal([]byte(r.PostForm.Get("csrf")), []byte(b64(p.mac("login", nonce)))) {
		p.renderLogin(w, r, http.StatusForbidden, "Le formulaire de connexion a expiré. Saisissez à nouveau votre jeton.")
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("jeton"))
	if !strings.HasPrefix(token, "plt_") {
		p.renderLogin(w, r, http.StatusUnauthorized, "Ce jeton n'est pas valide : un jeton d'accès commence par « plt_ ».")
		return
	}
	pr, err := p.cfg.API.Authenticate(r.Context(), token)
	if err != nil {
		if api.ProblemFor(err).Status == http.StatusUnauthorized {
			p.renderLogin(w, r, http.StatusUnauthorized, "Ce jeton est inconnu ou a été révoqué. Vérifiez-le auprès de votre administrateur.")
			return
		}
		p.cfg.Logger.Error("web: login", "err", err)
		p.renderLogin(w, r, http.StatusServiceUnavailable, "Le service est momentanément indisponible. Réessayez dans un instant.")
		return
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	s := &session{TokenID: pr.TokenID, Role: pr.Role, Org: pr.Org, ID: b64(id),
		Expires: time.Now().Add(p.cfg.SessionTTL).Unix()}
	p.setCookie(w, r, sessionCookie, p.sealSession(s), int(p.cfg.SessionTTL/time.Second))
	p.setCookie(w, r, loginCookie, "", -1)
	next := safeNext(r.PostForm.Get("suite"))
	if next == "" {
		next = homeOf(pr)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Pages) logout(w http.ResponseWriter, r *http.Request, _ *session) {
	p.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/connexion", http.StatusSeeOther)
}
