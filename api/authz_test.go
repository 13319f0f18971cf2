package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/passnumerique/passledger/api"
)

// TestAuthorisationMatrix calls every endpoint with every role, acting for its own
// organisation and for another one, and checks the answer against the route table:
// a role not allowed gets 403; a role allowed but acting for another organisation
// on an owned resource gets 403; otherwise the request passes authorisation (any
// status but 401 and 403; the dummy bodies and ids may well be refused later, with
// 400, 404 or 422). Without a token, every non-public endpoint answers 401.
func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t, db)
	const own, other = "org_own", "org_other"
	tokens := map[api.Role]string{}
	for _, role := range api.Roles {
		org := own
		if role == api.RoleAdmin || role == api.RoleAuditor {
			org = ""
		}
		tokens[role] = e.token(role, org)
	}
	cells := 0
	for _, rt := range e.api.Routes() {
		for _, target := range []string{own, other} {
			path := rt.Path
			for _, param := range []string{"{id}", "{code}", "{serial}"} {
				value := target
				if param == "{code}" {
					value = "63"
				}
				path = strings.ReplaceAll(path, param, value)
			}
			var body any
			if rt.Method != http.MethodGet {
				body = map[string]any{}
			}
			if rt.Public {
				r := e.call(rt.Method, path, "", body)
				if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
					t.Errorf("public %s %s: %d", rt.Method, path, r.status)
				}
				continue
			}
			if r := e.call(rt.Method, path, "", body); r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d, want 401", rt.Method, path, r.status)
			}
			if r := e.call(rt.Method, path, "plt_not-a-token", body); r.status != http.StatusUnauthorized {
				t.Errorf("%s %s with a wrong token: %d, want 401", rt.Method, path, r.status)
			}
			for _, role := range api.Roles {
				allowed := false
				for _, r := range rt.Roles {
					allowed = allowed || r == role
				}
				_, owned := rt.Owner[role]
				wantForbidden := !allowed || (owned && target == other)
				r := e.call(rt.Method, path, tokens[role], body)
				cells++
				forbidden := r.status == http.StatusForbidden
				if r.status == http.StatusUnauthorized || forbidden != wantForbidden {
					t.Errorf("%s %s as %s (target %s): %d %s, want forbidden=%v", rt.Method, path, role, target, r.status, r.problemType(), wantForbidden)
				}
			}
		}
	}
	t.Logf("%d cells of the matrix checked", cells)
}
