package app

import (
	"context"
	"fmt"
	"sort"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/passnumerique/passledger/domain"
)

// Cross-aggregate reads made by commands, straight from the events table, so that a
// decision never depends on how far a projection has got. Each is a short named
// query beside the one function that uses it.

const pledgesToFundSQL = `SELECT DISTINCT stream_id FROM events
WHERE event_type = 'ContributionPledged' AND payload->>'fund_id' = $1`

const pledgesToProgrammeSQL = `SELECT DISTINCT stream_id FROM events
WHERE event_type = 'ContributionPledged' AND payload->>'programme_id' = $1`

const drawsByProgrammeSQL = `SELECT position FROM events
WHERE event_type = 'FundDrawn' AND payload->>'programme_id' = $1`

const drawsFromFundSQL = `SELECT position FROM events
WHERE event_type = 'FundDrawn' AND payload->>'fund_id' = $1`

const batchPaymentsSQL = `SELECT position FROM events WHERE event_type = 'ReimbursementBatchPaid'`

// redeemedUnclaimedSQL lists the cheques whose last redemption is neither
// reversed nor claimed by a batch.
const redeemedUnclaimedSQL = `SELECT stream_id FROM events
WHERE event_type IN ('ChequeRedeemed', 'RedemptionReversed', 'ChequeReimbursementClaimed')
GROUP BY stream_id
HAVING count(*) FILTER (WHERE event_type = 'ChequeRedeemed') >
       count(*) FILTER (WHERE event_type IN ('RedemptionReversed', 'ChequeReimbursementClaimed'))`

func (a *App) strings(ctx context.Context, sql string, args ...any) ([]string, error) {
	rows, err := a.store.(interface{ Pool() *pgxpool.Pool }).Pool().Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("app: read: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// eventsAt loads and decodes the events at the positions the subquery sql selects.
func (a *App) eventsAt(ctx context.Context, sql string, args ...any) ([]domain.Event, error) {
	return a.queryEvents(ctx, `SELECT event_type, payload FROM events WHERE position IN (`+sql+`)`, args...)
}

// queryEvents runs sql, which selects (event_type, payload) rows, and decodes them.
func (a *App) queryEvents(ctx context.Context, sql string, args ...any) ([]domain.Event, error) {
	rows, err := a.store.(interface{ Pool() *pgxpool.Pool }).Pool().Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("app: read: %w", err)
	}
	defer rows.Close()
	var out []domain.Event
	for rows.Next() {
		var typ string
		var payload []byte
		if err := rows.Scan(&typ, &payload); err != nil {
			return nil, err
		}
		e, err := domain.DecodeEvent(typ, payload)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// streamEvents decodes every event of the given streams.
func (a *App) streamEvents(ctx context.Context, streams []string) (map[string][]domain.Event, error) {
	raw, err := a.store.ReadStreams(ctx, streams)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]domain.Event, len(raw))
	for s, evs := range raw {
		for _, e := range evs {
			d, err := domain.DecodeEvent(e.Type, e.Payload)
			if err != nil {
				return nil, fmt.Errorf("app: %s v%d: %w", s, e.Version, err)
			}
			out[s] = append(out[s], d)
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

// fundContributors returns, per funder, what it has actually paid into the fund,
// sorted by funder id (the onward attribution of fund draws).
func (a *App) fundContributors(ctx context.Context, fundID string) ([]domain.ContributorReceipt, []string, error) {
	streams, err := a.strings(ctx, pledgesToFundSQL, fundID)
	if err != nil {
		return nil, nil, err
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
	draws, err := a.eventsAt(ctx, drawsFromFundSQL, fund.FundID)
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

// programmeCash is the ring-fenced cash of each programme: receipts and advances of
// the contributions pledged to it, cash drawn from funds, less repayments and
// reimbursements already paid.
func (a *App) programmeCash(ctx context.Context, programmeIDs []string) (map[string]domain.Money, error) {
	paid, err := a.eventsAt(ctx, batchPaymentsSQL)
	if err != nil {
		return nil, err
	}
	out := make(map[string]domain.Money, len(programmeIDs))
	for _, p := range programmeIDs {
		streams, err := a.strings(ctx, pledgesToProgrammeSQL, p)
		if err != nil {
			return nil, err
		}
		evs, err := a.streamEvents(ctx, streams)
		if err != nil {
			return nil, err
		}
		draws, err := a.eventsAt(ctx, drawsByProgrammeSQL, p)
		if err != nil {
			return nil, err
		}
		var contributionEvents []domain.Event
		for _, s := range streams {
			contributionEvents = append(contributionEvents, evs[s]...)
		}
		out[p] = balanceOf(domain.AccountProgrammeCash(p), contributionEvents, draws, paid)
	}
	return out, nil
}
