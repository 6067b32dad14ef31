// Who may call what, printed from the services' method tables and compared with the checked-in
// api/authz.txt: a change to any table's roles fails here until the file is changed with it, so
// every change of who may call what is a reviewed diff. VBP_AUTHZ_WRITE=1 rewrites the file.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

extern "C" {
#include "catalog-svc/service.h"
#include "common/authz.h"
#include "common/rpc.h"
#include "contract-svc/service.h"
#include "pricing-svc/service.h"
#include "vbp/v1/catalog.pb-c.h"
#include "vbp/v1/contract.pb-c.h"
#include "vbp/v1/pricing.pb-c.h"
#include "vbp/v1/volume.pb-c.h"
#include "volume-svc/service.h"
}

namespace {

struct Table {
  const ProtobufCServiceDescriptor *service;
  const vbp_method *methods;
  size_t n;
};

std::vector<Table> tables() {
  return {{&vbp__v1__catalog_service__descriptor, catalog_methods, catalog_methods_count},
          {&vbp__v1__contract_service__descriptor, contract_methods, contract_methods_count},
          {&vbp__v1__pricing_service__descriptor, pricing_methods, pricing_methods_count},
          {&vbp__v1__volume_service__descriptor, volume_methods, volume_methods_count}};
}

const char *const kColumns[VBP_ROLES_COUNT] = {"ADM", "BUR", "AGY", "ALL",
                                               "MED", "MFR", "DIS", "SVC"};

std::string matrix() {
  std::ostringstream out;
  out << "# Who may call what, from the method tables of every service (tests/unit/\n"
         "# authz_matrix_test.cpp compares them; VBP_AUTHZ_WRITE=1 rewrites this file).\n"
         "# x: the role may call the method (its scope is then the handler's: common/scope.h);\n"
         "# .: refused with PERMISSION_DENIED before the handler runs.\n"
         "# ADM admin key, BUR BUREAU, AGY INSURANCE_AGENCY, ALL ALLIANCE_OFFICE,\n"
         "# MED MEDICAL_INSTITUTION, MFR MANUFACTURER, DIS DISTRIBUTOR, SVC our own services.\n";
  char line[160];
  std::snprintf(line, sizeof line, "%-46s", "method");
  out << line;
  for (const char *c : kColumns) out << " " << c;
  out << "\n";
  for (const Table &t : tables()) {
    for (size_t i = 0; i < t.n; i++) {
      std::snprintf(line, sizeof line, "%-46s", t.methods[i].path + 1);
      out << line;
      for (int r = 0; r < VBP_ROLES_COUNT; r++)
        out << "   " << (vbp_roles_allow(t.methods[i].roles, vbp_roles_role_at(r)) ? "x" : ".");
      out << "\n";
    }
  }
  return out.str();
}

TEST(AuthzMatrix, TheMethodTablesGrantExactlyWhatApiAuthzTxtSays) {
  std::string want = matrix();
  if (const char *w = std::getenv("VBP_AUTHZ_WRITE"); w && *w == '1') {
    std::ofstream(VBP_AUTHZ_FILE) << want;
  }
  std::ifstream in(VBP_AUTHZ_FILE);
  ASSERT_TRUE(in.good()) << VBP_AUTHZ_FILE;
  std::stringstream have;
  have << in.rdbuf();
  EXPECT_EQ(have.str(), want) << "the tables changed who may call what: review the difference "
                                 "and rewrite api/authz.txt (VBP_AUTHZ_WRITE=1)";
}

/* Methods of the protos that no service serves yet (the alliance exchange's import): they are
 * answered UNIMPLEMENTED. Whoever implements one removes it here and adds its row. */
const std::set<std::string> kNotYetServed = {};

TEST(AuthzMatrix, EveryMethodOfEveryImplementedServiceHasExactlyOneRow) {
  for (const Table &t : tables()) {
    std::set<std::string> rows, declared;
    for (size_t i = 0; i < t.n; i++) {
      EXPECT_TRUE(rows.insert(t.methods[i].path).second) << t.methods[i].path;
      EXPECT_NE(t.methods[i].roles, 0u) << t.methods[i].path;
    }
    for (unsigned m = 0; m < t.service->n_methods; m++) {
      std::string path = std::string("/") + t.service->name + "/" + t.service->methods[m].name;
      declared.insert(path);
      if (kNotYetServed.count(path)) {
        EXPECT_EQ(rows.count(path), 0u) << path << " is served now: take it off kNotYetServed";
        continue;
      }
      EXPECT_EQ(rows.count(path), 1u) << path << " has no row in its service's table";
    }
    for (const std::string &row : rows)
      EXPECT_EQ(declared.count(row), 1u) << row << " is no method of " << t.service->name;
  }
}

TEST(AuthzMatrix, RolesAllowOnlyTheirOwnBits) {
  EXPECT_TRUE(vbp_roles_allow(VBP_ALLOW_BUREAU, VBP_ROLE_BUREAU));
  EXPECT_FALSE(vbp_roles_allow(VBP_ALLOW_BUREAU, VBP_ROLE_ADMIN));
  EXPECT_FALSE(vbp_roles_allow(VBP_ALLOW_ANY_CALLER, VBP_ROLE_NONE));
  EXPECT_TRUE(vbp_roles_allow(VBP_ALLOW_ANY_CALLER, VBP_ROLE_SERVICE));
  EXPECT_TRUE(vbp_roles_allow(VBP_ALLOW_UNAUTHENTICATED, VBP_ROLE_NONE));
  EXPECT_FALSE(vbp_roles_allow(0, VBP_ROLE_ADMIN));
  EXPECT_FALSE(vbp_roles_allow(VBP_ALLOW_ANY_CALLER, static_cast<vbp_role>(7)));
  for (int i = 0; i < VBP_ROLES_COUNT; i++)
    EXPECT_TRUE(vbp_roles_allow(1u << i, vbp_roles_role_at(i))) << i;
}

}  // namespace
