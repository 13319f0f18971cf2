-- Projections, second cut (issue 4): what profiling a rebuild of 1,000,000 events
-- changed in the tables of 00002 (docs/benchmarks.md):
--
--   - tables whose rows are sums updated in place keep free room in every page
--     (fillfactor 70), so that adding to a sum is a HOT update that touches no index;
--   - funder_flows and audit_batch_shares get one compact text key instead of six or
--     five key columns (flow_key = "funder|kind|programme|fund|territory|place",
--     share_key = "batch|funder|fund|programme|place"; ids never contain '|'): a
--     wide key made every addition several times dearer. The per-funder query reads
--     a range of flow_key;
--   - cheque_programmes records each programme's close: a cheque that was never
--     redeemed takes its status from its carnet (blocked once cancelled) and its
--     programme (expired once closed), so the ChequeExpired and ChequeBlocked of the
--     cheques nobody used (about half of them) write no row in cheques;
--   - audit_redemptions.attribution is now "funder|via fund|cents" items joined by
--     ';' (it was a JSON array).
--
-- Projections are derived data. Their rows written under 00002 are dropped and every
-- checkpoint goes back to the start: `serve` (live) or `passledger replay` rebuilds
-- them from position zero.

-- +goose Up
ALTER TABLE account_balances SET (fillfactor = 70);
ALTER TABLE account_daily_movements SET (fillfactor = 70);
ALTER TABLE cheque_carnets SET (fillfactor = 70);
ALTER TABLE equity_allocations SET (fillfactor = 70);
ALTER TABLE equity_programme_flows SET (fillfactor = 70);
ALTER TABLE prescriber_carnets SET (fillfactor = 70);

CREATE TABLE cheque_programmes (
    programme_id  text COLLATE "C" PRIMARY KEY,
    closed_on     date
);

DROP TABLE funder_flows;
CREATE TABLE funder_flows (
    flow_key        text COLLATE "C" NOT NULL,
    effective_date  date             NOT NULL,
    funder_id       text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL,
    programme_id    text COLLATE "C" NOT NULL DEFAULT '',
    fund_id         text COLLATE "C" NOT NULL DEFAULT '',
    territory       text COLLATE "C" NOT NULL DEFAULT '',
    place_id        text COLLATE "C" NOT NULL DEFAULT '',
    amount          numeric(18,2)    NOT NULL,
    PRIMARY KEY (flow_key, effective_date)
) WITH (fillfactor = 70);

DROP TABLE audit_batch_shares;
CREATE TABLE audit_batch_shares (
    share_key     text COLLATE "C" PRIMARY KEY,
    batch_id      text COLLATE "C" NOT NULL,
    funder_id     text COLLATE "C" NOT NULL,
    fund_id       text COLLATE "C" NOT NULL,
    programme_id  text COLLATE "C" NOT NULL,
    territory     text COLLATE "C" NOT NULL,
    place_id      text COLLATE "C" NOT NULL,
    amount        numeric(18,2)    NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX audit_batch_shares_batch_idx ON audit_batch_shares (batch_id);

TRUNCATE ledger_postings, account_balances, account_daily_movements,
    cheque_carnets, cheques, cheque_claims, cheque_batches,
    equity_needs, equity_fund_territories, equity_allocations, equity_programmes, equity_programme_flows,
    audit_funders, audit_programmes, audit_programme_funders, audit_programme_minted, audit_redemptions,
    place_info, place_redemptions, place_claims, place_batches, place_batch_lines,
    prescriber_info, prescriber_carnets,
    treasury_advances, treasury_repayments, treasury_bank_lines, treasury_movements;
UPDATE projection_checkpoints SET transaction_id = '0', position = 0, updated_at = now();

-- +goose Down
DROP TABLE audit_batch_shares;
CREATE TABLE audit_batch_shares (
    batch_id      text COLLATE "C" NOT NULL,
    funder_id     text COLLATE "C" NOT NULL,
    fund_id       text COLLATE "C" NOT NULL,
    programme_id  text COLLATE "C" NOT NULL,
    territory     text COLLATE "C" NOT NULL,
    place_id      text COLLATE "C" NOT NULL,
    amount        numeric(18,2) NOT NULL,
    PRIMARY KEY (batch_id, funder_id, fund_id, programme_id, place_id)
);
DROP TABLE funder_flows;
CREATE TABLE funder_flows (
    funder_id       text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL,
    programme_id    text COLLATE "C" NOT NULL DEFAULT '',
    fund_id         text COLLATE "C" NOT NULL DEFAULT '',
    territory       text COLLATE "C" NOT NULL DEFAULT '',
    place_id        text COLLATE "C" NOT NULL DEFAULT '',
    effective_date  date          NOT NULL,
    amount          numeric(18,2) NOT NULL,
    PRIMARY KEY (funder_id, kind, programme_id, fund_id, territory, place_id, effective_date)
);
DROP TABLE cheque_programmes;
ALTER TABLE account_balances RESET (fillfactor);
ALTER TABLE account_daily_movements RESET (fillfactor);
ALTER TABLE cheque_carnets RESET (fillfactor);
ALTER TABLE equity_allocations RESET (fillfactor);
ALTER TABLE equity_programme_flows RESET (fillfactor);
ALTER TABLE prescriber_carnets RESET (fillfactor);
TRUNCATE ledger_postings, account_balances, account_daily_movements,
    cheque_carnets, cheques, cheque_claims, cheque_batches,
    equity_needs, equity_fund_territories, equity_allocations, equity_programmes, equity_programme_flows,
    audit_funders, audit_programmes, audit_programme_funders, audit_programme_minted, audit_redemptions,
    place_info, place_redemptions, place_claims, place_batches, place_batch_lines,
    prescriber_info, prescriber_carnets,
    treasury_advances, treasury_repayments, treasury_bank_lines, treasury_movements;
UPDATE projection_checkpoints SET transaction_id = '0', position = 0, updated_at = now();
