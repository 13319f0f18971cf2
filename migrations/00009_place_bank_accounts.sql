-- Places' bank accounts (PlaceBankAccountSet): the places projection keeps the
-- current IBAN, BIC and account holder of each place, for the SEPA credit transfer
-- file of a reimbursement batch. No event of that type existed before, so nothing
-- needs replaying.

-- +goose Up
ALTER TABLE place_info
    ADD COLUMN iban        text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN bic         text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN bank_holder text COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE place_info DROP COLUMN iban, DROP COLUMN bic, DROP COLUMN bank_holder;
