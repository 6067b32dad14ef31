// The change feed (API.md "Change feed"): every service's writes recorded in their transaction
// (common/feed.h), ListChanges and WatchChanges merging the four services' feeds for a reader,
// on the volume tests' scenario with all four services in-process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "catalog_harness.h"
#include "common/feed.h"
#include "common/pg.h"
#include "contract_harness.h"
#include "contract_keys.h"
#include "pricing_harness.h"
#include "test_gateway.h"
#include "test_stack.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/feed.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume_fixture.h"
#include "volume_harness.h"

namespace {

const char *const kFuzhouAgency = "agency-fz";

// Points catalog-svc's feed at the in-process volume-svc and contract-svc (pricing-svc is set by
// its own stack). Registered after the four stacks.
class FeedPeers : public ::testing::Environment {
 public:
  void SetUp() override {
    if (CatalogStack::instance() && VolumeStack::instance() && ContractStack::instance())
      CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                          ContractStack::instance()->client());
  }
  void TearDown() override {
    if (CatalogStack::instance()) CatalogStack::instance()->set_peers(nullptr, nullptr);
  }
};

// One change as the tests compare it: "type id action".
std::string text_of(const Vbp__V1__Change *c) {
  return std::string(c->type) + " " + c->id + " " + c->action;
}

Reply<Vbp__V1__ListChangesResponse> list_changes(const Caller &who, const std::string &since,
                                                 int page_size = 0) {
  Vbp__V1__ListChangesRequest req = VBP__V1__LIST_CHANGES_REQUEST__INIT;
  req.since = held(since);
  req.page_size = page_size;
  return call<Vbp__V1__ListChangesResponse>("ListChanges", who, &req.base);
}

struct Walk {
  std::vector<std::string> changes;  // "type id action", in feed order
  std::string cursor;                // where the walk ended
};

// Every change after `since` that `who` may read, page by page, until an empty page.
Walk walk(const Caller &who, const std::string &since, int page_size = 0) {
  Walk w{{}, since};
  for (int pages = 0; pages < 10000; pages++) {
    auto r = list_changes(who, w.cursor, page_size);
    EXPECT_TRUE(IsOk(r));
    if (!r.ok()) break;
    if (r->n_changes == 0) {
      EXPECT_EQ(std::string(r->next_cursor), w.cursor);  // an empty page keeps `since`
      break;
    }
    EXPECT_LE(r->n_changes, static_cast<size_t>(page_size > 0 ? page_size : 50));
    for (size_t i = 0; i < r->n_changes; i++) w.changes.push_back(text_of(r->changes[i]));
    EXPECT_EQ(std::string(r->next_cursor), r->changes[r->n_changes - 1]->cursor);
    w.cursor = r->next_cursor;
  }
  return w;
}

// The cursor at the end of the feed, as the admin sees it.
std::string end_of_feed() { return walk(Caller::admin(), "", 500).cursor; }

// A new listing of product in Fujian on day, at price.
Reply<Vbp__V1__Listing> upsert_listing(const std::string &product, const std::string &day,
                                       const std::string &price) {
  Vbp__V1__Listing req = VBP__V1__LISTING__INIT;
  req.region_code = held("350000");
  req.product_id = held(product);
  req.price = held(price);
  req.listed_on = held(day);
  return pricing_call<Vbp__V1__Listing>("UpsertListing", Caller::admin(), &req.base);
}

Reply<Vbp__V1__Authorization> authorize_agency(const Caller &who, const std::string &institution,
                                               const std::string &agency) {
  Vbp__V1__AuthorizeAgencyRequest req = VBP__V1__AUTHORIZE_AGENCY_REQUEST__INIT;
  req.institution_id = held(institution);
  req.agency_id = held(agency);
  req.batch_code = held(kBatchCode);
  return contract_call<Vbp__V1__Authorization>("AuthorizeAgency", who, &req.base);
}

class FeedTest : public VolumeTest {
 protected:
  void SetUp() override {
    VolumeTest::SetUp();
    ASSERT_NE(ContractStack::instance(), nullptr);
    ensure_org(kFuzhouAgency, VBP__V1__ORGANIZATION_KIND__INSURANCE_AGENCY, "350100");
  }

  // The submitted report's id after its whole review chain (county, city, province).
  static std::string approved_report(const std::string &institution_id, const std::string &group,
                                     int64_t quantity) {
    auto r = submit(Caller::admin(), institution_id, group, 1, quantity);
    EXPECT_TRUE(IsOk(r));
    if (!r.ok()) return "";
    std::string id = r->id;
    std::string region = region_of(institution_id);
    if (region.substr(4) != "00") {
      EXPECT_TRUE(IsOk(review(Caller::admin(), id, kCounty, true)));
    }
    if (region.substr(2) != "0000") {
      EXPECT_TRUE(IsOk(review(Caller::admin(), id, kCity, true)));
    }
    EXPECT_TRUE(IsOk(review(Caller::admin(), id, kProvince, true)));
    return id;
  }
};

// ---------------------------------------------------------------- every write, once, in order

