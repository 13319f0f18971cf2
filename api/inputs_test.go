package api_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/passnumerique/passledger/api"
	"github.com/passnumerique/passledger/internal/receipt"
)

// world is a small ledger built through HTTP: a programme in 63, a prescriber, a
// labelled place, one minted and issued carnet.
type world struct {
	e                            *env
	funders                      []string
	programme, prescriber, place string
	prescriberTok, placeTok      string
	cheques                      []api.MintedCheque
}

func newWorld(t *testing.T, e *env) *world {
	t.Helper()
	w := &world{e: e}
	for _, f := range []struct{ name, kind string }{{"État", "state"}, {"Département 63", "departement"}, {"CAF 63", "caf"}} {
		var c api.CreatedResponse
		e.call("POST", "/v1/funders", e.admin, map[string]any{"name": f.name, "kind": f.kind}).want(t, 201).decode(t, &c)
		w.funders = append(w.funders, c.ID)
	}
	var c api.CreatedResponse
	e.call("POST", "/v1/prescribers", e.admin, map[string]any{"name": "CCAS Clermont", "kind": "ccas", "territory": "63"}).want(t, 201).decode(t, &c)
	w.prescriber = c.ID
	e.call("POST", "/v1/places", e.admin, map[string]any{"name": "EPN Clermont", "siret": "73282932000074", "territory": "63"}).want(t, 201).decode(t, &c)
	w.place = c.ID
	e.call("POST", "/v1/places/"+w.place+"/label", e.admin, map[string]any{"action": "grant", "effective_on": "2026-01-01"}).want(t, 200)
	var p api.ProgrammeResponse
	e.call("POST", "/v1/programmes", e.admin, map[string]any{
		"name": "Pass numérique Puy-de-Dôme 2026", "territory": "63", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
		"cheque_value": "10.00", "cheques_per_carnet": 10,
		"funding": []map[string]any{{"funder_id": w.funders[0], "amount": "50000.00"}, {"funder_id": w.funders[1], "amount": "30000.00"}, {"funder_id": w.funders[2], "amount": "20000.00"}},
	}).want(t, 201).decode(t, &p)
	w.programme = p.ID
	var m api.MintResponse
	e.call("POST", "/v1/programmes/"+w.programme+"/mint", e.admin, map[string]any{"carnets": 1, "prescriber_id": w.prescriber}).want(t, 201).decode(t, &m)
	w.cheques = m.Carnets[0].Cheques
	w.prescriberTok = e.token(api.RolePrescriber, w.prescriber)
	w.placeTok = e.token(api.RolePlace, w.place)
	e.call("POST", "/v1/carnets/"+m.Carnets[0].ID+"/issue", w.prescriberTok, map[string]any{"beneficiary_ref": "BEN-42", "need_level": "urgence"}).want(t, 200)
	return w
}

func (w *world) redeem(t *testing.T, i int) response {
	t.Helper()
	return w.e.call("POST", "/v1/redemptions", w.placeTok, map[string]any{
		"serial": w.cheques[i].Serial, "check_code": w.cheques[i].CheckCode, "session_date": "2026-03-14", "service": "atelier"})
}

// Every class of malformed input gets a 400 with a problem type, and changes nothing.
func TestMalformedInputIsRefusedWith400(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	cases := []struct{ name, body string }{
		{"not JSON", `{"name": "x", "kind":`},
		{"trailing data", `{"name": "x", "kind": "state"} {}`},
		{"unknown field", `{"name": "x", "kind": "state", "iban": "FR76"}`},
		{"wrong type", `{"name": 42, "kind": "state"}`},
		{"array instead of object", `[{"name": "x"}]`},
		{"empty body", ``},
		{"missing required field", `{"kind": "state"}`},
	}
	for _, c := range cases {
		t.Run("funder/"+c.name, func(t *testing.T) {
			r := e.call("POST", "/v1/funders", e.admin, c.body).want(t, 400)
			if r.header.Get("Content-Type") != "application/problem+json" || r.problemType() != "malformed-request" {
				t.Fatalf("problem %s %s", r.header.Get("Content-Type"), r.body)
			}
		})
	}
	w := newWorld(t, e)
	amounts := map[string]any{
		"three decimals":   "10.001",
		"a JSON number":    10.5,
		"exponent":         "1e3",
		"comma":            "10,00",
		"empty":            "",
		"currency in text": "10.00 EUR",
	}
	for name, amt := range amounts {
		t.Run("amount/"+name, func(t *testing.T) {
			r := e.call("POST", "/v1/contributions", e.admin, map[string]any{"funder_id": w.funders[0], "programme_id": w.programme, "amount": amt}).want(t, 400)
			if pt := r.problemType(); pt != "malformed-request" && pt != "invalid-amount" {
				t.Fatalf("problem type %s", pt)
			}
		})
	}
	t.Run("negative amount is a broken rule", func(t *testing.T) {
		e.call("POST", "/v1/contributions", e.admin, map[string]any{"funder_id": w.funders[0], "programme_id": w.programme, "amount": "-10.00"}).want(t, 422)
	})
	t.Run("bad date", func(t *testing.T) {
		e.call("POST", "/v1/places/"+w.place+"/label", e.admin, map[string]any{"action": "suspend", "effective_on": "2026-02-30"}).want(t, 400)
	})
	t.Run("bad min_position", func(t *testing.T) {
		e.call("GET", "/v1/events?after=x", e.admin, nil).want(t, 400)
	})
	// Nothing of the refused requests was written: only the world's events exist.
	evs, err := e.store.EventsOfTypes(t.Context(), "ContributionPledged")
	if n := len(evs); err != nil || n != 0 {
		t.Fatalf("%d pledges written by refused requests (%v)", n, err)
	}
}

func TestIdempotencyKeyReplayAndMismatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	body := map[string]any{"name": "Région AURA", "kind": "other"}
	first := e.call("POST", "/v1/funders", e.admin, body, "Idempotency-Key", "k-1").want(t, 201)
	again := e.call("POST", "/v1/funders", e.admin, body, "Idempotency-Key", "k-1").want(t, 201)
	if string(first.body) != string(again.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay differs: %s vs %s", first.body, again.body)
	}
	other := e.call("POST", "/v1/funders", e.admin, map[string]any{"name": "Autre", "kind": "other"}, "Idempotency-Key", "k-1").want(t, 422)
	if other.problemType() != "idempotency-key-reused" {
		t.Fatalf("problem %s", other.body)
	}
	// 20 concurrent requests with one key: one funder.
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.call("POST", "/v1/funders", e.admin, map[string]any{"name": "Concurrent", "kind": "other"}, "Idempotency-Key", "k-2")
			bodies[i] = string(r.body)
		}()
	}
	wg.Wait()
	for _, b := range bodies {
		if b != bodies[0] {
			t.Fatalf("concurrent answers differ: %s vs %s", b, bodies[0])
		}
	}
	evs, err := e.store.EventsOfTypes(t.Context(), "FunderRegistered")
	if n := len(evs); err != nil || n != 2 {
		t.Fatalf("%d funders registered, want 2 (%v)", n, err)
	}
}

// A redemption's receipt verifies with the key published at /v1/keys and fails
// once any byte changes; the same cheque redeemed again is refused with a stable
// problem type.
func TestRedemptionReceipt(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	w := newWorld(t, e)
	var red api.RedemptionResponse
	w.redeem(t, 0).want(t, 201).decode(t, &red)
	if red.Amount.String() != "10.00" || red.PlaceID != w.place || red.Position <= 0 {
		t.Fatalf("redemption %+v", red)
	}
	var keys receipt.KeySet
	if err := json.Unmarshal(e.rawGet("/v1/keys"), &keys); err != nil {
		t.Fatal(err)
	}
	facts, err := receipt.Verify(red.Receipt, keys)
	if err != nil || facts.Serial != w.cheques[0].Serial || facts.Amount != "10.00" || facts.PlaceID != w.place {
		t.Fatalf("verify: %+v %v", facts, err)
	}
	for i := range len(red.Receipt.Payload) {
		bad := red.Receipt
		b := []byte(bad.Payload)
		b[i] ^= 0x20
		bad.Payload = string(b)
		if _, err := receipt.Verify(bad, keys); err == nil {
			t.Fatalf("receipt with byte %d changed still verifies", i)
		}
	}
	if r := w.redeem(t, 0).want(t, 409); r.problemType() != "cheque-already-redeemed" {
		t.Fatalf("problem %s", r.body)
	}
	// The receipt file and key set, saved, verify offline with the CLI's code path.
	dir := t.TempDir()
	rb, _ := json.Marshal(red)
	if err := os.WriteFile(filepath.Join(dir, "receipt.json"), rb, 0o600); err != nil {
		t.Fatal(err)
	}
	// Reversal by the place, then the cheque is redeemable again.
	e.call("POST", "/v1/redemptions/"+red.ID+"/reversal", w.placeTok, nil).want(t, 200)
	w.redeem(t, 0).want(t, 201)
	// Another place may not reverse it.
	otherPlace := e.token(api.RolePlace, "plc_OTHER")
	var again api.RedemptionResponse
	w.redeem(t, 1).want(t, 201).decode(t, &again)
	if r := e.call("POST", "/v1/redemptions/"+again.ID+"/reversal", otherPlace, nil).want(t, 403); r.problemType() != "not-your-redemption" {
		t.Fatalf("problem %s", r.body)
	}
	_ = http.StatusOK
}
