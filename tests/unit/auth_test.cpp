/* Authentication of a call's caller (API.md "Conventions" on auth, "Who may do what"): the admin
 * key, bearer keys resolved by their SHA-256 through a resolver and cached for a time to live,
 * and signed caller metadata, which wins over a bearer key. */
#include "common/auth.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "test_values.h"

namespace {

constexpr const char *kAdminKey = "admin-key-0123456789";
constexpr const char *kSecret = "internal-secret";
constexpr const char *kMethod = "/vbp.v1.CatalogService/ListRegions";
constexpr int64_t kNow = 1700000000000;
constexpr int kTtl = 1000;

std::string sha256(const std::string &text) {
  char out[65];
  vbp_sha256_hex(text.data(), text.size(), out);
  return out;
}

/* A resolver over a fixed table of keys (by SHA-256) that counts its calls and can be told to
 * fail. Read-only while threads use it, except the counter. */
struct Resolver {
  std::map<std::string, vbp_caller> keys;
  vbp_code failure = VBP_OK; /* anything but OK makes every call fail with it */
  std::atomic<int> calls{0};
  std::string last_sha; /* single-threaded tests only */

  void add(const std::string &key, const vbp_caller &c) { keys[sha256(key)] = c; }

  static vbp_status resolve(void *ctx, const char *key_sha256, vbp_caller *out) {
    Resolver *r = static_cast<Resolver *>(ctx);
    r->calls++;
    if (r->failure != VBP_OK) return vbp_status_make(r->failure, "catalog-svc is away");
    auto it = r->keys.find(key_sha256);
    if (it == r->keys.end()) return vbp_status_make(VBP_NOT_FOUND, "no such key");
    *out = it->second;
    return vbp_status_ok();
  }
};

vbp_status resolve_recording(void *ctx, const char *key_sha256, vbp_caller *out) {
  static_cast<Resolver *>(ctx)->last_sha = key_sha256;
  return Resolver::resolve(ctx, key_sha256, out);
}

/* A revocation source that answers what the test tells it, counting its calls. */
struct Revocations {
  std::mutex lock;
  long long version = 100;
  std::vector<std::string> revoked; /* SHA-256s revoked after version - revoked.size() */
  bool everything = false;
  bool failing = false;
  std::vector<long long> asked; /* after_version of each call */

  void revoke(const std::string &key) {
    std::lock_guard<std::mutex> hold(lock);
    revoked.push_back(sha256(key));
    version++;
  }
  size_t calls() {
    std::lock_guard<std::mutex> hold(lock);
    return asked.size();
  }
  /* Waits until the watcher has asked n more times than now (so it saw what came before). */
  void wait_for_polls(size_t n) {
    size_t until = calls() + n;
    for (int i = 0; i < 2000 && calls() < until; i++)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  static vbp_status source(void *ctx, long long after, vbp_key_revocations *out) {
    Revocations *r = static_cast<Revocations *>(ctx);
    std::lock_guard<std::mutex> hold(r->lock);
    r->asked.push_back(after);
    if (r->failing) return vbp_status_make(VBP_UNAVAILABLE, "catalog-svc is away");
    out->version = r->version;
    out->everything = r->everything || after == 0;
    long long first = r->version - (long long)r->revoked.size(); /* revoked[0] is first + 1 */
    for (size_t i = 0; i < r->revoked.size(); i++)
      if (first + 1 + (long long)i > after)
        std::snprintf(out->key_sha256[out->n++], 65, "%s", r->revoked[i].c_str());
    return vbp_status_ok();
  }
};

class Auth : public ::testing::Test {
 protected:
  void SetUp() override {
    resolver.add("key-bureau", test_caller(VBP_ROLE_BUREAU, "org-bureau", "350000"));
    resolver.add("key-maker", test_caller(VBP_ROLE_MANUFACTURER, "org-maker", "110108"));
  }
  void TearDown() override { vbp_authenticator_destroy(auth); }

  void make(int ttl_ms = kTtl, size_t capacity = 64, bool with_resolver = true) {
    auth = vbp_authenticator_create(kAdminKey, kSecret, with_resolver ? Resolver::resolve : nullptr,
                                    &resolver, ttl_ms, capacity);
  }

  vbp_status bearer(const char *authorization, int64_t now = kNow, vbp_caller *out = nullptr) {
    vbp_credentials cred{};
    cred.authorization = authorization;
    vbp_caller ignored{};
    return vbp_authenticate(auth, kMethod, &cred, now, out ? out : &ignored);
  }