TEST_F(FeedTest, EveryWriteAppearsOnceInCommitOrderWithItsTypeIdAndAction) {
  const std::string start = end_of_feed();
  std::vector<std::string> want;

  // catalog-svc: an organization, a product, a batch extended.
  ASSERT_TRUE(IsOk(create_organization(
      Caller::admin(),
      org("hosp-feed", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102"))));
  want.push_back("organization hosp-feed created");
  // The same organization again (a retry) changes nothing and records nothing.
  ASSERT_TRUE(IsOk(create_organization(
      Caller::admin(),
      org("hosp-feed", VBP__V1__ORGANIZATION_KIND__MEDICAL_INSTITUTION, "350102"))));

  // pricing-svc: a listing, a new price for it, and the same price again (nothing).
  ASSERT_TRUE(IsOk(upsert_listing("C", "2025-02-01", "39.0000")));
  want.push_back("listing 350000/C/2025-02-01 created");
  ASSERT_TRUE(IsOk(upsert_listing("C", "2025-02-01", "37.5000")));
  want.push_back("listing 350000/C/2025-02-01 updated");
  ASSERT_TRUE(IsOk(upsert_listing("C", "2025-02-01", "37.5000")));

  // volume-svc: a demand report through its chain (created, then updated by each review).
  std::string report = approved_report(kCityHospital, "G2", 7);
  ASSERT_FALSE(report.empty());
  want.push_back("demandReport " + report + " created");
  want.push_back("demandReport " + report + " updated");  // city
  want.push_back("demandReport " + report + " updated");  // province
  // Allocations: one change per row; the same computation again records nothing.
  auto computed = compute(bureau(kFujianBureau), 1, 100, {});
  ASSERT_TRUE(IsOk(computed));
  ASSERT_EQ(computed->computed, 1);
  want.push_back("allocation VT-2024/350000/1/hosp-city/E created");
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  auto changed = compute(bureau(kFujianBureau), 1, 50, {});
  ASSERT_TRUE(IsOk(changed));
  want.push_back("allocation VT-2024/350000/1/hosp-city/E updated");
  // A purchase, a supply issue reported and verified.
  auto bought = record(institution(kCityHospital),
                       purchase(kCityHospital, "E", 3, "30", "2025-02-20", "feed-1"));
  ASSERT_TRUE(IsOk(bought));
  want.push_back(std::string("purchase ") + bought->id + " created");
  auto issue = report_issue(institution(kCityHospital),
                            supply_issue(kCityHospital, "E", "2025-02-01", "2025-02-02"));
  ASSERT_TRUE(IsOk(issue));
  want.push_back(std::string("supplyIssue ") + issue->id + " created");
  ASSERT_TRUE(IsOk(verify_issue(bureau(kFuzhouBureau), issue->id)));
  want.push_back(std::string("supplyIssue ") + issue->id + " updated");
  ASSERT_TRUE(IsOk(verify_issue(bureau(kFuzhouBureau), issue->id)));  // once verified: nothing

  // contract-svc: an agency authorization, and the same again (nothing).
  auto agency = authorize_agency(institution(kCountyHospital), kCountyHospital, kFuzhouAgency);
  ASSERT_TRUE(IsOk(agency));
  want.push_back(std::string("agencyAuthorization ") + agency->id + " created");
  ASSERT_TRUE(IsOk(authorize_agency(institution(kCountyHospital), kCountyHospital, kFuzhouAgency)));

  // Freezing the year changes its allocation.
  ASSERT_TRUE(IsOk(freeze(service_caller(), 1)));  // contract-svc freezes it (V3)
  want.push_back("allocation VT-2024/350000/1/hosp-city/E updated");
  ASSERT_TRUE(IsOk(freeze(service_caller(), 1)));  // frozen already: nothing

  // Small pages, so that the merge crosses page ends.
  Walk w = walk(Caller::admin(), start, 2);
  EXPECT_EQ(w.changes, want);
  // Walking on from the end finds nothing more.
  EXPECT_EQ(walk(Caller::admin(), w.cursor).changes, std::vector<std::string>{});
}

Caller distributor(const std::string &id) {
  return Caller::signed_as(VBP_ROLE_DISTRIBUTOR, id, "350100");
}

Reply<Vbp__V1__Authorization> authorize_distributor(const std::string &manufacturer,
                                                    const std::string &product,
                                                    const std::string &distributor_id) {
  Vbp__V1__AuthorizeDistributorRequest req = VBP__V1__AUTHORIZE_DISTRIBUTOR_REQUEST__INIT;
  req.manufacturer_id = held(manufacturer);
  req.product_id = held(product);
  req.distributor_id = held(distributor_id);
  req.region_code = held("350100");
  return contract_call<Vbp__V1__Authorization>("AuthorizeDistributor", ::manufacturer(manufacturer),
                                               &req.base);
}

TEST_F(FeedTest, EveryContractWriteAppearsOnceWithItsTypeIdAndAction) {
  ensure_org("dist-feed", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  ensure_org("dist-feed-2", VBP__V1__ORGANIZATION_KIND__DISTRIBUTOR, "350100");
  const std::string start = end_of_feed();
  std::vector<std::string> want;  // by index below: who sees which

  // Distributor authorizations: named, and one withdrawn (once).
  auto named = authorize_distributor(kM1, "A", "dist-feed");
  ASSERT_TRUE(IsOk(named));
  want.push_back(std::string("distributorAuthorization ") + named->id + " created");
  auto spare = authorize_distributor(kM1, "A", "dist-feed-2");
  ASSERT_TRUE(IsOk(spare));
  want.push_back(std::string("distributorAuthorization ") + spare->id + " created");
  Vbp__V1__WithdrawDistributorRequest withdraw = VBP__V1__WITHDRAW_DISTRIBUTOR_REQUEST__INIT;
  withdraw.id = held(spare->id);
  ASSERT_TRUE(IsOk(contract_call<Google__Protobuf__Empty>("WithdrawDistributor", manufacturer(kM1),
                                                          &withdraw.base)));
  want.push_back(std::string("distributorAuthorization ") + spare->id + " updated");
  ASSERT_TRUE(IsOk(contract_call<Google__Protobuf__Empty>("WithdrawDistributor", manufacturer(kM1),
                                                          &withdraw.base)));

  // A contract made one by one (the same again changes nothing), then terminated.
  Vbp__V1__Contract create = VBP__V1__CONTRACT__INIT;
  create.batch_code = held(kBatchCode);
  create.region_code = held("350000");
  create.institution_id = held(kCountyHospital);
  create.product_id = held("A");
  create.distributor_id = held("dist-feed");
  create.agreement_year = 1;
  create.quantity = 500;
  auto made =
      contract_call<Vbp__V1__Contract>("CreateContract", bureau(kFujianBureau), &create.base);
  ASSERT_TRUE(IsOk(made));
  want.push_back(std::string("contract ") + made->id + " created");
  ASSERT_TRUE(IsOk(
      contract_call<Vbp__V1__Contract>("CreateContract", bureau(kFujianBureau), &create.base)));
  Vbp__V1__TerminateContractRequest end = VBP__V1__TERMINATE_CONTRACT_REQUEST__INIT;
  end.id = held(made->id);
  end.reason = held("停止执行");
  ASSERT_TRUE(IsOk(
      contract_call<Vbp__V1__Contract>("TerminateContract", bureau(kFujianBureau), &end.base)));
  want.push_back(std::string("contract ") + made->id + " updated");

  // A signing key registered and retired (once).
  contract_keys::Pkey key = contract_keys::make_key(CONTRACT_KEY_ED25519);
  ASSERT_TRUE(key);
  Vbp__V1__SigningKey reg = VBP__V1__SIGNING_KEY__INIT;
  reg.organization_id = held("dist-feed");
  reg.public_key_pem = held(contract_keys::public_pem(key.get()));
  auto registered =
      contract_call<Vbp__V1__SigningKey>("RegisterSigningKey", distributor("dist-feed"), &reg.base);
  ASSERT_TRUE(IsOk(registered));
  want.push_back(std::string("signingKey ") + registered->id + " created");
  Vbp__V1__RetireSigningKeyRequest retire = VBP__V1__RETIRE_SIGNING_KEY_REQUEST__INIT;
  retire.id = held(registered->id);
  for (int i = 0; i < 2; i++)
    ASSERT_TRUE(IsOk(contract_call<Google__Protobuf__Empty>(
        "RetireSigningKey", distributor("dist-feed"), &retire.base)));
  want.push_back(std::string("signingKey ") + registered->id + " updated");

  EXPECT_EQ(walk(Caller::admin(), start, 3).changes, want);
  // Fuzhou's agency: the contracts in its region (the hospital is in 鼓楼区 350102).
  const Caller fuzhou_agency =
      Caller::signed_as(VBP_ROLE_INSURANCE_AGENCY, kFuzhouAgency, "350100");
  EXPECT_EQ(walk(fuzhou_agency, start).changes, (std::vector<std::string>{want[3], want[4]}));
  // A distributor: what names it (its authorization, its contract, its key), not another's.
  EXPECT_EQ(walk(distributor("dist-feed"), start).changes,
            (std::vector<std::string>{want[0], want[3], want[4], want[5], want[6]}));
  EXPECT_EQ(walk(distributor("dist-feed-2"), start).changes,
            (std::vector<std::string>{want[1], want[2]}));

  // Generation: a contract per allocation (created) and the allocations frozen (updated), each
  // once; a second generation makes nothing.
  std::string report = approved_report(kCityHospital, "G2", 7);
  ASSERT_TRUE(IsOk(compute(bureau(kFujianBureau), 1, 100, {})));
  const std::string before = walk(Caller::admin(), start).cursor;
  Vbp__V1__GenerateContractsRequest gen = VBP__V1__GENERATE_CONTRACTS_REQUEST__INIT;
  gen.batch_code = held(kBatchCode);
  gen.region_code = held("350000");
  gen.agreement_year = 1;
  auto generated = contract_call<Vbp__V1__GenerateContractsResponse>(
      "GenerateContracts", bureau(kFujianBureau), &gen.base);
  ASSERT_TRUE(IsOk(generated));
  std::string generated_id;  // hosp-city's E: the one contract not made above
  for (size_t i = 0; i < generated->n_contracts; i++)
    if (std::string(generated->contracts[i]->id) != made->id)
      generated_id = generated->contracts[i]->id;
  ASSERT_NE(generated_id, "");
  Walk w = walk(Caller::admin(), before);
  std::sort(w.changes.begin(), w.changes.end());
  EXPECT_EQ(w.changes, (std::vector<std::string>{
                           "allocation VT-2024/350000/1/hosp-city/E updated",
                           "contract " + generated_id + " created",
                       }));
  ASSERT_TRUE(IsOk(contract_call<Vbp__V1__GenerateContractsResponse>(
      "GenerateContracts", bureau(kFujianBureau), &gen.base)));
  EXPECT_EQ(walk(Caller::admin(), w.cursor).changes, std::vector<std::string>{});
}

// ---------------------------------------------------------------- concurrent writers

TEST_F(FeedTest, EightConcurrentWritersAreWalkedOnceEachWithNoGap) {
  const std::string start = end_of_feed();
  constexpr int kWriters = 8, kEach = 12;
  std::atomic<int> running{kWriters};
  std::atomic<int> failures{0};
  std::set<std::string> want;
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; t++) {
    for (int i = 0; i < kEach; i++) {
      char day[32];
      snprintf(day, sizeof day, "2025-%02d-%02d", t + 1, i + 1);
      if (t % 2 == 0)
        want.insert(std::string("listing 350000/A/") + day + " created");
      else
        want.insert("organization feed-" + std::to_string(t) + "-" + std::to_string(i) +
                    " created");
    }
    // Half the writers list prices (pricing-svc), half make organizations (catalog-svc).
    writers.emplace_back([t, &running, &failures] {
      for (int i = 0; i < kEach; i++) {
        char day[32];
        snprintf(day, sizeof day, "2025-%02d-%02d", t + 1, i + 1);
        bool ok = t % 2 == 0 ? upsert_listing("A", day, std::to_string(30 + i) + ".0000").ok()
                             : create_organization(
                                   Caller::admin(),
                                   org("feed-" + std::to_string(t) + "-" + std::to_string(i),
                                       VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000"))
                                   .ok();
        if (!ok) failures++;
      }
      running--;
    });
  }
  // A reader walking meanwhile, with small pages, and on to the end once the writers are done.
  std::vector<std::string> seen;
  std::string cursor = start;
  for (;;) {
    bool done = running.load() == 0;
    Walk w = walk(Caller::admin(), cursor, 5);
    seen.insert(seen.end(), w.changes.begin(), w.changes.end());
    cursor = w.cursor;
    if (done) break;
  }
  for (auto &t : writers) t.join();
  EXPECT_EQ(failures.load(), 0);
  std::map<std::string, int> count;
  for (const auto &s : seen) count[s]++;
  for (const auto &[change, n] : count) EXPECT_EQ(n, 1) << change << " seen " << n << " times";
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), want);
  EXPECT_EQ(seen.size(), want.size());
}

// ---------------------------------------------------------------- the late commit

// Two raw transactions on catalog's schema: A records a change and flushes (takes its number)
// but does not commit; B began before A, records, and flushes after A's flush, so it waits for A.
class RawTx {
 public:
  explicit RawTx(vbp_pg_pool *pool) : pool_(pool) {
    EXPECT_TRUE(IsOk(vbp_pg_acquire(pool_, &conn_)));
  }
  ~RawTx() { vbp_pg_release(pool_, conn_); }
  void exec(const char *sql) {
    PGresult *r = PQexec(vbp_pg_conn_raw(conn_), sql);
    EXPECT_TRUE(IsOk(vbp_pg_status(r, sql)));
    PQclear(r);
  }
  void add(const char *id) {
    vbp_change change = {};
    change.type = "test";
    change.id = id;
    change.action = "created";
    change.is_public = true;
    vbp_feed_add(conn_, &change);
  }
  vbp_status flush() { return vbp_feed_flush(conn_, true); }
  int backend_pid() { return PQbackendPID(vbp_pg_conn_raw(conn_)); }

 private:
  vbp_pg_pool *pool_;
  vbp_pg_conn *conn_ = nullptr;
};

struct PoolClose {
  void operator()(vbp_pg_pool *p) const { vbp_pg_pool_close(p); }
};

// The ids of the catalog's own feed after `after`, as the admin reads it, and the last seq.
std::vector<std::string> own_feed(vbp_pg_pool *pool, int64_t after, int64_t *last) {
  vbp_pg_conn *c = nullptr;
  std::vector<std::string> ids;
  EXPECT_TRUE(IsOk(vbp_pg_acquire(pool, &c)));
  if (!c) return ids;
  vbp_arena *arena = vbp_arena_create();
  Vbp__V1__FeedReader admin = VBP__V1__FEED_READER__INIT;
  admin.everything = true;
  Vbp__V1__ServiceChange **changes = nullptr;
  size_t n = 0;
  EXPECT_TRUE(IsOk(vbp_feed_list(c, arena, after, 500, &admin, &changes, &n)));
  *last = after;
  for (size_t i = 0; i < n; i++) {
    ids.push_back(std::string(changes[i]->id) + "@" + std::to_string(changes[i]->seq));
    *last = changes[i]->seq;
  }
  vbp_arena_destroy(arena);
  vbp_pg_release(pool, c);
  return ids;
}

TEST_F(FeedTest, ALateCommitIsNeverSkippedByAReaderThatSawALaterOne) {
  vbp_pg_pool *raw = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(CatalogStack::instance()->dsn().c_str(), 4, &raw)));
  std::unique_ptr<vbp_pg_pool, PoolClose> pool(raw);
  int64_t base = 0;
  own_feed(pool.get(), 0, &base);  // where the catalog's feed is now

  auto b = std::make_unique<RawTx>(pool.get());
  b->exec("BEGIN");
  b->add("B");  // B began and recorded first...
  RawTx a(pool.get());
  a.exec("BEGIN");
  a.add("A");
  ASSERT_TRUE(IsOk(a.flush()));  // ...but A takes its number first: base + 1, not committed

  std::atomic<bool> b_flushed{false};
  vbp_status b_status{};
  std::thread flusher([&] {
    b_status = b->flush();  // waits on A's clock lock
    b_flushed = true;
  });
  // Until B waits on a lock (a state PostgreSQL reports, not a guess about timing).
  std::string pid = std::to_string(b->backend_pid());
  bool waiting = false;
  for (int i = 0; i < 1000 && !waiting; i++) {
    vbp_pg_conn *c = nullptr;
    ASSERT_TRUE(IsOk(vbp_pg_acquire(pool.get(), &c)));
    const char *params[] = {pid.c_str()};
    int64_t n = 0;
    EXPECT_TRUE(IsOk(vbp_pg_get_int64(c, "probe",
                                      "SELECT count(*) FROM pg_stat_activity WHERE pid = "
                                      "$1::int AND wait_event_type = 'Lock'",
                                      1, params, "no row", &n)));
    vbp_pg_release(pool.get(), c);
    waiting = n == 1;
    if (!waiting) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(waiting) << "B never waited for A's clock lock";
  EXPECT_FALSE(b_flushed.load());

  // A reader meanwhile sees neither.
  int64_t last = 0;
  EXPECT_EQ(own_feed(pool.get(), base, &last), std::vector<std::string>{});

  a.exec("COMMIT");
  flusher.join();  // A committed: B's flush goes on, with the next number
  ASSERT_TRUE(IsOk(b_status));
  // A reader between the two commits sees A alone, and keeps its position after A.
  std::string a_seen = "A@" + std::to_string(base + 1);
  EXPECT_EQ(own_feed(pool.get(), base, &last), std::vector<std::string>{a_seen});
  EXPECT_EQ(last, base + 1);

  b->exec("COMMIT");
  // That reader goes on from its position and finds B: nothing skipped.
  int64_t after_b = 0;
  EXPECT_EQ(own_feed(pool.get(), last, &after_b),
            std::vector<std::string>{"B@" + std::to_string(base + 2)});
  // A reader from the start sees A then B.
  EXPECT_EQ(own_feed(pool.get(), base, &after_b),
            (std::vector<std::string>{a_seen, "B@" + std::to_string(base + 2)}));
  b.reset();
}

TEST_F(FeedTest, ARolledBackTransactionRecordsNothingAndTakesNoNumber) {
  vbp_pg_pool *raw = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(CatalogStack::instance()->dsn().c_str(), 2, &raw)));
  std::unique_ptr<vbp_pg_pool, PoolClose> pool(raw);
  int64_t base = 0;
  own_feed(pool.get(), 0, &base);
  {
    RawTx t(pool.get());
    t.exec("BEGIN");
    t.add("gone");
    ASSERT_TRUE(IsOk(t.flush()));
    t.exec("ROLLBACK");
  }
  {
    RawTx t(pool.get());
    t.exec("BEGIN");
    t.add("kept");
    t.add("kept");  // the same change twice in one transaction is one change
    ASSERT_TRUE(IsOk(t.flush()));
    t.exec("COMMIT");
  }
  int64_t last = 0;
  EXPECT_EQ(own_feed(pool.get(), base, &last),
            std::vector<std::string>{"kept@" + std::to_string(base + 1)});
}

// Records "retried" and fails with ABORTED on its first attempt, as a serialization failure
// would: vbp_pg_transaction runs it again.
vbp_status record_then_abort_once(vbp_pg_conn *c, void *ctx) {
  int *attempts = static_cast<int *>(ctx);
  vbp_change change = {};
  change.type = "test";
  change.id = "retried";
  change.action = "created";
  change.is_public = true;
  vbp_feed_add(c, &change);
  return ++*attempts == 1 ? vbp_status_make(VBP_ABORTED, "as if serialization failed")
                          : vbp_status_ok();
}

TEST_F(FeedTest, ARetriedTransactionRecordsItsChangeOnce) {
  vbp_pg_pool *raw = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(CatalogStack::instance()->dsn().c_str(), 1, &raw)));
  std::unique_ptr<vbp_pg_pool, PoolClose> pool(raw);
  int64_t base = 0;
  own_feed(pool.get(), 0, &base);
  int attempts = 0;
  ASSERT_TRUE(IsOk(vbp_pg_transaction(pool.get(), record_then_abort_once, &attempts)));
  EXPECT_EQ(attempts, 2);
  int64_t last = 0;
  EXPECT_EQ(own_feed(pool.get(), base, &last),
            std::vector<std::string>{"retried@" + std::to_string(base + 1)});
}

