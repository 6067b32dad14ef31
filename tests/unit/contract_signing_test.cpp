/* contract-svc's signing keys and signatures (contract-svc/signing.h). Keys of each algorithm are
 * made here with OpenSSL and sign a 32-byte digest in each accepted encoding; the fingerprints
 * are computed here independently (SHA-256 of i2d_PUBKEY, and of the PEM's own base64 body).
 * Known-answer vectors made once outside this code pin the encodings: Ed25519 and P-256 by
 * node (crypto.sign, WebCrypto's ECDSA P-256 SHA-256 raw r||s) and `openssl dgst -sha256 -sign`
 * (DER), SM2 by the sm-crypto JavaScript library (SM3, default ID) with the key of
 * GM/T 0003.5-2012 Annex A, also checked with `openssl pkeyutl -pkeyopt distid:1234567812345678`.
 * A change of encoding fails those even when signing and verifying here would agree. */
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "contract-svc/signing.h"
#include "contract_keys.h"

namespace {

using namespace contract_keys;

::testing::AssertionResult refused(const vbp_status &st, const char *field) {
  if (st.code != VBP_INVALID_ARGUMENT)
    return ::testing::AssertionFailure()
           << "code " << vbp_code_name(st.code) << " (" << st.message << "), not INVALID_ARGUMENT";
  if (std::strcmp(st.field, field) != 0)
    return ::testing::AssertionFailure()
           << "field \"" << st.field << "\", not " << field << " (" << st.message << ")";
  if (st.reason[0] == '\0') return ::testing::AssertionFailure() << "no reason";
  return ::testing::AssertionSuccess() << st.message;
}

::testing::AssertionResult ok(const vbp_status &st) {
  if (st.code == VBP_OK) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << vbp_code_name(st.code) << ": " << st.message;
}

const int kAlgorithms[] = {CONTRACT_KEY_ED25519, CONTRACT_KEY_P256, CONTRACT_KEY_SM2};

/* A key of one algorithm with its PEM, a digest and a valid signature of it. */
struct Signed {
  int algorithm;
  Pkey key;
  std::string pem;
  Digest digest;
  Bytes signature;
};

Signed make_signed(int algorithm) {
  Signed s{algorithm, make_key(algorithm), "", digest_of("contract 42, version 1"), {}};
  s.pem = public_pem(s.key.get());
  s.signature = sign(s.key.get(), algorithm, s.digest.bytes);
  return s;
}

vbp_status verify(const Signed &s, const std::string &b64) {
  return contract_signature_verify(s.pem.c_str(), s.algorithm, s.digest.bytes, b64.c_str());
}

// ---------------------------------------------------------------- names

TEST(ContractSigning, AlgorithmNames) {
  EXPECT_STREQ(contract_key_algorithm_name(CONTRACT_KEY_ED25519), "Ed25519");
  EXPECT_STREQ(contract_key_algorithm_name(CONTRACT_KEY_P256), "ECDSA_P256");
  EXPECT_STREQ(contract_key_algorithm_name(CONTRACT_KEY_SM2), "SM2");
  EXPECT_STREQ(contract_key_algorithm_name(0), "");
  EXPECT_STREQ(contract_key_algorithm_name(4), "");
}

// ---------------------------------------------------------------- keys

TEST(ContractSigning, ParseGivesTheAlgorithmAndTheFingerprintOfTheDer) {
  for (int alg : kAlgorithms) {
    Pkey key = make_key(alg);
    ASSERT_TRUE(key) << alg;
    std::string pem = public_pem(key.get());
    int got = 0;
    char fp[65];
    ASSERT_TRUE(ok(contract_key_parse(pem.c_str(), &got, fp))) << pem;
    EXPECT_EQ(got, alg);
    EXPECT_EQ(std::string(fp), fingerprint_of(key.get())) << alg;
    /* the same as the SHA-256 of the DER in the PEM, which a client computes */
    EXPECT_EQ(std::string(fp), sha256_hex(pem_body(pem))) << alg;
  }
}

TEST(ContractSigning, OneKeyOneFingerprintTwoKeysTwo) {
  Pkey a = make_key(CONTRACT_KEY_P256), b = make_key(CONTRACT_KEY_P256);
  std::string pa = public_pem(a.get()), pb = public_pem(b.get());
  int alg;
  char fa[65], fa2[65], fb[65];
  ASSERT_TRUE(ok(contract_key_parse(pa.c_str(), &alg, fa)));
  ASSERT_TRUE(ok(contract_key_parse(pa.c_str(), &alg, fa2)));
  ASSERT_TRUE(ok(contract_key_parse(pb.c_str(), &alg, fb)));
  EXPECT_STREQ(fa, fa2);
  EXPECT_STRNE(fa, fb);
}

TEST(ContractSigning, ParseAcceptsCrlfAndSurroundingWhitespace) {
  Pkey key = make_key(CONTRACT_KEY_SM2);
  std::string pem = public_pem(key.get()), crlf;
  for (char c : pem) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  int alg = 0;
  char fp[65];
  ASSERT_TRUE(ok(contract_key_parse(crlf.c_str(), &alg, fp)));
  EXPECT_EQ(alg, CONTRACT_KEY_SM2);
  EXPECT_EQ(std::string(fp), fingerprint_of(key.get()));
  std::string padded = "\n  " + pem + "\n\n";
  ASSERT_TRUE(ok(contract_key_parse(padded.c_str(), &alg, fp)));
  std::string unterminated = pem.substr(0, pem.size() - 1); /* no final newline */
  ASSERT_TRUE(ok(contract_key_parse(unterminated.c_str(), &alg, fp)));
}

TEST(ContractSigning, ParseAcceptsACompressedP256PointWithItsOwnFingerprint) {
  /* openssl ec -pubin -conv_form compressed: a SubjectPublicKeyInfo RFC 5480 allows. */
  const char pem[] =
      "-----BEGIN PUBLIC KEY-----\n"
      "MDkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDIgACQM/SSK7j/Tg0ynxFbI4yoVxOK2z/\n"
      "unUlh1DMYVz92DI=\n"
      "-----END PUBLIC KEY-----\n";
  int alg = 0;
  char fp[65];
  ASSERT_TRUE(ok(contract_key_parse(pem, &alg, fp)));
  EXPECT_EQ(alg, CONTRACT_KEY_P256);
  EXPECT_EQ(std::string(fp), sha256_hex(pem_body(pem)));
}

TEST(ContractSigning, KnownKeysHaveTheirFingerprints) {
  /* `openssl pkey -pubin -outform DER | sha256sum` of each. */
  struct {
    const char *pem;
    int alg;
    const char *fp;
  } known[] = {
      {"-----BEGIN PUBLIC KEY-----\n"
       "MCowBQYDK2VwAyEAiMHGbe1+hXlsWYwoJgvDJ1mCO5bk5eEkRQz0kDEfEdo=\n"
       "-----END PUBLIC KEY-----\n",
       CONTRACT_KEY_ED25519, "f1cc402f38fe1e5511ac41d39665531f965fad0695679f50e28462c963bf9f86"},
      {"-----BEGIN PUBLIC KEY-----\n"
       "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfhEr+LbTszRWuOIkc3meiLpT+MxR\n"
       "mJ5t0fplbYeG21zvoGircWo047Hb4QJkPPjQjo+RCsYn4+NOeuWd0ohEfg==\n"
       "-----END PUBLIC KEY-----\n",
       CONTRACT_KEY_P256, "0b422245b7cba4a620fccdb9aa8f1e8786842db0814019e9827f689f317099fd"},
      {"-----BEGIN PUBLIC KEY-----\n"
       "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAECfnfMR5UIaFQ3X0WHkvFxnIXn60Y\n"
       "M/wHa7CP81bzUCDM6kkM4md1pS3G6nGMwapgCu0F+/NeCEpmMvYHLamtEw==\n"
       "-----END PUBLIC KEY-----\n",
       CONTRACT_KEY_SM2, "c97c174acc1b56be277862230f92b0f9fa9b83c2aa471ceabb67533a91536bea"},
  };
  for (const auto &k : known) {
    int alg = 0;
    char fp[65];
    ASSERT_TRUE(ok(contract_key_parse(k.pem, &alg, fp))) << k.pem;
    EXPECT_EQ(alg, k.alg);
    EXPECT_STREQ(fp, k.fp);
  }
}

void expect_key_refused(const std::string &pem, const char *reason_part = nullptr) {
  int alg = 77;
  char fp[65] = "untouched";
  vbp_status st = contract_key_parse(pem.c_str(), &alg, fp);
  EXPECT_TRUE(refused(st, "publicKeyPem")) << pem;
  if (reason_part) {
    EXPECT_NE(std::strstr(st.reason, reason_part), nullptr) << st.reason;
  }
  EXPECT_EQ(alg, 77);
  EXPECT_STREQ(fp, "untouched");
}

TEST(ContractSigning, RefusesKeysOfOtherAlgorithmsAndCurves) {
  Pkey rsa(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048)));
  Pkey p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  Pkey k256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  Pkey ed448(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED448"));
  Pkey x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  ASSERT_TRUE(rsa && p384 && k256 && ed448 && x25519);
  expect_key_refused(public_pem(rsa.get()), "RSA");
  expect_key_refused(public_pem(p384.get()), "secp384r1");
  expect_key_refused(public_pem(k256.get()), "secp256k1");
  expect_key_refused(public_pem(ed448.get()), "ED448");
  expect_key_refused(public_pem(x25519.get()), "X25519");
}

