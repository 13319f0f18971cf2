package domain

import (
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/shopspring/decimal"
)

// PerequationTerritory is one territory taking part in a péréquation run.
// Its need is Population × FragilityRate, the FragilityRate being the share of
// the population in digital difficulty, in [0, 1].
type PerequationTerritory struct {
	Code          string          `json:"territory"`
	Population    int64           `json:"population"`
	FragilityRate decimal.Decimal `json:"fragility_rate"`
}

// Need returns Population × FragilityRate, exactly.
func (t PerequationTerritory) Need() decimal.Decimal {
	return decimal.NewFromInt(t.Population).Mul(t.FragilityRate)
}

// PerequationInput is everything a péréquation run depends on; recording it
// in the run's event lets anyone recompute the same cents.
type PerequationInput struct {
	// Budget is the amount shared; it must be positive.
	Budget Money `json:"budget"`
	// Territories take part in the run; codes must be unique and non-empty.
	Territories []PerequationTerritory `json:"territories"`
	// Floor, if set, is the least every territory receives (>= 0).
	Floor *Money `json:"floor,omitempty"`
	// CapPerInhabitant, if set, bounds each territory's amount by
	// CapPerInhabitant × Population (>= 0).
	CapPerInhabitant *Money `json:"cap_per_inhabitant,omitempty"`
}

// PerequationAllocation is one territory's result of a péréquation run.
type PerequationAllocation struct {
	Code   string          `json:"territory"`
	Need   decimal.Decimal `json:"need"`
	Amount Money           `json:"amount"`
}

// Errors returned by Perequation (wrapped with detail; test with errors.Is).
var (
	ErrPerequationNoTerritories      = errors.New("perequation: no territories")
	ErrPerequationInvalidCode        = errors.New("perequation: empty territory code")
	ErrPerequationDuplicateTerritory = errors.New("perequation: duplicate territory")
	ErrPerequationInvalidPopulation  = errors.New("perequation: population must be positive")
	ErrPerequationInvalidFragility   = errors.New("perequation: fragility rate must be within [0, 1]")
	ErrPerequationInvalidBudget      = errors.New("perequation: budget must be positive")
	ErrPerequationInvalidFloor       = errors.New("perequation: floor must not be negative")
	ErrPerequationInvalidCap         = errors.New("perequation: cap per inhabitant must not be negative")
	ErrPerequationZeroNeed           = errors.New("perequation: every territory has zero need")
	ErrPerequationInfeasible         = errors.New("perequation: floors and caps cannot be met by the budget")
	errPerequationInternal           = errors.New("perequation: internal inconsistency")
)

