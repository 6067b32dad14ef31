/* The catalog's record checks (catalog-svc/checks.h). */
#include "catalog-svc/checks.h"

#include <stdio.h>
#include <string.h>

#include "common/credit_code.h"
#include "common/regions.h"
#include "common/validate.h"

#define NAME_MAX_LEN 200
#define TEXT_MAX_LEN 200
#define MAX_CYCLE_YEARS 20

/* A field's name with its prefix, by value: it lives to the end of the full expression that
 * names it, long enough for a check (the status copies it). */
typedef struct field_name {
  char s[VBP_STATUS_FIELD_MAX];
} field_name;

static field_name named(const char *prefix, const char *name) {
  field_name f;
  snprintf(f.s, sizeof f.s, "%s%s", prefix, name);
  return f;
}

#define F(name) named(prefix, name).s

const char *catalog_level_name(int level) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&vbp__v1__region_level__descriptor, level);
  return v ? v->name : "?";
}

bool catalog_result_winning(int status) {
  return status == VBP__V1__RESULT_STATUS__WINNING || status == VBP__V1__RESULT_STATUS__BACKUP;
}

vbp_status catalog_check_region(const Vbp__V1__Region *in, const char *prefix) {
  VBP_CHECK(vbp_need_region_code(F("code"), in->code));
  VBP_CHECK(vbp_need_text(F("name"), in->name, NAME_MAX_LEN));
  VBP_CHECK(vbp_need_enum(F("level"), in->level, &vbp__v1__region_level__descriptor));
  int shape = vbp_region_level_of(in->code);
  if ((int)in->level != shape)
    return vbp_invalid(F("level"), "must be %s for code %s (GB/T 2260)", catalog_level_name(shape),
                       in->code);
  char parent[7];
  vbp_region_parent_of(in->code, parent);
  if (strcmp(in->parent_code, parent) != 0)
    return *parent ? vbp_invalid(F("parentCode"), "must be %s, the region containing %s", parent,
                                 in->code)
                   : vbp_invalid(F("parentCode"), "must be empty for a province");
  return vbp_status_ok();
}

vbp_status catalog_check_organization_kind(const Vbp__V1__Organization *in, const char *prefix) {
  VBP_CHECK(vbp_need_region_code(F("regionCode"), in->region_code));
  VBP_CHECK(vbp_need_id(F("id"), in->id));
  VBP_CHECK(vbp_need_text(F("name"), in->name, NAME_MAX_LEN));
  return vbp_need_enum(F("kind"), in->kind, &vbp__v1__organization_kind__descriptor);
}

vbp_status catalog_check_organization_rest(const Vbp__V1__Organization *in, const char *prefix) {
  if (!in->credit_code || !*in->credit_code) return vbp_invalid(F("creditCode"), "is required");
  char reason[VBP_STATUS_REASON_MAX];
  if (!vbp_credit_code_check(in->credit_code, reason, sizeof reason))
    return vbp_invalid(F("creditCode"), "%s", reason);
  VBP_CHECK(vbp_opt_enum(F("institutionType"), in->institution_type,
                         &vbp__v1__institution_type__descriptor));
  bool institution = in->kind == VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION;
  if (in->institution_type && !institution)
    return vbp_invalid(F("institutionType"), "applies to medical institutions only");
  if (*in->consortium_id) {
    if (!institution) return vbp_invalid(F("consortiumId"), "applies to medical institutions only");
    VBP_CHECK(vbp_need_id(F("consortiumId"), in->consortium_id));
    if (strcmp(in->consortium_id, in->id) == 0)
      return vbp_invalid(F("consortiumId"), "must name another organization");
  }
  return vbp_status_ok();
}