TEST(ContractSigning, RefusesP256WithExplicitCurveParameters) {
  /* openssl genpkey ... -pkeyopt ec_param_enc:explicit: P-256's own parameters, spelled out. */
  expect_key_refused(
      "-----BEGIN PUBLIC KEY-----\n"
      "MIIBSzCCAQMGByqGSM49AgEwgfcCAQEwLAYHKoZIzj0BAQIhAP////8AAAABAAAA\n"
      "AAAAAAAAAAAA////////////////MFsEIP////8AAAABAAAAAAAAAAAAAAAA////\n"
      "///////////8BCBaxjXYqjqT57PrvVV2mIa8ZR0GsMxTsPY7zjw+J9JgSwMVAMSd\n"
      "NgiG5wSTamZ44ROdJreBn36QBEEEaxfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5\n"
      "RdiYwpZP40Li/hp/m47n60p8D54WK84zV2sxXs7LtkBoN79R9QIhAP////8AAAAA\n"
      "//////////+85vqtpxeehPO5ysL8YyVRAgEBA0IABEqlQMidefQ0g4sWeTSNqBJm\n"
      "jVj6HkIIvI6X4aypKUC2Ugt61j9CPt5cRykZV6YZQdZVq6hZMBTEnenEf50uwqw=\n"
      "-----END PUBLIC KEY-----\n",
      "explicit");
}

