package domain

import (
	"errors"
	"regexp"
	"testing"
)

func TestSerialRoundTrip(t *testing.T) {
	for _, id := range []string{"ABCD", "K7Q2M9XA", "00000000", "ZZZZZZZZZZZZZZZZZZZZ", "A1B2C3D4E5"} {
		for i := 1; i <= MaxChequesPerCarnet; i++ {
			s := SerialFor(id, i)
			gotID, gotIndex, err := ParseSerial(s)
			if err != nil || gotID != id || gotIndex != i {
				t.Fatalf("ParseSerial(%q) = %q, %d, %v", s, gotID, gotIndex, err)
			}
		}
	}
	if s := SerialFor("K7Q2M9XA", 3); !regexp.MustCompile(`^K7Q2M9XA-03\d\d$`).MatchString(s) {
		t.Fatalf("serial format %q", s)
	}
}

// Every single-character substitution and every swap of two adjacent
// characters of a serial is rejected.
func TestParseSerialDetectsTypos(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for _, id := range []string{"K7Q2M9XA", "CARNETA1", "00420042"} {
		for _, index := range []int{1, 7, 10} {
			s := SerialFor(id, index)
			for pos := 0; pos < len(s); pos++ {
				if s[pos] == '-' {
					continue
				}
				for _, c := range []byte(alphabet) {
					if c == s[pos] {
						continue
					}
					b := []byte(s)
					b[pos] = c
					// a letter put in the index or check digits is malformed,
					// anything else must fail the check.
					if _, _, err := ParseSerial(string(b)); !errors.Is(err, ErrInvalidSerial) {
						t.Fatalf("substitution %q → %q accepted", s, b)
					}
				}
				if pos+1 < len(s) && s[pos+1] != '-' && s[pos] != s[pos+1] {
					b := []byte(s)
					b[pos], b[pos+1] = b[pos+1], b[pos]
					if _, _, err := ParseSerial(string(b)); !errors.Is(err, ErrInvalidSerial) {
						t.Fatalf("transposition %q → %q accepted", s, b)
					}
				}
			}
		}
	}
}

func TestParseSerialRejects(t *testing.T) {
	good := SerialFor("K7Q2M9XA", 3)
	for _, s := range []string{
		"", "K7Q2M9XA", "K7Q2M9XA-", "K7Q2M9XA-03", "K7Q2M9XA-031", good + "0",
		"k7q2m9xa" + good[8:], "K7Q-2M9XA" + good[8:], " " + good, "ABC-0100",
		"K7Q2M9XA-00" + good[11:], // index 0
		"K7Q2M9XA-21" + good[11:], // index 21
	} {
		if _, _, err := ParseSerial(s); !errors.Is(err, ErrInvalidSerial) {
			t.Errorf("ParseSerial(%q) = %v", s, err)
		}
	}
}

func TestNormalizeSerial(t *testing.T) {
	s := SerialFor("K7Q2M9XA", 3)
	for _, typed := range []string{s, " k7q2 m9xa-" + s[9:] + " ", "K7Q2M9XA" + s[9:], "k7q2.m9xa." + s[9:]} {
		if got := NormalizeSerial(typed); got != s {
			t.Errorf("NormalizeSerial(%q) = %q, want %q", typed, got, s)
		}
	}
}

func TestCheckCode(t *testing.T) {
	s := SerialFor("K7Q2M9XA", 3)
	code := CheckCode(fxCheckKey, s)
	if !regexp.MustCompile(`^\d{6}$`).MatchString(code) || code != CheckCode(fxCheckKey, s) {
		t.Fatalf("code %q", code)
	}
	other := []byte("another-check-key-0123456789abc")
	if CheckCode(other, s) == code && CheckCode(other, SerialFor("K7Q2M9XA", 4)) == CheckCode(fxCheckKey, SerialFor("K7Q2M9XA", 4)) {
		t.Fatal("the key does not matter")
	}
	tests := []struct {
		key  []byte
		code string
		want error
	}{
		{fxCheckKey, code, nil},
		{fxCheckKey, "12345", ErrInvalidCheckCode},
		{fxCheckKey, code + "0", ErrInvalidCheckCode},
		{fxCheckKey, "", ErrInvalidCheckCode},
		{other, code, ErrInvalidCheckCode},
		{nil, code, ErrMissingKey},
		{[]byte("short"), code, ErrMissingKey},
	}
	for _, tt := range tests {
		if tt.key != nil && string(tt.key) == string(other) && CheckCode(other, s) == code {
			continue // 1 in a million collision
		}
		if err := VerifyCheckCode(tt.key, s, tt.code); !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
			t.Errorf("VerifyCheckCode(%q) = %v, want %v", tt.code, err, tt.want)
		}
	}
	// Codes look uniformly spread: 1 000 serials give (almost) 1 000 codes.
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		for j := 1; j <= 10; j++ {
			seen[CheckCode(fxCheckKey, SerialFor("CARN"+string(rune('A'+i/26))+string(rune('A'+i%26)), j))] = true
		}
	}
	if len(seen) < 990 {
		t.Fatalf("only %d distinct codes out of 1000", len(seen))
	}
}
