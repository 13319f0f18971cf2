package domain

import (
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func decs(ss ...string) []decimal.Decimal {
	out := make([]decimal.Decimal, len(ss))
	for i, s := range ss {
		out[i] = decimal.RequireFromString(s)
	}
	return out
}

func moneyStrings(ms []Money) string {
	ss := make([]string, len(ms))
	for i, m := range ms {
		ss[i] = m.String()
	}
	return strings.Join(ss, " ")
}

func TestSplitExamples(t *testing.T) {
	tests := []struct {
		name    string
		total   string
		weights []decimal.Decimal
		rotate  int
		want    string
	}{
		// A €10 cheque over three equal funders: 1000 cents / 3 = 333 r 1
		// each; the one leftover cent goes to the first index in the
		// rotation order.
		{"thirds rotate 0", "10.00", decs("1", "1", "1"), 0, "3.34 3.33 3.33"},
		{"thirds rotate 1", "10.00", decs("1", "1", "1"), 1, "3.33 3.34 3.33"},
		{"thirds rotate 2", "10.00", decs("1", "1", "1"), 2, "3.33 3.33 3.34"},
		{"thirds rotate 3", "10.00", decs("1", "1", "1"), 3, "3.34 3.33 3.33"},
		{"thirds rotate -1", "10.00", decs("1", "1", "1"), -1, "3.33 3.33 3.34"},
		{"thirds big rotate", "10.00", decs("1", "1", "1"), 1 << 31, "3.33 3.33 3.34"}, // 2^31 mod 3 = 2
		// 0.02 over 3 equal: two leftover cents, from the rotation start.
		{"two cents rotate 2", "0.02", decs("1", "1", "1"), 2, "0.01 0.00 0.01"},
		// Largest remainder beats rotation: 100 cents × (1, 2, 4)/7 =
		// 14.28, 28.57, 57.14 -> floors 14, 28, 57 (99), remainders .28 .57 .14:
		// the cent goes to index 1 whatever rotate is.
		{"remainder wins", "1.00", decs("1", "2", "4"), 2, "0.14 0.29 0.57"},
		// Money-like weights: €10 over lines of 50 000, 30 000, 20 000.
		{"pro rata lines", "10.00", decs("50000.00", "30000.00", "20000.00"), 0, "5.00 3.00 2.00"},
		// Weights of different scales: 0.5 and 25 (= 1:50) -> 1.00 × 1/51 = 1.96 c.
		{"mixed scales", "1.00", decs("0.5", "25"), 0, "0.02 0.98"},
		// Zero weights always get zero, even when they come first in rotation.
		{"zero weight", "0.01", decs("0", "1", "1"), 0, "0.00 0.01 0.00"},
		{"zero weight rotate", "0.03", decs("1", "0", "1"), 1, "0.01 0.00 0.02"},
		{"zero total", "0", decs("1", "2"), 0, "0.00 0.00"},
		{"single", "12.34", decs("7"), 5, "12.34"},
	}
	for _, tt := range tests {
		got, err := Split(MustMoney(tt.total), tt.weights, tt.rotate)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if s := moneyStrings(got); s != tt.want {
			t.Errorf("%s: Split = %s, want %s", tt.name, s, tt.want)
		}
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		name    string
		total   string
		weights []decimal.Decimal
		err     error
	}{
		{"no weights", "1.00", nil, ErrSplitNoWeights},
		{"negative weight", "1.00", decs("1", "-1"), ErrSplitNegativeWeight},
		{"all zero", "1.00", decs("0", "0.00"), ErrSplitZeroWeights},
		{"negative total", "-1.00", decs("1"), ErrSplitNegativeTotal},
		{"exponent spread", "1.00", []decimal.Decimal{decimal.New(1, -600), decimal.New(1, 600)}, ErrSplitWeightRange},
	}
	for _, tt := range tests {
		if _, err := Split(MustMoney(tt.total), tt.weights, 0); !errors.Is(err, tt.err) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.err)
		}
	}
	if _, err := SplitMoneyByMoney(MustMoney("1"), []Money{MustMoney("1"), MustMoney("-1")}, 0); !errors.Is(err, ErrSplitNegativeWeight) {
		t.Errorf("SplitMoneyByMoney negative weight: %v", err)
	}
}

