-- ExportPart pages through one batch's contracts in one province by id: without this index each
-- page sorted every contract of the province again.
CREATE INDEX contracts_by_batch ON contracts (batch_code, region_code, id);
