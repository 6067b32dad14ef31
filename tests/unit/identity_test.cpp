/* Signed caller identity (API.md "Who may do what"): HMAC-signed metadata round-trips, and any
 * change of a field, the method, the secret or a timestamp more than 60 s away is refused with
 * UNAUTHENTICATED. Also role names and SHA-256. */
#include "common/identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "test_values.h"

namespace {

constexpr const char *kSecret = "internal-secret";
constexpr const char *kMethod = "/vbp.v1.CatalogService/GetOrganization";
constexpr int64_t kNow = 1700000000000;

vbp_caller bureau() { return test_caller(VBP_ROLE_BUREAU, "org-42", "350100"); }

/* The metadata values a caller sends, as strings the test may alter one by one. */
struct Signed {
  std::string org, role, region, ts, sig;
};

Signed sign(const vbp_caller &caller, int64_t when, const char *secret = kSecret,
            const char *method = kMethod) {
  vbp_signed_caller out;
  vbp_identity_sign(secret, method, &caller, when, &out);
  return Signed{caller.org_id, out.role, caller.region_code, out.ts, out.sig};
}

vbp_status verify(const Signed &s, int64_t now = kNow, const char *secret = kSecret,
                  const char *method = kMethod, vbp_caller *out = nullptr) {
  vbp_caller ignored{};
  return vbp_identity_verify(secret, method, s.org.c_str(), s.role.c_str(), s.region.c_str(),
                             s.ts.c_str(), s.sig.c_str(), now, out ? out : &ignored);
}

TEST(Identity, SignedCallerVerifiesWithItsRoleOrganizationAndRegion) {
  Signed s = sign(bureau(), kNow);
  EXPECT_EQ(s.role, "BUREAU");
  EXPECT_EQ(s.ts, "1700000000000");
  EXPECT_EQ(s.sig.size(), 64u);
  vbp_caller out{};
  out.role = VBP_ROLE_MANUFACTURER;
  vbp_status st = verify(s, kNow, kSecret, kMethod, &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(out.role, VBP_ROLE_BUREAU);
  EXPECT_STREQ(out.org_id, "org-42");
  EXPECT_STREQ(out.region_code, "350100");
}

TEST(Identity, ServiceCallerWithEmptyOrganizationAndRegionVerifies) {
  vbp_caller svc{};
  svc.role = VBP_ROLE_SERVICE;
  vbp_caller out{};
  vbp_status st = verify(sign(svc, kNow), kNow, kSecret, kMethod, &out);
  ASSERT_EQ(st.code, VBP_OK) << st.message;
  EXPECT_EQ(out.role, VBP_ROLE_SERVICE);
  EXPECT_STREQ(out.org_id, "");
  EXPECT_STREQ(out.region_code, "");
}

TEST(Identity, AChangedFieldIsUnauthenticated) {
  const Signed good = sign(bureau(), kNow);
  Signed org = good, role = good, region = good, ts = good, sig = good;
  org.org = "org-43";
  role.role = "ALLIANCE_OFFICE";
  region.region = "350000";
  ts.ts = "1700000000001";
  sig.sig[0] = sig.sig[0] == 'a' ? 'b' : 'a';
  for (const Signed *s : {&org, &role, &region, &ts, &sig}) {
    vbp_status st = verify(*s);
    EXPECT_EQ(st.code, VBP_UNAUTHENTICATED) << s->org << " " << s->role << " " << s->region;
  }
}

TEST(Identity, ASignatureForAnotherMethodIsUnauthenticated) {
  Signed s = sign(bureau(), kNow);
  EXPECT_EQ(verify(s, kNow, kSecret, "/vbp.v1.CatalogService/DeleteOrganization").code,
            VBP_UNAUTHENTICATED);
}

TEST(Identity, ASignatureUnderAnotherSecretIsUnauthenticated) {
  Signed s = sign(bureau(), kNow, "another-secret");
  EXPECT_EQ(verify(s).code, VBP_UNAUTHENTICATED);
}

TEST(Identity, ATimestampSixtyOneSecondsOldIsStale) {
  vbp_status st = verify(sign(bureau(), kNow - 61000));
  EXPECT_EQ(st.code, VBP_UNAUTHENTICATED);
  EXPECT_NE(std::strstr(st.message, "stale"), nullptr) << st.message;
}

TEST(Identity, ATimestampSixtyOneSecondsAheadIsStale) {
  vbp_status st = verify(sign(bureau(), kNow + 61000));
  EXPECT_EQ(st.code, VBP_UNAUTHENTICATED);
  EXPECT_NE(std::strstr(st.message, "stale"), nullptr) << st.message;
}

TEST(Identity, TimestampsWithinSixtySecondsEitherWayVerify) {
  for (int64_t skew : {-60000, -59000, 0, 59000, 60000}) {
    vbp_status st = verify(sign(bureau(), kNow + skew));
    EXPECT_EQ(st.code, VBP_OK) << "skew " << skew << ": " << st.message;
  }
  for (int64_t skew : {-60001, 60001}) {
    EXPECT_EQ(verify(sign(bureau(), kNow + skew)).code, VBP_UNAUTHENTICATED) << "skew " << skew;
  }
}

TEST(Identity, AnyMissingPartIsUnauthenticated) {
  const Signed s = sign(bureau(), kNow);
  const char *org = s.org.c_str(), *role = s.role.c_str(), *region = s.region.c_str(),
             *ts = s.ts.c_str(), *sig = s.sig.c_str();
  vbp_caller out{};
  for (int missing = 0; missing < 5; missing++) {
    vbp_status st =
        vbp_identity_verify(kSecret, kMethod, missing == 0 ? nullptr : org,
                            missing == 1 ? nullptr : role, missing == 2 ? nullptr : region,
                            missing == 3 ? nullptr : ts, missing == 4 ? nullptr : sig, kNow, &out);
    EXPECT_EQ(st.code, VBP_UNAUTHENTICATED) << "missing part " << missing;
  }
}

TEST(Identity, AnEmptyOrMalformedTimestampIsUnauthenticated) {
  Signed s = sign(bureau(), kNow);
  for (const char *bad : {"", "17000000000x", "abc"}) {
    Signed t = s;
    t.ts = bad;
    EXPECT_EQ(verify(t).code, VBP_UNAUTHENTICATED) << bad;
  }
}

TEST(Identity, AnUnknownRoleIsUnauthenticatedEvenWhenSigned) {
  vbp_caller nobody = bureau();
  nobody.role = VBP_ROLE_NONE; /* signs an empty role name */
  Signed s = sign(nobody, kNow);
  EXPECT_EQ(s.role, "");
  EXPECT_EQ(verify(s).code, VBP_UNAUTHENTICATED);
}

TEST(Identity, RoleNamesParseBackToTheirRoles) {
  const vbp_role roles[] = {VBP_ROLE_BUREAU,          VBP_ROLE_INSURANCE_AGENCY,
                            VBP_ROLE_ALLIANCE_OFFICE, VBP_ROLE_MEDICAL_INSTITUTION,
                            VBP_ROLE_MANUFACTURER,    VBP_ROLE_DISTRIBUTOR,
                            VBP_ROLE_ADMIN,           VBP_ROLE_SERVICE};
  const char *names[] = {
      "BUREAU",       "INSURANCE_AGENCY", "ALLIANCE_OFFICE", "MEDICAL_INSTITUTION",
      "MANUFACTURER", "DISTRIBUTOR",      "ADMIN",           "SERVICE"};
  for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
    ASSERT_NE(vbp_role_name(roles[i]), nullptr) << i;
    EXPECT_STREQ(vbp_role_name(roles[i]), names[i]);
    EXPECT_EQ(vbp_role_parse(names[i]), roles[i]) << names[i];
  }
}

TEST(Identity, UnknownRolesHaveNoNameAndUnknownNamesParseToNone) {
  EXPECT_EQ(vbp_role_name(VBP_ROLE_NONE), nullptr);
  EXPECT_EQ(vbp_role_name(static_cast<vbp_role>(7)), nullptr);
  EXPECT_EQ(vbp_role_name(static_cast<vbp_role>(-1)), nullptr);
  EXPECT_EQ(vbp_role_name(static_cast<vbp_role>(99)), nullptr);
  EXPECT_EQ(vbp_role_parse(nullptr), VBP_ROLE_NONE);
  EXPECT_EQ(vbp_role_parse(""), VBP_ROLE_NONE);
  EXPECT_EQ(vbp_role_parse("bureau"), VBP_ROLE_NONE);
  EXPECT_EQ(vbp_role_parse("NONE"), VBP_ROLE_NONE);
  EXPECT_EQ(vbp_role_parse("BUREAU "), VBP_ROLE_NONE);
}

TEST(Identity, Sha256HexOfAbcIsTheStandardVector) {
  char out[65];
  vbp_sha256_hex("abc", 3, out);
  EXPECT_STREQ(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  vbp_sha256_hex("", 0, out);
  EXPECT_STREQ(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* The signature is HMAC-SHA256 (as OpenSSL's own HMAC computes it) of the fields one a line,
 * also under a secret longer than SHA-256's block, which HMAC hashes first. */
TEST(Identity, SignatureIsOpenSslHmacSha256OfTheFieldsOneALine) {
  const std::string long_secret(100, 'k');
  for (const std::string &secret : {std::string(kSecret), long_secret}) {
    vbp_caller c = bureau();
    vbp_signed_caller out{};
    vbp_identity_sign(secret.c_str(), kMethod, &c, kNow, &out);
    const std::string text = std::string(kMethod) + "\norg-42\nBUREAU\n350100\n" + out.ts;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char *>(text.data()), text.size(), mac, &mac_len);
    char expected[65];
    for (unsigned i = 0; i < mac_len; i++) std::snprintf(expected + 2 * i, 3, "%02x", mac[i]);
    EXPECT_STREQ(out.sig, expected) << "secret of " << secret.size() << " bytes";
  }
}

TEST(Identity, SecureEqualComparesWholeStrings) {
  EXPECT_TRUE(vbp_secure_equal("", ""));
  EXPECT_TRUE(vbp_secure_equal("key", "key"));
  EXPECT_FALSE(vbp_secure_equal("key", "kez"));
  EXPECT_FALSE(vbp_secure_equal("key", "key2"));
  EXPECT_FALSE(vbp_secure_equal("key2", "key"));
}

}  // namespace
