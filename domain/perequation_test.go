package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/shopspring/decimal"
	"pgregory.net/rapid"
)

func moneyPtr(s string) *Money {
	m := MustMoney(s)
	return &m
}

func terr(code string, pop int64, rate string) PerequationTerritory {
	return PerequationTerritory{Code: code, Population: pop, FragilityRate: decimal.RequireFromString(rate)}
}

func allocString(as []PerequationAllocation) string {
	s := ""
	for i, a := range as {
		if i > 0 {
			s += " "
		}
		s += a.Code + "=" + a.Amount.String()
	}
	return s
}

// TestPerequationHandWorked checks a run computed by hand.
//
// Budget 1000.00, floor 100.00, cap 0.50 per inhabitant.
//
//	territory  population  rate  need  cap
//	A            1000      0.50   500  500.00
//	B            1000      0.30   300  500.00
//	C             400      0.05    20  200.00
//	D             600      0.20   120  300.00
//
// Round 1: Σneed = 940, shares = 1000 × need / 940:
// A 531.91 (above cap by 31.91), B 319.15, C 21.28 (below floor by 78.72),
// D 127.66. The floor deficit (78.72) is larger than the cap excess (31.91),
// so only C is fixed, at 100.00 (fixing A at its cap too would be wrong:
// once C is lifted to its floor there is less money for the others).
//
// Round 2: rest 900.00 over A, B, D, Σneed = 920: A 489.13…, B 293.47…,
// D 117.39…: all within [100, cap]. Stable.
//
// Cents: 90000 × (500, 300, 120) / 920 = 48913.04, 29347.83, 11739.13;
// floors 48913 + 29347 + 11739 = 89999, one cent left, largest remainder
// is B's (.83). Result: A 489.13, B 293.48, C 100.00, D 117.39 (sum 1000.00).
func TestPerequationHandWorked(t *testing.T) {
	in := PerequationInput{
		Budget: MustMoney("1000.00"),
		// Deliberately not in code order: the output is sorted.
		Territories: []PerequationTerritory{
			terr("D", 600, "0.20"), terr("B", 1000, "0.30"), terr("A", 1000, "0.50"), terr("C", 400, "0.05"),
		},
		Floor:            moneyPtr("100.00"),
		CapPerInhabitant: moneyPtr("0.50"),
	}
	got, err := Perequation(in)
	if err != nil {
		t.Fatal(err)
	}
	if s := allocString(got); s != "A=489.13 B=293.48 C=100.00 D=117.39" {
		t.Fatalf("got %s", s)
	}
	wantNeeds := []string{"500", "300", "20", "120"}
	for i, a := range got {
		if !a.Need.Equal(decimal.RequireFromString(wantNeeds[i])) {
			t.Errorf("%s need = %s, want %s", a.Code, a.Need, wantNeeds[i])
		}
	}
	b, err := json.Marshal(got[0])
	if err != nil || string(b) != `{"territory":"A","need":"500","amount":"489.13"}` {
		t.Errorf("JSON = %s, %v", b, err)
	}
}

