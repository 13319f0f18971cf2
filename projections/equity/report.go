package equity

import (
	"context"
	"fmt"
	"math/big"
	"sort"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/projections/core"
	"github.com/passnumerique/passledger/projections/equity/internal/dbsqlc"
)

// RatioDecimals is the number of decimals of the ratios a Report shows (euros per
// unit of need, redemption rate, median, threshold, Gini), rounded half away from
// zero from the exact value.
const RatioDecimals = 4

// FlagShare is the share of the median coverage below which a territory is flagged.
var FlagShare = decimal.RequireFromString("0.8")

// Figures is the territorial equity report that Report returns: one row per
// territory, national totals, the median coverage, the flag threshold and the Gini
// coefficient.
//
// Definitions (every figure exact until the final rounding to RatioDecimals):
//
//   - need = population × fragility rate, from the territory's latest need record
//     whose as-of date is on or before the report's date (ties: the last recorded);
//   - allocated = euros allocated to the territory by péréquation runs (of the
//     report's fund, or of every fund);
//   - minted, issued, redeemed (net of reversals), expired, blocked = face value of
//     the cheques of the programmes whose territory it is (whatever funded them);
//   - coverage = allocated per unit of need = allocated ÷ need (AllocatedPerNeed),
//     undefined without need data or with zero need;
//   - redemption rate = redeemed ÷ issued: the share of the cheque value that
//     reached beneficiaries and was used (undefined when nothing was issued);
//   - a territory is flagged (BelowThreshold) when its coverage is strictly below
//     FlagShare (80 %) of the median coverage of the territories that have one
//     (the median of an even count is the mean of the two middle values);
//   - Gini = the need-weighted Gini coefficient of coverage across those
//     territories: every unit of need counts as one person holding its territory's
//     euros per unit of need, so G = Σ_i Σ_j |a_i·n_j − a_j·n_i| / (2·N·A) with a
//     the allocations, n the needs, N = Σ n, A = Σ a (0: every unit of need gets the
//     same euros; near 1: all euros in one territory). Undefined when A = 0.
//
// As of a date, every figure counts only the events whose effective date
// (core.EffectiveDate) is on or before it.
type Figures struct {
	FundID string       `json:"fund_id,omitempty"`
	AsOf   *domain.Date `json:"as_of,omitempty"`
	// Territories are sorted by code.
	Territories []Territory `json:"territories"`
	Total       Total       `json:"total"`
	// MedianAllocatedPerNeed is the median coverage; FlagThreshold is FlagShare ×
	// the median. Both nil when no territory has a coverage.
	MedianAllocatedPerNeed *decimal.Decimal `json:"median_allocated_per_need"`
	FlagThreshold          *decimal.Decimal `json:"flag_threshold"`
	Gini                   *decimal.Decimal `json:"gini"`
}

// Territory is one row of the report.
type Territory struct {
	Code          string          `json:"territory"`
	HasNeedData   bool            `json:"has_need_data"`
	Population    int64           `json:"population"`
	FragilityRate decimal.Decimal `json:"fragility_rate"`
	Need          decimal.Decimal `json:"need"`

	Allocated       domain.Money `json:"allocated"`
	AllocatedByFund []FundAmount `json:"allocated_by_fund"`
	Minted          domain.Money `json:"minted"`
	Issued          domain.Money `json:"issued"`
	Redeemed        domain.Money `json:"redeemed"`
	Expired         domain.Money `json:"expired"`
	Blocked         domain.Money `json:"blocked"`

	AllocatedPerNeed *decimal.Decimal `json:"allocated_per_need"`
	RedemptionRate   *decimal.Decimal `json:"redemption_rate"`
	BelowThreshold   bool             `json:"below_threshold"`
}

// FundAmount is what one fund allocated to a territory.
type FundAmount struct {
	FundID string       `json:"fund_id"`
	Amount domain.Money `json:"amount"`
}

