package domain

import (
	"fmt"
	"sort"
)

// FunderShare is the part of an amount attributed to one funder. When the
// funder's money came through a support fund (a programme funding line drawn
// from a fund's territorial allocation), ViaFundID names that fund, so that a
// State euro poured into a regional fund can still be followed to the place
// that redeemed it.
//
// A programme's funders are a list of FunderShare (ProgrammeCreated.Funders):
// its direct funder lines plus its fund lines already split among the fund's
// contributors. The programme's cheque outcomes (redeemed, reversed, expired,
// blocked), fees and unminted funding are attributed to them pro rata of
// their Amount by AttributeProgramme (programme_attribution.go).
type FunderShare struct {
	FunderID  string `json:"funder_id"`
	ViaFundID string `json:"via_fund_id,omitempty"`
	Amount    Money  `json:"amount"`
}

// ContributorReceipt is what one funder has actually paid into a support fund
// (the sum of the receipts of its contributions to the fund), as the caller
// computes it from the contribution streams. Fund draws are attributed to
// contributors pro rata of these amounts.
type ContributorReceipt struct {
	FunderID string `json:"funder_id"`
	Received Money  `json:"received"`
}

// Attribute splits amount among shares pro rata of their Amount, by the
// largest-remainder method in cents (Split, ties by index order). The result
// keeps the shares' order, funders and funds, drops zero parts, and sums
// exactly to amount. It is for one-off splits (a fund draw among the fund's
// contributors); the running attribution of a programme's cheque outcomes is
// AttributeProgramme's. Errors come from Split (no shares, all zero,
// negative).
func Attribute(shares []FunderShare, amount Money) ([]FunderShare, error) {
	weights := make([]Money, len(shares))
	for i, s := range shares {
		weights[i] = s.Amount
	}
	parts, err := SplitMoneyByMoney(amount, weights, 0)
	if err != nil {
		return nil, fmt.Errorf("attributing %s: %w", amount, err)
	}
	out := make([]FunderShare, 0, len(shares))
	for i, p := range parts {
		if p.IsZero() {
			continue
		}
		out = append(out, FunderShare{FunderID: shares[i].FunderID, ViaFundID: shares[i].ViaFundID, Amount: p})
	}
	return out, nil
}

// SumShares returns the sum of the shares' amounts.
func SumShares(shares []FunderShare) Money {
	var s Money
	for _, x := range shares {
		s = s.Add(x.Amount)
	}
	return s
}

// mergeContributors sums receipts per funder, drops funders with nothing
// received, and sorts by funder id so that the order in which the caller
// lists contributions does not change the attribution.
func mergeContributors(cs []ContributorReceipt) ([]ContributorReceipt, error) {
	by := map[string]Money{}
	for _, c := range cs {
		if err := checkID("contributor funder_id", c.FunderID); err != nil {
			return nil, err
		}
		if c.Received.IsNegative() {
			return nil, fmt.Errorf("%w: contributor %s received %s", ErrNegativeAmount, c.FunderID, c.Received)
		}
		by[c.FunderID] = by[c.FunderID].Add(c.Received)
	}
	out := make([]ContributorReceipt, 0, len(by))
	for id, m := range by {
		if m.IsPositive() {
			out = append(out, ContributorReceipt{FunderID: id, Received: m})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FunderID < out[j].FunderID })
	return out, nil
}