  /* An authenticator watching revocations (polled every 5 ms) that has seen its first answer
   * and then cached both keys. */
  void watch_with_both_keys_cached() {
    make();
    vbp_authenticator_watch(auth, Revocations::source, &revocations, 5);
    revocations.wait_for_polls(1);
    ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
    ASSERT_EQ(bearer("Bearer key-maker").code, VBP_OK);
  }

  Resolver resolver;
  Revocations revocations; /* outlives auth, whose watcher asks it */
  vbp_authenticator *auth = nullptr;
};

TEST_F(Auth, AdminKeyIsAcceptedAsAdmin) {
  make();
  vbp_caller out = test_caller(VBP_ROLE_BUREAU, "junk", "999999");
  vbp_status st = bearer("Bearer admin-key-0123456789", kNow, &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(out.role, VBP_ROLE_ADMIN);
  EXPECT_STREQ(out.org_id, "");
  EXPECT_STREQ(out.region_code, "");
  EXPECT_EQ(resolver.calls, 0);
}

TEST_F(Auth, AdminKeyWorksWithoutAResolver) {
  make(kTtl, 64, false);
  vbp_caller out{};
  ASSERT_EQ(bearer("Bearer admin-key-0123456789", kNow, &out).code, VBP_OK);
  EXPECT_EQ(out.role, VBP_ROLE_ADMIN);
  EXPECT_EQ(bearer("Bearer key-bureau").code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, APrefixOrExtensionOfTheAdminKeyIsNotAdmin) {
  make();
  EXPECT_EQ(bearer("Bearer admin-key-012345678").code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(bearer("Bearer admin-key-01234567890").code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, MissingOrMalformedAuthorizationIsUnauthenticated) {
  make();
  vbp_credentials none{};
  vbp_caller out{};
  EXPECT_EQ(vbp_authenticate(auth, kMethod, &none, kNow, &out).code, VBP_UNAUTHENTICATED);
  for (const char *bad : {"", "Bearer ", "Bearer", "Basic x", "Basic YWRtaW46eA==",
                          "admin-key-0123456789", "Token admin-key-0123456789"}) {
    EXPECT_EQ(bearer(bad).code, VBP_UNAUTHENTICATED) << "\"" << bad << "\"";
  }
  EXPECT_EQ(resolver.calls, 0);
}

/* The defect: `bearer <key>` and `BEARER <key>` were refused; RFC 7235's scheme is
 * case-insensitive. */
TEST_F(Auth, LowercaseBearerWasRefused) {
  make();
  for (const char *authorization :
       {"bearer key-bureau", "BEARER key-bureau", "bEaReR key-bureau", "Bearer   key-bureau"}) {
    vbp_caller out{};
    ASSERT_EQ(bearer(authorization, kNow, &out).code, VBP_OK) << authorization;
    EXPECT_STREQ(out.org_id, "org-bureau") << authorization;
  }
  EXPECT_EQ(bearer("bearer admin-key-0123456789").code, VBP_OK);
  for (const char *authorization : {"Bearerkey-bureau", "Bearer ", "Bearer   ", "Bear key-bureau",
                                    "Basic key-bureau", "key-bureau", ""})
    EXPECT_EQ(bearer(authorization).code, VBP_UNAUTHENTICATED) << authorization;
}

TEST(BearerKey, IsTheRestOfTheValueAfterTheSchemeAndItsSpaces) {
  EXPECT_STREQ(vbp_bearer_key("Bearer abc"), "abc");
  EXPECT_STREQ(vbp_bearer_key("bearer  a b"), "a b");
  EXPECT_EQ(vbp_bearer_key("Bearer"), nullptr);
  EXPECT_EQ(vbp_bearer_key("Bearer\tabc"), nullptr);
  EXPECT_EQ(vbp_bearer_key(nullptr), nullptr);
}

/* The defect: unknown keys shared the cache with known ones, so a flood of random keys evicted
 * every known key and each known key then cost a look-up again. */
TEST_F(Auth, AFloodOfUnknownKeysEvictedTheKnownOnes) {
  make(kTtl, 8);
  ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  ASSERT_EQ(bearer("Bearer key-maker").code, VBP_OK);
  for (int i = 0; i < 200; i++)
    ASSERT_EQ(bearer(("Bearer random-" + std::to_string(i)).c_str()).code, VBP_UNAUTHENTICATED);
  int calls = resolver.calls;
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_OK);
  EXPECT_EQ(bearer("Bearer key-maker", kNow + 1).code, VBP_OK);
  EXPECT_EQ(resolver.calls, calls);
}

TEST_F(Auth, AnUnknownKeyIsCachedForFiveSecondsAtMost) {
  make(60000);
  EXPECT_EQ(bearer("Bearer nobody-knows-me").code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(bearer("Bearer nobody-knows-me", kNow + 4999).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(resolver.calls, 1);
  EXPECT_EQ(bearer("Bearer nobody-knows-me", kNow + 5000).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(resolver.calls, 2);
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + 5000).code, VBP_OK);
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + 59999).code, VBP_OK); /* known keys: the TTL */
  EXPECT_EQ(resolver.calls, 3);
}

TEST_F(Auth, AKnownKeyResolvesByItsSha256ToItsCaller) {
  auth = vbp_authenticator_create(kAdminKey, kSecret, resolve_recording, &resolver, kTtl, 64);
  vbp_caller out{};
  vbp_status st = bearer("Bearer key-bureau", kNow, &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(resolver.last_sha, sha256("key-bureau"));
  EXPECT_EQ(out.role, VBP_ROLE_BUREAU);
  EXPECT_STREQ(out.org_id, "org-bureau");
  EXPECT_STREQ(out.region_code, "350000");
}

TEST_F(Auth, ASecondCallWithinTheTtlIsServedFromTheCache) {
  make();
  ASSERT_EQ(bearer("Bearer key-bureau", kNow).code, VBP_OK);
  vbp_caller out{};
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + kTtl - 1, &out).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 1);
  EXPECT_EQ(out.role, VBP_ROLE_BUREAU);
  EXPECT_STREQ(out.org_id, "org-bureau");
}

TEST_F(Auth, AfterTheTtlTheKeyIsResolvedAgain) {
  make();
  ASSERT_EQ(bearer("Bearer key-bureau", kNow).code, VBP_OK);
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + kTtl).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 2);
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + kTtl + 1).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 2); /* re-cached at kNow + kTtl */
}

