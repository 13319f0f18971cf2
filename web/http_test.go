package web_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/projections/equity"
	"github.com/passnumerique/passledger/web"
)

// client is a browser without JavaScript: a cookie jar and forms.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	last *http.Response
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, hc: &http.Client{Jar: jar}}
}

func (c *client) do(method, path string, form url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	c.last = resp
	return resp.StatusCode, string(b)
}

var hiddenRe = regexp.MustCompile(`name="(csrf|cle)" value="([^"]*)"`)

// hidden returns the hidden fields of the first form of page.
func hidden(page string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(page, -1) {
		if v.Get(m[1]) == "" {
			v.Set(m[1], m[2])
		}
	}
	return v
}

func (c *client) login(token string) {
	c.t.Helper()
	_, page := c.do("GET", "/connexion", nil)
	f := hidden(page)
	f.Set("jeton", token)
	if st, body := c.do("POST", "/connexion", f); st != 200 || !strings.Contains(body, "Se déconnecter") {
		c.t.Fatalf("login: %d", st)
	}
}

// The session cookie is HttpOnly and SameSite=Strict; a POST without the CSRF token
// is refused; a form submitted twice (same key) redeems once; a logged-in browser
// downloads the API's JSON; logging out ends the session.
func TestSessionCSRFAndDoubleSubmit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := newWorld(e, 1)
	c := newClient(t, e.srv.URL)
	// Unknown token: a French refusal, no session.
	_, page := c.do("GET", "/connexion", nil)
	f := hidden(page)
	f.Set("jeton", "plt_inconnu")
	if st, body := c.do("POST", "/connexion", f); st != 401 || !strings.Contains(body, "inconnu ou a été révoqué") {
		t.Fatalf("unknown token: %d", st)
	}
	// Login without the form's token is refused.
	if st, _ := c.do("POST", "/connexion", url.Values{"jeton": {w.placeTok}}); st != 403 {
		t.Fatalf("login without CSRF token: %d", st)
	}
	c.login(w.placeTok)
	var cookie string
	for _, h := range c.last.Request.Response.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "passledger_session=") {
			cookie = h
		}
	}
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Fatalf("session cookie %q", cookie)
	}
	if strings.Contains(cookie, w.placeTok) {
		t.Fatal("the token is in the cookie")
	}

	_, page = c.do("GET", "/lieu", nil)
	form := hidden(page)
	chq := w.carnets[0].Cheques[0]
	form.Set("serie", chq.Serial)
	form.Set("code", chq.CheckCode)
	form.Set("date", "2026-03-14")
	form.Set("prestation", "atelier")
	noCSRF := url.Values{}
	for k, v := range form {
		if k != "csrf" {
			noCSRF[k] = v
		}
	}
	if st, body := c.do("POST", "/lieu/encaissement", noCSRF); st != 403 || !strings.Contains(body, "Le formulaire a expiré") {
		t.Fatalf("POST without CSRF: %d", st)
	}
	for i := 0; i < 2; i++ {
		if st, body := c.do("POST", "/lieu/encaissement", form); st != 200 || !strings.Contains(body, "accepté") {
			t.Fatalf("submission %d: %d", i+1, st)
		}
	}
	var stmt struct {
		Redemptions []any `json:"redemptions"`
	}
	e.call("GET", "/v1/places/"+w.place+"/statement", w.placeTok, nil, 200, &stmt)
	if len(stmt.Redemptions) != 1 {
		t.Fatalf("%d redemptions after a double submission, want 1", len(stmt.Redemptions))
	}
	// The page's JSON download link: the API, for the session.
	if st, body := c.do("GET", "/v1/places/"+w.place+"/statement", nil); st != 200 || !strings.Contains(body, chq.Serial) {
		t.Fatalf("statement download: %d %s", st, body)
	}
	// Another place's statement stays forbidden.
	if st, _ := c.do("GET", "/v1/places/plc_OTHER/statement", nil); st != 403 {
		t.Fatalf("other place's statement: %d", st)
	}
	// A place may not open the finance page.
	if st, body := c.do("GET", "/finance", nil); st != 403 || !strings.Contains(body, "pas ouverte à votre profil") {
		t.Fatalf("finance page for a place: %d", st)
	}
	_, page = c.do("GET", "/lieu", nil)
	c.do("POST", "/deconnexion", hidden(page))
	if st, _ := c.do("GET", "/lieu", nil); st != 200 || !strings.HasSuffix(c.last.Request.URL.Path, "/connexion") {
		t.Fatalf("after logout: %d %s", st, c.last.Request.URL)
	}
	// The API itself still wants a bearer token.
	if st, _ := c.do("GET", "/v1/places/"+w.place+"/statement", nil); st != 401 {
		t.Fatalf("API without session or token: %d", st)
	}
}

// The CSV download opens in a French spreadsheet (BOM, ';').
func TestEquityCSVDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	equityWorld(e)
	c := newClient(t, e.srv.URL)
	c.login(e.token(api.RoleAuditor, ""))
	st, body := c.do("GET", "/reports/equity.csv", nil)
	if st != 200 || !strings.HasPrefix(body, "\ufeffTerritoire;") || !strings.Contains(c.last.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %q", st, body[:min(len(body), 40)])
	}
}

// The API answers Accept: text/html with the same page (map, chart), to a bearer
// token; JSON stays the default.
func TestAPIEquityAsHTML(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	equityWorld(e)
	get := func(accept string) (*http.Response, string) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/reports/equity", nil)
		req.Header.Set("Authorization", "Bearer "+e.token(api.RoleAuditor, ""))
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	res, page := get("text/html,application/xhtml+xml")
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") ||
		strings.Count(page, `class="tile"`) != 101 || !strings.Contains(page, `id="carte"`) || !strings.Contains(page, "<svg") {
		t.Fatalf("html: %d %s %.200q", res.StatusCode, res.Header.Get("Content-Type"), page)
	}
	if res, body := get(""); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !strings.HasPrefix(body, "{") {
		t.Fatalf("json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// WriteEquityPage (passledger report equity --format html) writes the same page:
// 101 tiles, the chart, and no session navigation; links only with a base URL.
func TestWriteEquityPageStandalone(t *testing.T) {
	rep := equity.Figures{Territories: []equity.Territory{}}
	var b bytes.Buffer
	if err := web.WriteEquityPage(&b, rep, web.EquityPageOptions{}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(page, `class="tile"`); n != 101 {
		t.Fatalf("%d tiles", n)
	}
	if !strings.Contains(page, `<html lang="fr">`) || strings.Contains(page, "Se déconnecter") || strings.Contains(page, "/reports/equity.csv") {
		t.Fatal("standalone page has session parts or links")
	}
	b.Reset()
	_ = web.WriteEquityPage(&b, rep, web.EquityPageOptions{Links: true, BaseURL: "https://ledger.example.fr"})
	if !strings.Contains(b.String(), `href="https://ledger.example.fr/reports/equity.csv"`) {
		t.Fatal("no absolute links with a base URL")
	}
}
