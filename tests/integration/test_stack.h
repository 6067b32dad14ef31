/* The integration tests' view of the test stack (tests/stack.sh): its env file, and a private
 * database per test program so that test programs run in parallel (ctest -j) never see each
 * other's rows. */
#ifndef VBP_TEST_STACK_H
#define VBP_TEST_STACK_H

#include <string>

/* The value of `key` (VBP_PG_DSN, VBP_REDIS_ADDR, ...) in the KEY=VALUE file named by the
 * environment variable VBP_TEST_STACK (ctest sets it; see tests/integration/CMakeLists.txt).
 * Throws std::runtime_error naming what is missing, which fails the calling test. */
std::string vbp_test_env(const char *key);

/* `dsn` (key=value or URI) rewritten in key=value form with `key` set to `value`, e.g.
 * vbp_test_dsn_with(dsn, "options", "-csearch_path=catalog"). */
std::string vbp_test_dsn_with(const std::string &dsn, const char *key, const std::string &value);

/* Creates an empty database t_<pid>_<n> on the stack's server (VBP_PG_DSN) and returns a DSN for
 * it. Every database made this way is dropped (WITH (FORCE)) when the test program ends. */
std::string vbp_test_fresh_database();

/* Runs `sql` on `dsn` with a connection of its own; throws std::runtime_error on failure. For
 * set-up and inspection from outside the code under test. Returns the first column of the first
 * row, or "" when there is none. */
std::string vbp_test_sql(const std::string &dsn, const std::string &sql);

/* Stops the stack's Redis; the destructor (or start()) starts it again as the stack had it
 * (from VBP_REDIS_CONF if the env file names one, else on VBP_REDIS_PORT with
 * VBP_REDIS_PIDFILE), whatever happens in between, so that later tests find it running. Tests
 * that use it stop the Redis every test program shares: run them RUN_SERIAL. */
class RedisStopped {
 public:
  RedisStopped();
  ~RedisStopped() { start(); }
  RedisStopped(const RedisStopped &) = delete;
  RedisStopped &operator=(const RedisStopped &) = delete;
  void start();

 private:
  bool ping() const;
  std::string port_;
  std::string pidfile_;
  bool started_ = false;
};

#endif