TEST_F(Auth, ARevokedKeyStopsWorkingOnceTheTtlPasses) {
  make();
  ASSERT_EQ(bearer("Bearer key-bureau", kNow).code, VBP_OK);
  resolver.keys.erase(sha256("key-bureau"));
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_OK); /* cached */
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + kTtl).code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, AZeroTtlResolvesEveryTime) {
  make(0);
  for (int i = 0; i < 3; i++) ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  EXPECT_EQ(resolver.calls, 3);
}

TEST_F(Auth, AnUnknownKeyIsUnauthenticatedAndCached) {
  make();
  EXPECT_EQ(bearer("Bearer nobody-knows-me").code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(bearer("Bearer nobody-knows-me", kNow + 1).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(resolver.calls, 1);
}

TEST_F(Auth, AResolverFailureIsUnavailableAndNotCached) {
  for (vbp_code failure : {VBP_UNAVAILABLE, VBP_INTERNAL, VBP_DEADLINE_EXCEEDED}) {
    Resolver r;
    r.add("key-bureau", test_caller(VBP_ROLE_BUREAU, "org-bureau", "350000"));
    r.failure = failure;
    vbp_authenticator *a =
        vbp_authenticator_create(kAdminKey, kSecret, Resolver::resolve, &r, kTtl, 64);
    vbp_credentials cred{};
    cred.authorization = "Bearer key-bureau";
    vbp_caller out{};
    EXPECT_EQ(vbp_authenticate(a, kMethod, &cred, kNow, &out).code, VBP_UNAVAILABLE)
        << vbp_code_name(failure);
    EXPECT_EQ(vbp_authenticate(a, kMethod, &cred, kNow + 1, &out).code, VBP_UNAVAILABLE);
    EXPECT_EQ(r.calls, 2) << vbp_code_name(failure);
    r.failure = VBP_OK; /* it recovers: the failure was not cached */
    EXPECT_EQ(vbp_authenticate(a, kMethod, &cred, kNow + 2, &out).code, VBP_OK);
    EXPECT_EQ(out.role, VBP_ROLE_BUREAU);
    EXPECT_EQ(r.calls, 3);
    vbp_authenticator_destroy(a);
  }
}

TEST_F(Auth, ForgetDropsCachedKeys) {
  make();
  ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  ASSERT_EQ(bearer("Bearer unknown-key").code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(resolver.calls, 2);
  vbp_authenticator_forget(auth);
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_OK);
  ASSERT_EQ(bearer("Bearer unknown-key", kNow + 1).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(resolver.calls, 4);
}

TEST_F(Auth, ForgetMakesARevokedKeyFailAtOnce) {
  make();
  ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  resolver.keys.erase(sha256("key-bureau"));
  vbp_authenticator_forget(auth);
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, SignedMetadataWinsOverABearerKey) {
  make();
  vbp_caller bureau = test_caller(VBP_ROLE_BUREAU, "org-b", "350100");
  vbp_signed_caller sig;
  vbp_identity_sign(kSecret, kMethod, &bureau, kNow, &sig);
  vbp_credentials cred{};
  cred.authorization = "Bearer admin-key-0123456789";
  cred.org = bureau.org_id;
  cred.role = sig.role;
  cred.region = bureau.region_code;
  cred.ts = sig.ts;
  cred.sig = sig.sig;
  vbp_caller out{};
  vbp_status st = vbp_authenticate(auth, kMethod, &cred, kNow, &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(out.role, VBP_ROLE_BUREAU);
  EXPECT_STREQ(out.org_id, "org-b");
  EXPECT_STREQ(out.region_code, "350100");
}

TEST_F(Auth, ForgedSignedMetadataIsRefusedEvenWithAValidBearerKey) {
  make();
  vbp_caller admin = test_caller(VBP_ROLE_ADMIN, "", "");
  vbp_signed_caller sig;
  vbp_identity_sign("not-the-secret", kMethod, &admin, kNow, &sig);
  vbp_credentials cred{};
  cred.authorization = "Bearer admin-key-0123456789";
  cred.org = "";
  cred.role = sig.role;
  cred.region = "";
  cred.ts = sig.ts;
  cred.sig = sig.sig;
  vbp_caller out{};
  EXPECT_EQ(vbp_authenticate(auth, kMethod, &cred, kNow, &out).code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, ASignatureWithoutItsOtherPartsIsUnauthenticated) {
  make();
  vbp_credentials cred{};
  cred.authorization = "Bearer admin-key-0123456789";
  cred.sig = "00";
  vbp_caller out{};
  EXPECT_EQ(vbp_authenticate(auth, kMethod, &cred, kNow, &out).code, VBP_UNAUTHENTICATED);
}

TEST_F(Auth, AnyPartOfACallerIdentityAloneIsUnauthenticatedEvenWithABearerKey) {
  make();
  for (int part = 0; part < 5; part++) {
    vbp_credentials cred{};
    cred.authorization = "Bearer admin-key-0123456789";
    const char **field[] = {&cred.org, &cred.role, &cred.region, &cred.ts, &cred.sig};
    *field[part] = part == 1 ? "ADMIN" : "x";
    vbp_caller out{};
    EXPECT_EQ(vbp_authenticate(auth, kMethod, &cred, kNow, &out).code, VBP_UNAUTHENTICATED)
        << "part " << part;
  }
}

TEST_F(Auth, ACacheOfOneNeverAnswersWithTheOtherKeysCaller) {
  make(kTtl, 1);
  for (int i = 0; i < 6; i++) {
    bool bureau = i % 2 == 0;
    vbp_caller out{};
    vbp_status st = bearer(bureau ? "Bearer key-bureau" : "Bearer key-maker", kNow + i, &out);
    ASSERT_EQ(st.code, VBP_OK) << i << ": " << st.message;
    EXPECT_EQ(out.role, bureau ? VBP_ROLE_BUREAU : VBP_ROLE_MANUFACTURER) << i;
    EXPECT_STREQ(out.org_id, bureau ? "org-bureau" : "org-maker") << i;
  }
  EXPECT_EQ(resolver.calls, 6); /* each key evicts the other */
  ASSERT_EQ(bearer("Bearer key-maker", kNow + 6).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 6); /* the last one stayed */
}

TEST_F(Auth, ACacheOfOneNeverAnswersAnUnknownKeyWithAKnownCaller) {
  make(kTtl, 1);
  ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  EXPECT_EQ(bearer("Bearer forged").code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
}

TEST_F(Auth, SecretIsACopyOfTheOneGiven) {
  char secret[] = "mutable-secret";
  vbp_authenticator *a = vbp_authenticator_create(kAdminKey, secret, nullptr, nullptr, kTtl, 4);
  secret[0] = 'X';
  EXPECT_STREQ(vbp_authenticator_secret(a), "mutable-secret");
  vbp_authenticator_destroy(a);
}

TEST_F(Auth, ManyThreadsAlwaysGetTheirOwnKeysCaller) {
  for (int i = 0; i < 8; i++) {
    std::string key = "thread-key-" + std::to_string(i);
    resolver.add(key, test_caller(i % 2 ? VBP_ROLE_MANUFACTURER : VBP_ROLE_BUREAU,
                                  ("org-" + std::to_string(i)).c_str(), "350000"));
  }
  make(5, 3); /* small cache and a short TTL: collisions, evictions and expiries all happen */
  std::atomic<int> wrong{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; t++) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 3000; n++) {
        int i = (t + n) % 9; /* 8 means the unknown key */
        std::string authorization =
            "Bearer " + (i == 8 ? std::string("unknown") : "thread-key-" + std::to_string(i));
        vbp_credentials cred{};
        cred.authorization = authorization.c_str();
        vbp_caller out{};
        vbp_status st = vbp_authenticate(auth, kMethod, &cred, kNow + n, &out);
        if (i == 8) {
          if (st.code != VBP_UNAUTHENTICATED) failed++;
        } else if (st.code != VBP_OK) {
          failed++;
        } else if (std::string(out.org_id) != "org-" + std::to_string(i)) {
          wrong++;
        }
        if (n % 1000 == 999) vbp_authenticator_forget(auth);
      }
    });
  }
  for (std::thread &t : threads) t.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(resolver.calls, 0);
}

TEST_F(Auth, AWatcherForgetsTheKeysItsSourceNamesAndKeepsTheOthers) {
  watch_with_both_keys_cached();
  EXPECT_EQ(resolver.calls, 2);
  resolver.keys.erase(sha256("key-bureau"));
  revocations.revoke("key-bureau");
  revocations.wait_for_polls(2);
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_UNAUTHENTICATED);
  EXPECT_EQ(bearer("Bearer key-maker", kNow + 1).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 3); /* the maker's key stayed cached */
  /* Each poll asks after the version of the answer before. */
  std::lock_guard<std::mutex> hold(revocations.lock);
  EXPECT_EQ(revocations.asked.front(), 0);
  EXPECT_EQ(revocations.asked.back(), 101);
}

TEST_F(Auth, AWatcherForgetsEveryKeyWhenItsSourceSaysEverything) {
  watch_with_both_keys_cached();
  {
    std::lock_guard<std::mutex> hold(revocations.lock);
    revocations.everything = true;
    revocations.version += 1000;
  }
  revocations.wait_for_polls(2);
  ASSERT_EQ(bearer("Bearer key-bureau", kNow + 1).code, VBP_OK);
  ASSERT_EQ(bearer("Bearer key-maker", kNow + 1).code, VBP_OK);
  EXPECT_EQ(resolver.calls, 4);
}

TEST_F(Auth, WhileItsSourceFailsARevokedKeyLivesOutItsTtlOnly) {
  revocations.failing = true;
  make();
  vbp_authenticator_watch(auth, Revocations::source, &revocations, 5);
  ASSERT_EQ(bearer("Bearer key-bureau").code, VBP_OK);
  resolver.keys.erase(sha256("key-bureau"));
  revocations.revoke("key-bureau");
  revocations.wait_for_polls(2);
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + kTtl - 1).code, VBP_OK); /* cached */
  EXPECT_EQ(bearer("Bearer key-bureau", kNow + kTtl).code, VBP_UNAUTHENTICATED);
}

