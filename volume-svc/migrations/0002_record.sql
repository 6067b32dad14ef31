-- The supervision record (DOMAIN.md "Supervision") reads an enterprise's products' verified
-- supply issues and flagged purchases, in the order it pages them.
CREATE INDEX supply_issues_verified ON supply_issues (product_id) WHERE verified;
CREATE INDEX purchases_above_limit ON purchases (product_id, accepted_on) WHERE above_limit;
