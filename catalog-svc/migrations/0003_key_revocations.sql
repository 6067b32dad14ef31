-- The key revocation version (API.md "Who may do what": a revoked key stops working everywhere
-- within 1 s). Every revocation bumps it in its own transaction and stamps the key with the new
-- number; every authenticator (the gateways', each service's) asks ListKeyRevocations every
-- 200 ms for the keys stamped after the last version it saw and forgets them.
--
-- A row, not a sequence: the UPDATE that bumps it holds the row until the revoking transaction
-- commits, so revocations commit in the order of their numbers. With a sequence a later number
-- could commit first, a poller would move past the earlier one, and never see its key.
CREATE TABLE key_revocation_version (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), -- a second row cannot exist
  version  bigint NOT NULL
);
-- A random start, as price_inputs_version's: an authenticator that outlives a database (a
-- recreated one, a test's) never takes the new one's numbers for the old one's.
INSERT INTO key_revocation_version (version)
  VALUES (1 + floor(random() * 4503599627370496)::bigint);

ALTER TABLE api_keys ADD COLUMN revoked_version bigint;
CREATE INDEX api_keys_by_revoked_version ON api_keys (revoked_version)
  WHERE revoked_version IS NOT NULL;