// ---------------------------------------------------------------- who sees what

TEST_F(FeedTest, EachReaderSeesOnlyWhatItMayRead) {
  const std::string start = end_of_feed();
  std::string city = approved_report(kCityHospital, "G1", 421);
  std::string county = approved_report(kCountyHospital, "G1", 1000);
  ASSERT_FALSE(city.empty());
  ASSERT_FALSE(county.empty());
  ASSERT_TRUE(IsOk(upsert_listing("D", "2025-02-03", "49.0000")));  // public: everybody

  auto reports = [&](const Caller &who) {
    std::vector<std::string> out;
    for (const auto &s : walk(who, start).changes)
      if (s.rfind("demandReport ", 0) == 0 || s.rfind("listing ", 0) == 0) out.push_back(s);
    return out;
  };
  const std::string listing = "listing 350000/D/2025-02-03 created";
  std::vector<std::string> city_rows = {"demandReport " + city + " created",
                                        "demandReport " + city + " updated",
                                        "demandReport " + city + " updated"};
  std::vector<std::string> county_rows = {
      "demandReport " + county + " created", "demandReport " + county + " updated",
      "demandReport " + county + " updated", "demandReport " + county + " updated"};
  auto concat = [](std::vector<std::string> x, const std::vector<std::string> &y,
                   const std::vector<std::string> &z) {
    x.insert(x.end(), y.begin(), y.end());
    x.insert(x.end(), z.begin(), z.end());
    return x;
  };
  // The admin: everything. The province's bureau: both hospitals (350100 and 350102).
  EXPECT_EQ(reports(Caller::admin()), concat(city_rows, county_rows, {listing}));
  EXPECT_EQ(reports(bureau(kFujianBureau)), concat(city_rows, county_rows, {listing}));
  // 鼓楼区's bureau: the county hospital's alone; Xiamen's: neither.
  EXPECT_EQ(reports(bureau(kGulouBureau)), concat({}, county_rows, {listing}));
  EXPECT_EQ(reports(bureau(kXiamenBureau)), std::vector<std::string>{listing});
  // Each hospital its own; another hospital nothing of theirs.
  EXPECT_EQ(reports(institution(kCityHospital)), concat(city_rows, {}, {listing}));
  EXPECT_EQ(reports(institution(kCountyHospital)), concat({}, county_rows, {listing}));
  EXPECT_EQ(reports(institution(kProvincialHospital)), std::vector<std::string>{listing});
  // A manufacturer sees no demand report.
  EXPECT_EQ(reports(manufacturer(kM1)), std::vector<std::string>{listing});
  // An alliance office: the rows of the batches it created, nothing of another's.
  const Caller office = Caller::signed_as(VBP_ROLE_ALLIANCE_OFFICE, "office-feed", "350000");
  EXPECT_EQ(reports(office), std::vector<std::string>{listing});
  vbp_pg_pool *raw = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(CatalogStack::instance()->dsn().c_str(), 1, &raw)));
  std::unique_ptr<vbp_pg_pool, PoolClose> pool(raw);
  vbp_pg_conn *c = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_acquire(pool.get(), &c)));
  const char *params[] = {kBatchCode};
  EXPECT_TRUE(IsOk(vbp_pg_command(
      c, "own batch", "UPDATE batches SET created_by = 'office-feed' WHERE code = $1", 1, params)));
  vbp_pg_release(pool.get(), c);
  EXPECT_EQ(reports(office), concat(city_rows, county_rows, {listing}));
}

