package domain

import (
	"fmt"
	"time"
)

// FundDrawn records a programme funding line taken from a fund's allocation
// to the programme's territory, with its onward attribution to the fund's
// contributors pro rata of their receipts (Contributors records the receipts
// used, so the split can be recomputed). Stream: FundStream(FundID).
//
// Postings: Dr fund:{X}:territory:{T} / Cr programme:{P}:funding, and the
// ring-fenced cash follows: Dr cash:programme:{P} / Cr cash:fund:{X}.
type FundDrawn struct {
	FundID       string               `json:"fund_id"`
	ProgrammeID  string               `json:"programme_id"`
	Territory    string               `json:"territory"`
	Amount       Money                `json:"amount"`
	Contributors []ContributorReceipt `json:"contributors"`
	Attribution  []FunderShare        `json:"attribution"`
	DrawnAt      time.Time            `json:"drawn_at"`
}

// EventType returns "FundDrawn".
func (FundDrawn) EventType() string { return "FundDrawn" }

// DrawFundCommand takes amount from a fund's allocation to a territory for a
// programme. CreateProgramme issues it for each fund funding line; it is
// exported for callers and tests that need a draw on its own.
type DrawFundCommand struct {
	FundID      string
	ProgrammeID string
	Territory   string
	Amount      Money
	// Contributors are the fund's contributors and what each has received
	// into the fund so far (the caller sums ContributionReceived of the
	// contributions pledged to the fund). Funders listed twice are merged.
	Contributors []ContributorReceipt
	Now          time.Time
}

// DrawFund returns a FundDrawn for FundStream(cmd.FundID). Rules: the fund
// exists (ErrNotFound); the territory is a département (ErrInvalidTerritory)
// of the fund (ErrTerritoryNotInFund); the amount is positive
// (ErrNonPositiveAmount) and at most the territory's allocated-minus-drawn
// (*LimitError wrapping ErrFundAllocationExceeded); a programme draws from a
// fund once (ErrAlreadyExists); the contributors have received something
// (ErrFundHasNoReceipts). The attribution is SplitMoneyByMoney(amount,
// receipts, 0) over the contributors sorted by funder id, each share tagged
// with ViaFundID = the fund.
func DrawFund(cmd DrawFundCommand, fund FundState) ([]Event, error) {
	ev, err := drawFund(cmd, fund)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}

func drawFund(cmd DrawFundCommand, fund FundState) (FundDrawn, error) {
	if err := checkFund(cmd.FundID, fund); err != nil {
		return FundDrawn{}, err
	}
	if err := checkID("programme_id", cmd.ProgrammeID); err != nil {
		return FundDrawn{}, err
	}
	if err := checkTerritory("territory", cmd.Territory); err != nil {
		return FundDrawn{}, err
	}
	if !fund.HasTerritory(cmd.Territory) {
		return FundDrawn{}, fmt.Errorf("%w: %s not in fund %s", ErrTerritoryNotInFund, cmd.Territory, fund.FundID)
	}
	if fund.ProgrammeDraws[cmd.ProgrammeID] {
		return FundDrawn{}, fmt.Errorf("%w: programme %s already drew from fund %s", ErrAlreadyExists, cmd.ProgrammeID, fund.FundID)
	}
	if err := requirePositive("amount", cmd.Amount); err != nil {
		return FundDrawn{}, err
	}
	if left := fund.Undrawn(cmd.Territory); cmd.Amount.GreaterThan(left) {
		return FundDrawn{}, limitErr(ErrFundAllocationExceeded,
			fmt.Sprintf("fund %s territory %s", fund.FundID, cmd.Territory), cmd.Amount, left)
	}
	contributors, err := mergeContributors(cmd.Contributors)
	if err != nil {
		return FundDrawn{}, err
	}
	if len(contributors) == 0 {
		return FundDrawn{}, fmt.Errorf("%w: fund %s", ErrFundHasNoReceipts, fund.FundID)
	}
	now, err := instant("now", cmd.Now)
	if err != nil {
		return FundDrawn{}, err
	}
	shares := make([]FunderShare, len(contributors))
	for i, c := range contributors {
		shares[i] = FunderShare{FunderID: c.FunderID, ViaFundID: fund.FundID, Amount: c.Received}
	}
	attribution, err := Attribute(shares, cmd.Amount)
	if err != nil {
		return FundDrawn{}, err
	}
	return FundDrawn{
		FundID: fund.FundID, ProgrammeID: cmd.ProgrammeID, Territory: cmd.Territory,
		Amount: cmd.Amount, Contributors: contributors, Attribution: attribution, DrawnAt: now,
	}, nil
}
