/* JSON-line logs (common/log.h): one line per event on stderr with ts, level, service and the
 * event's fields; levels below the configured one dropped; any text in a field, cut or not,
 * still a valid JSON string. Lines are read back from a pipe put in place of stderr and parsed
 * with jansson, which also checks their UTF-8. */
#include "common/log.h"

#include "common/signals.h"

#include <gtest/gtest.h>

#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <cctype>

#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

/* What the log wrote to stderr while `events` ran. The pipe holds 64 KiB: keep it short. */
std::string captured(const std::function<void()> &events) {
  int fds[2];
  if (pipe(fds) != 0) return "<no pipe>";
  int saved = dup(STDERR_FILENO);
  dup2(fds[1], STDERR_FILENO);
  close(fds[1]);
  events();
  /* Restoring stderr closes the pipe's last write end, so the read below ends. */
  dup2(saved, STDERR_FILENO);
  close(saved);
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;)
    text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  return text;
}

/* The lines of `text`, each of which must end with '\n'. */
std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    lines.push_back(text.substr(start, end - start));
  EXPECT_EQ(start, text.size()) << "a line without its newline: " << text.substr(start);
  return lines;
}

struct JsonFree {
  void operator()(json_t *j) const { json_decref(j); }
};
using Json = std::unique_ptr<json_t, JsonFree>;

/* The line as a JSON object; null (and a failure naming jansson's reason) when it is not one. */
Json parse(const std::string &line) {
  json_error_t error;
  Json j(json_loadb(line.data(), line.size(), JSON_REJECT_DUPLICATES, &error));
  EXPECT_TRUE(j && json_is_object(j.get()))
      << error.text << " at " << error.position << ": " << line;
  return j && json_is_object(j.get()) ? std::move(j) : nullptr;
}

/* The one line the log wrote while `event` ran, parsed. */
Json one_line(const std::function<void()> &event) {
  std::vector<std::string> lines = lines_of(captured(event));
  EXPECT_EQ(lines.size(), 1u);
  return lines.size() == 1 ? parse(lines[0]) : nullptr;
}

std::string text(const Json &j, const char *key) {
  const json_t *v = j ? json_object_get(j.get(), key) : nullptr;
  return v == nullptr ? "<absent>" : json_is_string(v) ? json_string_value(v) : "<not a string>";
}

std::set<std::string> keys(const Json &j) {
  std::set<std::string> out;
  const char *key;
  json_t *value;
  json_object_foreach(j.get(), key, value) out.insert(key);
  return out;
}

class Log : public ::testing::Test {
 protected:
  void SetUp() override { vbp_log_init("log-test", VBP_LOG_DEBUG); }
};

