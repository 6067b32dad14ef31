-- Pricing: listings (挂网) with their history, the policies that pick the rules, and the version
-- of pricing's own price inputs that look-ups carry in their cache keys.

-- One row per (province, product, first day in force): the price in force on a date is the row
-- with the latest listed_on on or before it. An upsert for the same day replaces that day's price.
CREATE TABLE listings (
  region_code text NOT NULL CHECK (region_code ~ '^[0-9]{2}0000$'),
  product_id  text NOT NULL,
  listed_on   date NOT NULL,
  price       bigint NOT NULL CHECK (price > 0), -- 0.0001 yuan
  recorded_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (region_code, product_id, listed_on)
);

-- Every change of a listing, kept: what was recorded when, also for same-day corrections.
CREATE TABLE listing_changes (
  id          bigserial PRIMARY KEY,
  region_code text NOT NULL,
  product_id  text NOT NULL,
  listed_on   date NOT NULL,
  price       bigint NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by text NOT NULL
);

-- Which rules apply to one kind of product in one province ('' is the national default).
-- A province's own rules are a new row here.
CREATE TABLE pricing_policies (
  region_code     text NOT NULL CHECK (region_code = '' OR region_code ~ '^[0-9]{2}0000$'),
  product_kind    smallint NOT NULL CHECK (product_kind IN (1, 2)), -- vbp.v1.ProductKind
  limit_family    text NOT NULL CHECK (limit_family IN ('P1', 'WINNING_PRICE')),
  standard_family text NOT NULL CHECK (standard_family IN ('P2', 'P3', 'P4')),
  rule_family     text NOT NULL,
  source          text NOT NULL,
  position        integer NOT NULL, -- the order ListPricingPolicies gives
  PRIMARY KEY (region_code, product_kind)
);

INSERT INTO pricing_policies VALUES
  ('350000', 1, 'P1', 'P2', 'P1+P2', '闽医保〔2024〕54号 五', 1),
  ('350000', 2, 'WINNING_PRICE', 'P3', 'P3', '闽医保〔2022〕21号 三(三)2', 2),
  ('', 1, 'WINNING_PRICE', 'P4', 'P4', '晋医保发〔2021〕22号 八(二)', 100),
  ('', 2, 'WINNING_PRICE', 'P3', 'P3', '晋医保发〔2021〕22号 八(二)', 101);

-- Bumped in the same transaction by every change of a listing or a policy, whoever makes it
-- (the triggers below), so a cached answer keyed by an older version is never read again.
CREATE TABLE inputs_version (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  version  bigint NOT NULL
);
-- It starts at a random point below 2^52, so that the cache keys of another database (a
-- recreated one, a test's) sharing the Redis never meet this one's.
INSERT INTO inputs_version VALUES (true, 1 + floor(random() * 4503599627370496)::bigint);

CREATE FUNCTION bump_inputs_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE inputs_version SET version = version + 1;
  RETURN NULL;
END $$;

CREATE TRIGGER listings_bump AFTER INSERT OR UPDATE OR DELETE ON listings
  FOR EACH ROW EXECUTE FUNCTION bump_inputs_version();
CREATE TRIGGER pricing_policies_bump AFTER INSERT OR UPDATE OR DELETE ON pricing_policies
  FOR EACH ROW EXECUTE FUNCTION bump_inputs_version();