vbp_status catalog_check_product(const Vbp__V1__Product *in, const char *prefix) {
  VBP_CHECK(vbp_need_id(F("id"), in->id));
  VBP_CHECK(vbp_need_enum(F("kind"), in->kind, &vbp__v1__product_kind__descriptor));
  VBP_CHECK(vbp_need_text(F("genericName"), in->generic_name, NAME_MAX_LEN));
  VBP_CHECK(vbp_need_text(F("specification"), in->specification, TEXT_MAX_LEN));
  VBP_CHECK(vbp_need_text(F("unit"), in->unit, TEXT_MAX_LEN));
  VBP_CHECK(vbp_need_id(F("manufacturerId"), in->manufacturer_id));
  VBP_CHECK(vbp_opt_enum(F("qualityTier"), in->quality_tier, &vbp__v1__quality_tier__descriptor));
  VBP_CHECK(vbp_opt_text(F("dosageForm"), in->dosage_form, TEXT_MAX_LEN));
  VBP_CHECK(vbp_opt_text(F("category"), in->category, TEXT_MAX_LEN));
  VBP_CHECK(vbp_opt_text(F("function"), in->function, TEXT_MAX_LEN));
  if (in->kind == VBP__V1__PRODUCT_KIND__DRUG) {
    VBP_CHECK(vbp_need_text(F("dosageForm"), in->dosage_form, TEXT_MAX_LEN));
    if (*in->category) return vbp_invalid(F("category"), "applies to consumables only");
    if (*in->function) return vbp_invalid(F("function"), "applies to consumables only");
  } else {
    if (in->quality_tier) return vbp_invalid(F("qualityTier"), "applies to drugs only");
    /* P3b compares consumables of the same category and function. */
    VBP_CHECK(vbp_need_text(F("category"), in->category, TEXT_MAX_LEN));
    VBP_CHECK(vbp_need_text(F("function"), in->function, TEXT_MAX_LEN));
  }
  return vbp_status_ok();
}

vbp_status catalog_check_batch(vbp_arena *a, const Vbp__V1__Batch *in, const char *prefix,
                               bool stored) {
  VBP_CHECK(vbp_need_id(F("code"), in->code));
  VBP_CHECK(vbp_need_text(F("name"), in->name, NAME_MAX_LEN));
  VBP_CHECK(vbp_need_enum(F("kind"), in->kind, &vbp__v1__product_kind__descriptor));
  VBP_CHECK(vbp_need_enum(F("organizerLevel"), in->organizer_level,
                          &vbp__v1__batch__organizer_level__descriptor));
  VBP_CHECK(vbp_need_region_code(F("leadRegionCode"), in->lead_region_code));
  bool lead_is_member = false;
  for (size_t i = 0; i < in->n_member_region_codes; i++) {
    char *field = vbp_arena_printf(a, "%smemberRegionCodes[%zu]", prefix, i);
    VBP_CHECK(vbp_need_region_code(field, in->member_region_codes[i]));
    for (size_t j = 0; j < i; j++)
      if (strcmp(in->member_region_codes[i], in->member_region_codes[j]) == 0)
        return vbp_invalid(field, "repeats %s", in->member_region_codes[i]);
    lead_is_member |= strcmp(in->member_region_codes[i], in->lead_region_code) == 0;
  }
  if (in->n_member_region_codes == 0) return vbp_invalid(F("memberRegionCodes"), "is required");
  if (!lead_is_member)
    return vbp_invalid(F("memberRegionCodes"), "must include the lead region %s",
                       in->lead_region_code);
  bool single = in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE ||
                in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__CITY;
  if (single && in->n_member_region_codes != 1)
    return vbp_invalid(F("memberRegionCodes"),
                       "must hold only the lead region for a batch organized by one province or "
                       "city");
  if (in->organizer_level == VBP__V1__BATCH__ORGANIZER_LEVEL__ALLIANCE &&
      in->n_member_region_codes < 2)
    return vbp_invalid(F("memberRegionCodes"), "must name at least two regions for an alliance");
  if (in->cycle_years < 0 || in->cycle_years > MAX_CYCLE_YEARS)
    return vbp_invalid(F("cycleYears"), "must be 1 to %d", MAX_CYCLE_YEARS);
  if (!stored && in->cycle_years && *in->cycle_end)
    return vbp_invalid(F("cycleEnd"),
                       "must not be given with cycleYears: the cycle is one or the other");
  if (!in->cycle_years && !*in->cycle_end)
    return vbp_invalid(F("cycleYears"), "is required (or give cycleEnd)");
  vbp_date end;
  if (*in->cycle_end) VBP_CHECK(vbp_need_date(F("cycleEnd"), in->cycle_end, &end));
  if (in->non_winning_cap_percent < 0 || in->non_winning_cap_percent > 100)
    return vbp_invalid(F("nonWinningCapPercent"), "must be 0 to 100");
  if (!stored)
    return vbp_opt_enum(F("renewalFloor"), in->renewal_floor,
                        &vbp__v1__batch__renewal_floor__descriptor);
  VBP_CHECK(vbp_need_enum(F("renewalFloor"), in->renewal_floor,
                          &vbp__v1__batch__renewal_floor__descriptor));
  if (*in->created_by) VBP_CHECK(vbp_need_id(F("createdBy"), in->created_by));
  return vbp_status_ok();
}