TEST_F(Log, AnEventIsOneJsonLineWithTsLevelServiceAndMsg) {
  time_t before = time(nullptr);
  Json j = one_line([] { vbp_log(VBP_LOG_INFO, "serving on %s (%d workers)", "127.0.0.1:1", 4); });
  time_t after = time(nullptr);
  ASSERT_TRUE(j);
  EXPECT_EQ(keys(j), (std::set<std::string>{"ts", "level", "service", "msg"}));
  EXPECT_EQ(text(j, "level"), "info");
  EXPECT_EQ(text(j, "service"), "log-test");
  EXPECT_EQ(text(j, "msg"), "serving on 127.0.0.1:1 (4 workers)");
  /* UTC to the millisecond, and now. */
  std::string ts = text(j, "ts");
  // YYYY-MM-DDTHH:MM:SS.mmmZ (no std::regex: GCC 12 warns inside it under the sanitizers)
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  ASSERT_EQ(ts.size(), shape.size()) << ts;
  for (size_t i = 0; i < shape.size(); i++)
    EXPECT_TRUE(shape[i] == 'd' ? std::isdigit(static_cast<unsigned char>(ts[i])) != 0
                                : ts[i] == shape[i])
        << ts;
  struct tm tm = {};
  ASSERT_NE(strptime(ts.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr);
  EXPECT_GE(timegm(&tm), before);
  EXPECT_LE(timegm(&tm), after);
}

TEST_F(Log, LevelsBelowTheConfiguredOneAreDropped) {
  vbp_log_init("log-test", VBP_LOG_WARN);
  EXPECT_FALSE(vbp_log_enabled(VBP_LOG_INFO));
  EXPECT_TRUE(vbp_log_enabled(VBP_LOG_WARN));
  vbp_status ok = vbp_status_ok();
  std::vector<std::string> lines = lines_of(captured([&] {
    vbp_log(VBP_LOG_DEBUG, "debug");
    vbp_log(VBP_LOG_INFO, "info");
    vbp_log_call(VBP_LOG_INFO, "/vbp.v1.PricingService/GetPrice", "r1", nullptr, &ok, 10);
    vbp_log_http(VBP_LOG_INFO, "GET", "/v1/prices", nullptr, 200, "r1", nullptr, 10);
    vbp_log(VBP_LOG_WARN, "warn");
    vbp_log(VBP_LOG_ERROR, "error");
  }));
  ASSERT_EQ(lines.size(), 2u);
  for (size_t i = 0; i < 2; i++) {
    Json j = parse(lines[i]);
    EXPECT_EQ(text(j, "level"), text(j, "msg"));
    EXPECT_EQ(text(j, "msg"), i == 0 ? "warn" : "error");
  }
}

TEST_F(Log, LevelNamesParseAndAnythingElseIsRefused) {
  vbp_log_level level = VBP_LOG_ERROR;
  ASSERT_TRUE(vbp_log_level_parse("debug", &level));
  EXPECT_EQ(level, VBP_LOG_DEBUG);
  ASSERT_TRUE(vbp_log_level_parse("warn", &level));
  EXPECT_EQ(level, VBP_LOG_WARN);
  for (const char *bad : {"", "DEBUG", "warning", "info "}) {
    EXPECT_FALSE(vbp_log_level_parse(bad, &level)) << bad;
    EXPECT_EQ(level, VBP_LOG_WARN) << bad;
  }
}

TEST_F(Log, QuotesBackslashesControlCharactersAndUtf8InAMessageComeBackExactly) {
  const std::string message =
      "say \"hi\" \\ back\\slash\nnew line\ttab\r\x01\x1f\x7f 福建省 Zürich \xF0\x9F\x98\x80";
  Json j = one_line([&] { vbp_log(VBP_LOG_WARN, "%s", message.c_str()); });
  EXPECT_EQ(text(j, "msg"), message);
}

TEST_F(Log, AServiceNameIsEscapedToo) {
  vbp_log_init("odd \"service\"\n", VBP_LOG_DEBUG);
  Json j = one_line([] { vbp_log(VBP_LOG_INFO, "x"); });
  EXPECT_EQ(text(j, "service"), "odd \"service\"\n");
}

TEST_F(Log, ACallLineCarriesRpcRequestIdCallerCodeDurationAndTheFailuresMessage) {
  vbp_status failed = vbp_status_make(VBP_NOT_FOUND, "product \"X\" not found");
  Json j = one_line([&] {
    vbp_log_call(VBP_LOG_DEBUG, "/vbp.v1.PricingService/GetPrice", "req-1", "BUREAU:FJ-YB", &failed,
                 1500);
  });
  ASSERT_TRUE(j);
  EXPECT_EQ(keys(j), (std::set<std::string>{"ts", "level", "service", "rpc", "request_id", "caller",
                                            "code", "duration_ms", "msg"}));
  EXPECT_EQ(text(j, "rpc"), "/vbp.v1.PricingService/GetPrice");
  EXPECT_EQ(text(j, "request_id"), "req-1");
  EXPECT_EQ(text(j, "caller"), "BUREAU:FJ-YB");
  EXPECT_EQ(text(j, "code"), "NOT_FOUND");
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(j.get(), "duration_ms")), 1.5);
  EXPECT_EQ(text(j, "msg"), "product \"X\" not found");
  /* An OK call has no message, and no caller when there is none. */
  vbp_status ok = vbp_status_ok();
  j = one_line([&] { vbp_log_call(VBP_LOG_INFO, "/p", nullptr, nullptr, &ok, 0); });
  EXPECT_EQ(keys(j), (std::set<std::string>{"ts", "level", "service", "rpc", "request_id", "code",
                                            "duration_ms"}));
  EXPECT_EQ(text(j, "request_id"), "");
}