TEST(ContractSigning, RefusesAnSm2KeyUnderTheSm2AlgorithmOid) {
  /* kKatSm2Pem's key with the algorithm 1.2.156.10197.1.301 (sm2) for id-ecPublicKey: OpenSSL
   * reads it but writes it back as id-ecPublicKey, so it would have two fingerprints. */
  expect_key_refused(
      "-----BEGIN PUBLIC KEY-----\n"
      "MFowFAYIKoEcz1UBgi0GCCqBHM9VAYItA0IABAn53zEeVCGhUN19Fh5LxcZyF5+t\n"
      "GDP8B2uwj/NW81AgzOpJDOJndaUtxupxjMGqYArtBfvzXghKZjL2By2prRM=\n"
      "-----END PUBLIC KEY-----\n",
      "id-ecPublicKey");
}

TEST(ContractSigning, RefusesPrivateKeys) {
  for (int alg : kAlgorithms) {
    Pkey key = make_key(alg);
    expect_key_refused(private_pem(key.get()), "private key");
    /* even after the public key */
    expect_key_refused(public_pem(key.get()) + private_pem(key.get()), "private key");
  }
  expect_key_refused("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIA==\n-----END EC PRIVATE KEY-----\n",
                     "private key");
}

TEST(ContractSigning, RefusesTextThatIsNoPublicKey) {
  expect_key_refused("", "empty");
  expect_key_refused(" \n\t\r\n", "empty");
  expect_key_refused("hello", "PEM");
  expect_key_refused("MCowBQYDK2VwAyEAiMHGbe1+hXlsWYwoJgvDJ1mCO5bk5eEkRQz0kDEfEdo=", "PEM");
  expect_key_refused("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n");
  expect_key_refused("-----BEGIN PUBLIC KEY-----\nnot base64 at all!\n-----END PUBLIC KEY-----\n");
  expect_key_refused("-----BEGIN PUBLIC KEY-----\naGVsbG8gd29ybGQ=\n-----END PUBLIC KEY-----\n");
  /* a good body under another label */
  expect_key_refused(
      "-----BEGIN CERTIFICATE-----\n"
      "MCowBQYDK2VwAyEAiMHGbe1+hXlsWYwoJgvDJ1mCO5bk5eEkRQz0kDEfEdo=\n"
      "-----END CERTIFICATE-----\n",
      "CERTIFICATE");
  Pkey key = make_key(CONTRACT_KEY_ED25519);
  std::string pem = public_pem(key.get());
  expect_key_refused(pem.substr(0, pem.size() / 2)); /* cut short */
  expect_key_refused("garbage before\n" + pem, "PEM");
  expect_key_refused(pem + "and after", "after");
  expect_key_refused(pem + public_pem(make_key(CONTRACT_KEY_ED25519).get()), "after");
  expect_key_refused(std::string(5000, ' ') + pem, "longer");
  /* an Ed25519 SubjectPublicKeyInfo in BER (a long-form length): not the DER it hashes */
  Bytes der = pem_body(pem);
  ASSERT_EQ(der[0], 0x30);
  ASSERT_EQ(der[1], 0x2a);
  Bytes ber = {0x30, 0x81, 0x2a};
  ber.insert(ber.end(), der.begin() + 2, der.end());
  expect_key_refused("-----BEGIN PUBLIC KEY-----\n" + base64(ber) + "\n-----END PUBLIC KEY-----\n");
  /* trailing bytes inside the DER */
  Bytes trailing = der;
  trailing.push_back(0);
  expect_key_refused("-----BEGIN PUBLIC KEY-----\n" + base64(trailing) +
                     "\n-----END PUBLIC KEY-----\n");
}

