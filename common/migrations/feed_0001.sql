-- The change feed every service keeps in its own schema (common/feed.h). Applied by each service
-- after its own migrations (vbp_feed_migrate).
CREATE TABLE changes (
  seq bigint PRIMARY KEY,          -- commit order within this schema (feed_clock)
  type text NOT NULL,              -- "contract", "demandReport", ...
  id text NOT NULL,
  action text NOT NULL,            -- "created", "updated", "deleted"
  at timestamptz NOT NULL,         -- taken just before COMMIT
  region_code text,                -- where the changed thing lives, NULL: nowhere in particular
  batch_code text,                 -- the batch it belongs to, NULL: none
  parties text[] NOT NULL DEFAULT '{}', -- organization ids that may read it
  public boolean NOT NULL DEFAULT false -- reference data: every authenticated caller
);

-- One row. Its row lock, taken by vbp_feed_flush just before COMMIT and held until then, hands
-- out the sequence numbers in commit order.
CREATE TABLE feed_clock (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq bigint NOT NULL
);
INSERT INTO feed_clock (one, seq) VALUES (true, 0);