// ---------------------------------------------------------------- arguments

TEST_F(FeedTest, ABadSinceIsRefusedNamingSinceAndPageSizeIsClampedTo500) {
  for (const char *bad :
       {"x", "1.", "1.1.2.3", "1.1.2.3.4.5", "2.0.0.0.0", "1.-1.0.0.0", "1.0.0.0.0x", "1.a.0.0.0"})
    EXPECT_TRUE(IsRefused(list_changes(Caller::admin(), bad), VBP_INVALID_ARGUMENT, "since"))
        << bad;
  EXPECT_TRUE(IsRefused(list_changes(Caller::admin(), "", -1), VBP_INVALID_ARGUMENT, "pageSize"));

  // 510 changes in one transaction, then a page of "1000" holds 500 of them.
  const std::string start = end_of_feed();
  vbp_pg_pool *raw = nullptr;
  ASSERT_TRUE(IsOk(vbp_pg_pool_open(CatalogStack::instance()->dsn().c_str(), 1, &raw)));
  std::unique_ptr<vbp_pg_pool, PoolClose> pool(raw);
  {
    RawTx t(pool.get());
    t.exec("BEGIN");
    std::vector<std::string> ids;
    for (int i = 0; i < 510; i++) ids.push_back("bulk-" + std::to_string(i));
    for (const auto &id : ids) t.add(id.c_str());
    ASSERT_TRUE(IsOk(t.flush()));
    t.exec("COMMIT");
  }
  auto page = list_changes(Caller::admin(), start, 1000);
  ASSERT_TRUE(IsOk(page));
  ASSERT_EQ(page->n_changes, 500u);
  EXPECT_EQ(text_of(page->changes[0]), "test bulk-0 created");
  EXPECT_EQ(text_of(page->changes[499]), "test bulk-499 created");
  auto rest = list_changes(Caller::admin(), page->next_cursor, 1000);
  ASSERT_TRUE(IsOk(rest));
  ASSERT_EQ(rest->n_changes, 10u);
  EXPECT_EQ(text_of(rest->changes[9]), "test bulk-509 created");
  // The default page is 50.
  auto first = list_changes(Caller::admin(), start);
  ASSERT_TRUE(IsOk(first));
  EXPECT_EQ(first->n_changes, 50u);
}

