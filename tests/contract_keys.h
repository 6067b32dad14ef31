/* Test keys and signatures for contract-svc's signing (contract-svc/signing.h), shared by the
 * unit test of signing.c and the contract integration test: keys of each algorithm made with
 * OpenSSL's EVP, their PEMs and fingerprints, and signatures over the 32 bytes of a document's
 * SHA-256 in the encodings of API.md (Ed25519 over the bytes; ECDSA P-256 with SHA-256, DER or
 * raw r||s; SM2 with SM3 and the default ID). Header-only; include after gtest. */
#ifndef VBP_TESTS_CONTRACT_KEYS_H
#define VBP_TESTS_CONTRACT_KEYS_H

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "contract-svc/signing.h"

namespace contract_keys {

using Bytes = std::vector<unsigned char>;

struct PkeyFree {
  void operator()(EVP_PKEY *p) const { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

inline constexpr char kSm2Id[] = "1234567812345678";

inline Pkey make_key(int algorithm) {
  switch (algorithm) {
    case CONTRACT_KEY_ED25519:
      return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    case CONTRACT_KEY_P256:
      return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    case CONTRACT_KEY_SM2:
      return Pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "SM2"));
  }
  return nullptr;
}

inline std::string bio_string(BIO *bio) {
  char *data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(bio);
  return s;
}

inline std::string public_pem(EVP_PKEY *pkey) {
  BIO *bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PUBKEY(bio, pkey), 1);
  return bio_string(bio);
}

inline std::string private_pem(EVP_PKEY *pkey) {
  BIO *bio = BIO_new(BIO_s_mem());
  EXPECT_EQ(PEM_write_bio_PrivateKey(bio, pkey, nullptr, nullptr, 0, nullptr, nullptr), 1);
  return bio_string(bio);
}

inline std::string hex(const unsigned char *p, size_t n) {
  std::string s;
  char two[3];
  for (size_t i = 0; i < n; i++) {
    std::snprintf(two, sizeof two, "%02x", p[i]);
    s += two;
  }
  return s;
}

inline std::string sha256_hex(const Bytes &b) {
  unsigned char md[32];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(b.data(), b.size(), md, &n, EVP_sha256(), nullptr), 1);
  return hex(md, n);
}

/* The fingerprint as the header defines it: hex SHA-256 of i2d_PUBKEY. */
inline std::string fingerprint_of(EVP_PKEY *pkey) {
  unsigned char *der = nullptr;
  int n = i2d_PUBKEY(pkey, &der);
  EXPECT_GT(n, 0);
  Bytes b(der, der + n);
  OPENSSL_free(der);
  return sha256_hex(b);
}

/* The DER inside a PEM, from its base64 lines, as a client would hash it. */
inline Bytes pem_body(const std::string &pem) {
  std::string b64;
  size_t pos = 0;
  while (pos < pem.size()) {
    size_t end = pem.find('\n', pos);
    if (end == std::string::npos) end = pem.size();
    std::string line = pem.substr(pos, end - pos);
    if (line.rfind("-----", 0) != 0) b64 += line;
    pos = end + 1;
  }
  Bytes out(b64.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char *>(b64.data()),
                          static_cast<int>(b64.size()));
  EXPECT_GE(n, 0);
  size_t pad = 0;
  while (pad < b64.size() && b64[b64.size() - 1 - pad] == '=') pad++;
  out.resize(static_cast<size_t>(n) - pad); /* EVP_DecodeBlock counts the padding as bytes */
  return out;
}

inline std::string base64(const Bytes &b, bool padded = true) {
  std::string out(4 * ((b.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]), b.data(),
                          static_cast<int>(b.size()));
  out.resize(static_cast<size_t>(n));
  if (!padded)
    while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

inline Bytes from_base64(const std::string &s) {
  Bytes out(s.size());
  int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char *>(s.data()),
                          static_cast<int>(s.size()));
  EXPECT_GE(n, 0);
  size_t pad = 0;
  while (pad < s.size() && s[s.size() - 1 - pad] == '=') pad++;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

/* A signature over the 32 digest bytes in the encodings of API.md; DER for the ECs. id is SM2's
 * distinguishing ID; nullptr sets none, leaving OpenSSL's default (in 3.0 the empty ID). */
inline Bytes sign(EVP_PKEY *pkey, int algorithm, const unsigned char *digest,
                  const char *id = kSm2Id) {
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = nullptr;
  const EVP_MD *md = nullptr;
  if (algorithm == CONTRACT_KEY_P256) md = EVP_sha256();
  if (algorithm == CONTRACT_KEY_SM2) md = EVP_sm3();
  if (algorithm == CONTRACT_KEY_SM2 && id != nullptr) {
    pctx = EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr);
    EXPECT_GT(EVP_PKEY_CTX_set1_id(pctx, id, std::strlen(id)), 0);
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
  }
  EXPECT_EQ(EVP_DigestSignInit(mctx, nullptr, md, nullptr, pkey), 1);
  size_t n = 0;
  EXPECT_EQ(EVP_DigestSign(mctx, nullptr, &n, digest, 32), 1);
  Bytes sig(n);
  EXPECT_EQ(EVP_DigestSign(mctx, sig.data(), &n, digest, 32), 1);
  sig.resize(n);
  EVP_MD_CTX_free(mctx);
  EVP_PKEY_CTX_free(pctx);
  return sig;
}

/* DER ECDSA-Sig-Value -> raw r||s, 32 bytes each, as WebCrypto gives it. */
inline Bytes der_to_raw(const Bytes &der) {
  const unsigned char *p = der.data();
  ECDSA_SIG *sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  EXPECT_NE(sig, nullptr);
  Bytes raw(64);
  EXPECT_EQ(BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw.data(), 32), 32);
  EXPECT_EQ(BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw.data() + 32, 32), 32);
  ECDSA_SIG_free(sig);
  return raw;
}

struct Digest {
  unsigned char bytes[32];
};

inline Digest digest_of(const char *text) {
  Digest d;
  unsigned int n = 0;
  EVP_Digest(text, std::strlen(text), d.bytes, &n, EVP_sha256(), nullptr);
  return d;
}

}  // namespace contract_keys

#endif
