package domain

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical String() when accepted
		err  error
	}{
		{"10.00", "10.00", nil},
		{"10", "10.00", nil},
		{"10.5", "10.50", nil},
		{"0", "0.00", nil},
		{"0.01", "0.01", nil},
		{"-0.50", "-0.50", nil},
		{"-0", "0.00", nil},
		{"007.10", "7.10", nil},
		{"999999999999999.99", "", ErrInvalidAmount}, // 15 integer digits: too large
		{"99999999999999.99", "99999999999999.99", nil},
		{"000000000000000001.00", "1.00", nil}, // leading zeros do not count
		{"10.001", "", ErrInvalidAmount},
		{"10.000", "", ErrInvalidAmount},
		{"1e3", "", ErrInvalidAmount},
		{"1E3", "", ErrInvalidAmount},
		{"", "", ErrInvalidAmount},
		{" 1", "", ErrInvalidAmount},
		{"1 ", "", ErrInvalidAmount},
		{"+1", "", ErrInvalidAmount},
		{"--1", "", ErrInvalidAmount},
		{"-", "", ErrInvalidAmount},
		{".5", "", ErrInvalidAmount},
		{"5.", "", ErrInvalidAmount},
		{"-.5", "", ErrInvalidAmount},
		{"1.2.3", "", ErrInvalidAmount},
		{"NaN", "", ErrInvalidAmount},
		{"Inf", "", ErrInvalidAmount},
		{"1,50", "", ErrInvalidAmount},
		{"1_000", "", ErrInvalidAmount},
		{"0x10", "", ErrInvalidAmount},
		{"١٢", "", ErrInvalidAmount}, // non-ASCII digits
		{"10 EUR", "", ErrInvalidAmount},
	}
	for _, tt := range tests {
		got, err := ParseMoney(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseMoney(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMoney(%q) unexpected error %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseMoney(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestParseMoneyErrorDetail(t *testing.T) {
	_, err := ParseMoney("10.001")
	if err == nil || !strings.Contains(err.Error(), "more than two decimals") || !strings.Contains(err.Error(), "10.001") {
		t.Fatalf("error should explain the refusal, got %v", err)
	}
}

func TestParsePositiveAndNonNegativeMoney(t *testing.T) {
	tests := []struct {
		in          string
		positiveErr error
		nonNegErr   error
	}{
		{"1.00", nil, nil},
		{"0.01", nil, nil},
		{"0", ErrNonPositiveAmount, nil},
		{"0.00", ErrNonPositiveAmount, nil},
		{"-0", ErrNonPositiveAmount, nil},
		{"-0.01", ErrNonPositiveAmount, ErrNegativeAmount},
		{"1.001", ErrInvalidAmount, ErrInvalidAmount},
		{"x", ErrInvalidAmount, ErrInvalidAmount},
	}
	for _, tt := range tests {
		if _, err := ParsePositiveMoney(tt.in); !errors.Is(err, tt.positiveErr) {
			t.Errorf("ParsePositiveMoney(%q) error = %v, want %v", tt.in, err, tt.positiveErr)
		}
		if _, err := ParseNonNegativeMoney(tt.in); !errors.Is(err, tt.nonNegErr) {
			t.Errorf("ParseNonNegativeMoney(%q) error = %v, want %v", tt.in, err, tt.nonNegErr)
		}
	}
}

func TestParseCurrencyAmount(t *testing.T) {
	tests := []struct {
		amount, currency string
		err              error
	}{
		{"10.00", "EUR", nil},
		{"10.00", "", nil},
		{"10.00", "USD", ErrInvalidAmount},
		{"10.00", "eur", ErrInvalidAmount},
		{"10.00", " EUR", ErrInvalidAmount},
		{"10.001", "EUR", ErrInvalidAmount},
	}
	for _, tt := range tests {
		m, err := ParseCurrencyAmount(tt.amount, tt.currency)
		if !errors.Is(err, tt.err) {
			t.Errorf("ParseCurrencyAmount(%q, %q) error = %v, want %v", tt.amount, tt.currency, err, tt.err)
		}
		if err == nil && !m.Equal(MustMoney("10")) {
			t.Errorf("ParseCurrencyAmount(%q, %q) = %s", tt.amount, tt.currency, m)
		}
	}
}

func TestNewMoneyFromDecimal(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"1.5", "1.50", nil},
		{"1.500", "1.50", nil},
		{"-2", "-2.00", nil},
		{"1e3", "1000.00", nil},
		{"1.005", "", ErrInvalidAmount},
		{"0.001", "", ErrInvalidAmount},
		{"1e15", "", ErrInvalidAmount},
		{"-1e15", "", ErrInvalidAmount},
	}
	for _, tt := range tests {
		m, err := NewMoneyFromDecimal(decimal.RequireFromString(tt.in))
		if !errors.Is(err, tt.err) {
			t.Errorf("NewMoneyFromDecimal(%s) error = %v, want %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && m.String() != tt.want {
			t.Errorf("NewMoneyFromDecimal(%s) = %s, want %s", tt.in, m, tt.want)
		}
	}
}

func TestMustMoneyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("MustMoney(\"1.001\") did not panic")
		}
	}()
	MustMoney("1.001")
}