TEST(ContractSigning, RefusesAP256PointOffTheCurve) {
  Pkey key = make_key(CONTRACT_KEY_P256);
  Bytes der = pem_body(public_pem(key.get()));
  der.back() ^= 1; /* y no longer fits x */
  expect_key_refused("-----BEGIN PUBLIC KEY-----\n" + base64(der) + "\n-----END PUBLIC KEY-----\n");
}

// ---------------------------------------------------------------- signatures

TEST(ContractSigning, ValidSignaturesVerifyWithAndWithoutPadding) {
  for (int alg : kAlgorithms) {
    /* several, so both paddings and the DER lengths (70 to 72 bytes) come up */
    for (int i = 0; i < 8; i++) {
      Signed s = make_signed(alg);
      EXPECT_TRUE(ok(verify(s, base64(s.signature)))) << alg;
      EXPECT_TRUE(ok(verify(s, base64(s.signature, false)))) << alg;
    }
  }
}

TEST(ContractSigning, P256RawRAndSVerify) {
  for (int i = 0; i < 8; i++) {
    Signed s = make_signed(CONTRACT_KEY_P256);
    Bytes raw = der_to_raw(s.signature);
    ASSERT_EQ(raw.size(), 64u);
    EXPECT_TRUE(ok(verify(s, base64(raw)))); /* 88 characters, one '=' */
    EXPECT_TRUE(ok(verify(s, base64(raw, false))));
  }
}

