package credentials

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/app"
	"github.com/passnumerique/passledger/internal/credentials/internal/dbsqlc"
)

// Secrets are the server's keys: the domain's (check codes, beneficiary HMAC), the
// receipt signing key, and the key that signs the web pages' session cookies.
type Secrets struct {
	Domain  app.Keys
	Signing ed25519.PrivateKey
	Session []byte
}

// LoadSecrets reads each secret from its environment variable (base64, 32 bytes:
// PASSLEDGER_CHECK_CODE_KEY, PASSLEDGER_BENEFICIARY_KEY, PASSLEDGER_SIGNING_SEED,
// PASSLEDGER_SESSION_KEY)
// or, when unset, from the server_secrets table, creating it there on first start.
// Production should provide them from a secret store; the table keeps `make run`
// and its receipts stable across restarts.
func LoadSecrets(ctx context.Context, pool *pgxpool.Pool) (Secrets, error) {
	get := func(name, env string) ([]byte, error) {
		if v := os.Getenv(env); v != "" {
			b, err := base64.StdEncoding.DecodeString(v)
			if err != nil || len(b) < 32 {
				return nil, fmt.Errorf("%s: want base64 of at least 32 bytes", env)
			}
			return b, nil
		}
		fresh := make([]byte, 32)
		if _, err := rand.Read(fresh); err != nil {
			return nil, err
		}
		if err := queries.InsertSecret(ctx, pool, dbsqlc.InsertSecretParams{Name: name, Value: fresh}); err != nil {
			return nil, fmt.Errorf("credentials: secret %s: %w", name, err)
		}
		v, err := queries.Secret(ctx, pool, name)
		if err != nil {
			return nil, fmt.Errorf("credentials: secret %s: %w", name, err)
		}
		return v, nil
	}
	check, err := get("check_code_key", "PASSLEDGER_CHECK_CODE_KEY")
	if err != nil {
		return Secrets{}, err
	}
	ben, err := get("beneficiary_key", "PASSLEDGER_BENEFICIARY_KEY")
	if err != nil {
		return Secrets{}, err
	}
	seed, err := get("signing_seed", "PASSLEDGER_SIGNING_SEED")
	if err != nil {
		return Secrets{}, err
	}
	session, err := get("session_key", "PASSLEDGER_SESSION_KEY")
	if err != nil {
		return Secrets{}, err
	}
	return Secrets{Domain: app.Keys{CheckCode: check, Beneficiary: ben}, Signing: ed25519.NewKeyFromSeed(seed[:32]), Session: session}, nil
}