// Perequation shares in.Budget between in.Territories in proportion to their
// need (population × fragility rate), subject to the optional floor per
// territory F and cap per inhabitant c (territory i's cap is
// C_i = c × population_i, a whole number of cents like F).
//
// Exact result. The amounts before rounding are the unique a_i =
// clamp(λ × need_i, F, C_i) (missing bounds: 0 and +∞) with Σ a_i = Budget,
// for some λ ≥ 0; a zero-need territory therefore gets exactly F (or 0).
//
// Algorithm (exact integer/rational arithmetic, no float):
//
//  1. Zero-need territories are fixed at F (0 without a floor); every other
//     territory starts unfixed.
//  2. Repeat: R = Budget − Σ fixed amounts; each unfixed territory's share is
//     s_i = R × need_i / Σ unfixed needs. Let E = Σ (s_i − C_i) over shares
//     above their cap and D = Σ (F − s_i) over shares below the floor.
//     If E = D = 0 no share breaks a bound: stop. If E > D, fix every share
//     above its cap at its cap; if D > E, fix every share below the floor at
//     the floor; if E = D, fix both. Re-share and repeat.
//     Only the side with the larger violation is fixed in a round because
//     that is the side that stays fixed in the final result: when E > D,
//     clamping all the current shares would leave money over, so the final λ
//     is larger and a territory now above its cap stays above it (and a
//     territory now below the floor may rise above it); symmetrically when
//     D > E. So no territory ever needs unfixing, each round fixes at least
//     one territory, and the loop ends after at most n rounds.
//  3. Rounding to cents: fixed territories already hold whole cents (F or
//     C_i). The rest R (whole cents) is split among the unfixed territories
//     by Split's largest-remainder method, in proportion to their needs, ties
//     between equal remainders broken by territory code ascending. An unfixed
//     share satisfies F ≤ s_i ≤ C_i with F and C_i whole cents, so its
//     rounding down or up stays within the bounds, and the total is exactly
//     the budget.
//
// The result is sorted by territory code (byte order) and depends only on the
// input (the order of in.Territories does not matter).
//
// Errors: ErrPerequationNoTerritories, ErrPerequationInvalidCode (empty
// code), ErrPerequationDuplicateTerritory, ErrPerequationInvalidPopulation
// (≤ 0), ErrPerequationInvalidFragility (outside [0, 1]),
// ErrPerequationInvalidBudget (≤ 0), ErrPerequationInvalidFloor (< 0),
// ErrPerequationInvalidCap (< 0), ErrPerequationZeroNeed (every need is
// zero: there is no proportion to follow), ErrPerequationInfeasible when
// n × F > Budget, when Budget exceeds the most the territories may receive
// (Σ C_i over territories with positive need plus F for each zero-need one),
// or when F > C_i for some territory (a territory cannot get at least the
// floor and at most its cap; the run refuses rather than pick one).
func Perequation(in PerequationInput) ([]PerequationAllocation, error) {
	n := len(in.Territories)
	if n == 0 {
		return nil, ErrPerequationNoTerritories
	}
	if !in.Budget.IsPositive() {
		return nil, fmt.Errorf("%w: %s", ErrPerequationInvalidBudget, in.Budget)
	}
	if in.Floor != nil && in.Floor.IsNegative() {
		return nil, fmt.Errorf("%w: %s", ErrPerequationInvalidFloor, *in.Floor)
	}
	if in.CapPerInhabitant != nil && in.CapPerInhabitant.IsNegative() {
		return nil, fmt.Errorf("%w: %s", ErrPerequationInvalidCap, *in.CapPerInhabitant)
	}
	ts := append([]PerequationTerritory(nil), in.Territories...)
	sort.SliceStable(ts, func(a, b int) bool { return ts[a].Code < ts[b].Code })
	one := decimal.NewFromInt(1)
	for i, t := range ts {
		if t.Code == "" {
			return nil, ErrPerequationInvalidCode
		}
		if i > 0 && ts[i-1].Code == t.Code {
			return nil, fmt.Errorf("%w: %q", ErrPerequationDuplicateTerritory, t.Code)
		}
		if t.Population <= 0 {
			return nil, fmt.Errorf("%w: %q has %d", ErrPerequationInvalidPopulation, t.Code, t.Population)
		}
		if t.FragilityRate.IsNegative() || t.FragilityRate.GreaterThan(one) {
			return nil, fmt.Errorf("%w: %q has %s", ErrPerequationInvalidFragility, t.Code, t.FragilityRate.String())
		}
	}

	needs := make([]decimal.Decimal, n)
	for i, t := range ts {
		needs[i] = t.Need()
	}
	needInts, err := scaleWeights(needs)
	if errors.Is(err, ErrSplitZeroWeights) {
		return nil, ErrPerequationZeroNeed
	}
	if err != nil {
		return nil, fmt.Errorf("perequation: needs: %w", err)
	}

	budget := in.Budget.bigCents()
	hasFloor := in.Floor != nil
	floor := new(big.Int)
	if hasFloor {
		floor = in.Floor.bigCents()
	}
	hasCap := in.CapPerInhabitant != nil
	caps := make([]*big.Int, n)
	if hasCap {
		c := in.CapPerInhabitant.bigCents()
		for i, t := range ts {
			caps[i] = new(big.Int).Mul(c, big.NewInt(t.Population))
			if hasFloor && floor.Cmp(caps[i]) > 0 {
				return nil, fmt.Errorf("%w: floor %s exceeds the cap %s of %q", ErrPerequationInfeasible,
					*in.Floor, moneyFromBigCents(caps[i]), t.Code)
			}
		}
	}

	// Feasibility: n × F ≤ Budget ≤ max reachable.
	floors := new(big.Int).Mul(floor, big.NewInt(int64(n)))
	if floors.Cmp(budget) > 0 {
		return nil, fmt.Errorf("%w: floors total %s, more than the budget %s", ErrPerequationInfeasible,
			moneyFromBigCents(floors), in.Budget)
	}
	if hasCap {
		most := new(big.Int)
		for i := range ts {
			if needInts[i].Sign() == 0 {
				most.Add(most, floor)
			} else {
				most.Add(most, caps[i])
			}
		}
		if most.Cmp(budget) < 0 {
			return nil, fmt.Errorf("%w: caps allow at most %s, less than the budget %s", ErrPerequationInfeasible,
				moneyFromBigCents(most), in.Budget)
		}
	}

	// amounts[i] != nil once territory i is fixed.
	amounts := make([]*big.Int, n)
	for i := range ts {
		if needInts[i].Sign() == 0 {
			amounts[i] = new(big.Int).Set(floor)
		}
	}
	var free []int
	rest := new(big.Int)
	for round := 0; ; round++ {
		if round > n {
			return nil, fmt.Errorf("%w: no convergence", errPerequationInternal)
		}
		free = free[:0]
		rest.Set(budget)
		sumNeed := new(big.Int)
		for i := range ts {
			if amounts[i] != nil {
				rest.Sub(rest, amounts[i])
			} else {
				free = append(free, i)
				sumNeed.Add(sumNeed, needInts[i])
			}
		}
		if len(free) == 0 {
			break
		}
		// Share s_i = rest × need_i / sumNeed; compare scaled by sumNeed.
		var overCap, underFloor []int
		excess, deficit := new(big.Int), new(big.Int)
		for _, i := range free {
			sN := new(big.Int).Mul(rest, needInts[i]) // s_i × sumNeed
			if hasCap {
				cN := new(big.Int).Mul(caps[i], sumNeed)
				if d := new(big.Int).Sub(sN, cN); d.Sign() > 0 {
					overCap = append(overCap, i)
					excess.Add(excess, d)
				}
			}
			if hasFloor {
				fN := new(big.Int).Mul(floor, sumNeed)
				if d := new(big.Int).Sub(fN, sN); d.Sign() > 0 {
					underFloor = append(underFloor, i)
					deficit.Add(deficit, d)
				}
			}
		}
		if len(overCap) == 0 && len(underFloor) == 0 {
			break
		}
		switch excess.Cmp(deficit) {
		case 1:
			underFloor = nil
		case -1:
			overCap = nil
		}
		for _, i := range overCap {
			amounts[i] = new(big.Int).Set(caps[i])
		}
		for _, i := range underFloor {
			amounts[i] = new(big.Int).Set(floor)
		}
	}

	if len(free) == 0 {
		if rest.Sign() != 0 { // excluded by the feasibility checks
			return nil, fmt.Errorf("%w: %s left with every territory fixed", errPerequationInternal,
				moneyFromBigCents(rest))
		}
	} else {
		ws := make([]*big.Int, len(free))
		for j, i := range free {
			ws[j] = needInts[i]
		}
		parts := splitCents(rest, ws, 0) // free is in code order: ties by code
		for j, i := range free {
			amounts[i] = parts[j]
		}
	}

	out := make([]PerequationAllocation, n)
	for i, t := range ts {
		out[i] = PerequationAllocation{Code: t.Code, Need: needs[i], Amount: moneyFromBigCents(amounts[i])}
	}
	return out, nil
}
