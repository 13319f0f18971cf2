package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/shopspring/decimal"
)

// Money is an amount of euros with exactly two decimals. Zero value is 0.00 EUR.
//
// A Money is immutable; arithmetic returns new values. Compare amounts with
// Equal or Cmp, never with == (1.5 and 1.50 are the same amount but not the
// same representation). Only EUR exists: the
// currency is checked at the boundary (ParseCurrencyAmount) and never carried.
// Amounts are exact decimals, never floats. Constructors refuse more than two
// decimals and magnitudes of MaxMoneyIntegerDigits integer digits or more, so
// that Cents always fits an int64 for any value a constructor returns (sums of
// many such values are still exact decimals; only Cents may then overflow).
type Money struct{ d decimal.Decimal }

// ErrInvalidAmount reports a malformed amount: bad syntax, more than two
// decimals, too large, or a currency other than EUR. Returned errors wrap it
// with detail, so test with errors.Is.
var ErrInvalidAmount = errors.New("invalid amount")

// ErrNonPositiveAmount reports a zero or negative amount where a strictly
// positive one is required.
var ErrNonPositiveAmount = errors.New("amount must be positive")

// ErrNegativeAmount reports a negative amount where zero or more is required.
var ErrNegativeAmount = errors.New("amount must not be negative")

// MaxMoneyIntegerDigits bounds the number of digits before the decimal point
// accepted by the constructors: an amount must be strictly less than
// 10^MaxMoneyIntegerDigits euros (in absolute value).
const MaxMoneyIntegerDigits = 15

// Currency is the only currency the ledger knows.
const Currency = "EUR"

var maxMoneyAbs = decimal.New(1, MaxMoneyIntegerDigits)

// ParseMoney parses a canonical decimal amount of euros.
//
// Grammar (no other form is accepted):
//
//	amount = ["-"] digit+ ["." digit [digit]]
//
// So "10.00", "10", "10.5", "-0.50", "007.1" are accepted; "", " 1", "1 ",
// "+1", ".5", "5.", "1e3", "NaN", "Inf", "1,5", "1_000" are malformed, and
// "10.001" (more than two decimals, even "10.000") is refused: all return an
// error wrapping ErrInvalidAmount. Negative amounts are allowed; use
// ParsePositiveMoney or ParseNonNegativeMoney where the sign matters. "-0"
// parses to 0.00. Amounts of MaxMoneyIntegerDigits integer digits or more
// (ignoring leading zeros) are refused as too large.
func ParseMoney(s string) (Money, error) {
	if s == "" {
		return Money{}, fmt.Errorf("%w: empty", ErrInvalidAmount)
	}
	body := s
	if body[0] == '-' {
		body = body[1:]
	}
	intPart, fracPart, hasDot := strings.Cut(body, ".")
	if intPart == "" || !allDigits(intPart) {
		return Money{}, fmt.Errorf("%w: %q is not a decimal amount", ErrInvalidAmount, s)
	}
	if hasDot {
		if fracPart == "" || !allDigits(fracPart) {
			return Money{}, fmt.Errorf("%w: %q is not a decimal amount", ErrInvalidAmount, s)
		}
		if len(fracPart) > 2 {
			return Money{}, fmt.Errorf("%w: %q has more than two decimals", ErrInvalidAmount, s)
		}
	}
	if len(strings.TrimLeft(intPart, "0")) >= MaxMoneyIntegerDigits {
		return Money{}, fmt.Errorf("%w: %q is too large", ErrInvalidAmount, s)
	}
	d, err := decimal.NewFromString(s)
	if err != nil { // unreachable given the grammar check, kept for safety
		return Money{}, fmt.Errorf("%w: %q: %v", ErrInvalidAmount, s, err)
	}
	return Money{d: d}, nil
}

// ParsePositiveMoney is ParseMoney that also requires the amount to be > 0;
// zero or negative gives an error wrapping ErrNonPositiveAmount.
func ParsePositiveMoney(s string) (Money, error) {
	m, err := ParseMoney(s)
	if err != nil {
		return Money{}, err
	}
	if !m.IsPositive() {
		return Money{}, fmt.Errorf("%w: %s", ErrNonPositiveAmount, m)
	}
	return m, nil
}

// ParseNonNegativeMoney is ParseMoney that also requires the amount to be
// >= 0; a negative amount gives an error wrapping ErrNegativeAmount.
func ParseNonNegativeMoney(s string) (Money, error) {
	m, err := ParseMoney(s)
	if err != nil {
		return Money{}, err
	}
	if m.IsNegative() {
		return Money{}, fmt.Errorf("%w: %s", ErrNegativeAmount, m)
	}
	return m, nil
}