TEST_F(Log, AnHttpLineCarriesMethodPathRouteStatusRequestIdCallerAndDuration) {
  Json j = one_line([] {
    vbp_log_http(VBP_LOG_INFO, "GET", "/v1/prices/350000/A", "/v1/prices/{regionCode}/{productId}",
                 200, "req-2", "admin", 250);
  });
  ASSERT_TRUE(j);
  EXPECT_EQ(text(j, "method"), "GET");
  EXPECT_EQ(text(j, "path"), "/v1/prices/350000/A");
  EXPECT_EQ(text(j, "route"), "/v1/prices/{regionCode}/{productId}");
  EXPECT_EQ(json_integer_value(json_object_get(j.get(), "status")), 200);
  EXPECT_EQ(text(j, "request_id"), "req-2");
  EXPECT_EQ(text(j, "caller"), "admin");
  EXPECT_DOUBLE_EQ(json_number_value(json_object_get(j.get(), "duration_ms")), 0.25);
}

/* Where a field was cut, what is left must be where it started, and not a stub: even escapes of
 * six bytes each leave a few hundred characters. */
::testing::AssertionResult IsALongPrefix(const std::string &got, const std::string &of) {
  if (got.size() < 256 || of.compare(0, got.size(), got) != 0)
    return ::testing::AssertionFailure() << got.size() << " bytes, not a long prefix: " << got;
  return ::testing::AssertionSuccess();
}

TEST_F(Log, AnOverlongMessageCutInsideACharacterStaysValidUtf8) {
  std::string message = "x";
  for (int i = 0; i < 500; i++) message += "福";
  Json j = one_line([&] { vbp_log(VBP_LOG_INFO, "%s", message.c_str()); });
  EXPECT_TRUE(IsALongPrefix(text(j, "msg"), message));
  /* A status keeps 255 bytes of its message: "x", 84 characters and two bytes of the 85th. */
  vbp_status st = vbp_status_make(VBP_INTERNAL, "%s", message.c_str());
  j = one_line([&] { vbp_log_call(VBP_LOG_ERROR, "/p", "r", nullptr, &st, 1); });
  EXPECT_EQ(text(j, "msg"), message.substr(0, 1 + 84 * 3));
}

TEST_F(Log, AnOverlongLineOfEscapesIsCutBetweenThemAndStillCloses) {
  for (const std::string &message : {std::string(1000, '"'), std::string(1000, '\\'),
                                     std::string(1000, '\x01'), "x" + std::string(999, '\n')}) {
    Json j = one_line([&] { vbp_log(VBP_LOG_INFO, "%s", message.c_str()); });
    EXPECT_TRUE(IsALongPrefix(text(j, "msg"), message));
  }
  std::string path = "/v1/" + std::string(3000, '"');
  Json j = one_line(
      [&] { vbp_log_http(VBP_LOG_INFO, "GET", path.c_str(), nullptr, 404, "req-3", nullptr, 1); });
  EXPECT_TRUE(IsALongPrefix(text(j, "path"), path));
}

/* A path is whatever bytes the client sent. As in the gateway's JSON, each byte that does not
 * begin a UTF-8 character becomes U+FFFD. */
