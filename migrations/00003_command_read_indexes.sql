-- Indexes for the few cross-aggregate reads that commands make over the events
-- table itself (app/reads.go), so that a decision never depends on a projection's lag:
-- which contributions target a fund or a programme, which programmes drew from a
-- fund, and which cheques are redeemed and not yet claimed by a batch.

-- +goose Up
CREATE INDEX events_type_idx ON events (event_type);
CREATE INDEX events_pledge_fund_idx ON events ((payload->>'fund_id'))
    WHERE event_type = 'ContributionPledged';
CREATE INDEX events_pledge_programme_idx ON events ((payload->>'programme_id'))
    WHERE event_type = 'ContributionPledged';
CREATE INDEX events_draw_programme_idx ON events ((payload->>'programme_id'))
    WHERE event_type = 'FundDrawn';
CREATE INDEX events_draw_fund_idx ON events ((payload->>'fund_id'))
    WHERE event_type = 'FundDrawn';
CREATE INDEX events_redemption_idx ON events ((payload->>'redemption_id'))
    WHERE event_type = 'ChequeRedeemed';

-- +goose Down
DROP INDEX events_redemption_idx;
DROP INDEX events_draw_fund_idx;
DROP INDEX events_draw_programme_idx;
DROP INDEX events_pledge_programme_idx;
DROP INDEX events_pledge_fund_idx;
DROP INDEX events_type_idx;
