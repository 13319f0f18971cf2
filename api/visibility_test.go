package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/api"
)

// A token sees its own organisation's cheques only.
func TestChequeVisibility(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	w := newWorld(t, e)
	var red api.RedemptionResponse
	w.redeem(t, 0).want(t, 201).decode(t, &red)
	path := "/v1/cheques/" + w.cheques[0].Serial + "?min_position=" + itoa(red.Position)
	e.call("GET", path, w.prescriberTok, nil).want(t, 200)
	e.call("GET", path, w.placeTok, nil).want(t, 200)
	e.call("GET", path, e.token(api.RolePrescriber, "prs_OTHER"), nil).want(t, 404)
	e.call("GET", path, e.token(api.RolePlace, "plc_OTHER"), nil).want(t, 404)
	// Not yet redeemed: the place cannot look at it.
	e.call("GET", "/v1/cheques/"+w.cheques[5].Serial, w.placeTok, nil).want(t, 404)
	e.call("GET", "/v1/cheques/"+w.cheques[5].Serial, e.admin, nil).want(t, 200)
}

// An admin creates tokens through the API; the token works, and an idempotent
// replay does not show it again (it is never stored in clear).
func TestTokenCreationOverAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db.Fresh(t))
	var tok api.TokenResponse
	e.call("POST", "/v1/tokens", e.admin, map[string]any{"role": "auditor"}, "Idempotency-Key", "t-1").want(t, 201).decode(t, &tok)
	if !strings.HasPrefix(tok.Token, "plt_") {
		t.Fatalf("token %+v", tok)
	}
	e.call("GET", "/v1/verify", tok.Token, nil).want(t, 200)
	var again api.TokenResponse
	e.call("POST", "/v1/tokens", e.admin, map[string]any{"role": "auditor"}, "Idempotency-Key", "t-1").want(t, 201).decode(t, &again)
	if again.ID != tok.ID || again.Token != "" {
		t.Fatalf("replay %+v", again)
	}
	var stored, kept int
	if err := e.d.Pool.QueryRow(context.Background(), `SELECT
  count(*) FILTER (WHERE position($1 in convert_from(decode(convert_from(response, 'UTF8')::jsonb->>'body', 'base64'), 'UTF8')) > 0),
  count(*)
FROM event_idempotency WHERE key LIKE 'http:%' AND response IS NOT NULL`, tok.Token).Scan(&stored, &kept); err != nil || stored != 0 || kept == 0 {
		t.Fatalf("the clear token is stored (%d rows of %d kept answers, %v)", stored, kept, err)
	}
	e.call("POST", "/v1/tokens", e.admin, map[string]any{"role": "place"}).want(t, 422)
	e.call("POST", "/v1/tokens", e.admin, map[string]any{"role": "root"}).want(t, 422)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
