// The scenario every volume test starts from, and calls of each VolumeService RPC as a caller.
//
// Fujian (350000) executes drug batch VT-2024 (4 years from 2024-07-22, listed 2024-07-18;
// agreement years 2024-07-22..2025-12-31, then 2026, 2027, 2028-01-01..2028-07-21). Groups:
// G1 干扰素 (competitive): A (M1, ORIGINATOR) WINNING 30.0000 60%, B (M2) WINNING 28.0000 40%,
// C (M3) NON_WINNING (listed 38.0000), K (M3) BACKUP 32.0000, R (M4, REFERENCE) NON_WINNING;
// D (M4, NOT_EVALUATED; listed 50.0000) and O (M4, ORIGINATOR) of the same generic name without
// a result. G2 胸腺肽: E (M1) WINNING 10.0000 100%. G3 头孢: H (M2) WINNING 20.0000 50% (the
// other half not published yet). G4 利巴韦林: J (M3) WINNING 12.3457 50%, L (M4) WINNING 7.0001
// 50% (odd prices: half of an odd quantity's amount ends in half of 0.0001 yuan). F (M2) 阿莫西林
// is of no group. Products are CONSISTENCY_PASSED unless said. Hospitals: hosp-county in 鼓楼区
// 350102, hosp-city in 福州市 350100, hosp-prov at province level, the consortium cons-gl in
// 350102 and its member hosp-member. Bureaus of Fujian, Fuzhou, 鼓楼区 and Xiamen. Today is
// 2025-03-01.
#ifndef VOLUME_FIXTURE_H
#define VOLUME_FIXTURE_H

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "catalog_harness.h"
#include "pricing_harness.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume_harness.h"

inline char *c(const char *s) { return const_cast<char *>(s); }

inline const char *const kBatchCode = "VT-2024";
inline const char *const kCountyHospital = "hosp-county";
inline const char *const kCityHospital = "hosp-city";
inline const char *const kProvincialHospital = "hosp-prov";
inline const char *const kConsortium = "cons-gl";
inline const char *const kMember = "hosp-member";
inline const char *const kFujianBureau = "bur-fj";
inline const char *const kFuzhouBureau = "bur-fz";
inline const char *const kGulouBureau = "bur-gl";
inline const char *const kXiamenBureau = "bur-xm";
inline const char *const kM1 = "mfr-1";
inline const char *const kM2 = "mfr-2";
inline const char *const kCommitment =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

constexpr Vbp__V1__RegionLevel kProvince = VBP__V1__REGION_LEVEL__PROVINCE;
constexpr Vbp__V1__RegionLevel kCity = VBP__V1__REGION_LEVEL__CITY;
constexpr Vbp__V1__RegionLevel kCounty = VBP__V1__REGION_LEVEL__COUNTY;

// The region of each organization of the scenario.
inline std::string region_of(const std::string &id) {
  if (id == kCountyHospital || id == kConsortium || id == kMember || id == kGulouBureau)
    return "350102";
  if (id == kCityHospital || id == kFuzhouBureau) return "350100";
  if (id == kXiamenBureau) return "350200";
  return "350000";
}

inline Caller institution(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_MEDICAL_INSTITUTION, id, region_of(id));
}
inline Caller bureau(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_BUREAU, id, region_of(id));
}
inline Caller service_caller() { return Caller::signed_as(VBP_ROLE_SERVICE, "", ""); }
inline Caller manufacturer(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_MANUFACTURER, id, "350000");
}

// A GetProgress request; the zero values leave a field out.
struct ProgressQuery {
  std::string batch_code = kBatchCode;
  std::string region_code = "350000";
  std::string institution_id;
  int agreement_year = 0;
  std::string as_of;
  bool not_in_use = false;
  int page_size = 0;
  std::string page_token;
};

class VolumeTest : public CatalogTest {
 protected:
  void SetUp() override;
  std::unique_ptr<PinnedToday> today_;

