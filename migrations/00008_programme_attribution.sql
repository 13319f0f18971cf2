-- Attribution over a programme's life (issue 10): cheque events no longer carry a
-- per-funder attribution; the funder audit attributes each programme's running
-- totals (domain.AttributeProgramme) when it is read.
--   - audit_programme_flows holds the programme-level flows (redeemed, reversed,
--     expired, blocked, unminted_returned, fee, fee_reversed, reimbursed) by
--     territory, place and effective date; flow_key = "programme|kind|territory|place"
--     so that one programme's flows are a range of the key. funder_flows keeps the
--     flows a funder owns outright (pledged, received, advanced, advance_repaid,
--     allocated);
--   - audit_redemptions keeps a redemption's amount instead of its attribution, and
--     audit_batch_shares a batch's amount per programme and place.
-- The event format changed (no attribution fields) and expiries, blocks, unminted
-- funding and fees now post to programme:P:returned and programme:P:fees, so every
-- projection is rebuilt from position zero.

-- +goose Up
CREATE TABLE audit_programme_flows (
    flow_key        text COLLATE "C" NOT NULL,
    effective_date  date             NOT NULL,
    programme_id    text COLLATE "C" NOT NULL,
    kind            text COLLATE "C" NOT NULL,
    territory       text COLLATE "C" NOT NULL DEFAULT '',
    place_id        text COLLATE "C" NOT NULL DEFAULT '',
    amount          numeric(18,2)    NOT NULL,
    PRIMARY KEY (flow_key, effective_date)
) WITH (fillfactor = 70);
ALTER TABLE audit_redemptions DROP COLUMN attribution;
ALTER TABLE audit_redemptions ADD COLUMN amount numeric(18,2) NOT NULL DEFAULT 0;
DROP TABLE audit_batch_shares;
CREATE TABLE audit_batch_shares (
    share_key     text COLLATE "C" PRIMARY KEY, -- "batch|programme|place"
    batch_id      text COLLATE "C" NOT NULL,
    programme_id  text COLLATE "C" NOT NULL,
    territory     text COLLATE "C" NOT NULL,
    place_id      text COLLATE "C" NOT NULL,
    amount        numeric(18,2)    NOT NULL
) WITH (fillfactor = 70);
CREATE INDEX audit_batch_shares_batch_idx ON audit_batch_shares (batch_id);
TRUNCATE ledger_postings, account_balances, account_daily_movements,
    cheque_carnets, cheques, cheque_claims, cheque_batches, cheque_programmes,
    equity_needs, equity_fund_territories, equity_allocations, equity_programmes, equity_programme_flows,
    funder_flows, audit_funders, audit_programmes, audit_programme_funders, audit_programme_minted, audit_redemptions,
    place_info, place_redemptions, place_claims, place_batches, place_batch_lines,
    prescriber_info, prescriber_carnets,
    treasury_advances, treasury_repayments, treasury_bank_lines, treasury_movements;
UPDATE projection_checkpoints SET transaction_id = '0', position = 0, updated_at = now();

-- +goose Down
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
ALTER TABLE audit_redemptions DROP COLUMN amount;
ALTER TABLE audit_redemptions ADD COLUMN attribution text COLLATE "C" NOT NULL DEFAULT '';
DROP TABLE audit_programme_flows;
TRUNCATE funder_flows, audit_funders, audit_programmes, audit_programme_funders, audit_programme_minted, audit_redemptions;
UPDATE projection_checkpoints SET transaction_id = '0', position = 0, updated_at = now();
