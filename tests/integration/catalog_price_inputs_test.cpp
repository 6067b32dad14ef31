// GetPriceInputs and GetPriceInputsVersion (internal, for pricing-svc) over real gRPC against the
// real PostgreSQL: the execution in force and what the pricing rules need of a product in it
// (DOMAIN.md "Pricing rules"), the price-input version every price-input write bumps in its own
// transaction (migrations/0002_price_inputs.sql), and the PriceInputsChanged push to pricing-svc,
// here a fake PricingService served by the test itself.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "catalog_harness.h"
#include "common/identity.h"
#include "common/rpc.h"
#include "vbp/v1/pricing.pb-c.h"

namespace {

char *c(const std::string &s) { return const_cast<char *>(s.c_str()); }

// ---------------------------------------------------------------- a fake pricing-svc

// PricingService with its one internal method, recording every version catalog-svc pushes and
// who pushed it. delay_ms makes it slow.
class FakePricing : public ::testing::Environment {
 public:
  void SetUp() override;
  void TearDown() override;
  static FakePricing *instance() { return g_fake; }

  vbp_client *client() const { return client_; }
  std::vector<long long> versions() {
    std::lock_guard<std::mutex> lock(mu_);
    return versions_;
  }
  std::vector<vbp_role> roles() {
    std::lock_guard<std::mutex> lock(mu_);
    return roles_;
  }
  std::atomic<int> delay_ms{0};

 private:
  static vbp_status price_inputs_changed(vbp_call *call, const ProtobufCMessage *request,
                                         ProtobufCMessage **response);
  static FakePricing *g_fake;
  std::mutex mu_;
  std::vector<long long> versions_;
  std::vector<vbp_role> roles_;
  vbp_method method_{};
  vbp_server_config config_{};
  vbp_authenticator *auth_ = nullptr;
  vbp_server *server_ = nullptr;
  vbp_client *client_ = nullptr;
};

FakePricing *FakePricing::g_fake = nullptr;

vbp_status FakePricing::price_inputs_changed(vbp_call *call, const ProtobufCMessage *request,
                                             ProtobufCMessage **response) {
  auto *fake = static_cast<FakePricing *>(vbp_call_context(call));
  auto *in = reinterpret_cast<const Vbp__V1__PriceInputsChangedRequest *>(request);
  int delay = fake->delay_ms.load();
  if (delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
  {
    std::lock_guard<std::mutex> lock(fake->mu_);
    fake->versions_.push_back(in->catalog_version);
    fake->roles_.push_back(vbp_call_caller(call)->role);
  }
  auto *r = static_cast<Vbp__V1__PriceInputsChangedResponse *>(
      vbp_arena_alloc(vbp_call_arena(call), sizeof(Vbp__V1__PriceInputsChangedResponse)));
  vbp__v1__price_inputs_changed_response__init(r);
  *response = &r->base;
  return vbp_status_ok();
}

void FakePricing::SetUp() {
  g_fake = this;
  CatalogStack *stack = CatalogStack::instance();
  if (stack == nullptr || !stack->failure().empty()) return;  // CatalogTest fails the tests
  method_.path = "/vbp.v1.PricingService/PriceInputsChanged";
  method_.request = &vbp__v1__price_inputs_changed_request__descriptor;
  method_.response = &vbp__v1__price_inputs_changed_response__descriptor;
  method_.unary = price_inputs_changed;
  method_.roles = VBP_ALLOW_SERVICE;
  auth_ = vbp_authenticator_create("admin-key-of-the-fake-pricing-svc", kSecret, nullptr, nullptr,
                                   0, 0);
  config_.service = "fake-pricing-svc";
  config_.listen_addr = "127.0.0.1:0";
  config_.workers = 2;
  config_.methods = &method_;
  config_.n_methods = 1;
  config_.context = this;
  config_.auth = auth_;
  vbp_status st = vbp_server_start(&config_, &server_);
  ASSERT_TRUE(IsOk(st)) << "starting the fake pricing-svc";
  std::string target = "127.0.0.1:" + std::to_string(vbp_server_port(server_));
  st = vbp_client_open(target.c_str(), kSecret, &client_);
  ASSERT_TRUE(IsOk(st));
  stack->set_pricing(client_);
}

void FakePricing::TearDown() {
  if (CatalogStack::instance() != nullptr) CatalogStack::instance()->set_pricing(nullptr);
  vbp_client_close(client_);
  client_ = nullptr;
  vbp_server_stop(server_, 1000);
  server_ = nullptr;
  vbp_authenticator_destroy(auth_);
  auth_ = nullptr;
  g_fake = nullptr;
}

// An address where nothing listens: a port the kernel gave us and we let go.
std::string dead_address() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len), 0);
  close(fd);
  return "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
}

// ---------------------------------------------------------------- calls

