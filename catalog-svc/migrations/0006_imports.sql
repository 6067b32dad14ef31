-- ImportBatch's record of each import (docs/exchange-import.md): the coordinator's decision in a
-- two-phase commit across catalog-svc, volume-svc and contract-svc. 'preparing' until every
-- service has prepared its part; the UPDATE to 'committed' is the commit point; 'done' once every
-- part is committed. 'aborted': rolled back, everywhere once settled_at is set. Recovery reads
-- this table to finish what a crash left behind.
CREATE TABLE imports (
  id          text PRIMARY KEY,
  state       text NOT NULL CHECK (state IN ('preparing', 'committed', 'aborted', 'done')),
  file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  batch_code  text NOT NULL,
  region_code text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  settled_at  timestamptz
);
-- Recovery looks for the unfinished ones only.
CREATE INDEX imports_unfinished ON imports (created_at)
  WHERE state IN ('preparing', 'committed') OR (state = 'aborted' AND settled_at IS NULL);