func TestMoneyArithmetic(t *testing.T) {
	a, b := MustMoney("10.50"), MustMoney("0.75")
	checks := []struct {
		name string
		got  Money
		want string
	}{
		{"Add", a.Add(b), "11.25"},
		{"Sub", b.Sub(a), "-9.75"},
		{"Neg", a.Neg(), "-10.50"},
		{"Abs", a.Neg().Abs(), "10.50"},
		{"MulInt", b.MulInt(3), "2.25"},
		{"MulInt0", b.MulInt(0), "0.00"},
		{"MulIntNeg", b.MulInt(-2), "-1.50"},
		{"Cents", Cents(1050), "10.50"},
		{"CentsNeg", Cents(-5), "-0.05"},
		{"Zero", Money{}, "0.00"},
		{"Sum", SumMoney(a, b, b.Neg(), Cents(1)), "10.51"},
		{"SumEmpty", SumMoney(), "0.00"},
		{"Min", a.Min(b), "0.75"},
		{"Max", a.Max(b), "10.50"},
	}
	for _, c := range checks {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	if got := a.Cents(); got != 1050 {
		t.Errorf("Cents() = %d", got)
	}
	if got := (Money{}).Cents(); got != 0 {
		t.Errorf("zero Cents() = %d", got)
	}
	if !a.Decimal().Equal(decimal.RequireFromString("10.5")) {
		t.Errorf("Decimal() = %s", a.Decimal())
	}
	if a.Cmp(b) != 1 || b.Cmp(a) != -1 || a.Cmp(MustMoney("10.5")) != 0 {
		t.Error("Cmp")
	}
	if !b.LessThan(a) || a.LessThan(b) || !a.GreaterThan(b) || b.GreaterThan(a) {
		t.Error("LessThan/GreaterThan")
	}
	if !a.Equal(MustMoney("10.5")) || a.Equal(b) {
		t.Error("Equal")
	}
	if !(Money{}).IsZero() || !MustMoney("-0").IsZero() || a.IsZero() {
		t.Error("IsZero")
	}
	if !a.IsPositive() || a.IsNegative() || !a.Neg().IsNegative() || (Money{}).IsPositive() || (Money{}).IsNegative() {
		t.Error("IsPositive/IsNegative")
	}
}

func TestMoneyCentsOverflowPanics(t *testing.T) {
	big := MustMoney("99999999999999.99").MulInt(1_000_000)
	defer func() {
		if recover() == nil {
			t.Fatal("Cents() of an overflowing amount did not panic")
		}
	}()
	_ = big.Cents()
}

func TestMoneyJSON(t *testing.T) {
	type line struct {
		Amount Money `json:"amount"`
	}
	b, err := json.Marshal(line{Amount: MustMoney("10.5")})
	if err != nil || string(b) != `{"amount":"10.50"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	b, _ = json.Marshal(line{})
	if string(b) != `{"amount":"0.00"}` {
		t.Fatalf("Marshal zero = %s", b)
	}
	var l line
	if err := json.Unmarshal([]byte(`{"amount":"-3.5"}`), &l); err != nil || l.Amount.String() != "-3.50" {
		t.Fatalf("Unmarshal = %s, %v", l.Amount, err)
	}
	if err := json.Unmarshal([]byte(`{"amount":"\u0031\u0030.00"}`), &l); err != nil || l.Amount.String() != "10.00" {
		t.Fatalf("Unmarshal with escapes = %s, %v", l.Amount, err)
	}
	for _, in := range []string{
		`{"amount":10.00}`, `{"amount":10}`, `{"amount":null}`, `{"amount":true}`,
		`{"amount":"10.001"}`, `{"amount":""}`, `{"amount":" 1"}`, `{"amount":["1"]}`, `{"amount":{}}`,
	} {
		var l line
		err := json.Unmarshal([]byte(in), &l)
		if !errors.Is(err, ErrInvalidAmount) {
			t.Errorf("Unmarshal(%s) error = %v, want ErrInvalidAmount", in, err)
		}
	}
	// Direct call with malformed JSON string.
	var m Money
	if err := m.UnmarshalJSON([]byte(`"1`)); !errors.Is(err, ErrInvalidAmount) {
		t.Errorf("UnmarshalJSON(unterminated) error = %v", err)
	}
}

