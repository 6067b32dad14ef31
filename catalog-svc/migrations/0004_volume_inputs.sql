-- GetVolumeInputs reads a batch's scope (V4, V6): besides the products with a result in it, the
-- other drugs of a group's generic name and the other consumables of a result's category and
-- function. Both look products up by those columns, which no index covered.
CREATE INDEX products_by_generic_name ON products (generic_name, kind);
CREATE INDEX products_by_category_function ON products (category, function, kind)
  WHERE category <> '';
