package receipt

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
)

func TestReceiptVerifiesAndFailsOnAnyByteChange(t *testing.T) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := KeySet{Keys: []PublicKey{Publish(key)}}
	facts := Facts{RedemptionID: "rdm_1", Serial: "ABCD1234-0317", PlaceID: "plc_1", ProgrammeID: "pgm_1", Territory: "63",
		Amount: "10.00", Currency: "EUR", SessionDate: "2026-03-14", RedeemedAt: "2026-03-15T10:00:00Z", Position: 42, Ledger: "passledger"}
	r, err := Sign(key, facts)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(r, keys)
	if err != nil || got != facts {
		t.Fatalf("verify: %+v %v", got, err)
	}
	// Every byte of the payload, changed, breaks the signature.
	for i := range len(r.Payload) {
		b := []byte(r.Payload)
		b[i] ^= 0x01
		bad := r
		bad.Payload = string(b)
		if _, err := Verify(bad, keys); !errors.Is(err, ErrInvalid) {
			t.Fatalf("payload byte %d changed: %v", i, err)
		}
	}
	sig, _ := base64.StdEncoding.DecodeString(r.Signature)
	for i := range sig {
		b := append([]byte(nil), sig...)
		b[i] ^= 0x80
		bad := r
		bad.Signature = base64.StdEncoding.EncodeToString(b)
		if _, err := Verify(bad, keys); !errors.Is(err, ErrInvalid) {
			t.Fatalf("signature byte %d changed: %v", i, err)
		}
	}
	// Another key does not verify it.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	wrong := KeySet{Keys: []PublicKey{Publish(other)}}
	wrong.Keys[0].KeyID = r.KeyID
	if _, err := Verify(r, wrong); !errors.Is(err, ErrInvalid) {
		t.Fatalf("verified with another key: %v", err)
	}
}