Caller service() { return Caller::signed_as(VBP_ROLE_SERVICE, "", ""); }

Reply<Vbp__V1__PriceInputs> get_price_inputs(const Caller &who, const std::string &region_code,
                                             const std::vector<std::string> &product_ids,
                                             const std::string &date) {
  Vbp__V1__GetPriceInputsRequest r;
  vbp__v1__get_price_inputs_request__init(&r);
  std::vector<char *> ids;
  for (const std::string &id : product_ids) ids.push_back(c(id));
  r.region_code = c(region_code);
  r.product_ids = ids.data();
  r.n_product_ids = ids.size();
  r.date = c(date);
  return call<Vbp__V1__PriceInputs>("GetPriceInputs", who, &r.base);
}

Reply<Vbp__V1__PriceInputsVersion> get_price_inputs_version(const Caller &who) {
  Vbp__V1__GetPriceInputsVersionRequest r;
  vbp__v1__get_price_inputs_version_request__init(&r);
  return call<Vbp__V1__PriceInputsVersion>("GetPriceInputsVersion", who, &r.base);
}

long long version_now() {
  auto r = get_price_inputs_version(service());
  EXPECT_TRUE(IsOk(r));
  return r.ok() ? static_cast<long long>(r->version) : -1;
}

long long last_pushed() {
  std::vector<long long> v = FakePricing::instance()->versions();
  return v.empty() ? 0 : v.back();
}

size_t pushes() { return FakePricing::instance()->versions().size(); }

// ---------------------------------------------------------------- answers as text

std::string status_name(int status) {
  const ProtobufCEnumValue *v =
      protobuf_c_enum_descriptor_get_value(&vbp__v1__result_status__descriptor, status);
  return v ? v->name : "?";
}

std::string members_text(Vbp__V1__PriceInputsMember *const *members, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; i++) {
    if (i) out += "; ";
    out += std::string(members[i]->product_id) + " " + members[i]->manufacturer_id + " " +
           status_name(members[i]->status) +
           (*members[i]->winning_price ? std::string(" ") + members[i]->winning_price : "");
  }
  return out + "]";
}

// One product's inputs on one line, so a failure shows the whole difference at once:
// "id | product | batch STATUS price | group G(name, competitive) | others [..] | winners [..]".
std::string text_of(const Vbp__V1__ProductPriceInputs *p) {
  std::string out = std::string(p->product_id) + " | ";
  out += p->product == nullptr ? "no product" : std::string("product ") + p->product->id;
  if (!*p->batch_code) {
    EXPECT_EQ(p->status, VBP__V1__RESULT_STATUS__RESULT_STATUS_UNSPECIFIED);
    EXPECT_EQ(p->group, nullptr);
    EXPECT_EQ(p->n_others + p->n_category_winners, 0u);
    return out + " | not in VBP";
  }
  out += std::string(" | ") + p->batch_code + " " + status_name(p->status);
  if (*p->winning_price) out += std::string(" ") + p->winning_price;
  out += " | group ";
  if (p->group == nullptr) {
    out += "none";
  } else {
    EXPECT_STREQ(p->group->batch_code, p->batch_code);
    out += std::string(p->group->id) + "(" + p->group->generic_name +
           (p->group->competitive ? ", competitive)" : ", non-competitive)");
  }
  out += " | others " + members_text(p->others, p->n_others);
  out += " | winners " + members_text(p->category_winners, p->n_category_winners);
  return out;
}

std::vector<std::string> texts_of(const Reply<Vbp__V1__PriceInputs> &r) {
  std::vector<std::string> out;
  if (!r.ok()) return out;
  for (size_t i = 0; i < r->n_products; i++) out.push_back(text_of(r->products[i]));
  return out;
}

// ---------------------------------------------------------------- the Fujian scenario

const char *const kIfn = "重组人干扰素α2b";
const char *const kDrugBatch = "JX-YP2023-01";   // seed 000: Fujian from 2024-07-22, 4 years
const char *const kStentBatch = "FJ-HC2024-01";  // consumables: Fujian from 2024-09-01, 2 years
const char *const kStent = "冠脉支架";
const char *const kEluting = "药物洗脱";
const char *const kBare = "裸支架";

ProductSpec drug(const std::string &id, const std::string &maker) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__DRUG;
  p.generic_name = kIfn;
  p.dosage_form = "注射剂";
  p.specification = "300万IU";
  p.unit = "支";
  p.manufacturer_id = maker;
  p.quality_tier = VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED;
  p.in_insurance_catalog = true;
  return p;
}

ProductSpec consumable(const std::string &id, const std::string &maker, const std::string &category,
                       const std::string &function) {
  ProductSpec p;
  p.id = id;
  p.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  p.generic_name = category;
  p.specification = "3.0x18mm";
  p.unit = "个";
  p.manufacturer_id = maker;
  p.in_insurance_catalog = true;
  p.category = category;
  p.function = function;
  return p;
}

