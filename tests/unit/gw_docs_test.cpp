/* The API explorer's files (gateway/docs.h): which request paths name which file (and that no
 * path can climb out of the directory), the content types, and a directory loaded whole. */
#include "gateway/docs.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "gunzip.h"

namespace {

struct Classified {
  gw_docs_path kind;
  std::string name;
};

Classified classify(const char *path) {
  const char *name = nullptr;
  size_t len = 0;
  gw_docs_path kind = gw_docs_classify(path, &name, &len);
  return {kind, kind == GW_DOCS_FILE ? std::string(name, len) : std::string()};
}

TEST(GwDocs, DocsAndDocsSlashBothNameTheIndex) {
  EXPECT_EQ(classify("/docs").kind, GW_DOCS_FILE);
  EXPECT_EQ(classify("/docs").name, "index.html");
  EXPECT_EQ(classify("/docs/").kind, GW_DOCS_FILE);
  EXPECT_EQ(classify("/docs/").name, "index.html");
  EXPECT_EQ(classify("/docs/index.html").name, "index.html");
  EXPECT_EQ(classify("/docs/swagger-ui-bundle.js").name, "swagger-ui-bundle.js");
  EXPECT_EQ(classify("/docs/swagger-ui-bundle.js.LICENSE.txt").name,
            "swagger-ui-bundle.js.LICENSE.txt");
  EXPECT_EQ(classify("/docs/favicon-32x32.png").name, "favicon-32x32.png");
}

TEST(GwDocs, PathsOutsideDocsAreSomeoneElses) {
  for (const char *path :
       {"/", "", "/doc", "/docsx", "/docs.html", "/v1/docs", "/DOCS", "/openapi.json", "//docs"}) {
    EXPECT_EQ(classify(path).kind, GW_DOCS_OTHER) << path;
  }
}

TEST(GwDocs, NoPathUnderDocsClimbsOutOrReachesAnythingButANameOfTheDirectory) {
  const char *refused[] = {
      "/docs/../../etc/passwd",
      "/docs/..",
      "/docs/.",
      "/docs/..%2f..%2fetc%2fpasswd",
      "/docs/%2e%2e/%2e%2e/etc/passwd",
      "/docs/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
      "/docs/..%5c..%5cetc%5cpasswd",
      "/docs/..\\..\\etc\\passwd.txt",
      "/docs/%252e%252e%252fetc%252fpasswd",
      "/docs/%c0%ae%c0%ae/etc/passwd",
      "/docs//etc/passwd",
      "/docs//index.html",
      "/docs/sub/index.html",
      "/docs/index.html/",
      "/docs/index%2ehtml",
      "/docs/.hidden.js",
      "/docs/.npmrc",
      "/docs/package.json.",  /* no known extension */
      "/docs/LICENSE",        /* no extension */
      "/docs/index.html;.js", /* only [A-Za-z0-9._-] */
      "/docs/index.html\r\n", /* control characters */
      "/docs/a b.js",
      "/docs/swagger-ui.exe",
      "/docs/index.HTML", /* extensions are matched as the build names them */
  };
  for (const char *path : refused) EXPECT_EQ(classify(path).kind, GW_DOCS_BAD) << path;
  /* Longest name taken, one more refused. */
  std::string longest = "/docs/" + std::string(GW_DOCS_NAME_MAX - 3, 'a') + ".js";
  EXPECT_EQ(classify(longest.c_str()).kind, GW_DOCS_FILE);
  std::string longer = "/docs/" + std::string(GW_DOCS_NAME_MAX - 2, 'a') + ".js";
  EXPECT_EQ(classify(longer.c_str()).kind, GW_DOCS_BAD);
}

TEST(GwDocs, ContentTypesByExtension) {
  const struct {
    const char *name, *type;
  } cases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"swagger-ui-bundle.js", "text/javascript; charset=utf-8"},
      {"swagger-ui.css", "text/css; charset=utf-8"},
      {"favicon-32x32.png", "image/png"},
      {"logo.svg", "image/svg+xml"},
      {"favicon.ico", "image/x-icon"},
      {"openapi.json", "application/json"},
      {"swagger-ui-bundle.js.map", "application/json"},
      {"swagger-ui-bundle.js.LICENSE.txt", "text/plain; charset=utf-8"},
      {"LICENSE", nullptr},
      {"index.htm", nullptr},
      {"archive.tar.gz", nullptr},
      {"js", nullptr},
      {".js", nullptr}, /* only an extension: hidden */
  };
  for (const auto &c : cases) {
    const char *type = gw_docs_content_type(c.name, strlen(c.name));
    if (c.type)
      EXPECT_STREQ(type, c.type) << c.name;
    else
      EXPECT_EQ(type, nullptr) << c.name;
  }
}

/* A directory of the test's own under /tmp, removed at the end. */
class GwDocsDir : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/gw_docs_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    gw_docs_destroy(docs_);
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  void write(const std::string &name, const std::string &content) {
    std::ofstream(dir_ + "/" + name, std::ios::binary) << content;
  }
  std::string dir_;
  gw_docs *docs_ = nullptr;
};

