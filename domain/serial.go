package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"strings"
)

// Carnet ids and cheque serials.
//
// A carnet id is made by the caller (the minting request) from 4 to 20
// upper-case ASCII letters and digits, e.g. "K7Q2M9XA". A cheque's serial is
//
//	{carnet id}-{index: 2 digits}{check: 2 digits}      e.g. "K7Q2M9XA-0347"
//
// where index is the cheque's position in its carnet, 1-based ("01".."20"),
// and check is a MOD 97 check in the manner of ISO 7064: with V the value of
// carnet id + index read as a base-36 number (0–9 are 0–9, A–Z are 10–35),
// check = 98 − (V × 100 mod 97), so that V × 100 + check ≡ 1 (mod 97).
// Because 97 is prime and larger than 36, every single-character
// substitution and every swap of two adjacent characters changes the
// residue, so a serial typed by hand with such a typo fails the check (any
// other error is caught with probability 96/97), and ParseSerial rejects it
// before any state is read. (The IBAN way of expanding letters to two digits
// was not used: it lets "2M" and "M2" collide.)
//
// A serial is public (printed, typed, scanned); the check code printed
// beside it is secret: CheckCode derives it from the serial with a server
// key, and a redemption must present both. Codes are never stored in events.

const (
	// MinCarnetIDLength is the shortest carnet id.
	MinCarnetIDLength = 4
	// MaxCarnetIDLength is the longest carnet id.
	MaxCarnetIDLength = 20
	// CheckCodeLength is the number of digits of a check code.
	CheckCodeLength = 6
	// MinKeyLength is the shortest secret key (check codes, beneficiary
	// hashes) a command accepts.
	MinKeyLength = 16
)

// ValidCarnetID reports whether id is 4 to 20 upper-case ASCII letters and
// digits.
func ValidCarnetID(id string) bool {
	if len(id) < MinCarnetIDLength || len(id) > MaxCarnetIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z') && !isDigit(c) {
			return false
		}
	}
	return true
}

// mod97 folds s (upper-case letters and digits) into r as base-36 digits:
// r = (r × 36 + value) mod 97.
func mod97(r int, s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		v := int(c-'A') + 10
		if isDigit(c) {
			v = int(c - '0')
		}
		r = (r*36 + v) % 97
	}
	return r
}

// SerialFor returns the serial of cheque index (1-based) of carnet carnetID.
// It assumes ValidCarnetID(carnetID) and 1 <= index <= MaxChequesPerCarnet
// (it panics otherwise: serials are only built from minted carnets).
func SerialFor(carnetID string, index int) string {
	if !ValidCarnetID(carnetID) || index < 1 || index > MaxChequesPerCarnet {
		panic(fmt.Sprintf("domain.SerialFor(%q, %d): invalid carnet id or index", carnetID, index))
	}
	payload := fmt.Sprintf("%s%02d", carnetID, index)
	check := 98 - mod97(0, payload)*100%97
	return fmt.Sprintf("%s-%02d%02d", carnetID, index, check)
}

// ParseSerial checks a canonical serial (as SerialFor writes it: upper case,
// no spaces; see NormalizeSerial for typed input) and returns its carnet id
// and 1-based cheque index. A malformed serial, an index outside
// 1..MaxChequesPerCarnet, or wrong check digits give ErrInvalidSerial.
func ParseSerial(serial string) (carnetID string, index int, err error) {
	id, rest, ok := strings.Cut(serial, "-")
	if !ok || !ValidCarnetID(id) || len(rest) != 4 || !allDigits(rest) {
		return "", 0, fmt.Errorf("%w: %q is not of the form CARNET-NNCC", ErrInvalidSerial, serial)
	}
	index = int(rest[0]-'0')*10 + int(rest[1]-'0')
	if index < 1 || index > MaxChequesPerCarnet {
		return "", 0, fmt.Errorf("%w: %q has cheque index %d", ErrInvalidSerial, serial, index)
	}
	check := int(rest[2]-'0')*10 + int(rest[3]-'0')
	if (mod97(0, id+rest[:2])*100+check)%97 != 1 {
		return "", 0, fmt.Errorf("%w: %q fails its check digits", ErrInvalidSerial, serial)
	}
	return id, index, nil
}

// NormalizeSerial turns a serial as a person typed it into canonical form:
// it drops spaces, tabs and dots and upper-cases letters, and inserts the
// dash before the last four characters if it is missing. The result still
// has to pass ParseSerial.
func NormalizeSerial(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r == ' ' || r == '\t' || r == '.' || r == '\u00a0' {
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if !strings.Contains(out, "-") && len(out) > 4 {
		out = out[:len(out)-4] + "-" + out[len(out)-4:]
	}
	return out
}

// CheckCode returns the 6-digit check code of serial under key: the first 8
// bytes of HMAC-SHA256(key, "passledger/check-code/v1\x00" + serial) as a
// big-endian integer, modulo 10^6, zero-padded. It is a pure function: the
// minting print run and the redemption compute the same code, and nothing is
// stored. The key must be a server secret of at least MinKeyLength bytes.
func CheckCode(key []byte, serial string) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("passledger/check-code/v1\x00"))
	mac.Write([]byte(serial))
	sum := mac.Sum(nil)
	return fmt.Sprintf("%06d", binary.BigEndian.Uint64(sum[:8])%1_000_000)
}

// VerifyCheckCode checks code against CheckCode(key, serial) in constant
// time. A key shorter than MinKeyLength gives ErrMissingKey; a wrong code,
// or one that is not 6 digits, gives ErrInvalidCheckCode.
func VerifyCheckCode(key []byte, serial, code string) error {
	if len(key) < MinKeyLength {
		return ErrMissingKey
	}
	want := CheckCode(key, serial)
	if subtle.ConstantTimeCompare([]byte(want), []byte(code)) != 1 {
		return fmt.Errorf("%w: for serial %s", ErrInvalidCheckCode, serial)
	}
	return nil
}