// Total sums the rows (ratios over the territories that have need data).
type Total struct {
	Territories      int              `json:"territories"`
	Flagged          int              `json:"flagged"`
	Population       int64            `json:"population"`
	Need             decimal.Decimal  `json:"need"`
	Allocated        domain.Money     `json:"allocated"`
	Minted           domain.Money     `json:"minted"`
	Issued           domain.Money     `json:"issued"`
	Redeemed         domain.Money     `json:"redeemed"`
	Expired          domain.Money     `json:"expired"`
	Blocked          domain.Money     `json:"blocked"`
	AllocatedPerNeed *decimal.Decimal `json:"allocated_per_need"`
	RedemptionRate   *decimal.Decimal `json:"redemption_rate"`
}

// Report builds the equity report for one fund (fundID; "" for all funds together)
// as of a date (asOf; nil for everything the projection applied). With a fund, the
// territories are the fund's (FundCreated) and those it allocated to, and
// Allocated counts that fund only; programme figures stay territory-wide. An
// unknown fund gives core.ErrNotFound. It reads a few aggregated rows per
// territory and programme day, whatever the size of the log.
func Report(ctx context.Context, q core.Querier, fundID string, asOf *domain.Date) (Figures, error) {
	rep := Figures{FundID: fundID, AsOf: asOf}
	var date pgtype.Date
	if asOf != nil {
		date = core.PgDate(*asOf)
	}
	rows := map[string]*Territory{}
	row := func(code string) *Territory {
		r := rows[code]
		if r == nil {
			r = &Territory{Code: code, AllocatedByFund: []FundAmount{}}
			rows[code] = r
		}
		return r
	}
	var inFund map[string]bool
	if fundID != "" {
		inFund = map[string]bool{}
		trs, err := queries.FundTerritories(ctx, core.ReadOnly(q), fundID)
		if err != nil {
			return Figures{}, fmt.Errorf("equity: %w", err)
		}
		for _, t := range trs {
			inFund[t] = true
			row(t)
		}
	}
	// Allocations.
	ars, err := queries.Allocations(ctx, core.ReadOnly(q), dbsqlc.AllocationsParams{FundID: fundID, AsOf: date})
	if err != nil {
		return Figures{}, fmt.Errorf("equity: %w", err)
	}
	for _, a := range ars {
		m, err := core.MoneyOf(a.Amount)
		if err != nil {
			return Figures{}, err
		}
		r := row(a.Territory)
		r.Allocated = r.Allocated.Add(m)
		r.AllocatedByFund = append(r.AllocatedByFund, FundAmount{FundID: a.FundID, Amount: m})
		if inFund != nil {
			inFund[a.Territory] = true
		}
	}
	if inFund != nil && len(inFund) == 0 {
		return Figures{}, fmt.Errorf("%w: fund %s", core.ErrNotFound, fundID)
	}
	keep := func(t string) bool { return inFund == nil || inFund[t] }
	// Need data.
	nrs, err := queries.Needs(ctx, core.ReadOnly(q), date)
	if err != nil {
		return Figures{}, fmt.Errorf("equity: %w", err)
	}
	for _, n := range nrs {
		if !keep(n.Territory) {
			continue
		}
		r := row(n.Territory)
		r.HasNeedData, r.Population = true, n.Population
		if r.FragilityRate, err = core.DecimalOf(n.FragilityRate); err == nil {
			r.Need, err = core.DecimalOf(n.Need)
		}
		if err != nil {
			return Figures{}, err
		}
	}
	// Programme figures.
	frs, err := queries.TerritoryFigures(ctx, core.ReadOnly(q), date)
	if err != nil {
		return Figures{}, fmt.Errorf("equity: %w", err)
	}
	for _, f := range frs {
		if !keep(f.Territory) {
			continue
		}
		r := row(f.Territory)
		for _, c := range []struct {
			to *domain.Money
			n  pgtype.Numeric
		}{{&r.Minted, f.Minted}, {&r.Issued, f.Issued}, {&r.Redeemed, f.Redeemed}, {&r.Expired, f.Expired}, {&r.Blocked, f.Blocked}} {
			if *c.to, err = core.MoneyOf(c.n); err != nil {
				return Figures{}, err
			}
		}
	}
	for _, r := range rows {
		rep.Territories = append(rep.Territories, *r)
	}
	sort.Slice(rep.Territories, func(i, j int) bool { return rep.Territories[i].Code < rep.Territories[j].Code })
	Compute(&rep)
	return rep, nil
}