TEST_F(GwDocsDir, LoadsTheFilesItMayServeAndNothingElse) {
  std::string script(5000, 'x'); /* compresses well: a gzipped copy */
  write("index.html", "<!DOCTYPE html><p>explorer</p>");
  write("app.js", script);
  write("favicon.png", std::string(3000, 'p')); /* compressed already: no copy, however large */
  write(".hidden.js", "secret");
  write("LICENSE", "no extension");
  write("notes.md", "unknown extension");
  ASSERT_EQ(mkdir((dir_ + "/sub.js").c_str(), 0755), 0); /* a directory with a file's name */
  ASSERT_EQ(symlink("index.html", (dir_ + "/alias.txt").c_str()), 0);
  ASSERT_EQ(mkfifo((dir_ + "/pipe.js").c_str(), 0600), 0); /* not waited on: skipped */

  vbp_status st = gw_docs_load(dir_.c_str(), &docs_);
  ASSERT_TRUE(vbp_ok(&st)) << st.message;
  /* A symlink is the directory owner's choice (a container image's layout), read as the file it
   * names. */
  EXPECT_EQ(gw_docs_count(docs_), 4u);
  const gw_docs_file *alias = gw_docs_find(docs_, "alias.txt", 9);
  ASSERT_NE(alias, nullptr);
  EXPECT_EQ(std::string(alias->data, alias->len), "<!DOCTYPE html><p>explorer</p>");
  EXPECT_STREQ(alias->content_type, "text/plain; charset=utf-8");

  const gw_docs_file *index = gw_docs_find(docs_, "index.html", 10);
  ASSERT_NE(index, nullptr);
  EXPECT_EQ(std::string(index->data, index->len), "<!DOCTYPE html><p>explorer</p>");
  EXPECT_STREQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->gzip, nullptr); /* too small to be worth it */
  /* "docs-" and the first 128 bits of its SHA-256 (`printf %s BODY | sha256sum`). */
  EXPECT_STREQ(index->etag, "\"docs-ba8d3b5b878ab5d8b9bbf55ca0b8d741\"");

  const gw_docs_file *app = gw_docs_find(docs_, "app.js", 6);
  ASSERT_NE(app, nullptr);
  ASSERT_NE(app->gzip, nullptr);
  EXPECT_LT(app->gzip_len, 100u);
  EXPECT_EQ(gunzip(std::string(app->gzip, app->gzip_len)), script);
  EXPECT_STRNE(app->gzip_etag, app->etag); /* other bytes, another tag */
  EXPECT_EQ(std::string(app->gzip_etag).rfind("\"docs-gzip-", 0), 0u);

  const gw_docs_file *png = gw_docs_find(docs_, "favicon.png", 11);
  ASSERT_NE(png, nullptr);
  EXPECT_EQ(png->gzip, nullptr);
  EXPECT_EQ(png->len, 3000u);

  EXPECT_EQ(gw_docs_find(docs_, ".hidden.js", 10), nullptr);
  EXPECT_EQ(gw_docs_find(docs_, "LICENSE", 7), nullptr);
  EXPECT_EQ(gw_docs_find(docs_, "notes.md", 8), nullptr);
  EXPECT_EQ(gw_docs_find(docs_, "sub.js", 6), nullptr);
  EXPECT_EQ(gw_docs_find(docs_, "pipe.js", 7), nullptr);
  EXPECT_EQ(gw_docs_find(docs_, "index.htm", 9), nullptr);     /* a prefix is not the name */
  EXPECT_EQ(gw_docs_find(docs_, "index.html", 9), nullptr);    /* len counts */
  EXPECT_EQ(gw_docs_find(nullptr, "index.html", 10), nullptr); /* not installed */
}

TEST_F(GwDocsDir, ADirectoryWithoutAnIndexIsRefused) {
  write("app.js", "1");
  vbp_status st = gw_docs_load(dir_.c_str(), &docs_);
  EXPECT_EQ(st.code, VBP_FAILED_PRECONDITION);
  EXPECT_EQ(docs_, nullptr);
  EXPECT_EQ(std::string(st.message), "VBP_DOCS_DIR: " + dir_ + " has no index.html");
}

TEST_F(GwDocsDir, AMissingDirectoryIsRefused) {
  std::string missing = dir_ + "/missing";
  vbp_status st = gw_docs_load(missing.c_str(), &docs_);
  EXPECT_EQ(st.code, VBP_FAILED_PRECONDITION);
  EXPECT_EQ(docs_, nullptr);
  EXPECT_EQ(std::string(st.message),
            "VBP_DOCS_DIR: cannot read " + missing + ": No such file or directory");
}

TEST_F(GwDocsDir, TooManyFilesAreRefused) {
  write("index.html", "x");
  for (int i = 0; i < GW_DOCS_MAX_FILES; i++) write("f" + std::to_string(i) + ".js", "1");
  vbp_status st = gw_docs_load(dir_.c_str(), &docs_);
  EXPECT_EQ(st.code, VBP_FAILED_PRECONDITION);
  EXPECT_EQ(docs_, nullptr);
  EXPECT_EQ(std::string(st.message), "VBP_DOCS_DIR: " + dir_ + " holds more than 64 files");
}

}  // namespace
