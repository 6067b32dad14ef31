-- contract-svc's own tables (DOMAIN.md "Contract rules"): the authorisations contracts rest on
-- (C3, C8), the contracts with their signatures and append-only history (C1, C2, C9), and the
-- parties' signing keys. What comes from the catalog (batches, results, products, organizations)
-- is asked of catalog-svc; what a row needs of it later to be filtered (the institution's region,
-- the manufacturer) is copied in when the row is written. Enums are the vbp.v1 proto numbers.

CREATE TABLE distributor_authorizations (
  id              text PRIMARY KEY,
  manufacturer_id text NOT NULL,
  product_id      text NOT NULL,
  distributor_id  text NOT NULL,
  region_code     text NOT NULL, -- the coordination area: a CITY, or a PROVINCE (C8)
  created_at      timestamptz NOT NULL DEFAULT now(),
  withdrawn_at    timestamptz
);
-- A distributor is named once per product and area while the naming stands.
CREATE UNIQUE INDEX distributor_authorizations_live ON distributor_authorizations
  (product_id, region_code, distributor_id) WHERE withdrawn_at IS NULL;

CREATE TABLE agency_authorizations (
  id             text PRIMARY KEY,
  institution_id text NOT NULL,
  agency_id      text NOT NULL,
  batch_code     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (institution_id, agency_id, batch_code)
);

CREATE TABLE contracts (
  id                 text PRIMARY KEY,
  batch_code         text NOT NULL,
  region_code        text NOT NULL, -- the province of the execution
  kind               smallint NOT NULL, -- the batch's: C3 and C4 differ by it
  institution_id     text NOT NULL,
  institution_region text NOT NULL,
  area_code          text NOT NULL, -- the institution's coordination area (C8)
  manufacturer_id    text NOT NULL,
  distributor_id     text NOT NULL DEFAULT '', -- '' until the manufacturer picks one
  product_id         text NOT NULL,
  price              bigint NOT NULL, -- the winning price, 0.0001 yuan (C1)
  quantity           bigint NOT NULL CHECK (quantity >= 0),
  agreement_year     integer NOT NULL CHECK (agreement_year > 0),
  period_start       date NOT NULL,
  period_end         date NOT NULL,
  state              smallint NOT NULL CHECK (state BETWEEN 1 AND 7),
  signed_parties     integer NOT NULL DEFAULT 0, -- bit 1 << party
  renews             text REFERENCES contracts (id), -- the year before's contract, for a renewal
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (batch_code, institution_id, product_id, agreement_year) -- C1
);
CREATE UNIQUE INDEX contracts_renewed_once ON contracts (renews) WHERE renews IS NOT NULL;
CREATE INDEX contracts_by_year ON contracts (batch_code, region_code, agreement_year, id);
CREATE INDEX contracts_by_manufacturer ON contracts (manufacturer_id, id);
CREATE INDEX contracts_by_distributor ON contracts (distributor_id, id);
CREATE INDEX contracts_by_institution ON contracts (institution_id, id);

CREATE TABLE signatures (
  contract_id     text NOT NULL REFERENCES contracts (id),
  party           smallint NOT NULL CHECK (party BETWEEN 1 AND 3),
  signer_name     text NOT NULL,
  document_sha256 text NOT NULL CHECK (document_sha256 ~ '^[0-9a-f]{64}$'),
  on_behalf_of    text NOT NULL DEFAULT '',
  signed_by       text NOT NULL,
  signed_at       timestamptz NOT NULL DEFAULT now(),
  key_id          text NOT NULL DEFAULT '',
  signature       text NOT NULL DEFAULT '',
  PRIMARY KEY (contract_id, party)
);

-- C9: every state change and signature, appended, never changed.
CREATE TABLE contract_events (
  contract_id     text NOT NULL REFERENCES contracts (id),
  seq             integer NOT NULL,
  at              timestamptz NOT NULL DEFAULT now(),
  actor_id        text NOT NULL,
  actor_role      text NOT NULL,
  action          smallint NOT NULL CHECK (action BETWEEN 1 AND 5),
  from_state      smallint NOT NULL DEFAULT 0,
  to_state        smallint NOT NULL,
  document_sha256 text NOT NULL DEFAULT '',
  note            text NOT NULL DEFAULT '',
  key_id          text NOT NULL DEFAULT '',
  signature       text NOT NULL DEFAULT '',
  PRIMARY KEY (contract_id, seq)
);

CREATE FUNCTION contract_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'contract_events is append-only (C9): % refused', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER contract_events_append_only BEFORE UPDATE OR DELETE ON contract_events
  FOR EACH ROW EXECUTE FUNCTION contract_events_append_only();
CREATE TRIGGER contract_events_no_truncate BEFORE TRUNCATE ON contract_events
  FOR EACH STATEMENT EXECUTE FUNCTION contract_events_append_only();

CREATE TABLE signing_keys (
  id                 text PRIMARY KEY,
  organization_id    text NOT NULL,
  algorithm          smallint NOT NULL CHECK (algorithm BETWEEN 1 AND 3),
  public_key_pem     text NOT NULL,
  fingerprint_sha256 text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  retired_at         timestamptz
);
-- An organization may hold several active keys (a new one before the old is retired); it signs
-- with one of them.
CREATE INDEX signing_keys_by_organization ON signing_keys (organization_id) WHERE retired_at IS NULL;
