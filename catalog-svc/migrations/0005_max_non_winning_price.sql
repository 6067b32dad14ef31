-- The highest listing price the alliance office allows a NON_WINNING product of a group
-- (DOMAIN.md "Supervision"): 0.0001 yuan, NULL when the office set none.
ALTER TABLE groups ADD COLUMN max_non_winning_price bigint CHECK (max_non_winning_price > 0);