TEST_F(Log, BytesThatAreNotUtf8BecomeTheReplacementCharacter) {
  const struct {
    const char *in, *out;
  } cases[] = {
      {"a\xff\xfe"
       "b",
       "a\uFFFD\uFFFD"
       "b"}, /* never in UTF-8 */
      {"a\x80"
       "b",
       "a\uFFFD"
       "b"},                                            /* a continuation byte alone */
      {"\xe7\xa6x", "\uFFFD\uFFFDx"},                   /* a character cut short */
      {"\xc0\xaf", "\uFFFD\uFFFD"},                     /* an overlong '/' */
      {"\xed\xa0\x80", "\uFFFD\uFFFD\uFFFD"},           /* a surrogate */
      {"\xf4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, /* past U+10FFFF */
      {"\xf0\x9f\x98\x80 \xc3\xbc \xe7\xa6\x8f", "\U0001F600 \u00FC \u798F"}, /* kept */
      /* Cut inside the last character: the text itself was cut there (a status message, a
       * formatted message), so the part is dropped. */
      {"a\xe7\xa6", "a"},
  };
  for (const auto &c : cases) {
    Json j =
        one_line([&] { vbp_log_http(VBP_LOG_INFO, "GET", c.in, nullptr, 404, "r", nullptr, 1); });
    EXPECT_EQ(text(j, "path"), std::string(c.out)) << c.in;
  }
}

/* The access lines of the sampling tests: `n` fast 200s, then one of `status` taking `ms`. */
std::vector<std::string> access_lines(int n, unsigned status, int64_t ms) {
  return lines_of(captured([&] {
    for (int i = 0; i < n; i++)
      vbp_log_http(VBP_LOG_INFO, "GET", "/v1/x", nullptr, 200, "r", nullptr, 1000);
    vbp_log_http(VBP_LOG_INFO, "GET", "/v1/x", nullptr, status, "r", nullptr, ms * 1000);
  }));
}

TEST(LogSampling, TheDecisionKeepsNotableAndSlowLinesAndOneInNOfTheRest) {
  const struct {
    int one_in;
    int64_t slow_us;
    bool notable;
    int64_t duration_us;
    uint64_t ordinal;
    bool kept;
  } cases[] = {
      {1, 0, false, 10, 7, true},            /* 1 in 1: every line (today's default) */
      {0, 0, false, 10, 0, false},           /* 0: no ordinary line */
      {0, 0, true, 10, 5, true},             /* ... but every notable one */
      {3, 0, false, 10, 0, true},            /* 1 in 3: the 1st, 4th, 7th ... */
      {3, 0, false, 10, 1, false},           /* */
      {3, 0, false, 10, 2, false},           /* */
      {3, 0, false, 10, 3, true},            /* */
      {3, 1000000, false, 999999, 1, false}, /* just under the slow threshold: its turn */
      {3, 1000000, false, 1000000, 1, true}, /* at it: kept */
      {0, 1000000, false, 2000000, 1, true}, /* slow, even with no ordinary lines kept */
      {3, 0, false, 99000000, 1, false},     /* 0: no slow rule */
  };
  for (const auto &c : cases)
    EXPECT_EQ(vbp_log_sample(c.one_in, c.slow_us, c.notable, c.duration_us, c.ordinal), c.kept)
        << c.one_in << " " << c.slow_us << " " << c.notable << " " << c.duration_us << " "
        << c.ordinal;
}

TEST(LogSampling, EveryHttpErrorIsNotableBut404And429) {
  for (unsigned status : {400u, 401u, 403u, 405u, 409u, 413u, 499u, 500u, 503u, 504u})
    EXPECT_TRUE(vbp_log_http_notable(status)) << status;
  for (unsigned status : {200u, 204u, 304u, 404u, 429u})
    EXPECT_FALSE(vbp_log_http_notable(status)) << status;
}

TEST(LogSampling, OneInThreeFastAnswersIsWrittenAndEveryErrorAndSlowOne) {
  vbp_log_settings settings = {VBP_LOG_INFO, nullptr, 3, 1000};
  ASSERT_EQ(vbp_log_start("log-test", &settings).code, VBP_OK);
  EXPECT_EQ(access_lines(9, 200, 1).size(), 4u); /* the 1st, 4th, 7th and 10th of ten */
  EXPECT_EQ(access_lines(2, 503, 1).size(), 1u); /* the 11th, then the error */
  EXPECT_EQ(access_lines(0, 200, 1000).size(), 1u);
  vbp_status ok = vbp_status_ok();
  std::string calls = captured([&] {
    for (int i = 0; i < 3; i++) vbp_log_call(VBP_LOG_INFO, "/s/M", "r", nullptr, &ok, 1000);
  });
  EXPECT_EQ(lines_of(calls).size(), 1u) << calls;
  vbp_log_init("log-test", VBP_LOG_DEBUG); /* back to every line */
  EXPECT_EQ(access_lines(4, 200, 1).size(), 5u);
}

/* A log file, and stderr put back as it was afterwards. */
class LogFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/log_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/svc.log";
    saved_stderr_ = dup(STDERR_FILENO);
    vbp_log_settings settings = {VBP_LOG_INFO, path_.c_str(), 1, 0};
    ASSERT_EQ(vbp_log_start("log-test", &settings).code, VBP_OK);
  }
  void TearDown() override {
    vbp_log_settings settings = {VBP_LOG_DEBUG, nullptr, 1, 0};
    vbp_log_start("log-test", &settings);
    dup2(saved_stderr_, STDERR_FILENO);
    close(saved_stderr_);
    std::remove(path_.c_str());
    std::remove((path_ + ".1").c_str());
    rmdir(dir_.c_str());
  }
  static std::string contents(const std::string &path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  std::string dir_, path_;
  int saved_stderr_ = -1;
};