ResultSpec result(const std::string &batch, const std::string &product, const std::string &group,
                  Vbp__V1__ResultStatus status, const std::string &price, int share) {
  ResultSpec r;
  r.batch_code = batch;
  r.product_id = product;
  r.group_id = group;
  r.status = status;
  r.winning_price = price;
  r.share_percent = share;
  return r;
}

#define MUST(expr) ASSERT_TRUE(IsOk(expr)) << #expr

void ensure_makers() {
  for (const char *id : {"pi-m1", "pi-m2", "pi-m3"})
    ensure_org(id, VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100");
}

// Idempotent: every test that needs it makes it, and a repeat changes nothing.
//   Drug batch JX-YP2023-01 in 350000 from 2024-07-22: group G1 (competitive) with A (M1,
//   WINNING 30.0000), B (M2, BACKUP 32.5000), C (M3, NON_WINNING); group G0 of the same generic
//   name (non-competitive) with E (M2, WINNING 28.0000). D (M1) of that generic name has no
//   result, so its group is the batch's group of its generic name with the lowest id, G0.
//   Consumable batch FJ-HC2024-01 in 350000 from 2024-09-01: group S-DE with S1 (M1, WINNING
//   590.0000), S2 (M2, BACKUP 620.0000), S4 (M3, NON_WINNING), all eluting stents; group S-BM
//   with S3 (M3, WINNING 700.0000), a bare stent. S5 (M2) an eluting stent without a result;
//   S6 a consumable of another category.
void ensure_fujian() {
  Caller admin = Caller::admin();
  ensure_makers();
  ensure_interferon_batch(kDrugBatch);
  ExecutionSpec e;
  e.batch_code = kDrugBatch;
  e.region_code = "350000";
  e.listing_date = "2024-07-18";
  e.start_date = "2024-07-22";
  MUST(create_execution(admin, e));
  Caller office = Caller::key(alliance_key());
  MUST(create_group(office, kDrugBatch, "G0", kIfn, false));
  MUST(create_group(office, kDrugBatch, "G1", kIfn, true));
  MUST(create_product(admin, drug("pi-a", "pi-m1")));
  MUST(create_product(admin, drug("pi-b", "pi-m2")));
  MUST(create_product(admin, drug("pi-c", "pi-m3")));
  MUST(create_product(admin, drug("pi-d", "pi-m1")));
  MUST(create_product(admin, drug("pi-e", "pi-m2")));
  MUST(publish_result(
      office, result(kDrugBatch, "pi-a", "G1", VBP__V1__RESULT_STATUS__WINNING, "30.0000", 60)));
  MUST(publish_result(
      office, result(kDrugBatch, "pi-b", "G1", VBP__V1__RESULT_STATUS__BACKUP, "32.5000", 40)));
  MUST(publish_result(
      office, result(kDrugBatch, "pi-c", "G1", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0)));
  MUST(publish_result(
      office, result(kDrugBatch, "pi-e", "G0", VBP__V1__RESULT_STATUS__WINNING, "28.0000", 100)));

  BatchSpec stents;
  stents.code = kStentBatch;
  stents.name = "福建省冠脉支架集中带量采购";
  stents.kind = VBP__V1__PRODUCT_KIND__CONSUMABLE;
  stents.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  stents.lead_region_code = "350000";
  stents.cycle_years = 2;
  MUST(create_batch(admin, stents));
  ExecutionSpec s;
  s.batch_code = kStentBatch;
  s.region_code = "350000";
  s.listing_date = "2024-08-25";
  s.start_date = "2024-09-01";
  MUST(create_execution(admin, s));
  MUST(create_group(admin, kStentBatch, "S-DE", kStent, true));
  MUST(create_group(admin, kStentBatch, "S-BM", kStent, true));
  MUST(create_product(admin, consumable("pi-s1", "pi-m1", kStent, kEluting)));
  MUST(create_product(admin, consumable("pi-s2", "pi-m2", kStent, kEluting)));
  MUST(create_product(admin, consumable("pi-s3", "pi-m3", kStent, kBare)));
  MUST(create_product(admin, consumable("pi-s4", "pi-m3", kStent, kEluting)));
  MUST(create_product(admin, consumable("pi-s5", "pi-m2", kStent, kEluting)));
  MUST(create_product(admin, consumable("pi-s6", "pi-m1", "人工关节", "髋关节")));
  MUST(publish_result(
      admin, result(kStentBatch, "pi-s1", "S-DE", VBP__V1__RESULT_STATUS__WINNING, "590", 70)));
  MUST(publish_result(
      admin, result(kStentBatch, "pi-s2", "S-DE", VBP__V1__RESULT_STATUS__BACKUP, "620.0000", 30)));
  MUST(publish_result(
      admin, result(kStentBatch, "pi-s4", "S-DE", VBP__V1__RESULT_STATUS__NON_WINNING, "", 0)));
  MUST(publish_result(admin, result(kStentBatch, "pi-s3", "S-BM", VBP__V1__RESULT_STATUS__WINNING,
                                    "700.0000", 100)));
}

class PriceInputs : public CatalogTest {
 protected:
  void SetUp() override {
    CatalogTest::SetUp();
    ASSERT_NE(FakePricing::instance(), nullptr);
    ASSERT_NE(FakePricing::instance()->client(), nullptr) << "the fake pricing-svc is down";
  }
};

// ---------------------------------------------------------------- what is answered

TEST_F(PriceInputs, FujianDrugsInForceWithTheirGroupsAndOthers) {
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  auto r =
      get_price_inputs(service(), "350000", {"pi-a", "pi-b", "pi-c", "pi-d", "pi-e"}, "2025-01-01");
  ASSERT_TRUE(IsOk(r));
  const std::string g1 = "G1(重组人干扰素α2b, competitive)";
  const std::string g0 = "G0(重组人干扰素α2b, non-competitive)";
  EXPECT_EQ(texts_of(r),
            (std::vector<std::string>{
                "pi-a | product pi-a | JX-YP2023-01 WINNING 30.0000 | group " + g1 +
                    " | others [pi-b pi-m2 BACKUP 32.5000; pi-c pi-m3 NON_WINNING] | winners []",
                "pi-b | product pi-b | JX-YP2023-01 BACKUP 32.5000 | group " + g1 +
                    " | others [pi-a pi-m1 WINNING 30.0000; pi-c pi-m3 NON_WINNING] | winners []",
                "pi-c | product pi-c | JX-YP2023-01 NON_WINNING | group " + g1 +
                    " | others [pi-a pi-m1 WINNING 30.0000; pi-b pi-m2 BACKUP 32.5000] | "
                    "winners []",
                // No result: the batch's group of its generic name with the lowest id.
                "pi-d | product pi-d | JX-YP2023-01 RESULT_STATUS_UNSPECIFIED | group " + g0 +
                    " | others [pi-e pi-m2 WINNING 28.0000] | winners []",
                "pi-e | product pi-e | JX-YP2023-01 WINNING 28.0000 | group " + g0 +
                    " | others [] | winners []",
            }));
  // The product itself, whole.
  ASSERT_EQ(r->n_products, 5u);
  const Vbp__V1__Product *a = r->products[0]->product;
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->kind, VBP__V1__PRODUCT_KIND__DRUG);
  EXPECT_STREQ(a->generic_name, kIfn);
  EXPECT_STREQ(a->manufacturer_id, "pi-m1");
  EXPECT_EQ(a->quality_tier, VBP__V1__QUALITY_TIER__CONSISTENCY_PASSED);
  EXPECT_TRUE(a->in_insurance_catalog);
}