/* A look-up answered before a revocation but cached after it would outlive the revocation. */
TEST_F(Auth, AnAnswerReadBeforeAForgetIsNotCachedAfterIt) {
  make();
  char sha[65];
  vbp_sha256_hex("key-bureau", 10, sha);
  vbp_caller bureau = test_caller(VBP_ROLE_BUREAU, "org-bureau", "350000");
  uint64_t before = vbp_authenticator_generation(auth);
  vbp_authenticator_forget(auth); /* the revocation lands while the look-up is out */
  vbp_authenticator_remember(auth, sha, true, &bureau, kNow, before);
  bool found = false;
  vbp_caller out{};
  EXPECT_FALSE(vbp_authenticator_cached(auth, sha, kNow, &found, &out));
  vbp_authenticator_remember(auth, sha, true, &bureau, kNow, vbp_authenticator_generation(auth));
  EXPECT_TRUE(vbp_authenticator_cached(auth, sha, kNow, &found, &out));
  EXPECT_TRUE(found);
}

TEST_F(Auth, DestroyStopsAWatcherPromptly) {
  make();
  vbp_authenticator_watch(auth, Revocations::source, &revocations, 60000);
  revocations.wait_for_polls(1);
  auto started = std::chrono::steady_clock::now();
  vbp_authenticator_destroy(auth);
  auth = nullptr;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

}  // namespace