TEST(ContractSigning, P256RawWithALeadingZeroByteVerifies) {
  /* r or s under 2^248: raw keeps the zero byte, DER drops it; found in a few hundred tries. */
  Signed s = make_signed(CONTRACT_KEY_P256);
  for (int tries = 0; tries < 20000; tries++) {
    Bytes raw = der_to_raw(sign(s.key.get(), CONTRACT_KEY_P256, s.digest.bytes));
    if (raw[0] != 0 && raw[32] != 0) continue;
    EXPECT_TRUE(ok(verify(s, base64(raw))));
    return;
  }
  FAIL() << "no signature with a short r or s";
}

TEST(ContractSigning, P256OverTheDigestItselfIsRefused) {
  /* ECDSA over the 32 bytes as the hash (no second SHA-256) is another encoding, not API.md's. */
  Signed s = make_signed(CONTRACT_KEY_P256);
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(nullptr, s.key.get(), nullptr);
  ASSERT_EQ(EVP_PKEY_sign_init(ctx), 1);
  size_t n = 0;
  ASSERT_EQ(EVP_PKEY_sign(ctx, nullptr, &n, s.digest.bytes, 32), 1);
  Bytes sig(n);
  ASSERT_EQ(EVP_PKEY_sign(ctx, sig.data(), &n, s.digest.bytes, 32), 1);
  sig.resize(n);
  EVP_PKEY_CTX_free(ctx);
  EXPECT_TRUE(refused(verify(s, base64(sig)), "signature"));
  EXPECT_TRUE(refused(verify(s, base64(der_to_raw(sig))), "signature"));
}

TEST(ContractSigning, P256SignatureInBerIsRefused) {
  /* r as a 33-byte INTEGER with a needless leading zero: BER, not DER. */
  Signed s = make_signed(CONTRACT_KEY_P256);
  for (int tries = 0; tries < 200; tries++) {
    Bytes raw = der_to_raw(sign(s.key.get(), CONTRACT_KEY_P256, s.digest.bytes));
    if (raw[0] == 0 || raw[0] >= 0x80 || raw[32] == 0 || raw[32] >= 0x80) continue;
    Bytes ber = {0x30, 2 + 33 + 2 + 32, 0x02, 33, 0x00};
    ber.insert(ber.end(), raw.begin(), raw.begin() + 32);
    ber.push_back(0x02);
    ber.push_back(32);
    ber.insert(ber.end(), raw.begin() + 32, raw.end());
    Bytes der = {0x30, 2 + 32 + 2 + 32, 0x02, 32};
    der.insert(der.end(), raw.begin(), raw.begin() + 32);
    der.push_back(0x02);
    der.push_back(32);
    der.insert(der.end(), raw.begin() + 32, raw.end());
    EXPECT_TRUE(ok(verify(s, base64(der)))); /* the same r and s in DER do */
    EXPECT_TRUE(refused(verify(s, base64(ber)), "signature"));
    return;
  }
  FAIL() << "no signature with r and s both under 2^255 and over 2^248";
}

TEST(ContractSigning, Sm2UsesTheDefaultId) {
  Signed s = make_signed(CONTRACT_KEY_SM2);
  EXPECT_TRUE(ok(verify(s, base64(s.signature))));
  /* the same key and digest under another ID, or under none (OpenSSL 3.0 then hashes the empty
   * ID), is another signature */
  EXPECT_TRUE(
      refused(verify(s, base64(sign(s.key.get(), CONTRACT_KEY_SM2, s.digest.bytes, nullptr))),
              "signature"));
  EXPECT_TRUE(refused(
      verify(s, base64(sign(s.key.get(), CONTRACT_KEY_SM2, s.digest.bytes, "ALICE123@YAHOO.COM"))),
      "signature"));
}

TEST(ContractSigning, Sm2RawRAndSIsRefusedWithAHint) {
  Signed s = make_signed(CONTRACT_KEY_SM2);
  Bytes raw = der_to_raw(s.signature);
  /* A raw r||s that begins as a 64-byte DER would (1 in 65536) gets no hint: sign again. */
  while (raw[0] == 0x30 && raw[1] == 62)
    raw = der_to_raw(sign(s.key.get(), CONTRACT_KEY_SM2, s.digest.bytes));
  vbp_status st = verify(s, base64(raw));
  EXPECT_TRUE(refused(st, "signature"));
  EXPECT_NE(std::strstr(st.reason, "DER"), nullptr) << st.reason;
}