  // ---- requests
  static Vbp__V1__DemandReport demand_report(const std::string &institution_id,
                                             const std::string &group, int year, int64_t quantity);
  static Reply<Vbp__V1__DemandReport> submit(const Caller &who, const std::string &institution_id,
                                             const std::string &group, int year, int64_t quantity);
  static Reply<Vbp__V1__DemandReport> review(const Caller &who, const std::string &id,
                                             Vbp__V1__RegionLevel level, bool approve,
                                             const std::string &comment = "");
  // Submits and approves through the whole chain as the admin; fails the test if refused.
  static void approve_demand(const std::string &institution_id, const std::string &group, int year,
                             int64_t quantity);
  static Reply<Vbp__V1__ComputeAllocationsResponse> compute(
      const Caller &who, int year, int ratio,
      const std::vector<std::pair<std::string, int>> &group_ratios, int page_size = 0);
  static Reply<Vbp__V1__FreezeAllocationsResponse> freeze(const Caller &who, int year);
  static Reply<Vbp__V1__ListAllocationsResponse> list_allocations(
      const Caller &who, const std::string &institution_id, int year, int page_size = 0,
      const std::string &page_token = "");
  // "year institution group product base ratio agreed", one per allocation.
  template <class R>
  static std::vector<std::string> allocations_of(const R *r) {
    std::vector<std::string> out;
    for (size_t i = 0; i < r->n_allocations; i++) {
      const Vbp__V1__Allocation *a = r->allocations[i];
      out.push_back(std::to_string(a->agreement_year) + " " + a->institution_id + " " +
                    a->group_id + " " + a->product_id + " " + std::to_string(a->base_quantity) +
                    " " + std::to_string(a->ratio_percent) + " " +
                    std::to_string(a->agreed_quantity));
    }
    return out;
  }
  // A purchase of the batch ordered and accepted on `accepted`; its strings live to the end.
  static Vbp__V1__Purchase purchase(const std::string &institution_id, const std::string &product,
                                    int64_t quantity, const std::string &amount,
                                    const std::string &accepted, const std::string &external_id);
  static Reply<Vbp__V1__Purchase> record(const Caller &who, const Vbp__V1__Purchase &p);
  // One NDJSON line; quantity and amount as JSON text ("10", "\"10\"").
  static std::string line(const std::string &institution_id, const std::string &product,
                          const std::string &quantity, const std::string &amount,
                          const std::string &accepted, const std::string &external_id);
  static Reply<Vbp__V1__RecordPurchasesResponse> import(const Caller &who,
                                                        const std::string &ndjson);
  // "line field", one per error.
  static std::vector<std::string> errors_of(const Vbp__V1__RecordPurchasesResponse *r);
  // Records a purchase (no externalId) as the institution itself; fails the test if refused.
  static void buy(const std::string &institution_id, const std::string &product, int64_t quantity,
                  const std::string &amount, const std::string &accepted);
  // Pins today to `day` instead (e.g. to record a purchase of a later agreement year).
  void pin_today(const char *day);

  // ---- supply issues
  static Vbp__V1__SupplyIssue supply_issue(const std::string &institution_id,
                                           const std::string &product, const std::string &from,
                                           const std::string &to,
                                           const std::string &description = "中选企业断供");
  static Reply<Vbp__V1__SupplyIssue> report_issue(const Caller &who,
                                                  const Vbp__V1__SupplyIssue &issue);
  static Reply<Vbp__V1__SupplyIssue> verify_issue(const Caller &who, const std::string &id,
                                                  const std::string &comment = "");

  // ---- progress (V5)
  static Reply<Vbp__V1__GetProgressResponse> progress(const Caller &who, const ProgressQuery &q);
  // "institution product agreed purchased completion elapsed", one per row.
  static std::vector<std::string> progress_of(const Vbp__V1__GetProgressResponse *r);

  // ---- assessment (V6)
  static Reply<Vbp__V1__AssessResponse> assess(const Caller &who, int year, int page_size = 0,
                                               const std::string &page_token = "",
                                               const std::string &region_code = "350000",
                                               const std::string &batch_code = kBatchCode);
  // "institution variety passed", or "institution variety failed: reason; reason", one per row.
  static std::vector<std::string> assessments_of(const Vbp__V1__AssessResponse *r);

  // ---- prepayment (V7)
  static Reply<Vbp__V1__Prepayment> prepayment(const Caller &who, const std::string &institution_id,
                                               int year,
                                               const std::string &batch_code = kBatchCode);
  // "rate agreedAmount prepaid offset balance reclaimDue".
  static std::string prepayment_of(const Vbp__V1__Prepayment *p);
};

// A copy of s that lives to the end of the program, for the char * of a request. Thread-safe.
char *held(const std::string &s);

#endif