func TestSplitMoneyByMoney(t *testing.T) {
	got, err := SplitMoneyByMoney(MustMoney("10.00"), []Money{MustMoney("1000"), MustMoney("1000"), MustMoney("1000")}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if s := moneyStrings(got); s != "3.33 3.34 3.33" {
		t.Fatalf("got %s", s)
	}
}

func TestSplitSpreadsOddCentByRotation(t *testing.T) {
	// Over 300 cheques numbered 0..299, each of three equal funders pays the
	// odd cent exactly 100 times.
	counts := make([]int64, 3)
	for seq := 0; seq < 300; seq++ {
		parts, err := Split(MustMoney("10.00"), decs("1", "1", "1"), seq)
		if err != nil {
			t.Fatal(err)
		}
		for i, p := range parts {
			counts[i] += p.Cents()
		}
	}
	for i, c := range counts {
		if c != 100_000 {
			t.Errorf("funder %d paid %d cents, want 100000", i, c)
		}
	}
}

// genWeights draws 1..20 non-negative decimal weights of assorted scales.
func genWeights(t *rapid.T) []decimal.Decimal {
	n := rapid.IntRange(1, 20).Draw(t, "n")
	ws := make([]decimal.Decimal, n)
	for i := range ws {
		coef := rapid.OneOf(rapid.Int64Range(0, 3), rapid.Int64Range(0, 1_000_000_000)).Draw(t, "coef")
		exp := rapid.Int32Range(-6, 3).Draw(t, "exp")
		ws[i] = decimal.New(coef, exp)
	}
	return ws
}

func TestSplitProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		total := Cents(rapid.OneOf(rapid.Int64Range(0, 100), rapid.Int64Range(0, 1_000_000_000_000)).Draw(t, "total"))
		ws := genWeights(t)
		rotate := rapid.IntRange(-1_000_000_000, 1_000_000_000).Draw(t, "rotate")
		allZero := true
		for _, w := range ws {
			allZero = allZero && w.IsZero()
		}
		parts, err := Split(total, ws, rotate)
		if allZero {
			if !errors.Is(err, ErrSplitZeroWeights) {
				t.Fatalf("all-zero weights: error %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) != len(ws) {
			t.Fatalf("%d parts for %d weights", len(parts), len(ws))
		}
		// Exactly the total.
		if s := SumMoney(parts...); !s.Equal(total) {
			t.Fatalf("parts %s sum to %s, not %s", moneyStrings(parts), s, total)
		}
		// Deterministic.
		again, _ := Split(total, ws, rotate)
		if moneyStrings(again) != moneyStrings(parts) {
			t.Fatalf("not deterministic: %s vs %s", moneyStrings(parts), moneyStrings(again))
		}
		// Each part within one cent of its exact share: with rationals,
		// share - 1 < part < share + 1 (in cents), i.e. floor or ceil.
		sumW := new(big.Rat)
		for _, w := range ws {
			sumW.Add(sumW, w.Rat())
		}
		T := new(big.Rat).SetInt64(total.Cents())
		one := big.NewRat(1, 1)
		for i, w := range ws {
			share := new(big.Rat).Quo(new(big.Rat).Mul(T, w.Rat()), sumW)
			p := new(big.Rat).SetInt64(parts[i].Cents())
			lo := new(big.Rat).Sub(share, one)
			hi := new(big.Rat).Add(share, one)
			if p.Cmp(lo) <= 0 || p.Cmp(hi) >= 0 {
				t.Fatalf("part %d = %s, exact share %s cents", i, parts[i], share.FloatString(4))
			}
			if w.IsZero() && !parts[i].IsZero() {
				t.Fatalf("zero weight %d got %s", i, parts[i])
			}
			if parts[i].IsNegative() {
				t.Fatalf("negative part %d: %s", i, parts[i])
			}
		}
		// Scaling all weights by the same factor changes nothing.
		scaled := make([]decimal.Decimal, len(ws))
		for i, w := range ws {
			scaled[i] = w.Mul(decimal.New(7, -3))
		}
		sp, err := Split(total, scaled, rotate)
		if err != nil || moneyStrings(sp) != moneyStrings(parts) {
			t.Fatalf("scaled weights: %s vs %s (%v)", moneyStrings(sp), moneyStrings(parts), err)
		}
		// Rotation equivariance: rotating the weights left by k and the
		// rotation start by -k rotates the parts left by k.
		n := len(ws)
		k := rapid.IntRange(0, n-1).Draw(t, "k")
		rw := append(append([]decimal.Decimal(nil), ws[k:]...), ws[:k]...)
		rp, err := Split(total, rw, rotate-k)
		if err != nil {
			t.Fatal(err)
		}
		for j := range rp {
			if !rp[j].Equal(parts[(j+k)%n]) {
				t.Fatalf("rotation by %d: %s vs %s", k, moneyStrings(rp), moneyStrings(parts))
			}
		}
	})
}