TEST(ContractSigning, TamperedSignaturesAreRefused) {
  for (int alg : kAlgorithms) {
    Signed s = make_signed(alg);
    std::vector<Bytes> variants;
    if (alg == CONTRACT_KEY_P256) variants.push_back(der_to_raw(s.signature));
    variants.push_back(s.signature);
    for (const Bytes &good : variants) {
      for (size_t i = 0; i < good.size(); i++) {
        Bytes bad = good;
        bad[i] ^= 0x01;
        vbp_status st = verify(s, base64(bad));
        EXPECT_TRUE(refused(st, "signature")) << alg << " byte " << i;
      }
      Bytes shorter(good.begin(), good.end() - 1), longer = good;
      longer.push_back(0);
      EXPECT_TRUE(refused(verify(s, base64(shorter)), "signature")) << alg;
      EXPECT_TRUE(refused(verify(s, base64(longer)), "signature")) << alg;
    }
  }
}

TEST(ContractSigning, ATamperedDigestIsRefused) {
  for (int alg : kAlgorithms) {
    Signed s = make_signed(alg);
    for (int i : {0, 17, 31}) {
      Digest d = s.digest;
      d.bytes[i] ^= 0x80;
      vbp_status st =
          contract_signature_verify(s.pem.c_str(), alg, d.bytes, base64(s.signature).c_str());
      EXPECT_TRUE(refused(st, "signature")) << alg;
      EXPECT_NE(std::strstr(st.reason, "does not verify"), nullptr) << st.reason;
    }
  }
}

TEST(ContractSigning, AnotherKeysSignatureIsRefusedNamingTheKey) {
  for (int alg : kAlgorithms) {
    Signed s = make_signed(alg), other = make_signed(alg);
    vbp_status st = verify(s, base64(other.signature));
    EXPECT_TRUE(refused(st, "signature")) << alg;
    EXPECT_NE(std::strstr(st.reason, "does not verify with"), nullptr) << st.reason;
    EXPECT_NE(std::strstr(st.reason, fingerprint_of(s.key.get()).c_str()), nullptr) << st.reason;
    EXPECT_NE(std::strstr(st.reason, contract_key_algorithm_name(alg)), nullptr) << st.reason;
  }
}

TEST(ContractSigning, Ed25519SignatureOfAnotherLengthIsRefused) {
  Signed s = make_signed(CONTRACT_KEY_ED25519);
  Bytes longer = s.signature;
  longer.push_back(0);
  vbp_status st = verify(s, base64(longer));
  EXPECT_TRUE(refused(st, "signature"));
  EXPECT_NE(std::strstr(st.reason, "64"), nullptr) << st.reason;
}

TEST(ContractSigning, BadBase64IsRefused) {
  Signed s = make_signed(CONTRACT_KEY_ED25519);
  const std::string good = base64(s.signature); /* 86 characters and "==" */
  ASSERT_TRUE(ok(verify(s, good)));
  std::string url = good;
  for (char &c : url) c = c == '+' ? '-' : c == '/' ? '_' : c;
  const std::string bad[] = {
      "",
      "=",
      "====",
      good + "=",                                  /* too much padding */
      good.substr(0, good.size() - 1),             /* half the padding */
      good.substr(0, 10) + " " + good.substr(10),  /* whitespace */
      good.substr(0, 10) + "\n" + good.substr(10), /* a line break */
      good.substr(0, 10) + "=" + good.substr(10),  /* padding inside */
      good.substr(0, 10) + "*" + good.substr(10),
      good.substr(0, 85),              /* a length of no whole bytes (4k + 1) */
      good.substr(0, 85) + "=",        /* the same, padded */
      "QR==",                          /* "A" with bits past the end ("QQ==" is "A") */
      "QUJ=",                          /* "AB" with bits past the end ("QUI=" is "AB") */
      std::string(300, 'A'),           /* longer than any signature */
      good.substr(0, 84) + "\xc3\xa9", /* not ASCII */
  };
  for (const std::string &b : bad) {
    EXPECT_TRUE(refused(verify(s, b), "signature")) << "\"" << b << "\"";
  }
  if (url != good) {
    vbp_status st = verify(s, url);
    EXPECT_TRUE(refused(st, "signature"));
    EXPECT_NE(std::strstr(st.reason, "base64"), nullptr) << st.reason;
  }
  EXPECT_TRUE(refused(
      contract_signature_verify(s.pem.c_str(), s.algorithm, s.digest.bytes, nullptr), "signature"));
}

