#include "test_stack.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

std::mutex g_mu;
std::vector<std::string> g_databases;  // made by vbp_test_fresh_database, guarded by g_mu
std::atomic<int> g_next_database{0};

std::string quote_value(const std::string &v) {
  std::string out = "'";
  for (char ch : v) {
    if (ch == '\'' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "'";
}

struct ConnCloser {
  void operator()(PGconn *c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnCloser>;

void drop_notice(void *, const char *) {}  // "database ... does not exist, skipping"

Conn connect_or_throw(const std::string &dsn) {
  Conn c(PQconnectdb(dsn.c_str()));
  if (!c || PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string("connect to test database: ") +
                             (c ? PQerrorMessage(c.get()) : "out of memory"));
  PQsetNoticeProcessor(c.get(), drop_notice, nullptr);
  return c;
}

std::string exec_or_throw(PGconn *c, const std::string &sql) {
  PGresult *r = PQexec(c, sql.c_str());
  ExecStatusType s = PQresultStatus(r);
  if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
    std::string msg = std::string("test SQL failed: ") + PQresultErrorMessage(r) + "in: " + sql;
    PQclear(r);
    throw std::runtime_error(msg);
  }
  std::string first;
  if (s == PGRES_TUPLES_OK && PQntuples(r) > 0 && PQnfields(r) > 0) first = PQgetvalue(r, 0, 0);
  PQclear(r);
  return first;
}

// Drops the databases after the last test of the program.
class DropDatabases : public ::testing::Environment {
 public:
  void TearDown() override {
    std::vector<std::string> names;
    {
      std::lock_guard<std::mutex> lock(g_mu);
      names.swap(g_databases);
    }
    if (names.empty()) return;
    try {
      Conn admin = connect_or_throw(vbp_test_env("VBP_PG_DSN"));
      for (const std::string &name : names)
        exec_or_throw(admin.get(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (const std::exception &e) {
      ADD_FAILURE() << "dropping test databases: " << e.what();
    }
  }
};

[[maybe_unused]] ::testing::Environment *const g_drop_databases =
    ::testing::AddGlobalTestEnvironment(new DropDatabases);

}  // namespace

std::string vbp_test_env(const char *key) {
  const char *path = std::getenv("VBP_TEST_STACK");
  if (path == nullptr || *path == '\0')
    throw std::runtime_error(
        "VBP_TEST_STACK is not set: run under ctest (fixture 'stack') or point it at the env file "
        "tests/stack.sh wrote");
  std::ifstream in(path);
  if (!in) throw std::runtime_error(std::string("cannot read VBP_TEST_STACK file ") + path);
  std::string line;
  const std::string prefix = std::string(key) + "=";
  while (std::getline(in, line)) {
    if (line.compare(0, prefix.size(), prefix) == 0) return line.substr(prefix.size());
  }
  throw std::runtime_error(std::string(key) + " is missing from " + path);
}

std::string vbp_test_dsn_with(const std::string &dsn, const char *key, const std::string &value) {
  char *err = nullptr;
  PQconninfoOption *opts = PQconninfoParse(dsn.c_str(), &err);
  if (opts == nullptr) {
    std::string msg = std::string("bad DSN: ") + (err ? err : "out of memory");
    PQfreemem(err);
    throw std::runtime_error(msg);
  }
  std::string out;
  for (PQconninfoOption *o = opts; o->keyword != nullptr; o++) {
    if (o->val == nullptr || std::string(o->keyword) == key) continue;
    out += std::string(o->keyword) + "=" + quote_value(o->val) + " ";
  }
  PQconninfoFree(opts);
  return out + key + "=" + quote_value(value);
}

std::string vbp_test_fresh_database() {
  const std::string admin_dsn = vbp_test_env("VBP_PG_DSN");
  const std::string name =
      "t_" + std::to_string(getpid()) + "_" + std::to_string(g_next_database++);
  Conn admin = connect_or_throw(admin_dsn);
  // A leftover of a crashed earlier program that had the same pid.
  exec_or_throw(admin.get(), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  exec_or_throw(admin.get(), "CREATE DATABASE " + name);
  {
    std::lock_guard<std::mutex> lock(g_mu);
    g_databases.push_back(name);
  }
  return vbp_test_dsn_with(admin_dsn, "dbname", name);
}

std::string vbp_test_sql(const std::string &dsn, const std::string &sql) {
  Conn c = connect_or_throw(dsn);
  return exec_or_throw(c.get(), sql);
}

// ---------------------------------------------------------------- Redis outages

static void run_or_fail(const std::string &cmd) { EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd; }

RedisStopped::RedisStopped()
    : port_(vbp_test_env("VBP_REDIS_PORT")), pidfile_(vbp_test_env("VBP_REDIS_PIDFILE")) {
  run_or_fail("redis-cli -p " + port_ + " shutdown nosave >/dev/null 2>&1");
  // shutdown returns once Redis has closed its sockets; the pidfile goes just after.
  for (int i = 0; i < 200 && ping(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void RedisStopped::start() {
  if (started_) return;
  started_ = true;
  std::string conf;  // tests/stack.sh writes one; restarting from it restores logfile, dir, ...
  try {
    conf = vbp_test_env("VBP_REDIS_CONF");
  } catch (const std::exception &) {
  }
  if (!conf.empty()) {
    run_or_fail("redis-server '" + conf + "' >/dev/null");
  } else {
    run_or_fail("redis-server --port " + port_ +
                " --bind 127.0.0.1 --daemonize yes --save '' --appendonly no --pidfile '" +
                pidfile_ + "' >/dev/null");
  }
  for (int i = 0; i < 500 && !ping(); i++)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(ping()) << "Redis did not come back on port " << port_;
}

bool RedisStopped::ping() const {
  return std::system(("redis-cli -p " + port_ + " ping >/dev/null 2>&1").c_str()) == 0;
}