TEST_F(PriceInputs, FujianConsumablesWithTheirCategoryAndFunctionWinners) {
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  auto r = get_price_inputs(service(), "350000",
                            {"pi-s1", "pi-s2", "pi-s3", "pi-s4", "pi-s5", "pi-s6"}, "2025-01-01");
  ASSERT_TRUE(IsOk(r));
  const std::string de = "S-DE(冠脉支架, competitive)";
  const std::string bm = "S-BM(冠脉支架, competitive)";
  EXPECT_EQ(texts_of(r),
            (std::vector<std::string>{
                "pi-s1 | product pi-s1 | FJ-HC2024-01 WINNING 590.0000 | group " + de +
                    " | others [pi-s2 pi-m2 BACKUP 620.0000; pi-s4 pi-m3 NON_WINNING] | "
                    "winners [pi-s2 pi-m2 BACKUP 620.0000]",
                "pi-s2 | product pi-s2 | FJ-HC2024-01 BACKUP 620.0000 | group " + de +
                    " | others [pi-s1 pi-m1 WINNING 590.0000; pi-s4 pi-m3 NON_WINNING] | "
                    "winners [pi-s1 pi-m1 WINNING 590.0000]",
                "pi-s3 | product pi-s3 | FJ-HC2024-01 WINNING 700.0000 | group " + bm +
                    " | others [] | winners []",
                "pi-s4 | product pi-s4 | FJ-HC2024-01 NON_WINNING | group " + de +
                    " | others [pi-s1 pi-m1 WINNING 590.0000; pi-s2 pi-m2 BACKUP 620.0000] | "
                    "winners [pi-s1 pi-m1 WINNING 590.0000; pi-s2 pi-m2 BACKUP 620.0000]",
                // No result, but the batch bought its category: in force, no group.
                "pi-s5 | product pi-s5 | FJ-HC2024-01 RESULT_STATUS_UNSPECIFIED | group none | "
                "others [] | winners [pi-s1 pi-m1 WINNING 590.0000; pi-s2 pi-m2 BACKUP 620.0000]",
                // Another category: no batch concerns it.
                "pi-s6 | product pi-s6 | not in VBP",
            }));
}