TEST(ContractSigning, AKeyOfAnotherAlgorithmThanStoredIsAnInternalError) {
  Signed s = make_signed(CONTRACT_KEY_P256);
  vbp_status st = contract_signature_verify(s.pem.c_str(), CONTRACT_KEY_SM2, s.digest.bytes,
                                            base64(s.signature).c_str());
  EXPECT_EQ(st.code, VBP_INTERNAL) << st.message;
  st = contract_signature_verify("not a key", CONTRACT_KEY_P256, s.digest.bytes,
                                 base64(s.signature).c_str());
  EXPECT_EQ(st.code, VBP_INTERNAL) << st.message;
}

// ---------------------------------------------------------------- known answers

/* SHA-256 of "vbp contract-svc known-answer document". */
const unsigned char kKatDigest[32] = {
    0x62, 0xa1, 0x35, 0xd8, 0xc2, 0x5c, 0x22, 0x9a, 0x6c, 0xc4, 0x80, 0x68, 0xde, 0x6b, 0x03, 0x82,
    0x1e, 0x28, 0x2f, 0x0e, 0x64, 0x21, 0x9f, 0x6c, 0x55, 0x9f, 0x91, 0x16, 0xa3, 0xe2, 0x09, 0x7f};

const char kKatEd25519Pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAiMHGbe1+hXlsWYwoJgvDJ1mCO5bk5eEkRQz0kDEfEdo=\n"
    "-----END PUBLIC KEY-----\n";
const char kKatP256Pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfhEr+LbTszRWuOIkc3meiLpT+MxR\n"
    "mJ5t0fplbYeG21zvoGircWo047Hb4QJkPPjQjo+RCsYn4+NOeuWd0ohEfg==\n"
    "-----END PUBLIC KEY-----\n";
/* GM/T 0003.5-2012 Annex A's public key (private key 3945208F...C5B8) on the SM2 curve. */
const char kKatSm2Pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAECfnfMR5UIaFQ3X0WHkvFxnIXn60Y\n"
    "M/wHa7CP81bzUCDM6kkM4md1pS3G6nGMwapgCu0F+/NeCEpmMvYHLamtEw==\n"
    "-----END PUBLIC KEY-----\n";

struct Kat {
  const char *what;
  const char *pem;
  int algorithm;
  const char *signature;
};

const Kat kKats[] = {
    /* node: crypto.sign(null, digest, ed25519Key) */
    {"Ed25519", kKatEd25519Pem, CONTRACT_KEY_ED25519,
     "X7eufrjEqLg3Zxh6lHAYARviFyVDLmMTLH1kY8uGePGlfLVRn5AjEFbs1Nly5ZF9UZ2lkGjCBKGZSrYwvHm4Cw=="},
    /* node: crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, p256Key, digest), raw r||s */
    {"P-256 WebCrypto raw", kKatP256Pem, CONTRACT_KEY_P256,
     "0ybwy1ZplQ9P7yUJqFPZ673ihb2D5/mwdpGXmp54rIUh0ptM+Hq1NLyuk+ux7RXkmKnCxVeNhEobs+/n9bM/Ww=="},
    /* openssl dgst -sha256 -sign p256.pem -binary digest.bin, DER */
    {"P-256 openssl DER", kKatP256Pem, CONTRACT_KEY_P256,
     "MEUCIQCZuJxXJ8BaBtQPxoKFGz9aUZWRf5RL9buTA2j9g11+"
     "RAIgXXZ9DEF3WwHPZ0UnPbmJcd9nx0xMdUsWUKRPB4CgvB"
     "o="},
    /* sm-crypto: sm2.doSignature(digest, priv, {hash: true, der: true}), its default ID
     * "1234567812345678"; openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt
     * distid:1234567812345678 agrees, and fails without the distid */
    {"SM2 sm-crypto DER", kKatSm2Pem, CONTRACT_KEY_SM2,
     "MEUCIH4HD0VRsORka01B95QBuC/"
     "YePz73Mnjv2TkLnnTTSynAiEAzBOpyQJYBg1eFCftXhqssZpuZwZHcJbibQlW0vRm6w"
     "I="},
};