// TestPerequationCapBinds: budget 1000.00, cap 0.30 per inhabitant, no floor.
//
//	A pop 1000 rate 0.60 need 600 cap 300.00
//	B pop 2000 rate 0.10 need 200 cap 600.00
//	C pop 1000 rate 0.20 need 200 cap 300.00
//
// Round 1: Σneed 1000: A 600 (above cap by 300), B 200, C 200 -> fix A at
// 300. Round 2: rest 700 over need 400: B 350, C 350 (above cap by 50) -> fix
// C at 300. Round 3: B gets the rest, 400.00 <= 600. Result A 300, B 400, C 300.
func TestPerequationCapBinds(t *testing.T) {
	got, err := Perequation(PerequationInput{
		Budget:           MustMoney("1000"),
		Territories:      []PerequationTerritory{terr("A", 1000, "0.6"), terr("B", 2000, "0.1"), terr("C", 1000, "0.2")},
		CapPerInhabitant: moneyPtr("0.30"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := allocString(got); s != "A=300.00 B=400.00 C=300.00" {
		t.Fatalf("got %s", s)
	}
}

// TestPerequationTiesByCode: 100.00 over three equal needs is 33.333… each;
// the odd cent goes to the smallest code.
func TestPerequationTiesByCode(t *testing.T) {
	got, err := Perequation(PerequationInput{
		Budget:      MustMoney("100"),
		Territories: []PerequationTerritory{terr("63", 100, "0.1"), terr("03", 100, "0.1"), terr("15", 100, "0.1")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if s := allocString(got); s != "03=33.34 15=33.33 63=33.33" {
		t.Fatalf("got %s", s)
	}
}

// TestPerequationZeroNeedTerritory: a zero-need territory gets the floor (or
// nothing without a floor).
func TestPerequationZeroNeedTerritory(t *testing.T) {
	ts := []PerequationTerritory{terr("A", 100, "0"), terr("B", 100, "0.5"), terr("C", 300, "0.5")}
	got, err := Perequation(PerequationInput{Budget: MustMoney("100"), Territories: ts})
	if err != nil {
		t.Fatal(err)
	}
	if s := allocString(got); s != "A=0.00 B=25.00 C=75.00" {
		t.Fatalf("no floor: got %s", s)
	}
	got, err = Perequation(PerequationInput{Budget: MustMoney("100"), Territories: ts, Floor: moneyPtr("10")})
	if err != nil {
		t.Fatal(err)
	}
	if s := allocString(got); s != "A=10.00 B=22.50 C=67.50" {
		t.Fatalf("floor: got %s", s)
	}
}

func TestPerequationErrors(t *testing.T) {
	ok := []PerequationTerritory{terr("A", 1000, "0.5"), terr("B", 1000, "0.25")}
	tests := []struct {
		name string
		in   PerequationInput
		err  error
	}{
		{"no territories", PerequationInput{Budget: MustMoney("1")}, ErrPerequationNoTerritories},
		{"zero budget", PerequationInput{Budget: MustMoney("0"), Territories: ok}, ErrPerequationInvalidBudget},
		{"negative budget", PerequationInput{Budget: MustMoney("-1"), Territories: ok}, ErrPerequationInvalidBudget},
		{"empty code", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("", 1, "0.1")}}, ErrPerequationInvalidCode},
		{"duplicate", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", 1, "0.1"), terr("B", 1, "0.1"), terr("A", 2, "0.1")}}, ErrPerequationDuplicateTerritory},
		{"zero population", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", 0, "0.1")}}, ErrPerequationInvalidPopulation},
		{"negative population", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", -5, "0.1")}}, ErrPerequationInvalidPopulation},
		{"rate above 1", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", 1, "1.01")}}, ErrPerequationInvalidFragility},
		{"negative rate", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", 1, "-0.01")}}, ErrPerequationInvalidFragility},
		{"negative floor", PerequationInput{Budget: MustMoney("1"), Territories: ok, Floor: moneyPtr("-1")}, ErrPerequationInvalidFloor},
		{"negative cap", PerequationInput{Budget: MustMoney("1"), Territories: ok, CapPerInhabitant: moneyPtr("-1")}, ErrPerequationInvalidCap},
		{"all needs zero", PerequationInput{Budget: MustMoney("1"), Territories: []PerequationTerritory{terr("A", 1, "0"), terr("B", 5, "0.000")}}, ErrPerequationZeroNeed},
		{"floors above budget", PerequationInput{Budget: MustMoney("100"), Territories: ok, Floor: moneyPtr("50.01")}, ErrPerequationInfeasible},
		{"caps below budget", PerequationInput{Budget: MustMoney("100"), Territories: ok, CapPerInhabitant: moneyPtr("0.04")}, ErrPerequationInfeasible},
		{"zero cap", PerequationInput{Budget: MustMoney("100"), Territories: ok, CapPerInhabitant: moneyPtr("0")}, ErrPerequationInfeasible},
		// Caps total 200 but A has zero need: it only ever gets the floor (10),
		// so at most 10 + 100 = 110 < 150 can be shared.
		{"caps of zero-need territory do not count", PerequationInput{Budget: MustMoney("150"),
			Territories: []PerequationTerritory{terr("A", 1000, "0"), terr("B", 1000, "0.5")},
			Floor:       moneyPtr("10"), CapPerInhabitant: moneyPtr("0.10")}, ErrPerequationInfeasible},
		{"floor above a territory's cap", PerequationInput{Budget: MustMoney("100"),
			Territories: []PerequationTerritory{terr("A", 10, "0.5"), terr("B", 1000, "0.5")},
			Floor:       moneyPtr("5"), CapPerInhabitant: moneyPtr("0.40")}, ErrPerequationInfeasible},
	}
	for _, tt := range tests {
		if _, err := Perequation(tt.in); !errors.Is(err, tt.err) {
			t.Errorf("%s: error = %v, want %v", tt.name, err, tt.err)
		}
	}
	// Boundaries are feasible: floors exactly the budget, caps exactly the budget.
	got, err := Perequation(PerequationInput{Budget: MustMoney("100"), Territories: ok, Floor: moneyPtr("50")})
	if err != nil || allocString(got) != "A=50.00 B=50.00" {
		t.Errorf("floors == budget: %s, %v", allocString(got), err)
	}
	got, err = Perequation(PerequationInput{Budget: MustMoney("100"), Territories: ok, CapPerInhabitant: moneyPtr("0.05")})
	if err != nil || allocString(got) != "A=50.00 B=50.00" {
		t.Errorf("caps == budget: %s, %v", allocString(got), err)
	}
}

// perequationCase draws a random run: 1..12 territories with unique codes,
// populations from a small set (so that equal populations occur) or any,
// fragility rates with up to 4 decimals, a budget, and optional floor/cap
// chosen around the feasible range.
func perequationCase(t *rapid.T) PerequationInput {
	n := rapid.IntRange(1, 12).Draw(t, "n")
	codes := rapid.Permutation([]string{"01", "03", "07", "15", "2A", "2B", "42", "43", "63", "69", "971", "974"}).Draw(t, "codes")
	ts := make([]PerequationTerritory, n)
	var totalPop int64
	for i := range ts {
		pop := rapid.OneOf(rapid.SampledFrom([]int64{1, 1000, 50_000}), rapid.Int64Range(1, 2_000_000)).Draw(t, "population")
		rate := rapid.OneOf(rapid.SampledFrom([]int64{0, 1250, 10000}), rapid.Int64Range(0, 10000)).Draw(t, "rate")
		ts[i] = PerequationTerritory{Code: codes[i], Population: pop, FragilityRate: decimal.New(rate, -4)}
		totalPop += pop
	}
	budget := rapid.OneOf(rapid.Int64Range(1, 1000), rapid.Int64Range(1, 100_000_000_00)).Draw(t, "budget")
	in := PerequationInput{Budget: Cents(budget), Territories: ts}
	if rapid.Bool().Draw(t, "hasFloor") {
		f := rapid.Int64Range(0, budget/int64(n)+1).Draw(t, "floor")
		in.Floor = new(Money)
		*in.Floor = Cents(f)
	}
	if rapid.Bool().Draw(t, "hasCap") {
		avg := budget/totalPop + 1 // cents per inhabitant on average
		// Often just above the average, where caps bind without being infeasible.
		c := rapid.OneOf(rapid.Int64Range(0, 4*avg), rapid.Int64Range(avg, avg+avg/2+1)).Draw(t, "cap")
		in.CapPerInhabitant = new(Money)
		*in.CapPerInhabitant = Cents(c)
	}
	return in
}

// infeasibleReason recomputes, independently, whether a run must be refused.
func infeasibleReason(in PerequationInput) string {
	n := int64(len(in.Territories))
	var floor int64
	if in.Floor != nil {
		floor = in.Floor.Cents()
	}
	if floor*n > in.Budget.Cents() {
		return "floors"
	}
	if in.CapPerInhabitant == nil {
		return ""
	}
	var most int64
	for _, t := range in.Territories {
		c := in.CapPerInhabitant.Cents() * t.Population
		if floor > c {
			return "floor above cap"
		}
		if t.Need().IsZero() {
			most += floor
		} else {
			most += c
		}
	}
	if most < in.Budget.Cents() {
		return "caps"
	}
	return ""
}

func TestPerequationProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := perequationCase(t)
		got, err := Perequation(in)
		allZero := true
		for _, tr := range in.Territories {
			allZero = allZero && tr.FragilityRate.IsZero()
		}
		if allZero {
			if !errors.Is(err, ErrPerequationZeroNeed) {
				t.Fatalf("all needs zero: error %v", err)
			}
			return
		}
		if reason := infeasibleReason(in); reason != "" {
			if !errors.Is(err, ErrPerequationInfeasible) {
				t.Fatalf("infeasible (%s) but error = %v", reason, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("feasible run refused: %v", err)
		}
		checkPerequation(t, in, got)

		// Deterministic and independent of the input order.
		rev := in
		rev.Territories = make([]PerequationTerritory, len(in.Territories))
		for i, tr := range in.Territories {
			rev.Territories[len(in.Territories)-1-i] = tr
		}
		again, err := Perequation(rev)
		if err != nil || allocString(again) != allocString(got) {
			t.Fatalf("reordered input: %s vs %s (%v)", allocString(again), allocString(got), err)
		}
	})
}

// checkPerequation checks a feasible run's result: sorted, one allocation
// per territory with its need, the sum is the budget, floors and caps hold,
// zero need gets exactly the floor, and the result is the proportional
// clamp solution up to one cent of rounding (see below); plus monotonicity
// between territories of equal population.
func checkPerequation(t *rapid.T, in PerequationInput, got []PerequationAllocation) {
	byCode := map[string]PerequationTerritory{}
	for _, tr := range in.Territories {
		byCode[tr.Code] = tr
	}
	if len(got) != len(in.Territories) {
		t.Fatalf("%d allocations for %d territories", len(got), len(in.Territories))
	}
	var floor int64
	if in.Floor != nil {
		floor = in.Floor.Cents()
	}
	capOf := func(tr PerequationTerritory) (int64, bool) {
		if in.CapPerInhabitant == nil {
			return 0, false
		}
		return in.CapPerInhabitant.Cents() * tr.Population, true
	}
	var sum Money
	for i, a := range got {
		if i > 0 && got[i-1].Code >= a.Code {
			t.Fatalf("not sorted by code: %s", allocString(got))
		}
		tr, ok := byCode[a.Code]
		if !ok {
			t.Fatalf("unknown territory %q", a.Code)
		}
		if !a.Need.Equal(tr.Need()) {
			t.Fatalf("%s need %s, want %s", a.Code, a.Need, tr.Need())
		}
		sum = sum.Add(a.Amount)
		c := a.Amount.Cents()
		if c < floor {
			t.Fatalf("%s gets %s below the floor", a.Code, a.Amount)
		}
		if cp, ok := capOf(tr); ok && c > cp {
			t.Fatalf("%s gets %s above its cap %s", a.Code, a.Amount, Cents(cp))
		}
		if a.Need.IsZero() && c != floor {
			t.Fatalf("zero-need %s gets %s, not the floor", a.Code, a.Amount)
		}
	}
	if !sum.Equal(in.Budget) {
		t.Fatalf("allocations %s sum to %s, not the budget %s", allocString(got), sum, in.Budget)
	}
	// Proportionality (exchange condition): the exact result is
	// clamp(λ·need, F, C) for one λ, so whenever territory i could still
	// receive (a_i < C_i) and territory j could still give (a_j > F), both
	// with positive need, a_j/need_j ≤ λ ≤ a_i/need_i. Rounding moves each
	// amount by less than a cent, hence (a_j − 1c)/need_j ≤ (a_i + 1c)/need_i.
	for _, ai := range got {
		ti := byCode[ai.Code]
		if ai.Need.IsZero() {
			continue
		}
		if cp, ok := capOf(ti); ok && ai.Amount.Cents() >= cp {
			continue
		}
		for _, aj := range got {
			if aj.Code == ai.Code || aj.Need.IsZero() || aj.Amount.Cents() <= floor {
				continue
			}
			lhs := new(big.Rat).Mul(new(big.Rat).SetInt64(aj.Amount.Cents()-1), ai.Need.Rat())
			rhs := new(big.Rat).Mul(new(big.Rat).SetInt64(ai.Amount.Cents()+1), aj.Need.Rat())
			if lhs.Cmp(rhs) > 0 {
				t.Fatalf("not proportional: %s (need %s) could give to %s (need %s): %s",
					aj.Code, aj.Need, ai.Code, ai.Need, allocString(got))
			}
		}
	}
	// Monotone: same population, higher fragility rate -> not less money.
	for _, ai := range got {
		for _, aj := range got {
			ti, tj := byCode[ai.Code], byCode[aj.Code]
			if ti.Population == tj.Population && tj.FragilityRate.GreaterThan(ti.FragilityRate) && aj.Amount.LessThan(ai.Amount) {
				t.Fatalf("%s (rate %s) gets %s < %s (rate %s) gets %s", aj.Code, tj.FragilityRate, aj.Amount,
					ai.Code, ti.FragilityRate, ai.Amount)
			}
		}
	}
}

// TestPerequationMonotoneInRate: raising one territory's fragility rate never
// lowers its amount: to the cent without floor or cap, within one cent of
// rounding with them (when both runs are feasible).
func TestPerequationMonotoneInRate(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := perequationCase(t)
		if rapid.Bool().Draw(t, "unbounded") {
			in.Floor, in.CapPerInhabitant = nil, nil
		}
		k := rapid.IntRange(0, len(in.Territories)-1).Draw(t, "k")
		old := in.Territories[k].FragilityRate
		raised := decimal.New(rapid.Int64Range(old.Shift(4).IntPart(), 10000).Draw(t, "raised"), -4)
		before, err := Perequation(in)
		if err != nil {
			t.Skip(err)
		}
		in2 := in
		in2.Territories = append([]PerequationTerritory(nil), in.Territories...)
		in2.Territories[k].FragilityRate = raised
		after, err := Perequation(in2)
		if err != nil {
			t.Skip(err)
		}
		code := in.Territories[k].Code
		amount := func(as []PerequationAllocation) Money {
			for _, a := range as {
				if a.Code == code {
					return a.Amount
				}
			}
			panic("missing " + code)
		}
		// Exactly, the amount never decreases. After rounding, that holds to
		// the cent when no floor or cap is set (the remainder R is then the
		// whole budget); with bounds, R itself moves and a one-cent dip from
		// rounding is tolerated.
		tolerance := Money{}
		if in.Floor != nil || in.CapPerInhabitant != nil {
			tolerance = Cents(1)
		}
		if amount(after).Add(tolerance).LessThan(amount(before)) {
			t.Fatalf("raising %s's rate %s -> %s lowered its amount %s -> %s\nbefore %s\nafter  %s", code, old, raised,
				amount(before), amount(after), allocString(before), allocString(after))
		}
	})
}

func ExamplePerequation() {
	out, _ := Perequation(PerequationInput{
		Budget: MustMoney("1000.00"),
		Territories: []PerequationTerritory{
			{Code: "A", Population: 1000, FragilityRate: decimal.RequireFromString("0.50")},
			{Code: "B", Population: 1000, FragilityRate: decimal.RequireFromString("0.30")},
			{Code: "C", Population: 400, FragilityRate: decimal.RequireFromString("0.05")},
			{Code: "D", Population: 600, FragilityRate: decimal.RequireFromString("0.20")},
		},
		Floor:            moneyPtr("100.00"),
		CapPerInhabitant: moneyPtr("0.50"),
	})
	for _, a := range out {
		fmt.Println(a.Code, a.Need, a.Amount)
	}
	// Output:
	// A 500 489.13
	// B 300 293.48
	// C 20 100.00
	// D 120 117.39
}
