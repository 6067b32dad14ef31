-- volume-svc's own tables (DOMAIN.md "Volume rules"): demand reports and their reviews, agreed
-- volumes, purchases and supply issues. What comes from the catalog (the batch, its results,
-- products, institutions) is asked of catalog-svc; what a row needs of it later to be filtered
-- (the institution's region, the product's manufacturer) is copied in when the row is written.
-- Enums are stored as the numbers of the vbp.v1 proto enums. "unit" is the institution that
-- reports, is allocated and is assessed: a county consortium for its members (V1), else itself.

CREATE TABLE demand_reports (
  id                 text PRIMARY KEY,
  batch_code         text NOT NULL,
  region_code        text NOT NULL, -- the province of the execution
  institution_id     text NOT NULL,
  institution_region text NOT NULL,
  institution_level  smallint NOT NULL, -- where its review chain starts (V1)
  kind               smallint NOT NULL, -- the batch's: which chain
  group_id           text NOT NULL,
  agreement_year     integer NOT NULL CHECK (agreement_year > 0),
  quantity           bigint NOT NULL CHECK (quantity >= 0),
  last_year_quantity bigint NOT NULL CHECK (last_year_quantity >= 0),
  commitment_sha256  text NOT NULL CHECK (commitment_sha256 ~ '^[0-9a-f]{64}$'),
  state              smallint NOT NULL CHECK (state BETWEEN 1 AND 4),
  submitted_at       timestamptz NOT NULL DEFAULT now()
);
-- One live report per institution x group x year; a rejected one may be followed by another.
CREATE UNIQUE INDEX demand_reports_live ON demand_reports
  (batch_code, region_code, institution_id, group_id, agreement_year) WHERE state <> 4;
CREATE INDEX demand_reports_by_year ON demand_reports (batch_code, region_code, agreement_year);

CREATE TABLE demand_reviews (
  report_id   text NOT NULL REFERENCES demand_reports (id),
  seq         integer NOT NULL,
  level       smallint NOT NULL CHECK (level BETWEEN 1 AND 3),
  approve     boolean NOT NULL,
  comment     text NOT NULL DEFAULT '',
  reviewer_id text NOT NULL, -- the bureau; '' for the admin key
  at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (report_id, seq),
  UNIQUE (report_id, level)
);

CREATE TABLE allocations (
  batch_code         text NOT NULL,
  region_code        text NOT NULL,
  agreement_year     integer NOT NULL,
  institution_id     text NOT NULL,
  institution_region text NOT NULL,
  group_id           text NOT NULL,
  product_id         text NOT NULL,
  manufacturer_id    text NOT NULL,
  base_quantity      bigint NOT NULL CHECK (base_quantity >= 0),
  ratio_percent      integer NOT NULL CHECK (ratio_percent BETWEEN 1 AND 100),
  agreed_quantity    bigint NOT NULL CHECK (agreed_quantity >= 0),
  winning_price      bigint NOT NULL, -- 0.0001 yuan, when computed (V7's agreed amount)
  PRIMARY KEY (batch_code, region_code, agreement_year, institution_id, product_id)
);

-- A year whose contracts were generated: its allocations no longer change (V3).
CREATE TABLE frozen_years (
  batch_code     text NOT NULL,
  region_code    text NOT NULL,
  agreement_year integer NOT NULL,
  frozen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_code, region_code, agreement_year)
);

CREATE TABLE purchases (
  id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  institution_id        text NOT NULL,
  unit_id               text NOT NULL,
  institution_region    text NOT NULL,
  product_id            text NOT NULL,
  batch_code            text NOT NULL,
  region_code           text NOT NULL, -- the institution's province
  quantity              bigint NOT NULL CHECK (quantity > 0),
  amount                bigint NOT NULL CHECK (amount >= 0),
  ordered_on            date NOT NULL,
  accepted_on           date NOT NULL CHECK (ordered_on <= accepted_on),
  agreement_year        integer NOT NULL, -- 0 outside the cycle (V9)
  settlement_due        date NOT NULL,
  agency_settlement_due date,
  above_limit           boolean NOT NULL,
  external_id           text,
  UNIQUE (institution_id, external_id)
);
-- Progress, assessment and prepayment sum a unit's purchases of a year.
CREATE INDEX purchases_by_unit ON purchases
  (batch_code, region_code, agreement_year, unit_id, product_id)
  INCLUDE (accepted_on, quantity, amount);

CREATE TABLE supply_issues (
  id                 text PRIMARY KEY,
  batch_code         text NOT NULL,
  region_code        text NOT NULL,
  institution_id     text NOT NULL,
  unit_id            text NOT NULL,
  institution_region text NOT NULL,
  product_id         text NOT NULL,
  from_day           date NOT NULL,
  to_day             date NOT NULL CHECK (from_day <= to_day),
  description        text NOT NULL,
  verified           boolean NOT NULL DEFAULT false,
  verified_by        text NOT NULL DEFAULT '',
  verify_comment     text NOT NULL DEFAULT '',
  verified_at        timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supply_issues_by_unit ON supply_issues (batch_code, region_code, unit_id);