TEST(ContractSigning, KnownAnswerVectorsVerify) {
  for (const Kat &k : kKats) {
    int alg = 0;
    char fp[65];
    ASSERT_TRUE(ok(contract_key_parse(k.pem, &alg, fp))) << k.what;
    EXPECT_EQ(alg, k.algorithm) << k.what;
    EXPECT_TRUE(ok(contract_signature_verify(k.pem, k.algorithm, kKatDigest, k.signature)))
        << k.what;
    std::string unpadded = k.signature;
    while (unpadded.back() == '=') unpadded.pop_back();
    EXPECT_TRUE(ok(contract_signature_verify(k.pem, k.algorithm, kKatDigest, unpadded.c_str())))
        << k.what;
    /* over another digest they do not */
    unsigned char other[32];
    std::memcpy(other, kKatDigest, 32);
    other[0] ^= 1;
    EXPECT_TRUE(
        refused(contract_signature_verify(k.pem, k.algorithm, other, k.signature), "signature"))
        << k.what;
  }
}

TEST(ContractSigning, KnownAnswerP256RawAndDerAreOneEncodingApart) {
  /* the raw vector is a signature of its own; converted to DER it still verifies */
  Bytes raw = from_base64(kKats[1].signature);
  ASSERT_EQ(raw.size(), 64u);
  ECDSA_SIG *sig = ECDSA_SIG_new();
  ASSERT_EQ(ECDSA_SIG_set0(sig, BN_bin2bn(raw.data(), 32, nullptr),
                           BN_bin2bn(raw.data() + 32, 32, nullptr)),
            1);
  unsigned char *der = nullptr;
  int n = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  ASSERT_GT(n, 0);
  Bytes d(der, der + n);
  OPENSSL_free(der);
  EXPECT_TRUE(
      ok(contract_signature_verify(kKatP256Pem, CONTRACT_KEY_P256, kKatDigest, base64(d).c_str())));
}

// ---------------------------------------------------------------- hygiene

TEST(ContractSigning, LeavesTheOpenSslErrorQueueAsItWas) {
  ERR_clear_error();
  Signed s = make_signed(CONTRACT_KEY_P256);
  int alg;
  char fp[65];
  (void)contract_key_parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", &alg,
                           fp);
  (void)contract_key_parse(kKatP256Pem, &alg, fp);
  Bytes bad = s.signature;
  bad[5] ^= 1;
  (void)verify(s, base64(bad));
  (void)verify(s, base64(Bytes(64, 0)));
  (void)verify(s, "AAAA");
  EXPECT_EQ(ERR_peek_error(), 0ul);
  /* and a caller's own errors stay */
  ERR_raise(ERR_LIB_USER, 42);
  (void)verify(s, base64(bad));
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_error()), 42);
  ERR_clear_error();
}

TEST(ContractSigning, VerifiesFromManyThreadsAtOnce) {
  std::vector<Signed> all;
  for (int alg : kAlgorithms) all.push_back(make_signed(alg));
  std::vector<std::thread> threads;
  std::vector<int> failures(8, 0);
  for (int t = 0; t < 8; t++) {
    threads.emplace_back([&all, &failures, t] {
      for (int i = 0; i < 10; i++) {
        for (const Signed &s : all) {
          if (!ok(verify(s, base64(s.signature)))) failures[t]++;
          Bytes bad = s.signature;
          bad[bad.size() - 3] ^= 4;
          if (!refused(verify(s, base64(bad)), "signature")) failures[t]++;
        }
      }
    });
  }
  for (std::thread &t : threads) t.join();
  for (int f : failures) EXPECT_EQ(f, 0);
}

}  // namespace
