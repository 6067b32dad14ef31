#include "catalog-svc/store.h"

#include "catalog_migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/feed.h"
#include "common/money.h"

/* ---------------------------------------------------------------- helpers */

static const char *num(vbp_arena *a, long long v) { return vbp_arena_printf(a, "%lld", v); }

static const char *nullable(const char *s) { return s && *s ? s : NULL; }

/* The 1-based position WITH ORDINALITY gave a row, as a 0-based index into the arrays sent. */
static size_t position(const vbp_pg_row *r, int col) { return (size_t)vbp_pg_int64(r, col) - 1; }

/* A money column (0.0001 yuan) as the API writes amounts; NULL reads as "". */
static char *money_text(const vbp_pg_row *r, int col) {
  if (vbp_pg_is_null(r, col)) return (char *)"";
  char *formatted = vbp_arena_alloc(r->arena, VBP_MONEY_FORMAT_MAX);
  return vbp_money_format(vbp_pg_int64(r, col), formatted);
}

/* ---------------------------------------------------------------- regions */

static void *make_region(const vbp_pg_row *r) {
  Vbp__V1__Region *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__region__init(m);
  m->code = vbp_pg_text(r, 0);
  m->name = vbp_pg_text(r, 1);
  m->level = (Vbp__V1__RegionLevel)vbp_pg_int(r, 2);
  m->parent_code = vbp_pg_text(r, 3);
  return m;
}

