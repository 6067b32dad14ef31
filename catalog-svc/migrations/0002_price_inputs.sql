-- The price-input version (ARCHITECTURE.md "Data ownership and consistency"): one number that
-- every write to a table the pricing rules read bumps, in the writer's own transaction, whoever
-- writes. pricing-svc keys its cached prices by it, so a price computed before a write is never
-- served after it. GetPriceInputs answers it with the inputs it read, in the same snapshot.

CREATE TABLE price_inputs_version (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), -- a second row cannot exist
  version  bigint NOT NULL
);
-- It starts at a random point below 2^52, so that the cached prices of another database (a
-- recreated one, a test's) sharing the Redis are never taken for this one's.
INSERT INTO price_inputs_version (version) VALUES (1 + floor(random() * 4503599627370496)::bigint);

-- Row-level, so that a write that writes nothing (INSERT ... ON CONFLICT DO NOTHING on a replay,
-- an UPDATE matching no row) bumps nothing. The search path is fixed to this schema, so the
-- function finds its table whatever the writer's search path is.
CREATE FUNCTION bump_price_inputs_version() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
  UPDATE price_inputs_version SET version = version + 1;
  RETURN NULL;
END $$;

-- Lock order. The UPDATE above locks the version row until the writer commits, so it must be the
-- last lock a write transaction takes: a writer holding it while waiting for another lock would
-- deadlock with a writer holding that lock and coming for the version. The catalog's write
-- transactions take their row locks (batch, group FOR UPDATE) before they write, and write once.
-- The other locks a write takes are the FOR KEY SHARE locks of its foreign-key checks on the
-- parent rows (an execution's or a group's batch, which ExtendBatch holds FOR UPDATE). Those
-- checks are AFTER ROW triggers too, and PostgreSQL fires the triggers of one event in name
-- order: "RI_ConstraintTrigger_..." sorts before any lowercase name, so the checks wait for their
-- parents before this trigger takes the version. Keep these names lowercase.
CREATE TRIGGER price_inputs_bump AFTER INSERT OR UPDATE OR DELETE ON products
  FOR EACH ROW EXECUTE FUNCTION bump_price_inputs_version();
CREATE TRIGGER price_inputs_bump AFTER INSERT OR UPDATE OR DELETE ON groups
  FOR EACH ROW EXECUTE FUNCTION bump_price_inputs_version();
CREATE TRIGGER price_inputs_bump AFTER INSERT OR UPDATE OR DELETE ON results
  FOR EACH ROW EXECUTE FUNCTION bump_price_inputs_version();
CREATE TRIGGER price_inputs_bump AFTER INSERT OR UPDATE OR DELETE ON executions
  FOR EACH ROW EXECUTE FUNCTION bump_price_inputs_version();
CREATE TRIGGER price_inputs_bump AFTER INSERT OR UPDATE OR DELETE ON batches
  FOR EACH ROW EXECUTE FUNCTION bump_price_inputs_version();

-- GetPriceInputs looks up executions by province and groups by generic name.
CREATE INDEX executions_by_region ON executions (region_code, start_date);
CREATE INDEX groups_by_generic_name ON groups (batch_code, generic_name, id);
