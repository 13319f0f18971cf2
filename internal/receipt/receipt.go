// Package receipt signs and verifies redemption receipts: the proof a labelled
// place keeps of what it is owed, verifiable offline with the ledger's published
// Ed25519 public key (GET /v1/keys), so that it does not depend on the operator
// staying in business.
//
// A receipt carries its payload as a canonical JSON string (keys sorted, no
// insignificant space): the signature covers exactly those bytes, so changing any
// byte of the payload or of the signature makes verification fail.
//
// The package is pure: no I/O beyond what its caller passes in.
package receipt

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// Algorithm is the only signature algorithm used.
const Algorithm = "Ed25519"

// Receipt is a signed proof of one redemption.
type Receipt struct {
	// Payload is the canonical JSON of the redemption facts (see Facts).
	Payload string `json:"payload"`
	// Signature is the base64 (standard) Ed25519 signature of Payload's bytes.
	Signature string `json:"signature"`
	// KeyID names the public key that verifies it.
	KeyID string `json:"key_id" pattern:"key_id"`
	// Algorithm is "Ed25519".
	Algorithm string `json:"algorithm" enum:"ReceiptAlgorithm"`
}

// Facts are what a receipt proves.
type Facts struct {
	RedemptionID string `json:"redemption_id"`
	Serial       string `json:"serial"`
	PlaceID      string `json:"place_id"`
	ProgrammeID  string `json:"programme_id"`
	Territory    string `json:"territory"`
	Amount       string `json:"amount" pattern:"money"`
	Currency     string `json:"currency"`
	SessionDate  string `json:"session_date" format:"date"`
	RedeemedAt   string `json:"redeemed_at" format:"date-time"`
	Position     int64  `json:"position"`
	Ledger       string `json:"ledger"`
}

// PublicKey is one entry of the published key set.
type PublicKey struct {
	KeyID     string `json:"key_id" pattern:"key_id"`
	Algorithm string `json:"algorithm" enum:"ReceiptAlgorithm"`
	PublicKey string `json:"public_key"` // base64 (standard) of the 32-byte key
}

// KeySet is the document served at /v1/keys.
type KeySet struct {
	Keys []PublicKey `json:"keys"`
}

// ErrInvalid is returned when a receipt does not verify.
var ErrInvalid = errors.New("receipt: invalid")

// KeyID derives a key's id from its bytes: "ed25519-" and 16 hex digits of SHA-256.
func KeyID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return "ed25519-" + hex.EncodeToString(h[:8])
}

// Publish returns the key set entry of key.
func Publish(key ed25519.PrivateKey) PublicKey {
	pub := key.Public().(ed25519.PublicKey)
	return PublicKey{KeyID: KeyID(pub), Algorithm: Algorithm, PublicKey: base64.StdEncoding.EncodeToString(pub)}
}

// Sign makes the receipt of facts with key.
func Sign(key ed25519.PrivateKey, facts Facts) (Receipt, error) {
	payload, err := Canonical(facts)
	if err != nil {
		return Receipt{}, err
	}
	sig := ed25519.Sign(key, payload)
	return Receipt{
		Payload:   string(payload),
		Signature: base64.StdEncoding.EncodeToString(sig),
		KeyID:     KeyID(key.Public().(ed25519.PublicKey)),
		Algorithm: Algorithm,
	}, nil
}

// Verify checks r against the key set and returns the facts it proves.
func Verify(r Receipt, keys KeySet) (Facts, error) {
	if r.Algorithm != Algorithm {
		return Facts{}, fmt.Errorf("%w: algorithm %q", ErrInvalid, r.Algorithm)
	}
	var pub ed25519.PublicKey
	for _, k := range keys.Keys {
		if k.KeyID == r.KeyID {
			b, err := base64.StdEncoding.DecodeString(k.PublicKey)
			if err != nil || len(b) != ed25519.PublicKeySize {
				return Facts{}, fmt.Errorf("%w: public key %s is malformed", ErrInvalid, k.KeyID)
			}
			pub = b
		}
	}
	if pub == nil {
		return Facts{}, fmt.Errorf("%w: unknown key %q", ErrInvalid, r.KeyID)
	}
	sig, err := base64.StdEncoding.Strict().DecodeString(r.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Facts{}, fmt.Errorf("%w: malformed signature", ErrInvalid)
	}
	if !ed25519.Verify(pub, []byte(r.Payload), sig) {
		return Facts{}, fmt.Errorf("%w: signature does not match the payload", ErrInvalid)
	}
	var f Facts
	if err := json.Unmarshal([]byte(r.Payload), &f); err != nil {
		return Facts{}, fmt.Errorf("%w: payload: %v", ErrInvalid, err)
	}
	return f, nil
}

// Canonical returns v as canonical JSON: object keys sorted, no insignificant
// space (encoding/json sorts map keys; structs are first turned into maps).
func Canonical(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return nil, err
	}
	return json.Marshal(generic)
}