// ParseCurrencyAmount parses amount with ParseMoney after checking currency:
// "EUR" or "" (meaning EUR) are accepted, anything else (including "eur",
// " EUR") gives an error wrapping ErrInvalidAmount.
func ParseCurrencyAmount(amount, currency string) (Money, error) {
	if currency != "" && currency != Currency {
		return Money{}, fmt.Errorf("%w: currency %q is not EUR", ErrInvalidAmount, currency)
	}
	return ParseMoney(amount)
}

// NewMoneyFromDecimal converts an exact decimal to Money. It refuses (with an
// error wrapping ErrInvalidAmount) a value that is not a whole number of cents,
// e.g. 1.005, and values of MaxMoneyIntegerDigits integer digits or more.
// Trailing zeros are fine: 1.500 is 1.50.
func NewMoneyFromDecimal(d decimal.Decimal) (Money, error) {
	if !d.Equal(d.Truncate(2)) {
		return Money{}, fmt.Errorf("%w: %s has more than two decimals", ErrInvalidAmount, d.String())
	}
	if d.Abs().GreaterThanOrEqual(maxMoneyAbs) {
		return Money{}, fmt.Errorf("%w: %s is too large", ErrInvalidAmount, d.String())
	}
	return Money{d: d}, nil
}

// MustMoney is ParseMoney that panics on error; for tests and constants.
func MustMoney(s string) Money {
	m, err := ParseMoney(s)
	if err != nil {
		panic(fmt.Sprintf("domain.MustMoney(%q): %v", s, err))
	}
	return m
}

// Cents returns the amount of c euro cents: Cents(1050) is 10.50.
func Cents(c int64) Money { return Money{d: decimal.New(c, -2)} }

// Add returns m + o.
func (m Money) Add(o Money) Money { return Money{d: m.d.Add(o.d)} }

// Sub returns m - o.
func (m Money) Sub(o Money) Money { return Money{d: m.d.Sub(o.d)} }

// Neg returns -m.
func (m Money) Neg() Money { return Money{d: m.d.Neg()} }

// Abs returns |m|.
func (m Money) Abs() Money { return Money{d: m.d.Abs()} }

// MulInt returns m × n (exact).
func (m Money) MulInt(n int64) Money { return Money{d: m.d.Mul(decimal.NewFromInt(n))} }

// Cents returns m as a whole number of cents. It panics if the value does not
// fit an int64 (about ±92 233 720 368 547 758.07 EUR), which no single value
// returned by a constructor can reach.
func (m Money) Cents() int64 {
	c := m.bigCents()
	if !c.IsInt64() {
		panic(fmt.Sprintf("domain.Money.Cents: %s overflows int64 cents", m))
	}
	return c.Int64()
}

// bigCents returns m in cents as a big.Int (exact: m always has at most two
// decimals).
func (m Money) bigCents() *big.Int {
	return m.d.Shift(2).BigInt()
}

// moneyFromBigCents is the inverse of bigCents.
func moneyFromBigCents(c *big.Int) Money {
	return Money{d: decimal.NewFromBigInt(c, -2)}
}

// Decimal returns m as an exact decimal.
func (m Money) Decimal() decimal.Decimal { return m.d }

// Cmp returns -1, 0 or +1 as m is less than, equal to or greater than o.
func (m Money) Cmp(o Money) int { return m.d.Cmp(o.d) }

// IsZero reports whether m == 0.
func (m Money) IsZero() bool { return m.d.IsZero() }

// IsPositive reports whether m > 0.
func (m Money) IsPositive() bool { return m.d.IsPositive() }

// IsNegative reports whether m < 0.
func (m Money) IsNegative() bool { return m.d.IsNegative() }

// LessThan reports whether m < o.
func (m Money) LessThan(o Money) bool { return m.d.LessThan(o.d) }

// GreaterThan reports whether m > o.
func (m Money) GreaterThan(o Money) bool { return m.d.GreaterThan(o.d) }

// Equal reports whether m and o are the same amount (1.5 equals 1.50).
func (m Money) Equal(o Money) bool { return m.d.Equal(o.d) }

// Min returns the smaller of m and o.
func (m Money) Min(o Money) Money {
	if o.LessThan(m) {
		return o
	}
	return m
}

