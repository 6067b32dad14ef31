// What the gzip tests share (unit: gateway/compress.h; integration: the gateway over HTTP):
// gunzip with zlib, as a client would.
#ifndef VBP_TESTS_GUNZIP_H
#define VBP_TESTS_GUNZIP_H

#include <zlib.h>

#include <string>

// data gunzipped; "<error>" when it is not a whole gzip stream. With partial, a stream cut after
// a flush is fine too: what it holds so far.
inline std::string gunzip(const std::string &data, bool partial = false) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return "<error>";
  zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  int rc;
  do {
    char buf[4096];
    zs.next_out = reinterpret_cast<Bytef *>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_SYNC_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK && (zs.avail_in > 0 || zs.avail_out == 0));
  inflateEnd(&zs);
  bool ended = rc == Z_STREAM_END;
  return ended || (partial && (rc == Z_OK || rc == Z_BUF_ERROR)) ? out : "<error>";
}

#endif