TEST_F(PriceInputs, UnknownProductIsAbsentAndRepeatsAnswerInOrder) {
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  auto r = get_price_inputs(service(), "350000", {"pi-a", "pi-nobody", "pi-a"}, "2025-01-01");
  ASSERT_TRUE(IsOk(r));
  std::vector<std::string> texts = texts_of(r);
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[1], "pi-nobody | no product | not in VBP");
  EXPECT_EQ(texts[0], texts[2]);
  EXPECT_NE(texts[0].find("JX-YP2023-01 WINNING 30.0000"), std::string::npos) << texts[0];
}

TEST_F(PriceInputs, AnotherProvinceWithoutAnExecutionIsNotInVbp) {
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  // Jiangxi is a member of the batch but has no execution here.
  auto r = get_price_inputs(service(), "360000", {"pi-a", "pi-s1"}, "2025-01-01");
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(texts_of(r), (std::vector<std::string>{"pi-a | product pi-a | not in VBP",
                                                   "pi-s1 | product pi-s1 | not in VBP"}));
}

// ---------------------------------------------------------------- the execution in force

std::string batch_on(const std::string &product, const std::string &date) {
  auto r = get_price_inputs(service(), "350000", {product}, date);
  EXPECT_TRUE(IsOk(r)) << date;
  return r.ok() && r->n_products == 1 ? std::string(r->products[0]->batch_code) : "?";
}

TEST_F(PriceInputs, NothingBeforeTheStartNorAfterTheCycleLastDay) {
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  EXPECT_EQ(batch_on("pi-a", "2024-07-21"), "");  // listed 07-18, in force from 07-22
  EXPECT_EQ(batch_on("pi-a", "2024-07-22"), kDrugBatch);
  EXPECT_EQ(batch_on("pi-a", "2028-07-21"), kDrugBatch);  // the day before start + 4 years
  EXPECT_EQ(batch_on("pi-a", "2028-07-22"), "");
  auto before = get_price_inputs(service(), "350000", {"pi-a"}, "2024-07-21");
  ASSERT_TRUE(IsOk(before));
  EXPECT_EQ(texts_of(before), (std::vector<std::string>{"pi-a | product pi-a | not in VBP"}));
}

TEST_F(PriceInputs, ExtensionBringsADateBackInForce) {
  ASSERT_NO_FATAL_FAILURE(ensure_makers());
  Caller admin = Caller::admin();
  BatchSpec b;
  b.code = "PI-EXT";
  b.name = "延期批次";
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_years = 2;
  ensure_region("350000");
  MUST(create_batch(admin, b));
  ExecutionSpec e;
  e.batch_code = "PI-EXT";
  e.region_code = "350000";
  e.listing_date = "2022-01-01";
  e.start_date = "2022-01-01";
  MUST(create_execution(admin, e));
  MUST(create_group(admin, "PI-EXT", "g", "阿莫西林", true));
  ProductSpec x = drug("pi-ext", "pi-m1");
  x.generic_name = "阿莫西林";
  MUST(create_product(admin, x));
  MUST(publish_result(
      admin, result("PI-EXT", "pi-ext", "g", VBP__V1__RESULT_STATUS__WINNING, "1.2", 100)));
  EXPECT_EQ(batch_on("pi-ext", "2023-12-31"), "PI-EXT");
  EXPECT_EQ(batch_on("pi-ext", "2024-03-01"), "");
  long long before = version_now();
  PinnedToday today("2024-03-01");  // the extension lies in the past of the real today
  MUST(extend_batch(admin, "PI-EXT", "2024-06-30"));
  EXPECT_EQ(version_now(), before + 1);
  EXPECT_EQ(batch_on("pi-ext", "2024-03-01"), "PI-EXT");
  EXPECT_EQ(batch_on("pi-ext", "2024-06-30"), "PI-EXT");
  EXPECT_EQ(batch_on("pi-ext", "2024-07-01"), "");
}

