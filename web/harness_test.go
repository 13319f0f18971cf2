package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/passnumerique/passledger/internal/credentials"
	"github.com/passnumerique/passledger/internal/reference"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/eventstore"
	"github.com/passnumerique/passledger/eventstore/storetest"
	"github.com/passnumerique/passledger/internal/pgtest"
	"github.com/passnumerique/passledger/projections"
	"github.com/passnumerique/passledger/web"
)

var db *pgtest.DB

func TestMain(m *testing.M) {
	code := pgtest.Main(m, &db)
	stopChromium()
	os.Exit(code)
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// env is the ledger's whole HTTP front (pages and API) on 127.0.0.1 over a fresh
// database, with the projections live.
type env struct {
	t     *testing.T
	d     *pgtest.DB
	srv   *httptest.Server
	admin string
	store *eventstore.Store
	live  *projections.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := db.Fresh(t)
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
	pctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	live, err := projections.Start(pctx, projections.Config{Pool: d.Pool, Store: store, Projections: projections.All(), Logger: logger})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = live.Close() })
	s, err := api.NewServer(api.Config{Pool: d.Pool, Store: store, App: ledger, Secrets: secrets, Waiter: live, Logger: logger,
		EquityPage: web.APIEquityPage})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := web.New(web.Config{API: s, Querier: d.Pool, Waiter: live, SessionKey: secrets.Session, Now: c.now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, d: d, store: store, live: live}
	e.srv = httptest.NewServer(pages.Handler())
	t.Cleanup(e.srv.Close)
	e.admin = e.token(api.RoleAdmin, "")
	return e
}

func (e *env) token(role api.Role, org string) string {
	e.t.Helper()
	_, tok, err := api.CreateToken(context.Background(), e.d.Pool, role, org, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// call sends a JSON request to the API with a bearer token and decodes the answer
// into out (when not nil); it fails unless the status is want.
func (e *env) call(method, path, token string, body any, want int, out any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		e.t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

// world: a programme in 63, a prescriber with carnets in stock (one issued), a
// labelled place, and their tokens.
type world struct {
	prescriber, place, programme, funder string
	prescriberTok, placeTok, funderTok   string
	carnets                              []api.MintedCarnet
}

func newWorld(e *env, carnets int) *world {
	t := e.t
	t.Helper()
	w := &world{}
	var c api.CreatedResponse
	e.call("POST", "/v1/funders", e.admin, map[string]any{"name": "État", "kind": "state"}, 201, &c)
	w.funder = c.ID
	e.call("POST", "/v1/prescribers", e.admin, map[string]any{"name": "CCAS Clermont", "kind": "ccas", "territory": "63"}, 201, &c)
	w.prescriber = c.ID
	e.call("POST", "/v1/places", e.admin, map[string]any{"name": "Médiathèque de Jaude", "siret": "73282932000074", "territory": "63"}, 201, &c)
	w.place = c.ID
	e.call("POST", "/v1/places/"+w.place+"/label", e.admin, map[string]any{"action": "grant", "effective_on": "2026-01-01"}, 200, nil)
	var p api.ProgrammeResponse
	e.call("POST", "/v1/programmes", e.admin, map[string]any{
		"name": "Pass numérique Puy-de-Dôme 2026", "territory": "63", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
		"cheque_value": "10.00", "cheques_per_carnet": 10,
		"funding": []map[string]any{{"funder_id": w.funder, "amount": "50000.00"}},
	}, 201, &p)
	w.programme = p.ID
	var m api.MintResponse
	e.call("POST", "/v1/programmes/"+w.programme+"/mint", e.admin, map[string]any{"carnets": carnets, "prescriber_id": w.prescriber}, 201, &m)
	w.carnets = m.Carnets
	w.prescriberTok = e.token(api.RolePrescriber, w.prescriber)
	w.placeTok = e.token(api.RolePlace, w.place)
	w.funderTok = e.token(api.RoleFunder, w.funder)
	e.call("POST", "/v1/carnets/"+m.Carnets[0].ID+"/issue", w.prescriberTok, map[string]any{"beneficiary_ref": "BEN-42", "need_level": "urgence"}, 200, nil)
	e.settle()
	return w
}

// settle waits until the live projections applied every event stored: the
// pages read the projections, and a page opened right after the API writes
// that set up a test would otherwise show them or not depending on the
// projections' lag (a finance page without its batch, a prescriber without
// stock: seen with two packages' tests sharing the machine).
func (e *env) settle() {
	e.t.Helper()
	ctx := context.Background()
	head := storetest.WaitVisible(e.t, ctx, e.store)
	if err := e.live.WaitForAll(ctx, head.Position); err != nil {
		e.t.Fatal(err)
	}
}

// equityWorld gives most départements need data and shares a fund between them
// in three péréquation runs (all, every third, the south), with a floor, so that
// euros per unit of need differ; ten départements have no need data.
func equityWorld(e *env) {
	t := e.t
	t.Helper()
	var covered []string
	var south []string
	for i, d := range reference.Departements() {
		if i%10 == 7 {
			continue // no need data
		}
		rate := fmt.Sprintf("0.%02d", 12+(i*7)%15)
		e.call("PUT", "/v1/territories/"+d.Code, e.admin, map[string]any{"population": d.Population, "fragility_rate": rate, "source": "INSEE 2021"}, 200, nil)
		covered = append(covered, d.Code)
		if d.Code >= "30" && d.Code < "35" || d.Code >= "64" && d.Code < "67" || d.Code >= "81" && d.Code < "85" || d.Code == "13" || d.Code == "06" || d.Code == "11" {
			south = append(south, d.Code)
		}
	}
	var c api.CreatedResponse
	e.call("POST", "/v1/funders", e.admin, map[string]any{"name": "Fonds national", "kind": "state"}, 201, &c)
	funder := c.ID
	e.call("POST", "/v1/funds", e.admin, map[string]any{"name": "Fonds de soutien national", "territories": covered}, 201, &c)
	fund := c.ID
	finance := e.token(api.RoleFinance, "org_finance")
	e.call("POST", "/v1/contributions", e.admin, map[string]any{"funder_id": funder, "fund_id": fund, "amount": "9000000.00", "pledged_on": "2026-01-05"}, 201, &c)
	e.call("POST", "/v1/contributions/"+c.ID+"/receipts", finance, map[string]any{"amount": "9000000.00", "received_on": "2026-01-08"}, 201, nil)
	// Overlapping runs give each territory a different sum of shares.
	e.call("POST", "/v1/funds/"+fund+"/perequation-runs", finance, map[string]any{"budget": "3000000.00", "floor": "12000.00"}, 201, nil)
	for k, budget := range map[int]string{2: "900000.00", 3: "700000.00", 5: "500000.00", 7: "300000.00"} {
		var subset []string
		for i, code := range covered {
			if i%k == 0 {
				subset = append(subset, code)
			}
		}
		e.call("POST", "/v1/funds/"+fund+"/perequation-runs", finance, map[string]any{"budget": budget, "territories": subset}, 201, nil)
	}
	e.call("POST", "/v1/funds/"+fund+"/perequation-runs", finance, map[string]any{"budget": "600000.00", "territories": south}, 201, nil)
	e.settle()
}
