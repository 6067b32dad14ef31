/* CORS for the gateway (gateway/cors.h): the allowlist of VBP_CORS_ORIGINS, what a request from
 * an origin is answered in Access-Control-Allow-Origin, and a preflight's methods from the route
 * table (the test proto's: GET /v1/hello/{name}, POST /v1/hello/{name}:goodbye). */
#include "gateway/cors.h"

#include <gtest/gtest.h>

#include <string>

#include "gw_route_sets.h"

namespace {

struct Cors {
  gw_cors *cors = nullptr;
  vbp_status status;
  explicit Cors(const char *origins) : status(gw_cors_create(origins, &cors)) {}
  ~Cors() { gw_cors_destroy(cors); }
  std::string allow(const char *origin) const {
    const char *a = gw_cors_allow_origin(cors, origin);
    return a ? a : "<none>";
  }
};

TEST(GwCors, ByDefaultNoOriginIsAllowed) {
  for (const char *origins : {static_cast<const char *>(nullptr), "", " , "}) {
    Cors c(origins);
    ASSERT_EQ(c.status.code, VBP_OK);
    EXPECT_EQ(c.allow("https://portal.example"), "<none>");
    EXPECT_FALSE(gw_cors_varies(c.cors));
  }
}

TEST(GwCors, AListedOriginIsEchoedAndNoOtherOne) {
  Cors c(" https://Portal.Example , http://127.0.0.1:3000");
  ASSERT_EQ(c.status.code, VBP_OK) << c.status.message;
  EXPECT_EQ(c.allow("https://portal.example"), "https://portal.example");
  EXPECT_EQ(c.allow("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
  EXPECT_EQ(c.allow("http://portal.example"), "<none>");       /* another scheme */
  EXPECT_EQ(c.allow("https://portal.example:8443"), "<none>"); /* another port */
  EXPECT_EQ(c.allow("https://evil.portal.example"), "<none>"); /* no suffix match */
  EXPECT_EQ(c.allow("https://portal.example.evil"), "<none>"); /* no prefix match */
  EXPECT_EQ(c.allow("null"), "<none>");
  EXPECT_EQ(c.allow(nullptr), "<none>");
  EXPECT_TRUE(gw_cors_varies(c.cors));
}

TEST(GwCors, AStarLetsAnyOriginReadButIsAnsweredAsAStarNotTheOrigin) {
  Cors c("*");
  ASSERT_EQ(c.status.code, VBP_OK);
  EXPECT_EQ(c.allow("https://anyone.example"), "*");
  EXPECT_FALSE(gw_cors_varies(c.cors)); /* the same answer for every origin */
  Cors both("https://portal.example,*");
  EXPECT_EQ(both.allow("https://portal.example"), "https://portal.example");
  EXPECT_EQ(both.allow("https://anyone.example"), "*");
}

TEST(GwCors, WhatIsNotAnOriginIsRefusedNamingTheVariable) {
  for (const char *bad : {"portal.example", "https://portal.example/", "https://portal.example/x",
                          "ftp://portal.example", "null", "https://", "https://a:b",
                          "https://a:123456", "https://a b", "https://portal.example,nope"}) {
    Cors c(bad);
    EXPECT_EQ(c.status.code, VBP_INVALID_ARGUMENT) << bad;
    EXPECT_STREQ(c.status.field, "VBP_CORS_ORIGINS") << bad;
    EXPECT_EQ(c.cors, nullptr) << bad;
  }
}

TEST(GwCors, APreflightIsAllowedTheMethodsOfTheRoutesThatTakeItsPath) {
  std::string set = read_file(TEST_DESCRIPTOR_SET);
  gw_routes *routes = nullptr;
  ASSERT_EQ(gw_routes_build(reinterpret_cast<const uint8_t *>(set.data()), set.size(),
                            kTestServices, 1, &routes)
                .code,
            VBP_OK);
  vbp_arena *arena = vbp_arena_create();
  const char *get = gw_cors_methods(routes, "/v1/hello/bob", arena);
  const char *post = gw_cors_methods(routes, "/v1/hello/bob:goodbye", arena);
  EXPECT_STREQ(get ? get : "<none>", "GET");
  /* GET takes it too, as Hello with the name "bob:goodbye" (routes.h). */
  EXPECT_STREQ(post ? post : "<none>", "GET, POST");
  EXPECT_EQ(gw_cors_methods(routes, "/v1/nowhere", arena), nullptr);
  vbp_arena_destroy(arena);
  gw_routes_destroy(routes);
}

}  // namespace