/* A signing window: both ends or neither, in order. */
static vbp_status check_window(const char *from_field, const char *from, const char *to_field,
                               const char *to) {
  vbp_date f, t;
  bool has_f, has_t;
  VBP_CHECK(vbp_opt_date(from_field, from, &f, &has_f));
  VBP_CHECK(vbp_opt_date(to_field, to, &t, &has_t));
  if (has_f != has_t)
    return vbp_invalid(has_f ? to_field : from_field, "is required with %s",
                       has_f ? from_field : to_field);
  if (has_f && t < f) return vbp_invalid(to_field, "must not be before %s", from_field);
  return vbp_status_ok();
}

vbp_status catalog_check_execution(const Vbp__V1__Execution *in, const char *prefix,
                                   vbp_date *start) {
  VBP_CHECK(vbp_need_region_code(F("regionCode"), in->region_code));
  VBP_CHECK(vbp_need_id(F("batchCode"), in->batch_code));
  vbp_date listing;
  VBP_CHECK(vbp_need_date(F("listingDate"), in->listing_date, &listing));
  VBP_CHECK(vbp_need_date(F("startDate"), in->start_date, start));
  if (*start < listing) return vbp_invalid(F("startDate"), "must not be before listingDate");
  VBP_CHECK(check_window(F("enterpriseSignFrom"), in->enterprise_sign_from, F("enterpriseSignTo"),
                         in->enterprise_sign_to));
  return check_window(F("institutionSignFrom"), in->institution_sign_from, F("institutionSignTo"),
                      in->institution_sign_to);
}

vbp_status catalog_check_group(const Vbp__V1__Group *in, const char *prefix, vbp_money *cap) {
  VBP_CHECK(vbp_need_id(F("batchCode"), in->batch_code));
  VBP_CHECK(vbp_need_id(F("id"), in->id));
  VBP_CHECK(vbp_need_text(F("genericName"), in->generic_name, NAME_MAX_LEN));
  *cap = 0;
  if (*in->max_non_winning_price)
    VBP_CHECK(vbp_need_price(F("maxNonWinningPrice"), in->max_non_winning_price, cap));
  return vbp_status_ok();
}

vbp_status catalog_check_result(vbp_arena *a, const Vbp__V1__Result *in, const char *prefix,
                                Vbp__V1__Result *stored, vbp_money *price) {
  VBP_CHECK(vbp_need_id(F("batchCode"), in->batch_code));
  VBP_CHECK(vbp_need_id(F("productId"), in->product_id));
  VBP_CHECK(vbp_need_id(F("groupId"), in->group_id));
  VBP_CHECK(vbp_need_enum(F("status"), in->status, &vbp__v1__result_status__descriptor));
  *price = 0;
  if (catalog_result_winning(in->status)) {
    if (!*in->winning_price)
      return vbp_invalid(F("winningPrice"), "is required for a WINNING or BACKUP result");
    VBP_CHECK(vbp_need_price(F("winningPrice"), in->winning_price, price));
    stored->winning_price = vbp_money_format(*price, vbp_arena_alloc(a, VBP_MONEY_FORMAT_MAX));
  } else {
    if (*in->winning_price)
      return vbp_invalid(F("winningPrice"), "applies to WINNING and BACKUP results only");
    if (in->share_percent)
      return vbp_invalid(F("sharePercent"), "applies to WINNING and BACKUP results only");
  }
  if (in->share_percent < 0 || in->share_percent > 100)
    return vbp_invalid(F("sharePercent"), "must be 0 to 100");
  return vbp_status_ok();
}