// Max returns the larger of m and o.
func (m Money) Max(o Money) Money {
	if o.GreaterThan(m) {
		return o
	}
	return m
}

// String returns m with exactly two decimals and a leading "-" when negative:
// "10.00", "-0.50", "0.00". It is accepted back by ParseMoney.
func (m Money) String() string { return m.d.StringFixed(2) }

// MarshalJSON encodes m as a JSON string with two decimals: "10.00".
func (m Money) MarshalJSON() ([]byte, error) {
	return []byte(`"` + m.String() + `"`), nil
}

// UnmarshalJSON accepts only a JSON string holding an amount in ParseMoney
// syntax ("10.00", "-3.5"). A JSON number (10.00), null, or any other JSON
// value is refused with an error wrapping ErrInvalidAmount: amounts never
// transit as floats, and an amount field is never silently left at zero.
func (m *Money) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return fmt.Errorf("%w: JSON amount must be a string, got %s", ErrInvalidAmount, truncateForError(b))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidAmount, err)
	}
	v, err := ParseMoney(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// SumMoney returns the sum of ms (0.00 when empty).
func SumMoney(ms ...Money) Money {
	var s Money
	for _, m := range ms {
		s = s.Add(m)
	}
	return s
}

// ParseMoneyFR parses an amount as French banks write it in statements and
// CSV exports, with the same two-decimal rule as ParseMoney. Accepted:
//
//   - surrounding white space (space, tab, no-break space U+00A0, narrow
//     no-break space U+202F) is ignored;
//   - an optional sign: "-", "+" or the minus sign U+2212, directly before the
//     digits;
//   - the decimal separator is a comma or a point, at most one of them, followed
//     by one or two digits: "1234,56", "1234.56", "12,5";
//   - thousands may be separated by a space, U+00A0 or U+202F, one separator
//     between groups of exactly three digits (the first group has one to three):
//     "1 234,56", "1 234 567,00".
//
// Refused (error wrapping ErrInvalidAmount): empty, both "," and "." (e.g.
// "1.234,56": ambiguous), a point or comma used as thousands separator,
// misplaced group separators ("12 34,56"), more than two decimals ("1,234"
// is 1.234 and so refused, not 1234), currency symbols, exponents.
func ParseMoneyFR(s string) (Money, error) {
	orig := s
	t := strings.TrimFunc(s, isFRSpace)
	if t == "" {
		return Money{}, fmt.Errorf("%w: empty", ErrInvalidAmount)
	}
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	case strings.HasPrefix(t, "\u2212"):
		neg, t = true, t[len("\u2212"):]
	}
	if strings.Contains(t, ",") && strings.Contains(t, ".") {
		return Money{}, fmt.Errorf("%w: %q mixes ',' and '.'", ErrInvalidAmount, orig)
	}
	intPart, fracPart, hasSep := strings.Cut(strings.ReplaceAll(t, ",", "."), ".")
	if hasSep && (fracPart == "" || !allDigits(fracPart)) {
		return Money{}, fmt.Errorf("%w: %q is not a decimal amount", ErrInvalidAmount, orig)
	}
	// Split the integer part on group separators and check the grouping.
	var groups []string
	start := 0
	for i, r := range intPart {
		if isGroupSep(r) {
			groups = append(groups, intPart[start:i])
			start = i + len(string(r))
		}
	}
	groups = append(groups, intPart[start:])
	var digits strings.Builder
	for i, g := range groups {
		if g == "" || !allDigits(g) {
			return Money{}, fmt.Errorf("%w: %q is not a decimal amount", ErrInvalidAmount, orig)
		}
		if len(groups) > 1 && ((i == 0 && len(g) > 3) || (i > 0 && len(g) != 3)) {
			return Money{}, fmt.Errorf("%w: %q has misplaced thousands separators", ErrInvalidAmount, orig)
		}
		digits.WriteString(g)
	}
	canon := digits.String()
	if hasSep {
		canon += "." + fracPart
	}
	if neg {
		canon = "-" + canon
	}
	m, err := ParseMoney(canon)
	if err != nil {
		return Money{}, fmt.Errorf("%w (from %q)", err, orig)
	}
	return m, nil
}

func isFRSpace(r rune) bool { return r == '\t' || isGroupSep(r) }

// isGroupSep reports whether r may separate groups of thousands.
func isGroupSep(r rune) bool { return r == ' ' || r == '\u00a0' || r == '\u202f' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func truncateForError(b []byte) string {
	const max = 32
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