TEST_F(FeedTest, AServiceThatCannotBeReadMakesTheFeedUnavailable) {
  CatalogStack::instance()->set_peers(VolumeStack::instance()->client(), nullptr);
  auto r = list_changes(Caller::admin(), "");
  CatalogStack::instance()->set_peers(VolumeStack::instance()->client(),
                                      ContractStack::instance()->client());
  EXPECT_TRUE(IsRefused(r, VBP_UNAVAILABLE));
}

// ---------------------------------------------------------------- watching

struct Watched {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> changes;  // text, cursor
  size_t stop_after = 0;                                     // 0: never
};

bool on_change(void *ctx, const ProtobufCMessage *message) {
  auto *w = static_cast<Watched *>(ctx);
  const auto *c = reinterpret_cast<const Vbp__V1__Change *>(message);
  std::lock_guard<std::mutex> lock(w->mu);
  w->changes.emplace_back(text_of(c), c->cursor);
  return w->stop_after == 0 || w->changes.size() < w->stop_after;
}

vbp_status watch(const std::string &since, Watched *w, int timeout_ms) {
  Vbp__V1__WatchChangesRequest req = VBP__V1__WATCH_CHANGES_REQUEST__INIT;
  req.since = held(since);
  vbp_call_options options = {};
  options.timeout_ms = timeout_ms;
  options.bearer_key = kAdminKey;
  return vbp_client_stream(CatalogStack::instance()->client(),
                           vbp_method_of(&vbp__v1__catalog_service__descriptor, "WatchChanges"),
                           &req.base, &options, on_change, w);
}

