-- The progress rows of another province's exchange file (ImportBatch, docs/exchange-import.md):
-- that province's purchases as it counted them on as_of. They are not ours, so they never go into
-- purchases (which our progress, assessment and prepayment sum); they are kept as they came.
CREATE TABLE imported_progress (
  batch_code         text NOT NULL,
  region_code        text NOT NULL, -- the province of the execution
  agreement_year     integer NOT NULL CHECK (agreement_year > 0),
  as_of              date NOT NULL,
  institution_id     text NOT NULL,
  product_id         text NOT NULL,
  agreed             bigint NOT NULL CHECK (agreed >= 0),
  purchased          bigint NOT NULL CHECK (purchased >= 0),
  completion_percent integer NOT NULL,
  elapsed_percent    integer NOT NULL,
  import_id          text NOT NULL, -- catalog-svc's imports.id that brought it
  PRIMARY KEY (batch_code, region_code, agreement_year, as_of, institution_id, product_id)
);
