-- 0001's bump_inputs_version found inputs_version through the search path of whoever wrote, so a
-- writer whose search path was another schema (a data loader, psql) could not change a listing or
-- a policy at all. Fix the function's search path to this schema (vbp_pg_migrate runs every file
-- with the search path set to it alone), as catalog's bump_price_inputs_version has it.
ALTER FUNCTION bump_inputs_version() SET search_path FROM CURRENT;