TEST_F(PriceInputs, LatestStartWinsAmongTheExecutionsInForce) {
  ASSERT_NO_FATAL_FAILURE(ensure_makers());
  ensure_region("350000");
  Caller admin = Caller::admin();
  struct {
    const char *code, *start, *price;
    int years;
  } batches[] = {{"PI-OLD", "2022-01-01", "10.0000", 5}, {"PI-NEW", "2024-01-01", "8.0000", 2}};
  ProductSpec x = drug("pi-x", "pi-m1");
  x.generic_name = "氨氯地平";
  MUST(create_product(admin, x));
  for (const auto &k : batches) {
    BatchSpec b;
    b.code = k.code;
    b.name = k.code;
    b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
    b.lead_region_code = "350000";
    b.cycle_years = k.years;
    MUST(create_batch(admin, b));
    ExecutionSpec e;
    e.batch_code = k.code;
    e.region_code = "350000";
    e.listing_date = k.start;
    e.start_date = k.start;
    MUST(create_execution(admin, e));
    MUST(create_group(admin, k.code, "g", "氨氯地平", true));
    MUST(publish_result(
        admin, result(k.code, "pi-x", "g", VBP__V1__RESULT_STATUS__WINNING, k.price, 100)));
  }
  EXPECT_EQ(batch_on("pi-x", "2023-06-01"), "PI-OLD");  // PI-NEW not started
  EXPECT_EQ(batch_on("pi-x", "2024-01-01"), "PI-NEW");  // both in force: the latest start
  EXPECT_EQ(batch_on("pi-x", "2025-12-31"), "PI-NEW");
  EXPECT_EQ(batch_on("pi-x", "2026-01-01"), "PI-OLD");  // PI-NEW over, PI-OLD still in force
  EXPECT_EQ(batch_on("pi-x", "2027-01-01"), "");
  auto r = get_price_inputs(service(), "350000", {"pi-x"}, "2024-06-01");
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(texts_of(r), (std::vector<std::string>{"pi-x | product pi-x | PI-NEW WINNING 8.0000 | "
                                                   "group g(氨氯地平, competitive) | others [] | "
                                                   "winners []"}));
}

// ---------------------------------------------------------------- refusals

TEST_F(PriceInputs, ACityIsRefusedOnRegionCode) {
  // pricing-svc maps a city or county to its province before it asks.
  for (const char *region : {"350100", "350102", "35000", "", "000000"}) {
    auto r = get_price_inputs(service(), region, {"pi-a"}, "2025-01-01");
    EXPECT_TRUE(IsRefused(r, VBP_INVALID_ARGUMENT, "regionCode")) << "\"" << region << "\"";
  }
}

TEST_F(PriceInputs, ProductIdsAndDateAreChecked) {
  EXPECT_TRUE(IsRefused(get_price_inputs(service(), "350000", {}, "2025-01-01"),
                        VBP_INVALID_ARGUMENT, "productIds"));
  std::vector<std::string> many(1001, "pi-a");
  EXPECT_TRUE(IsRefused(get_price_inputs(service(), "350000", many, "2025-01-01"),
                        VBP_INVALID_ARGUMENT, "productIds"));
  many.resize(1000);
  EXPECT_TRUE(IsOk(get_price_inputs(service(), "350000", many, "2025-01-01")));
  EXPECT_TRUE(IsRefused(get_price_inputs(service(), "350000", {"pi-a", "bad id"}, "2025-01-01"),
                        VBP_INVALID_ARGUMENT, "productIds[1]"));
  EXPECT_TRUE(IsRefused(get_price_inputs(service(), "350000", {"pi-a", ""}, "2025-01-01"),
                        VBP_INVALID_ARGUMENT, "productIds[1]"));
  for (const char *date : {"2025-02-29", "2025-1-01", "", "20250101"})
    EXPECT_TRUE(IsRefused(get_price_inputs(service(), "350000", {"pi-a"}, date),
                          VBP_INVALID_ARGUMENT, "date"))
        << date;
  EXPECT_TRUE(IsOk(get_price_inputs(service(), "350000", {"pi-a"}, "2024-02-29")));
}

