package domain

import (
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/shopspring/decimal"
)

// Errors returned by Split and SplitMoneyByMoney (wrapped with detail; test
// with errors.Is).
var (
	// ErrSplitNoWeights: the weight list is empty.
	ErrSplitNoWeights = errors.New("split: no weights")
	// ErrSplitNegativeWeight: a weight is negative.
	ErrSplitNegativeWeight = errors.New("split: negative weight")
	// ErrSplitZeroWeights: every weight is zero, so no proportion exists.
	ErrSplitZeroWeights = errors.New("split: all weights are zero")
	// ErrSplitNegativeTotal: the amount to split is negative.
	ErrSplitNegativeTotal = errors.New("split: negative total")
	// ErrSplitWeightRange: the weights' decimal exponents are more than
	// maxSplitExponentSpread apart (e.g. 1e-2000 next to 1e+2000), which would
	// need an absurdly large exact computation.
	ErrSplitWeightRange = errors.New("split: weights' magnitudes too far apart")
)

// maxSplitExponentSpread bounds the difference between the largest and the
// smallest decimal exponent among the weights of one split.
const maxSplitExponentSpread = 1000

// Split divides total into len(weights) parts proportional to weights, in
// whole cents, by the largest-remainder method:
//
//  1. With T = total in cents and W = Σ weights, part i first gets
//     floor(T × w_i / W) cents (exact integer arithmetic, no float).
//  2. The k = T − Σ floors cents left over (0 ≤ k < number of parts with a
//     positive weight) go one each to the k parts with the largest fractional
//     remainders (T × w_i mod W).
//  3. Ties between equal remainders are broken by index order starting at
//     index r = rotate mod n (Euclidean, so negative rotate works) and wrapping
//     around: r, r+1, …, n−1, 0, …, r−1. rotate lets per-cheque attribution
//     spread the odd cent over funders deterministically: with the cheque's
//     sequence number as rotate, a €10.00 cheque split 1/3-1/3-1/3 charges the
//     extra cent to funder 0, 1, 2, 0, … in turn instead of always to the
//     first. Use 0 where there is no such sequence.
//
// Hence the parts sum exactly to total, each part is within one cent of its
// exact proportional share (it is the share rounded down or up), a zero weight
// always gets 0.00, and the same inputs always give the same parts. Weights
// are exact decimals of any scale (money amounts, rates, needs).
//
// Errors: ErrSplitNoWeights, ErrSplitNegativeWeight, ErrSplitZeroWeights,
// ErrSplitNegativeTotal, ErrSplitWeightRange.
func Split(total Money, weights []decimal.Decimal, rotate int) ([]Money, error) {
	if total.IsNegative() {
		return nil, fmt.Errorf("%w: %s", ErrSplitNegativeTotal, total)
	}
	ints, err := scaleWeights(weights)
	if err != nil {
		return nil, err
	}
	cents := splitCents(total.bigCents(), ints, rotate)
	out := make([]Money, len(cents))
	for i, c := range cents {
		out[i] = moneyFromBigCents(c)
	}
	return out, nil
}

// SplitMoneyByMoney is Split with money amounts as weights (e.g. a cheque's
// value split pro rata of the programme's funding lines). A negative weight
// gives ErrSplitNegativeWeight.
func SplitMoneyByMoney(total Money, weights []Money, rotate int) ([]Money, error) {
	ds := make([]decimal.Decimal, len(weights))
	for i, w := range weights {
		ds[i] = w.Decimal()
	}
	return Split(total, ds, rotate)
}

// scaleWeights validates weights and returns them as non-negative integers in
// the same proportions (each multiplied by the same power of ten).
func scaleWeights(weights []decimal.Decimal) ([]*big.Int, error) {
	if len(weights) == 0 {
		return nil, ErrSplitNoWeights
	}
	minExp, maxExp := int64(0), int64(0)
	first := true
	allZero := true
	for i, w := range weights {
		if w.IsNegative() {
			return nil, fmt.Errorf("%w: weight %d is %s", ErrSplitNegativeWeight, i, w.String())
		}
		if w.IsZero() {
			continue
		}
		allZero = false
		e := int64(w.Exponent())
		if first || e < minExp {
			minExp = e
		}
		if first || e > maxExp {
			maxExp = e
		}
		first = false
	}
	if allZero {
		return nil, ErrSplitZeroWeights
	}
	if maxExp-minExp > maxSplitExponentSpread {
		return nil, fmt.Errorf("%w: exponents from %d to %d", ErrSplitWeightRange, minExp, maxExp)
	}
	ten := big.NewInt(10)
	out := make([]*big.Int, len(weights))
	for i, w := range weights {
		if w.IsZero() {
			out[i] = new(big.Int)
			continue
		}
		f := new(big.Int).Exp(ten, big.NewInt(int64(w.Exponent())-minExp), nil)
		out[i] = f.Mul(f, w.Coefficient())
	}
	return out, nil
}

// splitCents is the largest-remainder core of Split: total (cents, >= 0)
// divided in proportion to weights (non-negative integers, not all zero),
// ties broken by index order starting at rotate mod n.
func splitCents(total *big.Int, weights []*big.Int, rotate int) []*big.Int {
	n := len(weights)
	sum := new(big.Int)
	for _, w := range weights {
		sum.Add(sum, w)
	}
	parts := make([]*big.Int, n)
	rems := make([]*big.Int, n)
	left := new(big.Int).Set(total)
	for i, w := range weights {
		p := new(big.Int).Mul(total, w)
		q, r := new(big.Int).QuoRem(p, sum, new(big.Int))
		parts[i], rems[i] = q, r
		left.Sub(left, q)
	}
	// left < number of positive remainders <= n, so it fits an int.
	k := int(left.Int64())
	if k == 0 {
		return parts
	}
	start := rotate % n
	if start < 0 {
		start += n
	}
	order := make([]int, n)
	for j := range order {
		order[j] = (start + j) % n
	}
	sort.SliceStable(order, func(a, b int) bool {
		return rems[order[a]].Cmp(rems[order[b]]) > 0
	})
	one := big.NewInt(1)
	for _, i := range order[:k] {
		parts[i].Add(parts[i], one)
	}
	return parts
}
