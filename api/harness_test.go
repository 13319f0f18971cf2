package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/passnumerique/passledger/internal/credentials"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
)

var db *pgtest.DB

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m, &db)) }

// clock is a test clock that the lifecycle test moves forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// env is a real HTTP server over a real database.
type env struct {
	t      testing.TB
	d      *pgtest.DB
	store  *eventstore.Store
	srv    *httptest.Server
	api    *api.Server
	clock  *clock
	router routers.Router
	admin  string
}

func newEnv(t testing.TB, d *pgtest.DB) *env {
	t.Helper()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)}
	secrets, err := credentials.LoadSecrets(ctx, d.Pool)
	if err != nil {
		t.Fatal(err)
	}
	store := eventstore.New(d.Pool)
	ledger, err := app.New(store, secrets.Domain, app.WithClock(c.now))
	if err != nil {
		t.Fatal(err)
	}
	s, err := api.NewServer(api.Config{Pool: d.Pool, Store: store, App: ledger, Secrets: secrets, Waiter: waiterFor(t, d, store),
		Debtor: testDebtor})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, d: d, store: store, api: s, clock: c}
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	doc, err := openapi3.NewLoader().LoadFromData(e.rawGet("/openapi.json"))
	if err != nil {
		t.Fatalf("openapi.json does not load: %v", err)
	}
	if err := doc.Validate(ctx); err != nil {
		t.Fatalf("openapi.json is not valid: %v", err)
	}
	if e.router, err = legacy.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	e.admin = e.token(api.RoleAdmin, "")
	return e
}

func (e *env) rawGet(path string) []byte {
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

// token makes a token of role for org.
func (e *env) token(role api.Role, org string) string {
	e.t.Helper()
	_, tok, err := api.CreateToken(context.Background(), e.d.Pool, role, org, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// response is one HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) problemType() string {
	var p api.Problem
	_ = json.Unmarshal(r.body, &p)
	return strings.TrimPrefix(p.Type, api.ProblemBase)
}

// call sends a request and validates the response against /openapi.json.
func (e *env) call(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			e.t.Fatal(err)
		}
	}
	if raw != nil {
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: out}
	e.validate(req, raw, r)
	return r
}

// validate checks a response against the OpenAPI document.
func (e *env) validate(req *http.Request, body []byte, r response) {
	e.t.Helper()
	vreq := req.Clone(context.Background())
	if body != nil {
		vreq.Body = io.NopCloser(bytes.NewReader(body))
	}
	route, params, err := e.router.FindRoute(vreq)
	if err != nil {
		if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			return // an unknown path: nothing to validate against
		}
		e.t.Fatalf("%s %s: not in openapi.json: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: r.status, Header: r.header, Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		e.t.Fatalf("%s %s → %d does not match openapi.json: %v\nbody: %s", req.Method, req.URL.Path, r.status, err, r.body)
	}
}

// want fails unless the response has the status.
func (r response) want(t *testing.T, status int) response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	return r
}

// events returns every event of the given type, read through GET /v1/events (the
// auditor's view of the log, in reading order).
//
// It first waits until every committed event is readable (storetest.WaitVisible):
// another session's transaction on the shared server can hold a fresh event back
// for a moment, and a count taken then would miss it.
func (e *env) events(t *testing.T, eventType string) []api.EventView {
	t.Helper()
	storetest.WaitVisible(t, t.Context(), eventstore.New(e.d.Pool))
	var out []api.EventView
	var after int64
	for {
		var page api.EventsResponse
		e.call("GET", "/v1/events?limit=1000&after="+strconv.FormatInt(after, 10), e.admin, nil).want(t, 200).decode(t, &page)
		for _, ev := range page.Events {
			if ev.Type == eventType {
				out = append(out, ev)
			}
		}
		if page.Next == 0 {
			return out
		}
		after = page.Next
	}
}