TEST_F(PriceInputs, OnlyOurServicesAndTheAdminMayAsk) {
  EXPECT_TRUE(IsOk(get_price_inputs(Caller::admin(), "350000", {"pi-a"}, "2025-01-01")));
  EXPECT_TRUE(IsOk(get_price_inputs_version(Caller::admin())));
  EXPECT_TRUE(IsOk(get_price_inputs_version(service())));
  const std::vector<Caller> refused = {
      Caller::key(key_for("pi-bureau", VBP__V1__ORGANIZATION_KIND__BUREAU, "350000")),
      Caller::key(alliance_key()),
      Caller::key(key_for("pi-m1", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350100")),
      Caller::signed_as(VBP_ROLE_BUREAU, "pi-bureau", "350000"),
  };
  for (const Caller &who : refused) {
    EXPECT_TRUE(IsRefused(get_price_inputs(who, "350000", {"pi-a"}, "2025-01-01"),
                          VBP_PERMISSION_DENIED, ""));
    EXPECT_TRUE(IsRefused(get_price_inputs_version(who), VBP_PERMISSION_DENIED, ""));
  }
  // Refused before the request is even looked at.
  EXPECT_TRUE(IsRefused(get_price_inputs(refused[0], "350100", {}, ""), VBP_PERMISSION_DENIED, ""));
  EXPECT_TRUE(IsRefused(get_price_inputs_version(Caller::nobody()), VBP_UNAUTHENTICATED, ""));
}

// ---------------------------------------------------------------- the version and its push

// What one write did to the version: the version before and after, and what the fake was told.
struct Bump {
  long long before, after, pushed;
  size_t pushes;
};

template <class Write>
Bump measure(Write write) {
  Bump b{};
  b.before = version_now();
  size_t pushes_before = pushes();
  write();
  b.after = version_now();
  b.pushes = pushes() - pushes_before;
  b.pushed = last_pushed();
  return b;
}

// A real write bumps the version by one and pushes that very number before it answers; a replay
// (or a refusal) bumps nothing and pushes nothing.
void expect_bumped(const Bump &b, const char *what) {
  EXPECT_EQ(b.after, b.before + 1) << what;
  EXPECT_EQ(b.pushes, 1u) << what;
  EXPECT_GE(b.pushed, b.after) << what;
  EXPECT_EQ(b.pushed, b.before + 1) << what << ": the write's own version";
}

void expect_unchanged(const Bump &b, const char *what) {
  EXPECT_EQ(b.after, b.before) << what;
  EXPECT_EQ(b.pushes, 0u) << what;
}

TEST_F(PriceInputs, VersionIsPositiveAndGetPriceInputsAnswersItToo) {
  EXPECT_GE(version_now(), 1);
  ASSERT_NO_FATAL_FAILURE(ensure_fujian());
  long long v = version_now();
  auto r = get_price_inputs(service(), "350000", {"pi-a"}, "2025-01-01");
  ASSERT_TRUE(IsOk(r));
  EXPECT_EQ(r->version, v);
}

TEST_F(PriceInputs, EveryRealWriteBumpsAndPushesAndNoReplayDoes) {
  ASSERT_NO_FATAL_FAILURE(ensure_makers());
  ensure_region("350000");
  Caller admin = Caller::admin();
  BatchSpec b;
  b.code = "PI-BUMP";
  b.name = "版本批次";
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_years = 2;
  ExecutionSpec e;
  e.batch_code = "PI-BUMP";
  e.region_code = "350000";
  e.listing_date = "2025-01-01";
  e.start_date = "2025-01-01";
  ProductSpec p = drug("pi-bump", "pi-m2");
  p.generic_name = "头孢呋辛";
  ResultSpec won = result("PI-BUMP", "pi-bump", "g", VBP__V1__RESULT_STATUS__WINNING, "5", 100);

  struct Step {
    const char *what;
    std::function<vbp_status()> write;
  } steps[] = {
      {"CreateBatch", [&] { return create_batch(admin, b).status; }},
      {"CreateExecution", [&] { return create_execution(admin, e).status; }},
      {"CreateProduct", [&] { return create_product(admin, p).status; }},
      {"CreateGroup", [&] { return create_group(admin, "PI-BUMP", "g", "头孢呋辛", true).status; }},
      {"PublishResult", [&] { return publish_result(admin, won).status; }},
      {"ExtendBatch", [&] { return extend_batch(admin, "PI-BUMP", "2027-06-30").status; }},
  };
  for (const Step &step : steps) {
    vbp_status first{}, replay{};
    Bump wrote = measure([&] { first = step.write(); });
    EXPECT_TRUE(IsOk(first)) << step.what;
    expect_bumped(wrote, step.what);
    Bump replayed = measure([&] { replay = step.write(); });
    EXPECT_TRUE(IsOk(replay)) << step.what << " again";
    expect_unchanged(replayed, (std::string(step.what) + " again").c_str());
  }
  for (vbp_role role : FakePricing::instance()->roles()) EXPECT_EQ(role, VBP_ROLE_SERVICE);

  // Writes that are not price inputs, and refused writes, change nothing.
  expect_unchanged(measure([&] { ensure_region("350200"); }), "CreateRegion");
  expect_unchanged(
      measure([&] { ensure_org("pi-m4", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350200"); }),
      "CreateOrganization");
  ProductSpec q = drug("pi-bump-2", "pi-m3");
  q.generic_name = "头孢呋辛";
  MUST(create_product(admin, q));
  // Group g's shares are at 100 already.
  ResultSpec too_much =
      result("PI-BUMP", "pi-bump-2", "g", VBP__V1__RESULT_STATUS__WINNING, "5", 1);
  expect_unchanged(measure([&] { EXPECT_FALSE(IsOk(publish_result(admin, too_much))); }),
                   "a refused PublishResult");
  expect_unchanged(
      measure([&] { EXPECT_FALSE(IsOk(extend_batch(admin, "PI-BUMP", "2026-01-01"))); }),
      "a refused ExtendBatch");
}

TEST_F(PriceInputs, WriteStandsWhenPricingIsDownOrSlow) {
  ASSERT_NO_FATAL_FAILURE(ensure_makers());
  Caller admin = Caller::admin();
  FakePricing *fake = FakePricing::instance();

  // Down: nothing listens at the address catalog-svc pushes to.
  vbp_client *dead = nullptr;
  ASSERT_TRUE(IsOk(vbp_client_open(dead_address().c_str(), kSecret, &dead)));
  CatalogStack::instance()->set_pricing(dead);
  long long before = version_now();
  auto started = std::chrono::steady_clock::now();
  auto down = create_product(admin, drug("pi-down", "pi-m1"));
  auto took = std::chrono::steady_clock::now() - started;
  CatalogStack::instance()->set_pricing(fake->client());
  vbp_client_close(dead);
  EXPECT_TRUE(IsOk(down));
  EXPECT_LT(took, std::chrono::milliseconds(2000));
  EXPECT_EQ(version_now(), before + 1);
  auto stored = get_product(admin, "pi-down");
  EXPECT_TRUE(IsOk(stored));

  // Slow: the write waits for the push at most its timeout (200 ms), then answers anyway.
  fake->delay_ms = 1500;
  started = std::chrono::steady_clock::now();
  auto slow = create_product(admin, drug("pi-slow", "pi-m1"));
  took = std::chrono::steady_clock::now() - started;
  fake->delay_ms = 0;
  EXPECT_TRUE(IsOk(slow));
  EXPECT_LT(took, std::chrono::milliseconds(1200));
  EXPECT_EQ(version_now(), before + 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));  // the slow push lands

  // Unset (VBP_PRICING_ADDR empty): no push, no complaint.
  CatalogStack::instance()->set_pricing(nullptr);
  size_t pushes_before = pushes();
  EXPECT_TRUE(IsOk(create_product(admin, drug("pi-unset", "pi-m1"))));
  CatalogStack::instance()->set_pricing(fake->client());
  EXPECT_EQ(version_now(), before + 3);
  EXPECT_EQ(pushes(), pushes_before);
}

// ---------------------------------------------------------------- lock order

// The version row must be the last lock a write takes (0002_price_inputs.sql). Named after what
// would break: if the bump fired before the foreign-key check of a group's batch, a CreateGroup
// waiting for a batch that ExtendBatch holds FOR UPDATE would hold the version, and the
// extension's own bump would deadlock with it.
TEST_F(PriceInputs, WriteWaitingForItsBatchHoldsNoVersionLock) {
  ensure_region("350000");
  Caller admin = Caller::admin();
  BatchSpec b;
  b.code = "PI-LOCK";
  b.name = "锁批次";
  b.organizer_level = VBP__V1__BATCH__ORGANIZER_LEVEL__PROVINCE;
  b.lead_region_code = "350000";
  b.cycle_years = 2;
  MUST(create_batch(admin, b));

  PGconn *holder = PQconnectdb(CatalogStack::instance()->dsn().c_str());
  ASSERT_EQ(PQstatus(holder), CONNECTION_OK) << PQerrorMessage(holder);
  auto exec = [&](const char *sql) {
    PGresult *r = PQexec(holder, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string error = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    return error;
  };
  // As ExtendBatch does: the batch FOR UPDATE first.
  EXPECT_EQ(exec("BEGIN"), "");
  EXPECT_EQ(exec("SELECT 1 FROM batches WHERE code = 'PI-LOCK' FOR UPDATE"), "");
  auto group = std::async(std::launch::async,
                          [&] { return create_group(admin, "PI-LOCK", "g", "头孢呋辛", true); });
  // Wait until the CreateGroup waits for the batch (its foreign-key check).
  bool waiting = false;
  for (int i = 0; i < 200 && !waiting; i++) {
    PGresult *r = PQexec(holder,
                         "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'");
    waiting = PQresultStatus(r) == PGRES_TUPLES_OK && std::string(PQgetvalue(r, 0, 0)) != "0";
    PQclear(r);
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  EXPECT_TRUE(waiting) << "CreateGroup never waited for the batch";
  // The waiting writer must not hold the version: the extension's bump gets it at once.
  EXPECT_EQ(exec("SELECT version FROM price_inputs_version FOR UPDATE NOWAIT"), "");
  EXPECT_EQ(exec("UPDATE batches SET cycle_end = '2027-12-31' WHERE code = 'PI-LOCK'"), "");
  EXPECT_EQ(exec("COMMIT"), "");
  PQfinish(holder);
  auto created = group.get();
  EXPECT_TRUE(IsOk(created));
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // After test_stack.cpp's environment (made during static initialisation), so torn down before
  // the database is dropped; the fake pricing-svc after the catalog stack, which it plugs into,
  // so it stops first.
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new FakePricing);
  return RUN_ALL_TESTS();
}
