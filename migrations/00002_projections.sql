-- Projections (SPEC §5, issue 4): read models derived from the event store.
--
-- Every table below is owned by exactly one projection (see projections/*/doc.go) and
-- is written only by that projection's Apply, in the same transaction that moves the
-- projection's row of projection_checkpoints. Rebuild truncates a projection's tables
-- and resets its checkpoint in one transaction, then replays the log from position
-- zero. Nothing here is a source of truth: dropping every table and replaying the
-- events gives the same rows.
--
-- Conventions: text columns use the "C" collation (ids are ASCII; bytewise comparison
-- is several times cheaper than a libc locale's and orders alike on every server);
-- money is numeric(18,2) (exact, two decimals); an absent text value is
-- '' (not NULL) so that keys and comparisons stay simple; an absent date or instant is
-- NULL; effective_date is the business date of the event that produced the row (see
-- projections/core.EffectiveDate).

-- +goose Up

-- One row per projection: the last event (in gap-free reading order) whose effect is
-- in the projection's tables. (transaction_id, position) is an eventstore.Cursor.
CREATE TABLE projection_checkpoints (
    name            text COLLATE "C" PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT '0',
    position        bigint      NOT NULL DEFAULT 0,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- ---------------------------------------------------------------------------------
-- balances: double-entry postings and account balances.

-- One row per (event, account): domain.Postings(event) with the legs of one account
-- in one event summed (a cheque expiry shared by three funders debits the programme's
-- cheques account once and credits three funders). No index: rows are only ever
-- appended and scanned (BalancesAtPosition); the checkpoint, not a key, guarantees
-- that an event is written once, and an index would slow the hottest table.
CREATE TABLE ledger_postings (
    position        bigint        NOT NULL,
    transaction_id  xid8          NOT NULL,
    event_type      text COLLATE "C" NOT NULL,
    account         text COLLATE "C" NOT NULL,
    amount          numeric(18,2) NOT NULL,
    recorded_at     timestamptz   NOT NULL,
    effective_date  date          NOT NULL
);

-- Balance of every account at the projection's checkpoint (debit positive).
CREATE TABLE account_balances (
    account  text COLLATE "C" PRIMARY KEY,
    balance  numeric(18,2) NOT NULL
);

-- Net movement of every account per effective date: as-of-date balances sum these.
CREATE TABLE account_daily_movements (
    account         text COLLATE "C" NOT NULL,
    effective_date  date          NOT NULL,
    amount          numeric(18,2) NOT NULL,
    PRIMARY KEY (account, effective_date)
);

-- ---------------------------------------------------------------------------------
-- cheques: cheque status by serial, with history.

CREATE TABLE cheque_carnets (
    carnet_id      text COLLATE "C" PRIMARY KEY,
    programme_id   text COLLATE "C" NOT NULL,
    prescriber_id  text COLLATE "C" NOT NULL,
    ordinal        integer       NOT NULL,
    cheque_count   integer       NOT NULL,
    cheque_value   numeric(18,2) NOT NULL,
    status         text COLLATE "C" NOT NULL, -- in_stock | issued | cancelled
    was_issued     boolean       NOT NULL DEFAULT false,
    territory      text COLLATE "C" NOT NULL DEFAULT '',
    need_level     text COLLATE "C" NOT NULL DEFAULT '',
    job_seeker     boolean       NOT NULL DEFAULT false,
    minted_at      timestamptz   NOT NULL,
    issued_at      timestamptz,
    cancelled_at   timestamptz,
    cancel_reason  text COLLATE "C" NOT NULL DEFAULT ''
);

-- A row exists once the cheque's own stream has an event (redeemed, reversed,
-- expired, blocked); a cheque never touched takes its status from its carnet. Its
-- history is its stream (and its carnet's) in the event store: Cheque reads it there,
-- up to the projection's checkpoint, rather than keep a copy.
CREATE TABLE cheques (
    serial           text COLLATE "C" PRIMARY KEY,
    carnet_id        text COLLATE "C" NOT NULL,
    programme_id     text COLLATE "C" NOT NULL,
    status           text COLLATE "C" NOT NULL, -- redeemed | reversed | expired | blocked
    redemption_id    text COLLATE "C" NOT NULL DEFAULT '',
    place_id         text COLLATE "C" NOT NULL DEFAULT '',
    place_territory  text COLLATE "C" NOT NULL DEFAULT '',
    session_date     date,
    redeemed_at      timestamptz,
    amount           numeric(18,2),
    reversals        integer       NOT NULL DEFAULT 0,
    closed_on        date,          -- expired on, or date blocked
    last_position    bigint        NOT NULL
);

-- Reimbursement claims (ChequeReimbursementClaimed), insert only: a claim never
-- changes, and a claimed redemption can no longer be reversed.
CREATE TABLE cheque_claims (
    redemption_id  text COLLATE "C" PRIMARY KEY,
    serial         text COLLATE "C" NOT NULL,
    batch_id       text COLLATE "C" NOT NULL,
    claimed_at     timestamptz NOT NULL
);

CREATE TABLE cheque_batches (
    batch_id        text COLLATE "C" PRIMARY KEY,
    cut_off         date        NOT NULL,
    created_at      timestamptz NOT NULL,
    paid_on         date,
    bank_reference  text COLLATE "C" NOT NULL DEFAULT ''
);

-- ---------------------------------------------------------------------------------
-- equity: territorial equity.

CREATE TABLE equity_needs (
    territory       text COLLATE "C" NOT NULL,
    position        bigint  NOT NULL,
    as_of           date    NOT NULL,
    population      bigint  NOT NULL,
    fragility_rate  numeric NOT NULL,
    need            numeric NOT NULL,
    PRIMARY KEY (territory, position)
);

CREATE TABLE equity_fund_territories (
    fund_id    text COLLATE "C" NOT NULL,
    territory  text COLLATE "C" NOT NULL,
    PRIMARY KEY (fund_id, territory)
);

CREATE TABLE equity_allocations (
    fund_id         text COLLATE "C" NOT NULL,
    territory       text COLLATE "C" NOT NULL,
    effective_date  date          NOT NULL,
    amount          numeric(18,2) NOT NULL,
    PRIMARY KEY (fund_id, territory, effective_date)
);

CREATE TABLE equity_programmes (
    programme_id  text COLLATE "C" PRIMARY KEY,
    territory     text COLLATE "C" NOT NULL
);

-- Programme figures per effective date, in euros of face value.
CREATE TABLE equity_programme_flows (
    programme_id    text COLLATE "C" NOT NULL,
    effective_date  date          NOT NULL,
    territory       text COLLATE "C" NOT NULL,
    minted          numeric(18,2) NOT NULL DEFAULT 0,
    issued          numeric(18,2) NOT NULL DEFAULT 0,
    redeemed        numeric(18,2) NOT NULL DEFAULT 0,
    expired         numeric(18,2) NOT NULL DEFAULT 0,
    blocked         numeric(18,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (programme_id, effective_date)
);

-- ---------------------------------------------------------------------------------
-- audit: funder audit trail.

-- The shares events attributed to funders, summed per funder, kind, programme, fund,
-- territory, place and effective date (kind: pledged, received, advanced,
-- advance_repaid, allocated, redeemed, reversed, expired, blocked, unminted_returned,
-- fee, fee_reversed, reimbursed). Sums per day keep as-of-date figures exact and the
-- table a fraction of the size of one row per share.
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

CREATE TABLE audit_funders (
    funder_id  text COLLATE "C" PRIMARY KEY,
    name       text COLLATE "C" NOT NULL,
    kind       text COLLATE "C" NOT NULL
);

CREATE TABLE audit_programmes (
    programme_id   text COLLATE "C" PRIMARY KEY,
    territory      text COLLATE "C" NOT NULL,
    total_funding  numeric(18,2) NOT NULL,
    created_on     date          NOT NULL
);

CREATE TABLE audit_programme_funders (
    programme_id  text COLLATE "C" NOT NULL,
    seq           integer       NOT NULL,
    funder_id     text COLLATE "C" NOT NULL,
    via_fund_id   text COLLATE "C" NOT NULL DEFAULT '',
    amount        numeric(18,2) NOT NULL,
    PRIMARY KEY (programme_id, seq)
);
CREATE INDEX audit_programme_funders_funder_idx ON audit_programme_funders (funder_id);

CREATE TABLE audit_programme_minted (
    programme_id    text COLLATE "C" NOT NULL,
    effective_date  date          NOT NULL,
    value           numeric(18,2) NOT NULL,
    PRIMARY KEY (programme_id, effective_date)
);

-- A redemption's attribution, kept until a batch claims it.
CREATE TABLE audit_redemptions (
    redemption_id  text COLLATE "C" PRIMARY KEY,
    programme_id   text COLLATE "C" NOT NULL,
    place_id       text COLLATE "C" NOT NULL,
    territory      text COLLATE "C" NOT NULL,
    attribution    text COLLATE "C" NOT NULL -- JSON array of domain.FunderShare
);

-- What each funder's money contributes to a reimbursement batch.
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

-- ---------------------------------------------------------------------------------
-- places: place statements.

CREATE TABLE place_info (
    place_id            text COLLATE "C" PRIMARY KEY,
    name                text COLLATE "C" NOT NULL DEFAULT '',
    siret               text COLLATE "C" NOT NULL DEFAULT '',
    territory           text COLLATE "C" NOT NULL DEFAULT '',
    label_status        text COLLATE "C" NOT NULL DEFAULT 'none',
    label_effective_on  date
);

CREATE TABLE place_redemptions (
    redemption_id  text COLLATE "C" PRIMARY KEY,
    place_id       text COLLATE "C" NOT NULL,
    serial         text COLLATE "C" NOT NULL,
    programme_id   text COLLATE "C" NOT NULL,
    session_date   date          NOT NULL,
    redeemed_at    timestamptz   NOT NULL,
    amount         numeric(18,2) NOT NULL,
    reversed_at    timestamptz,
    position       bigint        NOT NULL
);
CREATE INDEX place_redemptions_place_idx ON place_redemptions (place_id);

-- Reimbursement claims, insert only.
CREATE TABLE place_claims (
    redemption_id  text COLLATE "C" PRIMARY KEY,
    batch_id       text COLLATE "C" NOT NULL,
    claimed_at     timestamptz NOT NULL
);

CREATE TABLE place_batches (
    batch_id        text COLLATE "C" PRIMARY KEY,
    cut_off         date        NOT NULL,
    created_at      timestamptz NOT NULL,
    paid_on         date,
    bank_reference  text COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE place_batch_lines (
    batch_id  text COLLATE "C" NOT NULL,
    place_id  text COLLATE "C" NOT NULL,
    amount    numeric(18,2) NOT NULL,
    count     integer       NOT NULL,
    PRIMARY KEY (batch_id, place_id)
);
CREATE INDEX place_batch_lines_place_idx ON place_batch_lines (place_id);

-- ---------------------------------------------------------------------------------
-- prescribers: prescriber stock.

CREATE TABLE prescriber_info (
    prescriber_id  text COLLATE "C" PRIMARY KEY,
    name           text COLLATE "C" NOT NULL DEFAULT '',
    kind           text COLLATE "C" NOT NULL DEFAULT '',
    territory      text COLLATE "C" NOT NULL DEFAULT ''
);

CREATE TABLE prescriber_carnets (
    carnet_id      text COLLATE "C" PRIMARY KEY,
    prescriber_id  text COLLATE "C" NOT NULL,
    programme_id   text COLLATE "C" NOT NULL,
    cheque_count   integer       NOT NULL,
    value          numeric(18,2) NOT NULL,
    status         text COLLATE "C" NOT NULL, -- in_stock | issued | cancelled
    was_issued     boolean       NOT NULL DEFAULT false,
    need_level     text COLLATE "C" NOT NULL DEFAULT '',
    job_seeker     boolean       NOT NULL DEFAULT false,
    minted_at      timestamptz   NOT NULL,
    issued_at      timestamptz,
    cancelled_at   timestamptz
);
CREATE INDEX prescriber_carnets_prescriber_idx ON prescriber_carnets (prescriber_id);

-- ---------------------------------------------------------------------------------
-- treasury: advances and bank reconciliation.

CREATE TABLE treasury_advances (
    contribution_id  text COLLATE "C" NOT NULL,
    advance_id       text COLLATE "C" NOT NULL,
    funder_id        text COLLATE "C" NOT NULL,
    fund_id          text COLLATE "C" NOT NULL DEFAULT '',
    programme_id     text COLLATE "C" NOT NULL DEFAULT '',
    amount           numeric(18,2) NOT NULL,
    granted_on       date          NOT NULL,
    PRIMARY KEY (contribution_id, advance_id)
);

CREATE TABLE treasury_repayments (
    contribution_id  text COLLATE "C" NOT NULL,
    repayment_id     text COLLATE "C" NOT NULL,
    advance_id       text COLLATE "C" NOT NULL,
    amount           numeric(18,2) NOT NULL,
    repaid_on        date          NOT NULL,
    PRIMARY KEY (contribution_id, repayment_id)
);

CREATE TABLE treasury_bank_lines (
    bank_line_id   text COLLATE "C" PRIMARY KEY,
    value_date     date          NOT NULL,
    amount         numeric(18,2) NOT NULL,
    reference      text COLLATE "C" NOT NULL DEFAULT '',
    label          text COLLATE "C" NOT NULL DEFAULT '',
    movement_kind  text COLLATE "C" NOT NULL DEFAULT '',
    movement_id    text COLLATE "C" NOT NULL DEFAULT '',
    matched_at     timestamptz
);

-- Expected bank movements (receipts, reimbursement payments, advances, repayments).
-- amount is NULL while only the match is known (a match recorded before the movement,
-- which the write side does not allow, would show that way).
CREATE TABLE treasury_movements (
    kind          text COLLATE "C" NOT NULL,
    movement_id   text COLLATE "C" NOT NULL,
    amount        numeric(18,2),
    value_date    date,
    reference     text COLLATE "C" NOT NULL DEFAULT '',
    bank_line_id  text COLLATE "C" NOT NULL DEFAULT '',
    matched_at    timestamptz,
    PRIMARY KEY (kind, movement_id)
);

-- +goose Down
DROP TABLE treasury_movements, treasury_bank_lines, treasury_repayments, treasury_advances;
DROP TABLE prescriber_carnets, prescriber_info;
DROP TABLE place_batch_lines, place_batches, place_claims, place_redemptions, place_info;
DROP TABLE audit_batch_shares, audit_redemptions, audit_programme_minted, audit_programme_funders,
    audit_programmes, audit_funders, funder_flows;
DROP TABLE equity_programme_flows, equity_programmes, equity_allocations, equity_fund_territories,
    equity_needs;
DROP TABLE cheque_batches, cheque_claims, cheques, cheque_carnets;
DROP TABLE account_daily_movements, account_balances, ledger_postings;
DROP TABLE projection_checkpoints;
