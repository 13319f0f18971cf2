package domain

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// PlaceBankAccountSet records the bank account a place is reimbursed to: its
// IBAN (ISO 13616, checksum verified), its bank's BIC (ISO 9362, optional:
// SEPA transfers within the EEA do not need it) and the account holder's name
// when it is not the place's own (a commune's account for its médiathèque).
// A later event replaces the account: the history of accounts stays in the
// stream. Stream: PlaceStream(PlaceID). No postings.
type PlaceBankAccountSet struct {
	PlaceID string    `json:"place_id"`
	IBAN    string    `json:"iban"`
	BIC     string    `json:"bic"`
	Holder  string    `json:"holder"`
	SetAt   time.Time `json:"set_at"`
}

// EventType returns "PlaceBankAccountSet".
func (PlaceBankAccountSet) EventType() string { return "PlaceBankAccountSet" }

// SetPlaceBankAccountCommand sets (or changes) a place's bank account.
type SetPlaceBankAccountCommand struct {
	PlaceID string
	// IBAN in print or electronic form: spaces are removed and letters
	// upper-cased before it is checked.
	IBAN string
	// BIC (8 or 11 characters), optional; upper-cased.
	BIC string
	// Holder is the account holder's name; empty means the place's name.
	Holder string
	Now    time.Time
}

// SetPlaceBankAccount returns a PlaceBankAccountSet for
// PlaceStream(cmd.PlaceID), or no event when the account is unchanged.
// Rules: the place is registered (ErrNotFound); the IBAN is valid
// (ErrInvalidIBAN, see ValidIBAN); the BIC, when given, is valid
// (ErrInvalidBIC, see ValidBIC); the holder is a name of at most 70
// characters (the SEPA limit; ErrInvalidArgument).
func SetPlaceBankAccount(cmd SetPlaceBankAccountCommand, existing PlaceState) ([]Event, error) {
	if err := checkID("place_id", cmd.PlaceID); err != nil {
		return nil, err
	}
	if !existing.Registered {
		return nil, fmt.Errorf("%w: place %s", ErrNotFound, cmd.PlaceID)
	}
	iban := NormalizeIBAN(cmd.IBAN)
	if !ValidIBAN(iban) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidIBAN, cmd.IBAN)
	}
	bic := strings.ToUpper(strings.TrimSpace(cmd.BIC))
	if bic != "" && !ValidBIC(bic) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidBIC, cmd.BIC)
	}
	holder := trimSpace(cmd.Holder)
	if err := checkText("holder", holder, false, 70); err != nil {
		return nil, err
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return nil, err
	}
	if existing.IBAN == iban && existing.BIC == bic && existing.BankHolder == holder {
		return nil, nil
	}
	return []Event{PlaceBankAccountSet{PlaceID: cmd.PlaceID, IBAN: iban, BIC: bic, Holder: holder, SetAt: now}}, nil
}

// NormalizeIBAN removes spaces and upper-cases letters ("fr76 3000 …" →
// "FR763000…").
func NormalizeIBAN(s string) string {
	return strings.ToUpper(strings.Join(strings.Fields(s), ""))
}

// ibanLengths are the IBAN lengths of the SEPA countries (ISO 13616 registry).
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
	"ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26,
	"IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28,
	"PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}

// ValidIBAN reports whether s is an IBAN in electronic form (no spaces,
// upper case): two letters of country, two check digits, then 11 to 30
// letters or digits, the length the country uses when it is a SEPA country,
// and the ISO 13616 check (the number read with A=10 … Z=35 after moving the
// first four characters to the end is 1 modulo 97).
func ValidIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i < 2 && (c < 'A' || c > 'Z'):
			return false
		case i >= 2 && i < 4 && (c < '0' || c > '9'):
			return false
		case i >= 4 && !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z'):
			return false
		}
	}
	if n, ok := ibanLengths[s[:2]]; ok && len(s) != n {
		return false
	}
	return ibanMod97(s[4:]+s[:4]) == 1
}

func ibanMod97(s string) int {
	var digits strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			fmt.Fprintf(&digits, "%d", int(c-'A')+10)
		} else {
			digits.WriteByte(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	if !ok {
		return -1
	}
	return int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
}

// ValidBIC reports whether s is a BIC (ISO 9362:2014) of 8 or 11
// characters: 4 letters or digits (institution), 2 letters (country), 2
// letters or digits (location), and optionally 3 letters or digits (branch).
func ValidBIC(s string) bool {
	if len(s) != 8 && len(s) != 11 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter, digit := c >= 'A' && c <= 'Z', c >= '0' && c <= '9'
		if i >= 4 && i < 6 {
			if !letter {
				return false
			}
		} else if !letter && !digit {
			return false
		}
	}
	return true
}
