package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/internal/credentials"
)

// Role is what a token may do (SPEC §2).
type Role string

// The six roles.
const (
	RoleAdmin      Role = "admin"
	RoleFunder     Role = "funder"
	RolePrescriber Role = "prescriber"
	RolePlace      Role = "place"
	RoleFinance    Role = "finance"
	RoleAuditor    Role = "auditor"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleFunder, RolePrescriber, RolePlace, RoleFinance, RoleAuditor}

// ValidRole reports whether r is one of the six roles.
func ValidRole(r Role) bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Principal is the authenticated caller: a token's role and organisation (the
// funder, prescriber or place id it acts for; empty for admin and auditor).
type Principal struct {
	TokenID string
	Role    Role
	Org     string
}

// ErrInvalidToken is returned by CreateToken for a role/organisation mismatch.
var ErrInvalidToken = errors.New("api: invalid token request")

// CreateToken makes a token for role (and org, required except for admin and
// auditor), stores its SHA-256 hash, and returns the token: it is shown once and
// never stored in clear.
func CreateToken(ctx context.Context, pool *pgxpool.Pool, role Role, org, label string) (id, token string, err error) {
	if !ValidRole(role) {
		return "", "", fmt.Errorf("%w: unknown role %q", ErrInvalidToken, role)
	}
	needsOrg := role != RoleAdmin && role != RoleAuditor
	if needsOrg != (org != "") {
		if needsOrg {
			return "", "", fmt.Errorf("%w: role %s needs --org", ErrInvalidToken, role)
		}
		return "", "", fmt.Errorf("%w: role %s acts for no organisation", ErrInvalidToken, role)
	}
	if org != "" && !domain.ValidID(org) {
		return "", "", fmt.Errorf("%w: organisation id %q", ErrInvalidToken, org)
	}
	return credentials.Create(ctx, pool, string(role), org, label)
}

// HasAdminToken reports whether an unrevoked admin token exists.
func HasAdminToken(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	return credentials.HasRole(ctx, pool, string(RoleAdmin))
}

// authenticate resolves the bearer token of r.
func (s *Server) authenticate(r *http.Request) (Principal, error) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" {
		return Principal{}, problemf(http.StatusUnauthorized, "unauthenticated", "Authentication required", "send Authorization: Bearer <token>")
	}
	return s.Authenticate(r.Context(), token)
}

// Authenticate resolves a token (plt_…) to its principal, as a bearer request is
// authenticated: an unknown or revoked token is a 401 problem. The web pages'
// login uses it.
func (s *Server) Authenticate(ctx context.Context, token string) (Principal, error) {
	hash := credentials.Hash(strings.TrimSpace(token))
	if p, ok := s.tokens.get(hash); ok {
		return p, nil
	}
	t, found, err := credentials.Lookup(ctx, s.pool, hash)
	if err != nil {
		return Principal{}, err
	}
	if !found {
		return Principal{}, problemf(http.StatusUnauthorized, "unauthenticated", "Authentication required", "unknown or revoked token")
	}
	p := Principal{TokenID: t.ID, Role: Role(t.Role), Org: t.Org}
	s.tokens.put(hash, p)
	return p, nil
}

// TokenActive reports whether the token with that id exists and is not revoked
// (a web session made with it ends when it is revoked).
func (s *Server) TokenActive(ctx context.Context, tokenID string) (bool, error) {
	return credentials.Active(ctx, s.pool, tokenID)
}

// tokenCache remembers, for a short while, the principal of a token that was
// found valid, so that a busy client does not cost a query per request. Tokens
// never change role or organisation; the ledger has no revocation command, and a
// revocation made in the database takes effect within tokenCacheTTL. Unknown
// tokens are never cached.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedPrincipal
}

type cachedPrincipal struct {
	p       Principal
	expires time.Time
}

const (
	tokenCacheTTL  = 30 * time.Second
	tokenCacheSize = 10_000
)

func (c *tokenCache) get(hash []byte) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[string(hash)]
	if !ok || time.Now().After(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *tokenCache) put(hash []byte, p Principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= tokenCacheSize {
		c.entries = make(map[string]cachedPrincipal)
	}
	c.entries[string(hash)] = cachedPrincipal{p: p, expires: time.Now().Add(tokenCacheTTL)}
}

func errForbidden(format string, args ...any) error {
	return problemf(http.StatusForbidden, "forbidden", "Forbidden", format, args...)
}

// own checks that a funder, prescriber or place token acts on its own organisation.
// Admin, auditor and finance pass (they act across organisations).
func own(p Principal, role Role, id string) error {
	if p.Role == role && p.Org != id {
		return errForbidden("a %s token acts for %s only", role, p.Org)
	}
	return nil
}
