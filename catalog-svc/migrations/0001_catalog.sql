-- The catalog: regions, organizations and their API keys, batches and executions, products,
-- bidding groups and results. Enums are stored as the numbers of the vbp.v1 proto enums.

CREATE TABLE regions (
  code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
  name        text NOT NULL,
  level       smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  parent_code text REFERENCES regions (code)
);

CREATE TABLE organizations (
  id               text PRIMARY KEY,
  name             text NOT NULL,
  kind             smallint NOT NULL CHECK (kind BETWEEN 1 AND 6),
  region_code      text NOT NULL REFERENCES regions (code),
  credit_code      text NOT NULL UNIQUE,
  institution_type smallint NOT NULL DEFAULT 0,
  consortium_id    text REFERENCES organizations (id),
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_by_region ON organizations (region_code, id);

-- Only a key's SHA-256 is kept: the key itself is shown once, at creation.
CREATE TABLE api_keys (
  id              text PRIMARY KEY,
  organization_id text NOT NULL REFERENCES organizations (id),
  key_sha256      text NOT NULL UNIQUE,
  created_at      timestamptz NOT NULL DEFAULT now(),
  revoked_at      timestamptz
);

CREATE TABLE batches (
  code                    text PRIMARY KEY,
  name                    text NOT NULL,
  kind                    smallint NOT NULL,
  organizer_level         smallint NOT NULL,
  lead_region_code        text NOT NULL REFERENCES regions (code),
  member_region_codes     text[] NOT NULL,
  cycle_years             integer NOT NULL DEFAULT 0,
  cycle_end               date,
  non_winning_cap_percent integer NOT NULL DEFAULT 0,
  renewal_floor           smallint NOT NULL,
  created_by              text NOT NULL DEFAULT '', -- the organization; '' for the admin key
  -- Created with one of the two; an extension later sets cycle_end beside cycle_years.
  CHECK (cycle_years > 0 OR cycle_end IS NOT NULL)
);

CREATE TABLE executions (
  batch_code            text NOT NULL REFERENCES batches (code),
  region_code           text NOT NULL REFERENCES regions (code),
  listing_date          date NOT NULL,
  start_date            date NOT NULL,
  enterprise_sign_from  date,
  enterprise_sign_to    date,
  institution_sign_from date,
  institution_sign_to   date,
  align_renewal         boolean NOT NULL DEFAULT true,
  PRIMARY KEY (batch_code, region_code)
);

CREATE TABLE products (
  id                   text PRIMARY KEY,
  kind                 smallint NOT NULL,
  generic_name         text NOT NULL,
  dosage_form          text NOT NULL DEFAULT '',
  specification        text NOT NULL,
  unit                 text NOT NULL,
  manufacturer_id      text NOT NULL REFERENCES organizations (id),
  quality_tier         smallint NOT NULL DEFAULT 0,
  in_insurance_catalog boolean NOT NULL,
  category             text NOT NULL DEFAULT '',
  function             text NOT NULL DEFAULT ''
);

CREATE TABLE groups (
  batch_code   text NOT NULL REFERENCES batches (code),
  id           text NOT NULL,
  generic_name text NOT NULL,
  competitive  boolean NOT NULL,
  PRIMARY KEY (batch_code, id)
);

CREATE TABLE results (
  batch_code    text NOT NULL,
  product_id    text NOT NULL REFERENCES products (id),
  group_id      text NOT NULL,
  status        smallint NOT NULL,
  winning_price bigint, -- 0.0001 yuan; NULL for a NON_WINNING result
  share_percent integer NOT NULL DEFAULT 0 CHECK (share_percent BETWEEN 0 AND 100),
  PRIMARY KEY (batch_code, product_id),
  FOREIGN KEY (batch_code, group_id) REFERENCES groups (batch_code, id)
);
CREATE INDEX results_by_group ON results (batch_code, group_id, product_id);