// Waits until w holds n changes or 20 s passed.
bool wait_for(Watched *w, size_t n) {
  for (int i = 0; i < 2000; i++) {
    {
      std::lock_guard<std::mutex> lock(w->mu);
      if (w->changes.size() >= n) return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST_F(FeedTest, WatchChangesPushesCommitsAndResumesFromACursorWithNoLossOrDuplicate) {
  const std::string start = end_of_feed();
  // A watch that stops (disconnects) after the first change it is sent.
  Watched first;
  first.stop_after = 1;
  vbp_status first_status{};
  std::thread watcher([&] { first_status = watch(start, &first, 30000); });
  ASSERT_TRUE(IsOk(upsert_listing("E", "2025-02-05", "11.0000")));  // after the watch began
  ASSERT_TRUE(wait_for(&first, 1)) << "the watch was not sent the change";
  watcher.join();
  EXPECT_TRUE(IsOk(first_status));
  ASSERT_EQ(first.changes.size(), 1u);
  EXPECT_EQ(first.changes[0].first, "listing 350000/E/2025-02-05 created");

  // Changes while nobody watches, then a watch resumed from the cursor of the last one seen.
  ASSERT_TRUE(IsOk(upsert_listing("E", "2025-02-06", "11.0000")));
  ASSERT_TRUE(IsOk(create_organization(
      Caller::admin(), org("mfr-watch", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000"))));
  Watched second;
  second.stop_after = 3;
  vbp_status second_status{};
  std::thread resumed([&] { second_status = watch(first.changes[0].second, &second, 30000); });
  ASSERT_TRUE(wait_for(&second, 2));
  ASSERT_TRUE(IsOk(upsert_listing("E", "2025-02-07", "11.0000")));  // pushed as it commits
  ASSERT_TRUE(wait_for(&second, 3));
  resumed.join();
  EXPECT_TRUE(IsOk(second_status));
  std::vector<std::string> got;
  for (const auto &c : second.changes) got.push_back(c.first);
  EXPECT_EQ(got, (std::vector<std::string>{"listing 350000/E/2025-02-06 created",
                                           "organization mfr-watch created",
                                           "listing 350000/E/2025-02-07 created"}));
  // The cursors are the feed's: ListChanges from the watch's last one has nothing more.
  EXPECT_EQ(walk(Caller::admin(), second.changes.back().second).changes,
            std::vector<std::string>{});
}

TEST_F(FeedTest, WatchChangesRefusesABadSince) {
  Watched w;
  EXPECT_TRUE(IsRefused(watch("nonsense", &w, 5000), VBP_INVALID_ARGUMENT, "since"));
  EXPECT_TRUE(w.changes.empty());
}

TEST_F(FeedTest, AWatchBeyondTheCapIsRefusedAndTheNextOneIsServedOnceOneEnds) {
  CatalogStack::instance()->set_watchers_max(1);
  const std::string start = end_of_feed();
  // The first watch holds the one place until it has been sent two changes.
  Watched first;
  first.stop_after = 2;
  vbp_status first_status{};
  std::thread watcher([&] { first_status = watch(start, &first, 30000); });
  ASSERT_TRUE(IsOk(upsert_listing("H", "2025-02-10", "19.0000")));
  ASSERT_TRUE(wait_for(&first, 1));  // it runs: a second one is refused
  Watched second;
  EXPECT_TRUE(IsRefused(watch(start, &second, 5000), VBP_RESOURCE_EXHAUSTED, ""));
  EXPECT_TRUE(second.changes.empty());
  ASSERT_TRUE(IsOk(upsert_listing("H", "2025-02-11", "19.0000")));
  watcher.join();  // its second change: it hangs up
  EXPECT_TRUE(IsOk(first_status));
  // Once the server noticed (within CATALOG_WATCH_WAKE_MS), a watch is served again.
  Watched again;
  again.stop_after = 2;
  vbp_status st{};
  for (int i = 0; i < 100; i++) {
    st = watch(start, &again, 30000);
    if (st.code != VBP_RESOURCE_EXHAUSTED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CatalogStack::instance()->set_watchers_max(0);
  EXPECT_TRUE(IsOk(st));
  std::vector<std::string> got;
  for (const auto &c : again.changes) got.push_back(c.first);
  EXPECT_EQ(got, (std::vector<std::string>{"listing 350000/H/2025-02-10 created",
                                           "listing 350000/H/2025-02-11 created"}));
}

// ---------------------------------------------------------------- through the gateway

// Reads from fd until `want` appears in what came, or timeout_ms pass; returns what came.
std::string read_until(int fd, const std::string &want, int timeout_ms) {
  std::string got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (got.find(want) == std::string::npos && std::chrono::steady_clock::now() < until) {
    pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

TEST_F(FeedTest, TheGatewayStreamsEachChangeAsAnNdjsonLineAsItCommits) {
  TestGatewayOptions options;
  options.descriptor_set = VBP_DESCRIPTOR_SET;
  options.services = {&vbp__v1__catalog_service__descriptor, &vbp__v1__contract_service__descriptor,
                      &vbp__v1__pricing_service__descriptor, &vbp__v1__volume_service__descriptor};
  options.backends = {{"vbp.v1.CatalogService", CatalogStack::instance()->client()}};
  options.admin_key = kAdminKey;
  options.secret = kSecret;
  options.catalog = CatalogStack::instance()->client();
  TestGateway gateway(options);
  ASSERT_EQ(gateway.failure(), "");

  const std::string start = end_of_feed();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(gateway.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0);
  // Identity, so the test reads the lines as they come (gzip is flushed per line: stream.c).
  std::string request = "GET /v1/changes:watch?since=" + start +
                        " HTTP/1.1\r\nHost: test\r\nAccept-Encoding: identity\r\n" +
                        bearer_header(kAdminKey) + "\r\n";
  ASSERT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));

  // Made after the request started; the stream stays open, so only a line sent as the change
  // commits can arrive within the time.
  ASSERT_TRUE(IsOk(upsert_listing("F", "2025-02-09", "21.0000")));
  std::string got = read_until(fd, "\"id\":\"350000/F/2025-02-09\"", 20000);
  EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
  EXPECT_NE(got.find("application/x-ndjson"), std::string::npos) << got;
  EXPECT_NE(got.find("\"type\":\"listing\""), std::string::npos) << got;
  ASSERT_NE(got.find("\"id\":\"350000/F/2025-02-09\""), std::string::npos) << got;
  EXPECT_NE(got.find("\"action\":\"created\""), std::string::npos) << got;

  // A second change, on the same open stream.
  ASSERT_TRUE(IsOk(create_organization(
      Caller::admin(), org("mfr-ndjson", VBP__V1__ORGANIZATION_KIND__MANUFACTURER, "350000"))));
  std::string more = read_until(fd, "\"id\":\"mfr-ndjson\"", 20000);
  EXPECT_NE(more.find("\"type\":\"organization\""), std::string::npos) << more;
  close(fd);
}

}  // namespace

int main(int argc, char **argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new CatalogStack);
  ::testing::AddGlobalTestEnvironment(new PricingStack);
  ::testing::AddGlobalTestEnvironment(new VolumeStack);
  ::testing::AddGlobalTestEnvironment(new ContractStack);
  ::testing::AddGlobalTestEnvironment(new FeedPeers);
  return RUN_ALL_TESTS();
}