TEST_F(LogFile, AfterARenameAReopenWritesToANewFileOfTheSameName) {
  vbp_log(VBP_LOG_INFO, "before");
  ASSERT_EQ(std::rename(path_.c_str(), (path_ + ".1").c_str()), 0); /* what logrotate does */
  vbp_log(VBP_LOG_INFO, "still the old file");
  ASSERT_EQ(vbp_log_reopen().code, VBP_OK);
  vbp_log(VBP_LOG_INFO, "after");
  std::string old_file = contents(path_ + ".1"), new_file = contents(path_);
  EXPECT_NE(old_file.find("before"), std::string::npos) << old_file;
  EXPECT_NE(old_file.find("still the old file"), std::string::npos) << old_file;
  EXPECT_EQ(old_file.find("after"), std::string::npos) << old_file;
  ASSERT_EQ(lines_of(new_file).size(), 1u) << new_file;
  EXPECT_EQ(text(parse(lines_of(new_file)[0]), "msg"), "after");
}

TEST_F(LogFile, SighupReopensItWhileTheMainWaitsForAStopSignal) {
  vbp_block_stop_signals();
  ASSERT_EQ(std::rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  /* Both pending on this thread: the wait takes SIGHUP (the lower number) first. */
  pthread_kill(pthread_self(), SIGHUP);
  pthread_kill(pthread_self(), SIGTERM);
  EXPECT_EQ(vbp_wait_stop_signal(), SIGTERM);
  std::string new_file = contents(path_);
  EXPECT_NE(new_file.find("SIGHUP: log file reopened"), std::string::npos) << new_file;
  EXPECT_EQ(contents(path_ + ".1"), "");
}

TEST(LogFileStart, AFileThatCannotBeOpenedIsAnErrorNamingIt) {
  vbp_log_settings settings = {VBP_LOG_INFO, "/nonexistent-dir/x.log", 1, 0};
  vbp_status st = vbp_log_start("log-test", &settings);
  EXPECT_EQ(st.code, VBP_UNAVAILABLE);
  EXPECT_NE(std::string(st.message).find("/nonexistent-dir/x.log"), std::string::npos);
  settings.file = nullptr;
  vbp_log_start("log-test", &settings);
}

}  // namespace