// Compute fills the ratios, totals, median, threshold, flags and Gini of a report
// whose rows hold their figures (need, allocated, issued, redeemed, …). Report
// calls it; it is exported so that the arithmetic can be checked on hand-made rows.
func Compute(rep *Figures) {
	if rep.Territories == nil {
		rep.Territories = []Territory{}
	}
	t := Total{Territories: len(rep.Territories)}
	type cov struct {
		i int
		r *big.Rat
	}
	var covered []cov
	var sumA, sumN decimal.Decimal
	for i := range rep.Territories {
		r := &rep.Territories[i]
		r.AllocatedPerNeed, r.RedemptionRate, r.BelowThreshold = nil, nil, false
		t.Population += r.Population
		t.Need = t.Need.Add(r.Need)
		t.Allocated = t.Allocated.Add(r.Allocated)
		t.Minted = t.Minted.Add(r.Minted)
		t.Issued = t.Issued.Add(r.Issued)
		t.Redeemed = t.Redeemed.Add(r.Redeemed)
		t.Expired = t.Expired.Add(r.Expired)
		t.Blocked = t.Blocked.Add(r.Blocked)
		r.RedemptionRate = ratio(r.Redeemed.Decimal(), r.Issued.Decimal())
		if r.HasNeedData && r.Need.IsPositive() {
			r.AllocatedPerNeed = ratio(r.Allocated.Decimal(), r.Need)
			covered = append(covered, cov{i, new(big.Rat).Quo(r.Allocated.Decimal().Rat(), r.Need.Rat())})
			sumA, sumN = sumA.Add(r.Allocated.Decimal()), sumN.Add(r.Need)
		}
	}
	t.AllocatedPerNeed = ratio(sumA, sumN)
	t.RedemptionRate = ratio(t.Redeemed.Decimal(), t.Issued.Decimal())
	rep.MedianAllocatedPerNeed, rep.FlagThreshold, rep.Gini = nil, nil, nil
	if n := len(covered); n > 0 {
		sorted := append([]cov(nil), covered...)
		sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].r.Cmp(sorted[b].r) < 0 })
		median := new(big.Rat).Set(sorted[n/2].r)
		if n%2 == 0 {
			median.Add(median, sorted[n/2-1].r)
			median.Quo(median, big.NewRat(2, 1))
		}
		threshold := new(big.Rat).Mul(median, FlagShare.Rat())
		rep.MedianAllocatedPerNeed = ratRound(median)
		rep.FlagThreshold = ratRound(threshold)
		for _, c := range covered {
			if c.r.Cmp(threshold) < 0 {
				rep.Territories[c.i].BelowThreshold = true
				t.Flagged++
			}
		}
		if sumA.IsPositive() {
			var num decimal.Decimal
			for _, x := range covered {
				for _, y := range covered {
					rx, ry := rep.Territories[x.i], rep.Territories[y.i]
					num = num.Add(rx.Allocated.Decimal().Mul(ry.Need).Sub(ry.Allocated.Decimal().Mul(rx.Need)).Abs())
				}
			}
			g := num.DivRound(decimal.NewFromInt(2).Mul(sumN).Mul(sumA), RatioDecimals)
			rep.Gini = &g
		}
	}
	rep.Total = t
}

// ratio returns num ÷ den rounded to RatioDecimals, or nil when den is zero.
func ratio(num, den decimal.Decimal) *decimal.Decimal {
	if den.IsZero() {
		return nil
	}
	r := num.DivRound(den, RatioDecimals)
	return &r
}

func ratRound(r *big.Rat) *decimal.Decimal {
	d := decimal.NewFromBigInt(r.Num(), 0).DivRound(decimal.NewFromBigInt(r.Denom(), 0), RatioDecimals)
	return &d
}
