package credentials

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/internal/credentials/internal/dbsqlc"
)

// queries are the statements of internal/dbsqlc/*.sql, compiled by sqlc.
var queries = dbsqlc.New()

// Token is what the store knows of an access token: its id, its role and the
// organisation it acts for (empty for admin and auditor). The token itself is
// never stored, only its SHA-256 hash.
type Token struct {
	ID   string
	Role string
	Org  string
}

// Hash is the SHA-256 of a token, the form in which it is stored and looked up.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Create makes a new random token (plt_ followed by 32 random bytes in base64url),
// stores its hash with role, org (empty: none) and label, and returns its id and
// the token: shown once, never stored in clear. The caller checks that role and
// org make sense (api.CreateToken); the table refuses an unknown role.
func Create(ctx context.Context, pool *pgxpool.Pool, role, org, label string) (id, token string, err error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", "", err
	}
	token = "plt_" + base64.RawURLEncoding.EncodeToString(secret)
	id = "tok_" + base64.RawURLEncoding.EncodeToString(secret[:6])
	// An empty org is stored as NULL.
	orgArg := pgtype.Text{String: org, Valid: org != ""}
	if err = queries.InsertToken(ctx, pool, dbsqlc.InsertTokenParams{
		ID: id, TokenHash: Hash(token), Role: role, OrgID: orgArg, Label: label}); err != nil {
		return "", "", fmt.Errorf("credentials: store token: %w", err)
	}
	return id, token, nil
}

// Lookup finds the unrevoked token whose hash is hash; found is false for an
// unknown or revoked token.
func Lookup(ctx context.Context, pool *pgxpool.Pool, hash []byte) (t Token, found bool, err error) {
	r, err := queries.LookupToken(ctx, pool, hash)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("credentials: look up token: %w", err)
	}
	return Token{ID: r.ID, Role: r.Role, Org: r.OrgID}, true, nil
}

// Active reports whether the token with that id exists and is not revoked.
func Active(ctx context.Context, pool *pgxpool.Pool, id string) (bool, error) {
	return queries.TokenActive(ctx, pool, id)
}

// HasRole reports whether an unrevoked token of that role exists (serve prints
// an admin token on the very first start, when none does).
func HasRole(ctx context.Context, pool *pgxpool.Pool, role string) (bool, error) {
	return queries.HasRole(ctx, pool, role)
}