func TestParseMoneyFR(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  error
	}{
		{"1 234,56", "1234.56", nil},
		{"1\u00a0234,56", "1234.56", nil},
		{"1\u202f234,56", "1234.56", nil},
		{"1 234 567,00", "1234567.00", nil},
		{"1234,56", "1234.56", nil},
		{"1234.56", "1234.56", nil},
		{"-12,50", "-12.50", nil},
		{"+12,50", "12.50", nil},
		{"\u221212,50", "-12.50", nil},
		{"12,5", "12.50", nil},
		{"12", "12.00", nil},
		{"0,01", "0.01", nil},
		{"  -1 000,00\t", "-1000.00", nil},
		{"\u00a012,00\u00a0", "12.00", nil},
		{"123 456", "123456.00", nil},
		{"", "", ErrInvalidAmount},
		{"   ", "", ErrInvalidAmount},
		{"1,234", "", ErrInvalidAmount}, // three decimals, not a thousands comma
		{"1.234,56", "", ErrInvalidAmount},
		{"1,234.56", "", ErrInvalidAmount},
		{"12 34,56", "", ErrInvalidAmount},
		{"1234 567,00", "", ErrInvalidAmount},
		{"1  234,56", "", ErrInvalidAmount},
		{"1 234,5 6", "", ErrInvalidAmount},
		{"1\t234,56", "", ErrInvalidAmount},
		{"- 12,50", "", ErrInvalidAmount},
		{"--12", "", ErrInvalidAmount},
		{"+-12", "", ErrInvalidAmount},
		{",50", "", ErrInvalidAmount},
		{"12,", "", ErrInvalidAmount},
		{"12,50 €", "", ErrInvalidAmount},
		{"1e3", "", ErrInvalidAmount},
		{"NaN", "", ErrInvalidAmount},
		{"12,50-", "", ErrInvalidAmount},
	}
	for _, tt := range tests {
		got, err := ParseMoneyFR(tt.in)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("ParseMoneyFR(%q) error = %v, want %v", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMoneyFR(%q) unexpected error %v", tt.in, err)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseMoneyFR(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzParseMoney checks that ParseMoney never panics, that every error wraps
// ErrInvalidAmount, and that an accepted amount round-trips through String
// and through JSON.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"10.00", "0", "-0.5", "1e3", "", "10.001", " 1", "+1", "NaN", "99999999999999.99"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoney(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMoney(%q) error %v does not wrap ErrInvalidAmount", s, err)
			}
			return
		}
		checkMoneyRoundTrip(t, s, m)
	})
}

// FuzzParseMoneyFR checks that ParseMoneyFR never panics, that every error
// wraps ErrInvalidAmount, and that an accepted amount round-trips through
// String (with ParseMoney and ParseMoneyFR).
func FuzzParseMoneyFR(f *testing.F) {
	for _, s := range []string{"1 234,56", "1\u00a0234,56", "-12,50", "1234.56", "1.234,56", "12 34,5", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMoneyFR(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidAmount) {
				t.Fatalf("ParseMoneyFR(%q) error %v does not wrap ErrInvalidAmount", s, err)
			}
			return
		}
		checkMoneyRoundTrip(t, s, m)
		back, err := ParseMoneyFR(m.String())
		if err != nil || !back.Equal(m) {
			t.Fatalf("ParseMoneyFR(%q) = %s, but ParseMoneyFR(String()) = %s, %v", s, m, back, err)
		}
	})
}

func checkMoneyRoundTrip(t *testing.T, in string, m Money) {
	t.Helper()
	str := m.String()
	back, err := ParseMoney(str)
	if err != nil || !back.Equal(m) || back.String() != str {
		t.Fatalf("%q: String() = %q does not parse back: %s, %v", in, str, back, err)
	}
	if !m.Equal(Cents(m.Cents())) {
		t.Fatalf("%q: Cents round trip %d != %s", in, m.Cents(), m)
	}
	j, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON Money
	if err := json.Unmarshal(j, &fromJSON); err != nil || !fromJSON.Equal(m) {
		t.Fatalf("%q: JSON %s does not parse back: %s, %v", in, j, fromJSON, err)
	}
}
