package app

import (
	"context"
	"fmt"
	"sort"

	"github.com/passnumerique/passledger/domain"
	"github.com/passnumerique/passledger/eventstore"
)

// Cross-aggregate reads made by commands, straight from the event store, so that a
// decision never depends on how far a projection has got. Each lookup is a (type,
// payload field) pair named beside the one function that uses it; every pair has a
// partial expression index (migrations 00003 and 00005), so each is one index
// lookup on PostgreSQL.

// decodeEvents decodes stored events into domain events, in the order given.
func decodeEvents(recs []eventstore.RecordedEvent) ([]domain.Event, error) {
	out := make([]domain.Event, 0, len(recs))
	for _, r := range recs {
		e, err := domain.DecodeEvent(r.Type, r.Payload)
		if err != nil {
			return nil, fmt.Errorf("app: %s v%d: %w", r.StreamID, r.Version, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// eventsWhere loads and decodes the events of the (type, field) pairs whose field
// equals value.
func (a *App) eventsWhere(ctx context.Context, value string, fields ...eventstore.PayloadField) ([]domain.Event, error) {
	recs, err := a.store.EventsWhere(ctx, value, fields...)
	if err != nil {
		return nil, fmt.Errorf("app: read: %w", err)
	}
	return decodeEvents(recs)
}

// streamEvents decodes every event of the given streams.
func (a *App) streamEvents(ctx context.Context, streams []string) (map[string][]domain.Event, error) {
	raw, err := a.store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]domain.Event, len(raw))
	for s, recs := range raw {
		if out[s], err = decodeEvents(recs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// balanceOf sums the postings of events on one account.
func balanceOf(account string, events ...[]domain.Event) domain.Money {
	var total domain.Money
	for _, evs := range events {
		for _, e := range evs {
			for _, p := range domain.Postings(e) {
				if p.Account == account {
					total = total.Add(p.Amount)
				}
			}
		}
	}
	return total
}

// pledgesToFund finds the contributions pledged to a fund (by fund id).
var pledgesToFund = eventstore.PayloadField{EventType: domain.ContributionPledged{}.EventType(), Field: "fund_id"}

// fundContributors returns, per funder, what it has actually paid into the fund,
// sorted by funder id (the onward attribution of fund draws).
func (a *App) fundContributors(ctx context.Context, fundID string) ([]domain.ContributorReceipt, []string, error) {
	streams, err := a.store.StreamsWhere(ctx, fundID, pledgesToFund)
	if err != nil {
		return nil, nil, fmt.Errorf("app: contributions to fund %s: %w", fundID, err)
	}
	evs, err := a.streamEvents(ctx, streams)
	if err != nil {
		return nil, nil, err
	}
	byFunder := map[string]domain.Money{}
	for _, s := range streams {
		c := domain.Fold[domain.ContributionState](evs[s])
		byFunder[c.FunderID] = byFunder[c.FunderID].Add(c.Received)
	}
	out := make([]domain.ContributorReceipt, 0, len(byFunder))
	for f, m := range byFunder {
		if m.IsPositive() {
			out = append(out, domain.ContributorReceipt{FunderID: f, Received: m})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FunderID < out[j].FunderID })
	return out, streams, nil
}

// drawsFromFund finds the draws made on a fund (by fund id).
var drawsFromFund = eventstore.PayloadField{EventType: domain.FundDrawn{}.EventType(), Field: "fund_id"}

// fundAvailable is the fund's cash (receipts and advances, less repayments and
// draws) not yet reserved by an allocation that programmes have not drawn: what a
// new péréquation run may share.
func (a *App) fundAvailable(ctx context.Context, fund domain.FundState) (domain.Money, error) {
	_, streams, err := a.fundContributors(ctx, fund.FundID)
	if err != nil {
		return domain.Money{}, err
	}
	evs, err := a.streamEvents(ctx, streams)
	if err != nil {
		return domain.Money{}, err
	}
	draws, err := a.eventsWhere(ctx, fund.FundID, drawsFromFund)
	if err != nil {
		return domain.Money{}, err
	}
	var contributionEvents []domain.Event
	for _, s := range streams {
		contributionEvents = append(contributionEvents, evs[s]...)
	}
	cash := balanceOf(domain.AccountFundCash(fund.FundID), contributionEvents, draws)
	var reserved domain.Money
	for code := range fund.Allocated {
		reserved = reserved.Add(fund.Undrawn(code))
	}
	return cash.Sub(reserved), nil
}

// pledgesToProgramme and drawsByProgramme find the contributions pledged to a
// programme and the fund draws made for it (by programme id).
var (
	pledgesToProgramme = eventstore.PayloadField{EventType: domain.ContributionPledged{}.EventType(), Field: "programme_id"}
	drawsByProgramme   = eventstore.PayloadField{EventType: domain.FundDrawn{}.EventType(), Field: "programme_id"}
)

// programmeCash is the ring-fenced cash of each programme: receipts and advances of
// the contributions pledged to it, cash drawn from funds, less repayments and
// reimbursements already paid.
func (a *App) programmeCash(ctx context.Context, programmeIDs []string) (map[string]domain.Money, error) {
	recs, err := a.store.EventsOfTypes(ctx, domain.ReimbursementBatchPaid{}.EventType())
	if err != nil {
		return nil, fmt.Errorf("app: batches paid: %w", err)
	}
	paid, err := decodeEvents(recs)
	if err != nil {
		return nil, err
	}
	// What the batches paid took from each programme's cash, summed once for
	// every programme asked (not once per programme: every batch paid is read).
	want := make(map[string]bool, len(programmeIDs))
	for _, p := range programmeIDs {
		want[domain.AccountProgrammeCash(p)] = true
	}
	paidFrom := make(map[string]domain.Money, len(programmeIDs))
	for _, e := range paid {
		for _, p := range domain.Postings(e) {
			if want[p.Account] {
				paidFrom[p.Account] = paidFrom[p.Account].Add(p.Amount)
			}
		}
	}
	out := make(map[string]domain.Money, len(programmeIDs))
	for _, p := range programmeIDs {
		streams, err := a.store.StreamsWhere(ctx, p, pledgesToProgramme)
		if err != nil {
			return nil, fmt.Errorf("app: contributions to programme %s: %w", p, err)
		}
		evs, err := a.streamEvents(ctx, streams)
		if err != nil {
			return nil, err
		}
		draws, err := a.eventsWhere(ctx, p, drawsByProgramme)
		if err != nil {
			return nil, err
		}
		var contributionEvents []domain.Event
		for _, s := range streams {
			contributionEvents = append(contributionEvents, evs[s]...)
		}
		account := domain.AccountProgrammeCash(p)
		out[p] = balanceOf(account, contributionEvents, draws).Add(paidFrom[account])
	}
	return out, nil
}