vbp_status catalog_store_insert_region(vbp_pg_conn *c, const Vbp__V1__Region *r, bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  const char *p[] = {r->code, r->name, num(a, r->level), nullable(r->parent_code)};
  vbp_status st = vbp_pg_write(c, "insert region",
                               "INSERT INTO regions (code, name, level, parent_code) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING RETURNING 1",
                               4, p, inserted);
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_region(vbp_pg_conn *c, vbp_arena *a, const char *code,
                                     Vbp__V1__Region **out) {
  const char *p[] = {code};
  return vbp_pg_find_row(c, a, "find region",
                         "SELECT code, name, level, parent_code FROM regions WHERE code = $1", 1, p,
                         make_region, (void **)out);
}

/* ---------------------------------------------------------------- organizations */

#define ORG_COLUMNS "id, name, kind, region_code, credit_code, institution_type, consortium_id"

static void *make_organization(const vbp_pg_row *r) {
  Vbp__V1__Organization *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__organization__init(m);
  m->id = vbp_pg_text(r, 0);
  m->name = vbp_pg_text(r, 1);
  m->kind = (Vbp__V1__OrganizationKind)vbp_pg_int(r, 2);
  m->region_code = vbp_pg_text(r, 3);
  m->credit_code = vbp_pg_text(r, 4);
  m->institution_type = (Vbp__V1__InstitutionType)vbp_pg_int(r, 5);
  m->consortium_id = vbp_pg_text(r, 6);
  return m;
}

vbp_status catalog_store_insert_organization(vbp_pg_conn *c, const Vbp__V1__Organization *o,
                                             bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  const char *p[] = {o->id,
                     o->name,
                     num(a, o->kind),
                     o->region_code,
                     o->credit_code,
                     num(a, o->institution_type),
                     nullable(o->consortium_id)};
  vbp_status st = vbp_pg_write(c, "insert organization",
                               "INSERT INTO organizations (" ORG_COLUMNS
                               ") "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7) "
                               "ON CONFLICT (id) DO NOTHING RETURNING 1",
                               7, p, inserted);
  if (st.code == VBP_ALREADY_EXISTS)
    st = vbp_status_field(VBP_ALREADY_EXISTS, "creditCode",
                          "belongs to another organization already");
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_organization(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                           Vbp__V1__Organization **out) {
  const char *p[] = {id};
  return vbp_pg_find_row(c, a, "find organization",
                         "SELECT " ORG_COLUMNS " FROM organizations WHERE id = $1", 1, p,
                         make_organization, (void **)out);
}

vbp_status catalog_store_list_organizations(vbp_pg_conn *c, vbp_arena *a, int kind,
                                            const char *region_prefix, const char *after_id,
                                            int limit, Vbp__V1__Organization ***out, size_t *n) {
  const char *p[] = {num(a, kind), vbp_arena_printf(a, "%s%%", region_prefix), after_id,
                     num(a, limit)};
  return vbp_pg_query_rows(
      c, a, "list organizations",
      "SELECT " ORG_COLUMNS
      " FROM organizations "
      "WHERE ($1::int = 0 OR kind = $1::int) AND region_code LIKE $2 AND id > $3 "
      "ORDER BY id LIMIT $4",
      4, p, make_organization, (void ***)out, n);
}

/* ---------------------------------------------------------------- batches */

#define BATCH_COLUMNS                                                                          \
  "code, name, kind, organizer_level, lead_region_code, array_to_string(member_region_codes, " \
  "','), cycle_years, cycle_end, non_winning_cap_percent, renewal_floor, created_by"

static void *make_batch(const vbp_pg_row *r) {
  Vbp__V1__Batch *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__batch__init(m);
  m->code = vbp_pg_text(r, 0);
  m->name = vbp_pg_text(r, 1);
  m->kind = (Vbp__V1__ProductKind)vbp_pg_int(r, 2);
  m->organizer_level = (Vbp__V1__Batch__OrganizerLevel)vbp_pg_int(r, 3);
  m->lead_region_code = vbp_pg_text(r, 4);
  char *members = vbp_pg_text(r, 5);
  size_t count = *members ? 1 : 0;
  for (char *s = members; *s; s++) count += *s == ',';
  m->member_region_codes = vbp_arena_alloc(r->arena, (count ? count : 1) * sizeof(char *));
  m->n_member_region_codes = count;
  for (size_t i = 0; i < count; i++) {
    m->member_region_codes[i] = members;
    char *comma = strchr(members, ',');
    if (comma) {
      *comma = '\0';
      members = comma + 1;
    }
  }
  m->cycle_years = vbp_pg_int(r, 6);
  m->cycle_end = vbp_pg_text(r, 7);
  m->non_winning_cap_percent = vbp_pg_int(r, 8);
  m->renewal_floor = (Vbp__V1__Batch__RenewalFloor)vbp_pg_int(r, 9);
  m->created_by = vbp_pg_text(r, 10);
  return m;
}

vbp_status catalog_store_insert_batch(vbp_pg_conn *c, const Vbp__V1__Batch *b, bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  const char *members =
      vbp_pg_text_array(a, (const char *const *)b->member_region_codes, b->n_member_region_codes);
  const char *p[] = {b->code,
                     b->name,
                     num(a, b->kind),
                     num(a, b->organizer_level),
                     b->lead_region_code,
                     members,
                     num(a, b->cycle_years),
                     nullable(b->cycle_end),
                     num(a, b->non_winning_cap_percent),
                     num(a, b->renewal_floor),
                     b->created_by};
  vbp_status st = vbp_pg_write(c, "insert batch",
                               "INSERT INTO batches (code, name, kind, organizer_level, "
                               "lead_region_code, member_region_codes, cycle_years, cycle_end, "
                               "non_winning_cap_percent, renewal_floor, created_by) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                               "ON CONFLICT (code) DO NOTHING RETURNING 1",
                               11, p, inserted);
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_batch(vbp_pg_conn *c, vbp_arena *a, const char *code, bool for_update,
                                    Vbp__V1__Batch **out) {
  const char *p[] = {code};
  return vbp_pg_find_row(c, a, "find batch",
                         for_update ? "SELECT " BATCH_COLUMNS
                                      " FROM batches WHERE code = $1 FOR UPDATE"
                                    : "SELECT " BATCH_COLUMNS " FROM batches WHERE code = $1",
                         1, p, make_batch, (void **)out);
}

vbp_status catalog_store_set_cycle_end(vbp_pg_conn *c, const char *code, const char *cycle_end) {
  const char *p[] = {code, cycle_end};
  return vbp_pg_command(c, "extend batch", "UPDATE batches SET cycle_end = $2 WHERE code = $1", 2,
                        p);
}

/* ---------------------------------------------------------------- executions */

#define EXECUTION_COLUMNS                                                     \
  "batch_code, region_code, listing_date, start_date, enterprise_sign_from, " \
  "enterprise_sign_to, institution_sign_from, institution_sign_to, align_renewal"

static void *make_execution(const vbp_pg_row *r) {
  Vbp__V1__Execution *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__execution__init(m);
  m->batch_code = vbp_pg_text(r, 0);
  m->region_code = vbp_pg_text(r, 1);
  m->listing_date = vbp_pg_text(r, 2);
  m->start_date = vbp_pg_text(r, 3);
  m->enterprise_sign_from = vbp_pg_text(r, 4);
  m->enterprise_sign_to = vbp_pg_text(r, 5);
  m->institution_sign_from = vbp_pg_text(r, 6);
  m->institution_sign_to = vbp_pg_text(r, 7);
  m->align_renewal = vbp_arena_alloc(r->arena, sizeof *m->align_renewal);
  google__protobuf__bool_value__init(m->align_renewal);
  m->align_renewal->value = vbp_pg_bool(r, 8);
  return m;
}

vbp_status catalog_store_insert_execution(vbp_pg_conn *c, const Vbp__V1__Execution *e,
                                          bool *inserted) {
  bool align = !e->align_renewal || e->align_renewal->value;
  const char *p[] = {e->batch_code,
                     e->region_code,
                     e->listing_date,
                     e->start_date,
                     nullable(e->enterprise_sign_from),
                     nullable(e->enterprise_sign_to),
                     nullable(e->institution_sign_from),
                     nullable(e->institution_sign_to),
                     align ? "true" : "false"};
  return vbp_pg_write(c, "insert execution",
                      "INSERT INTO executions (" EXECUTION_COLUMNS
                      ") "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
                      "ON CONFLICT (batch_code, region_code) DO NOTHING RETURNING 1",
                      9, p, inserted);
}

vbp_status catalog_store_find_execution(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                        const char *region_code, Vbp__V1__Execution **out) {
  const char *p[] = {batch_code, region_code};
  return vbp_pg_find_row(c, a, "find execution",
                         "SELECT " EXECUTION_COLUMNS
                         " FROM executions WHERE batch_code = $1 AND region_code = $2",
                         2, p, make_execution, (void **)out);
}

vbp_status catalog_store_list_executions(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                         Vbp__V1__Execution ***out, size_t *n) {
  const char *p[] = {batch_code};
  return vbp_pg_query_rows(c, a, "list executions",
                           "SELECT " EXECUTION_COLUMNS
                           " FROM executions WHERE batch_code = $1 ORDER BY region_code",
                           1, p, make_execution, (void ***)out, n);
}

/* ---------------------------------------------------------------- products */

#define PRODUCT_COLUMNS                                                                       \
  "id, kind, generic_name, dosage_form, specification, unit, manufacturer_id, quality_tier, " \
  "in_insurance_catalog, category, function"

static void *make_product(const vbp_pg_row *r) {
  Vbp__V1__Product *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__product__init(m);
  m->id = vbp_pg_text(r, 0);
  m->kind = (Vbp__V1__ProductKind)vbp_pg_int(r, 1);
  m->generic_name = vbp_pg_text(r, 2);
  m->dosage_form = vbp_pg_text(r, 3);
  m->specification = vbp_pg_text(r, 4);
  m->unit = vbp_pg_text(r, 5);
  m->manufacturer_id = vbp_pg_text(r, 6);
  m->quality_tier = (Vbp__V1__QualityTier)vbp_pg_int(r, 7);
  m->in_insurance_catalog = vbp_pg_bool(r, 8);
  m->category = vbp_pg_text(r, 9);
  m->function = vbp_pg_text(r, 10);
  return m;
}

vbp_status catalog_store_insert_product(vbp_pg_conn *c, const Vbp__V1__Product *m, bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  const char *p[] = {m->id,
                     num(a, m->kind),
                     m->generic_name,
                     m->dosage_form,
                     m->specification,
                     m->unit,
                     m->manufacturer_id,
                     num(a, m->quality_tier),
                     m->in_insurance_catalog ? "true" : "false",
                     m->category,
                     m->function};
  vbp_status st = vbp_pg_write(c, "insert product",
                               "INSERT INTO products (" PRODUCT_COLUMNS
                               ") "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                               "ON CONFLICT (id) DO NOTHING RETURNING 1",
                               11, p, inserted);
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_product(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                      Vbp__V1__Product **out) {
  const char *p[] = {id};
  return vbp_pg_find_row(c, a, "find product",
                         "SELECT " PRODUCT_COLUMNS " FROM products WHERE id = $1", 1, p,
                         make_product, (void **)out);
}

/* ---------------------------------------------------------------- groups and results */

#define GROUP_COLUMNS "batch_code, id, generic_name, competitive, max_non_winning_price"

static void *make_group(const vbp_pg_row *r) {
  Vbp__V1__Group *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__group__init(m);
  m->batch_code = vbp_pg_text(r, 0);
  m->id = vbp_pg_text(r, 1);
  m->generic_name = vbp_pg_text(r, 2);
  m->competitive = vbp_pg_bool(r, 3);
  if (!vbp_pg_is_null(r, 4)) m->max_non_winning_price = money_text(r, 4);
  return m;
}

vbp_status catalog_store_insert_group(vbp_pg_conn *c, const Vbp__V1__Group *g,
                                      long long max_non_winning_price, bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  const char *p[] = {g->batch_code, g->id, g->generic_name, g->competitive ? "true" : "false",
                     max_non_winning_price > 0 ? num(a, max_non_winning_price) : NULL};
  vbp_status st = vbp_pg_write(c, "insert group",
                               "INSERT INTO groups (" GROUP_COLUMNS
                               ") VALUES ($1, $2, $3, $4, $5) "
                               "ON CONFLICT (batch_code, id) DO NOTHING RETURNING 1",
                               5, p, inserted);
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_group(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                    const char *id, bool for_update, Vbp__V1__Group **out) {
  const char *p[] = {batch_code, id};
  return vbp_pg_find_row(c, a, "find group",
                         for_update ? "SELECT " GROUP_COLUMNS
                                      " FROM groups WHERE batch_code = $1 AND id = $2 FOR UPDATE"
                                    : "SELECT " GROUP_COLUMNS
                                      " FROM groups WHERE batch_code = $1 AND id = $2",
                         2, p, make_group, (void **)out);
}

#define RESULT_COLUMNS "batch_code, product_id, group_id, status, winning_price, share_percent"

static void *make_result(const vbp_pg_row *r) {
  Vbp__V1__Result *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__result__init(m);
  m->batch_code = vbp_pg_text(r, 0);
  m->product_id = vbp_pg_text(r, 1);
  m->group_id = vbp_pg_text(r, 2);
  m->status = (Vbp__V1__ResultStatus)vbp_pg_int(r, 3);
  if (!vbp_pg_is_null(r, 4)) m->winning_price = money_text(r, 4);
  m->share_percent = vbp_pg_int(r, 5);
  return m;
}

vbp_status catalog_store_insert_result(vbp_pg_conn *c, const Vbp__V1__Result *r,
                                       long long winning_price, bool *inserted) {
  vbp_arena *a = vbp_arena_create();
  bool priced = r->status != VBP__V1__RESULT_STATUS__NON_WINNING;
  const char *p[] = {r->batch_code,
                     r->product_id,
                     r->group_id,
                     num(a, r->status),
                     priced ? num(a, winning_price) : NULL,
                     num(a, r->share_percent)};
  vbp_status st = vbp_pg_write(c, "insert result",
                               "INSERT INTO results (" RESULT_COLUMNS
                               ") "
                               "VALUES ($1, $2, $3, $4, $5, $6) "
                               "ON CONFLICT (batch_code, product_id) DO NOTHING RETURNING 1",
                               6, p, inserted);
  vbp_arena_destroy(a);
  return st;
}

vbp_status catalog_store_find_result(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                     const char *product_id, Vbp__V1__Result **out) {
  const char *p[] = {batch_code, product_id};
  return vbp_pg_find_row(c, a, "find result",
                         "SELECT " RESULT_COLUMNS
                         " FROM results WHERE batch_code = $1 AND product_id = $2",
                         2, p, make_result, (void **)out);
}

vbp_status catalog_store_group_share_sum(vbp_pg_conn *c, const char *batch_code,
                                         const char *group_id, int *sum) {
  const char *p[] = {batch_code, group_id};
  int64_t total = 0;
  /* An aggregate without GROUP BY gives one row, so "missing" cannot happen. */
  VBP_CHECK(vbp_pg_get_int64(c, "sum shares",
                             "SELECT coalesce(sum(share_percent), 0) FROM results "
                             "WHERE batch_code = $1 AND group_id = $2",
                             2, p, "sum shares: no row", &total));
  *sum = (int)total;
  return vbp_status_ok();
}

vbp_status catalog_store_list_results(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                      const char *group_id, int status, const char *after,
                                      int limit, Vbp__V1__Result ***out, size_t *n) {
  const char *p[] = {batch_code, group_id, num(a, status), after, num(a, limit)};
  return vbp_pg_query_rows(c, a, "list results",
                           "SELECT " RESULT_COLUMNS
                           " FROM results WHERE batch_code = $1 "
                           "AND ($2 = '' OR group_id = $2) AND ($3::int = 0 OR status = $3::int) "
                           "AND product_id > $4 ORDER BY product_id LIMIT $5",
                           5, p, make_result, (void ***)out, n);
}

/* ---------------------------------------------------------------- alliance exchange */

/* The ids of the organizations an export may refer to ($1 batch, $2 province prefix, $3 the
 * batch's creator): see catalog_store_export_organizations. */
#define EXPORT_ORGANIZATIONS                                                                     \
  "base AS (SELECT id FROM organizations WHERE id = $3 "                                         \
  "UNION SELECT p.manufacturer_id FROM results r JOIN products p ON p.id = r.product_id "        \
  "WHERE r.batch_code = $1 "                                                                     \
  "UNION SELECT id FROM organizations WHERE kind IN (1, 2, 4) AND starts_with(region_code, $2) " \
  "UNION SELECT id FROM organizations WHERE kind = 6), "                                         \
  "refs AS (SELECT id FROM base UNION SELECT o.consortium_id FROM organizations o "              \
  "JOIN base USING (id) WHERE o.consortium_id IS NOT NULL)"

vbp_status catalog_store_export_organizations(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                              const char *province_prefix, const char *created_by,
                                              bool after_member, const char *after_id, int limit,
                                              Vbp__V1__Organization ***out, size_t *n) {
  const char *p[] = {batch_code, province_prefix, created_by, after_member ? "true" : "false",
                     after_id,   num(a, limit)};
  return vbp_pg_query_rows(c, a, "export organizations",
                           "WITH " EXPORT_ORGANIZATIONS " SELECT " ORG_COLUMNS
                           " FROM organizations WHERE id IN (SELECT id FROM refs) "
                           "AND (consortium_id IS NOT NULL, id) > ($4::bool, $5) "
                           "ORDER BY consortium_id IS NOT NULL, id LIMIT $6::int",
                           6, p, make_organization, (void ***)out, n);
}

vbp_status catalog_store_export_regions(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                        const char *province, const char *province_prefix,
                                        const char *created_by, int after_level,
                                        const char *after_code, int limit, Vbp__V1__Region ***out,
                                        size_t *n) {
  const char *p[] = {batch_code,          province_prefix, created_by,   province,
                     num(a, after_level), after_code,      num(a, limit)};
  return vbp_pg_query_rows(
      c, a, "export regions",
      "WITH RECURSIVE " EXPORT_ORGANIZATIONS
      ", codes AS (SELECT region_code AS code FROM organizations WHERE id IN (SELECT id FROM refs) "
      "UNION SELECT $4 UNION SELECT lead_region_code FROM batches WHERE code = $1 "
      "UNION SELECT unnest(member_region_codes) FROM batches WHERE code = $1), "
      "up (code) AS (SELECT code FROM codes UNION SELECT r.parent_code FROM regions r "
      "JOIN up ON r.code = up.code WHERE r.parent_code IS NOT NULL) "
      "SELECT code, name, level, parent_code FROM regions WHERE code IN (SELECT code FROM up) "
      "AND (level, code) > ($5::int, $6) ORDER BY level, code LIMIT $7::int",
      7, p, make_region, (void ***)out, n);
}

vbp_status catalog_store_export_products(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                         const char *after_id, int limit, Vbp__V1__Product ***out,
                                         size_t *n) {
  const char *p[] = {batch_code, after_id, num(a, limit)};
  return vbp_pg_query_rows(c, a, "export products",
                           "SELECT " PRODUCT_COLUMNS
                           " FROM products WHERE id IN (SELECT product_id FROM results "
                           "WHERE batch_code = $1) AND id > $2 ORDER BY id LIMIT $3::int",
                           3, p, make_product, (void ***)out, n);
}

/* ---------------------------------------------------------------- API keys */

vbp_status catalog_store_insert_api_key(vbp_pg_conn *c, const char *id, const char *organization_id,
                                        const char *key_sha256) {
  const char *p[] = {id, organization_id, key_sha256};
  return vbp_pg_command(
      c, "insert API key",
      "INSERT INTO api_keys (id, organization_id, key_sha256) VALUES ($1, $2, $3)", 3, p);
}

vbp_status catalog_store_find_api_key_owner(vbp_pg_conn *c, vbp_arena *a, const char *id,
                                            Vbp__V1__Organization **owner) {
  const char *p[] = {id};
  return vbp_pg_find_row(c, a, "find API key",
                         "SELECT o.id, o.name, o.kind, o.region_code, o.credit_code, "
                         "o.institution_type, o.consortium_id FROM api_keys k "
                         "JOIN organizations o ON o.id = k.organization_id WHERE k.id = $1",
                         1, p, make_organization, (void **)owner);
}

vbp_status catalog_store_revoke_api_key(vbp_pg_conn *c, const char *id) {
  const char *p[] = {id};
  bool revoked = false; /* now, by this call: a key revoked before keeps its version */
  VBP_CHECK(
      vbp_pg_write(c, "revoke API key",
                   "UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL "
                   "RETURNING 1",
                   1, p, &revoked));
  if (!revoked) return vbp_status_ok();
  /* The version row stays locked until commit: revocations commit in version order
   * (migrations/0003_key_revocations.sql). */
  return vbp_pg_command(c, "stamp revoked API key",
                        "WITH v AS (UPDATE key_revocation_version SET version = version + 1 "
                        "RETURNING version) "
                        "UPDATE api_keys SET revoked_version = v.version FROM v WHERE id = $1",
                        1, p);
}

vbp_status catalog_store_list_key_revocations(vbp_pg_conn *c, long long after_version,
                                              vbp_key_revocations *out) {
  vbp_key_revocations r = {0};
  PGresult *res = NULL;
  VBP_CHECK(vbp_pg_query(c, "read key revocation version",
                         "SELECT version FROM key_revocation_version", 0, NULL, &res));
  if (PQntuples(res) != 1) {
    PQclear(res);
    return vbp_status_make(VBP_INTERNAL, "read key revocation version: the row is missing");
  }
  r.version = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
  PQclear(res);
  r.everything = after_version <= 0 || after_version > r.version;
  if (!r.everything && after_version < r.version) {
    /* Bounded by the version read: a revocation committed since has a greater one. */
    char after[24], upto[24], limit[24];
    snprintf(after, sizeof after, "%lld", after_version);
    snprintf(upto, sizeof upto, "%lld", r.version);
    snprintf(limit, sizeof limit, "%d", VBP_KEY_REVOCATIONS_MAX + 1);
    const char *p[] = {after, upto, limit};
    VBP_CHECK(vbp_pg_query(c, "list key revocations",
                           "SELECT key_sha256 FROM api_keys WHERE revoked_version > $1 "
                           "AND revoked_version <= $2 ORDER BY revoked_version LIMIT $3",
                           3, p, &res));
    size_t rows = (size_t)PQntuples(res);
    r.everything = rows > VBP_KEY_REVOCATIONS_MAX;
    for (size_t i = 0; i < rows && !r.everything; i++)
      snprintf(r.key_sha256[r.n++], sizeof r.key_sha256[0], "%s", PQgetvalue(res, (int)i, 0));
    PQclear(res);
  }
  *out = r;
  return vbp_status_ok();
}

vbp_status catalog_store_authenticate(vbp_pg_conn *c, const char *key_sha256, vbp_caller *out,
                                      char key_id[65]) {
  const char *p[] = {key_sha256};
  PGresult *res = NULL;
  vbp_status st = vbp_pg_query(c, "authenticate",
                               "SELECT k.id, o.id, o.kind, o.region_code FROM api_keys k "
                               "JOIN organizations o ON o.id = k.organization_id "
                               "WHERE k.key_sha256 = $1 AND k.revoked_at IS NULL",
                               1, p, &res);
  if (!vbp_ok(&st)) return st;
  if (PQntuples(res) == 0) {
    PQclear(res);
    return vbp_status_make(VBP_NOT_FOUND, "no such API key");
  }
  vbp_caller caller = {.role = (vbp_role)atoi(PQgetvalue(res, 0, 2))};
  snprintf(caller.org_id, sizeof caller.org_id, "%s", PQgetvalue(res, 0, 1));
  snprintf(caller.region_code, sizeof caller.region_code, "%s", PQgetvalue(res, 0, 3));
  snprintf(key_id, 65, "%s", PQgetvalue(res, 0, 0));
  PQclear(res);
  *out = caller;
  return st;
}

/* ---------------------------------------------------------------- price inputs */

vbp_status catalog_store_get_price_inputs_version(vbp_pg_conn *c, long long *version) {
  int64_t read = 0;
  VBP_CHECK(vbp_pg_get_int64(c, "read price-input version",
                             "SELECT version FROM price_inputs_version", 0, NULL,
                             "read price-input version: the version row is missing", &read));
  *version = read;
  return vbp_status_ok();
}

vbp_status catalog_store_begin_snapshot(vbp_pg_conn *c) {
  return vbp_pg_command(c, "begin snapshot",
                        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL);
}

vbp_status catalog_store_find_products(vbp_pg_conn *c, vbp_arena *a, char *const *ids, size_t n,
                                       Vbp__V1__Product **out) {
  const char *p[] = {vbp_pg_text_array(a, (const char *const *)ids, n)};
  PGresult *res = NULL;
  /* The product's columns first, so make_product reads them where it always does. */
  vbp_status st =
      vbp_pg_query(c, "find products",
                   "SELECT " PRODUCT_COLUMNS
                   ", x.position FROM unnest($1::text[]) "
                   "WITH ORDINALITY AS x(wanted, position) JOIN products ON id = x.wanted",
                   1, p, &res);
  if (!vbp_ok(&st)) return st;
  for (size_t i = 0; i < n; i++) out[i] = NULL;
  for (int i = 0; i < PQntuples(res); i++) {
    vbp_pg_row r = {.result = res, .index = i, .arena = a};
    size_t at = position(&r, 11);
    if (at < n) out[at] = make_product(&r);
  }
  PQclear(res);
  return st;
}

vbp_status catalog_store_list_price_executions(vbp_pg_conn *c, vbp_arena *a,
                                               const char *region_code, const char *date,
                                               char *const *ids, size_t n,
                                               catalog_product_execution **out, size_t *count) {
  const char *p[] = {vbp_pg_text_array(a, (const char *const *)ids, n), region_code, date,
                     num(a, VBP__V1__PRODUCT_KIND__DRUG),
                     num(a, VBP__V1__PRODUCT_KIND__CONSUMABLE)};
  PGresult *res = NULL;
  /* "Concerns" (store.h): a result of the product itself, or a group of a drug's generic name, or
   * a result for a consumable of the same category. */
  vbp_status st = vbp_pg_query(
      c, "list executions in force",
      "SELECT x.position, b.code, e.start_date, b.cycle_years, b.cycle_end, "
      "       EXISTS (SELECT 1 FROM results r "
      "               WHERE r.batch_code = b.code AND r.product_id = p.id) AS own "
      "FROM unnest($1::text[]) WITH ORDINALITY AS x(wanted, position) "
      "JOIN products p ON p.id = x.wanted "
      "JOIN executions e ON e.region_code = $2 AND e.start_date <= $3::date "
      "JOIN batches b ON b.code = e.batch_code AND b.kind = p.kind "
      "WHERE EXISTS (SELECT 1 FROM results r "
      "              WHERE r.batch_code = b.code AND r.product_id = p.id) "
      "   OR (p.kind = $4::int AND EXISTS (SELECT 1 FROM groups g "
      "       WHERE g.batch_code = b.code AND g.generic_name = p.generic_name)) "
      "   OR (p.kind = $5::int AND p.category <> '' AND EXISTS (SELECT 1 FROM results r "
      "       JOIN products q ON q.id = r.product_id "
      "       WHERE r.batch_code = b.code AND q.category = p.category)) "
      "ORDER BY x.position",
      5, p, &res);
  if (!vbp_ok(&st)) return st;
  size_t rows = (size_t)PQntuples(res);
  catalog_product_execution *items = vbp_arena_alloc(a, (rows ? rows : 1) * sizeof *items);
  size_t kept = 0;
  for (size_t i = 0; i < rows; i++) {
    vbp_pg_row r = {.result = res, .index = (int)i, .arena = a};
    catalog_product_execution *e = &items[kept];
    memset(e, 0, sizeof *e);
    e->index = position(&r, 0);
    e->execution.batch_code = vbp_pg_text(&r, 1);
    e->execution.has_result = vbp_pg_bool(&r, 5);
    e->execution.cycle.years = vbp_pg_int(&r, 3);
    e->execution.cycle.has_last_day = vbp_pg_date(&r, 4, &e->execution.cycle.last_day);
    /* The table's types make both dates readable; a row that is not is skipped, not guessed. */
    if (e->index < n && vbp_pg_date(&r, 2, &e->execution.start)) kept++;
  }
  PQclear(res);
  *out = items;
  *count = kept;
  return st;
}

static void *make_member(const vbp_pg_row *r) {
  Vbp__V1__PriceInputsMember *m = vbp_arena_alloc(r->arena, sizeof *m);
  vbp__v1__price_inputs_member__init(m);
  m->product_id = vbp_pg_text(r, 1);
  m->manufacturer_id = vbp_pg_text(r, 2);
  m->status = (Vbp__V1__ResultStatus)vbp_pg_int(r, 3);
  m->winning_price = money_text(r, 4);
  return m;
}

/* Hands out the member rows (position, product_id, manufacturer_id, status, winning_price; in
 * position order) to the inputs at[position], as their others or their category winners. */
static void deal_members(PGresult *res, vbp_arena *a, Vbp__V1__ProductPriceInputs *const *inputs,
                         const size_t *at, size_t sent, bool category_winners) {
  int rows = PQntuples(res);
  for (int first = 0, end; first < rows; first = end) {
    vbp_pg_row r = {.result = res, .index = first, .arena = a};
    size_t pos = position(&r, 0);
    for (end = first + 1; end < rows; end++) {
      vbp_pg_row next = {.result = res, .index = end, .arena = a};
      if (position(&next, 0) != pos) break;
    }
    if (pos >= sent) continue;
    size_t n = (size_t)(end - first);
    Vbp__V1__PriceInputsMember **members = vbp_arena_alloc(a, n * sizeof *members);
    for (size_t k = 0; k < n; k++) {
      vbp_pg_row m = {.result = res, .index = first + (int)k, .arena = a};
      members[k] = make_member(&m);
    }
    Vbp__V1__ProductPriceInputs *in = inputs[at[pos]];
    if (category_winners) {
      in->category_winners = members;
      in->n_category_winners = n;
    } else {
      in->others = members;
      in->n_others = n;
    }
  }
}

vbp_status catalog_store_fill_price_inputs(vbp_pg_conn *c, vbp_arena *a,
                                           Vbp__V1__ProductPriceInputs *const *inputs, size_t n) {
  /* Parallel arrays of what each query needs, and at[k]: the input row k of them stands for. */
  const char **batches = vbp_arena_alloc(a, (n ? n : 1) * sizeof(char *));
  const char **products = vbp_arena_alloc(a, (n ? n : 1) * sizeof(char *));
  const char **thirds = vbp_arena_alloc(a, (n ? n : 1) * sizeof(char *));
  const char **fourths = vbp_arena_alloc(a, (n ? n : 1) * sizeof(char *));
  size_t *at = vbp_arena_alloc(a, (n ? n : 1) * sizeof *at);
  PGresult *res = NULL;
  vbp_status st = vbp_status_ok();

  /* 1. The product's result in the batch and its group. */
  size_t sent = 0;
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__ProductPriceInputs *in = inputs[i];
    if (!*in->batch_code || !in->product) continue;
    batches[sent] = in->batch_code;
    products[sent] = in->product_id;
    thirds[sent] =
        in->product->kind == VBP__V1__PRODUCT_KIND__DRUG ? in->product->generic_name : NULL;
    at[sent++] = i;
  }
  if (sent == 0) return st;
  const char *p1[] = {vbp_pg_text_array(a, batches, sent), vbp_pg_text_array(a, products, sent),
                      vbp_pg_text_array(a, thirds, sent)};
  st = vbp_pg_query(
      c, "read results and groups",
      "SELECT x.position, r.status, r.winning_price, g.batch_code, g.id, g.generic_name, "
      "g.competitive "
      "FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY "
      "  AS x(batch_code, product_id, generic_name, position) "
      "LEFT JOIN results r ON r.batch_code = x.batch_code AND r.product_id = x.product_id "
      "LEFT JOIN LATERAL (SELECT batch_code, id, generic_name, competitive FROM groups "
      "  WHERE batch_code = x.batch_code AND (id = r.group_id "
      "    OR (r.product_id IS NULL AND generic_name = x.generic_name)) "
      "  ORDER BY id COLLATE \"C\" LIMIT 1) g ON true",
      3, p1, &res);
  if (!vbp_ok(&st)) return st;
  for (int i = 0; i < PQntuples(res); i++) {
    vbp_pg_row r = {.result = res, .index = i, .arena = a};
    size_t pos = position(&r, 0);
    if (pos >= sent) continue;
    Vbp__V1__ProductPriceInputs *in = inputs[at[pos]];
    in->status = (Vbp__V1__ResultStatus)vbp_pg_int(&r, 1);
    in->winning_price = money_text(&r, 2);
    if (vbp_pg_is_null(&r, 3)) continue;
    in->group = vbp_arena_alloc(a, sizeof *in->group);
    vbp__v1__group__init(in->group);
    in->group->batch_code = vbp_pg_text(&r, 3);
    in->group->id = vbp_pg_text(&r, 4);
    in->group->generic_name = vbp_pg_text(&r, 5);
    in->group->competitive = vbp_pg_bool(&r, 6);
  }
  PQclear(res);
  res = NULL;

  /* 2. The other products with a result in each group. */
  sent = 0;
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__ProductPriceInputs *in = inputs[i];
    if (!in->group) continue;
    batches[sent] = in->group->batch_code;
    thirds[sent] = in->group->id;
    products[sent] = in->product_id;
    at[sent++] = i;
  }
  if (sent > 0) {
    const char *p2[] = {vbp_pg_text_array(a, batches, sent), vbp_pg_text_array(a, thirds, sent),
                        vbp_pg_text_array(a, products, sent)};
    st = vbp_pg_query(
        c, "read group members",
        "SELECT x.position, r.product_id, q.manufacturer_id, r.status, r.winning_price "
        "FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY "
        "  AS x(batch_code, group_id, product_id, position) "
        "JOIN results r ON r.batch_code = x.batch_code AND r.group_id = x.group_id "
        "  AND r.product_id <> x.product_id "
        "JOIN products q ON q.id = r.product_id "
        "ORDER BY x.position, r.product_id COLLATE \"C\"",
        3, p2, &res);
    if (!vbp_ok(&st)) return st;
    deal_members(res, a, inputs, at, sent, false);
    PQclear(res);
    res = NULL;
  }

  /* 3. A consumable's winners of the same category and function in the batch (P3b). */
  sent = 0;
  for (size_t i = 0; i < n; i++) {
    const Vbp__V1__ProductPriceInputs *in = inputs[i];
    if (!*in->batch_code || !in->product || in->product->kind != VBP__V1__PRODUCT_KIND__CONSUMABLE)
      continue;
    batches[sent] = in->batch_code;
    products[sent] = in->product_id;
    thirds[sent] = in->product->category;
    fourths[sent] = in->product->function;
    at[sent++] = i;
  }
  if (sent > 0) {
    const char *p3[] = {
        vbp_pg_text_array(a, batches, sent),     vbp_pg_text_array(a, products, sent),
        vbp_pg_text_array(a, thirds, sent),      vbp_pg_text_array(a, fourths, sent),
        num(a, VBP__V1__RESULT_STATUS__WINNING), num(a, VBP__V1__RESULT_STATUS__BACKUP)};
    st = vbp_pg_query(
        c, "read category winners",
        "SELECT x.position, r.product_id, q.manufacturer_id, r.status, r.winning_price "
        "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY "
        "  AS x(batch_code, product_id, category, function, position) "
        "JOIN results r ON r.batch_code = x.batch_code AND r.product_id <> x.product_id "
        "  AND r.status IN ($5::int, $6::int) "
        "JOIN products q ON q.id = r.product_id AND q.category = x.category "
        "  AND q.function = x.function "
        "ORDER BY x.position, r.product_id COLLATE \"C\"",
        6, p3, &res);
    if (!vbp_ok(&st)) return st;
    deal_members(res, a, inputs, at, sent, true);
    PQclear(res);
  }
  return st;
}

/* ---------------------------------------------------------------- volume inputs */

vbp_status catalog_store_list_batch_groups(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                           Vbp__V1__Group ***out, size_t *n) {
  const char *p[] = {batch_code};
  return vbp_pg_query_rows(c, a, "list groups of batch",
                           "SELECT " GROUP_COLUMNS
                           " FROM groups "
                           "WHERE batch_code = $1 ORDER BY id COLLATE \"C\"",
                           1, p, make_group, (void ***)out, n);
}

vbp_status catalog_store_list_batch_results(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                            Vbp__V1__Result ***out, size_t *n) {
  const char *p[] = {batch_code};
  return vbp_pg_query_rows(c, a, "list results of batch",
                           "SELECT " RESULT_COLUMNS
                           " FROM results WHERE batch_code = $1 "
                           "ORDER BY group_id COLLATE \"C\", product_id COLLATE \"C\"",
                           1, p, make_result, (void ***)out, n);
}

vbp_status catalog_store_list_batch_products(vbp_pg_conn *c, vbp_arena *a, const char *batch_code,
                                             int kind, Vbp__V1__Product ***out, size_t *n) {
  const char *p[] = {batch_code, num(a, kind), num(a, VBP__V1__PRODUCT_KIND__DRUG),
                     num(a, VBP__V1__PRODUCT_KIND__CONSUMABLE)};
  /* Three ways into the scope (store.h), each along an index: results by their key, drugs by
   * products_by_generic_name, consumables by products_by_category_function (0004). */
  return vbp_pg_query_rows(
      c, a, "list products of batch",
      "SELECT " PRODUCT_COLUMNS
      " FROM products WHERE id IN ("
      "  SELECT product_id FROM results WHERE batch_code = $1 "
      "  UNION "
      "  SELECT p.id FROM groups g "
      "  JOIN products p ON p.generic_name = g.generic_name AND p.kind = $3::int "
      "  WHERE g.batch_code = $1 AND $2::int = $3::int "
      "  UNION "
      "  SELECT p.id FROM results r JOIN products q ON q.id = r.product_id "
      "  JOIN products p ON p.category = q.category AND p.function = q.function "
      "    AND p.kind = $4::int AND p.category <> '' "
      "  WHERE r.batch_code = $1 AND $2::int = $4::int) "
      "ORDER BY id COLLATE \"C\"",
      4, p, make_product, (void ***)out, n);
}

vbp_status catalog_store_find_organizations(vbp_pg_conn *c, vbp_arena *a, char *const *ids,
                                            size_t n, Vbp__V1__Organization ***out, size_t *count) {
  const char *p[] = {vbp_pg_text_array(a, (const char *const *)ids, n)};
  /* Each id once, at its first position. */
  return vbp_pg_query_rows(c, a, "find organizations",
                           "SELECT o.id, o.name, o.kind, o.region_code, o.credit_code, "
                           "o.institution_type, o.consortium_id "
                           "FROM (SELECT wanted, min(position) AS position "
                           "      FROM unnest($1::text[]) WITH ORDINALITY AS x(wanted, position) "
                           "      GROUP BY wanted) x "
                           "JOIN organizations o ON o.id = x.wanted ORDER BY x.position",
                           1, p, make_organization, (void ***)out, count);
}

vbp_status catalog_store_migrate(vbp_pg_pool *pool) {
  VBP_CHECK(vbp_pg_migrate(pool, "catalog", catalog_migrations, catalog_migrations_count));
  return vbp_feed_migrate(pool, "catalog");
}
