/* Signing keys and signatures through OpenSSL 3's EVP interface (signing.h).
 *
 * The encodings, as API.md fixes them, over the 32 bytes of a document's SHA-256:
 *  - Ed25519 (RFC 8032, pure): the 32 bytes are the message (EVP_DigestVerify with no digest).
 *  - ECDSA P-256: the 32 bytes are hashed once more with SHA-256 and signed, which is what
 *    WebCrypto's crypto.subtle.sign({name: "ECDSA", hash: "SHA-256"}, key, digestBytes) and
 *    `openssl dgst -sha256 -sign key.pem digest.bin` both do. WebCrypto gives the signature as raw
 *    r||s (IEEE P1363, 32 + 32 bytes big-endian), openssl as a DER ECDSA-Sig-Value; both are
 *    accepted, the raw form rebuilt as DER (ECDSA_SIG_set0 + i2d_ECDSA_SIG) for OpenSSL.
 *  - SM2 (GB/T 32918.2): SM3 over Z || message, Z from the default distinguishing ID
 *    "1234567812345678" (GM/T 0009), set on the verification's EVP_PKEY_CTX. OpenSSL 3.0 loads a
 *    SubjectPublicKeyInfo of id-ecPublicKey on the SM2 curve as an "SM2" key, whose signature
 *    algorithm is SM2 (not ECDSA); the signature is DER, as OpenSSL and GmSSL write it.
 *
 * Every OpenSSL object is freed on every path, and the errors OpenSSL queues on the way are
 * popped before returning (ERR_set_mark / ERR_pop_to_mark), so a thread's error queue is left as
 * the caller had it. */
#include "contract-svc/signing.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <string.h>

#include "common/hex.h"

#define PEM_FIELD "publicKeyPem"
#define SIGNATURE_FIELD "signature"

/* Longer than any key of the accepted algorithms (an SM2 or P-256 PEM is 178 characters), yet
 * long enough that an RSA key is read and refused as RSA rather than as too long. */
#define PEM_MAX 4096
/* The longest signature is a DER ECDSA or SM2 one: 72 bytes, 96 base64 characters. */
#define SIGNATURE_B64_MAX 256
#define SIGNATURE_MAX (SIGNATURE_B64_MAX / 4 * 3)

static const char SM2_DEFAULT_ID[] = "1234567812345678";

const char *contract_key_algorithm_name(int algorithm) {
  switch (algorithm) {
    case CONTRACT_KEY_ED25519:
      return "Ed25519";
    case CONTRACT_KEY_P256:
      return "ECDSA_P256";
    case CONTRACT_KEY_SM2:
      return "SM2";
    default:
      return "";
  }
}

static int only_space(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strchr(" \t\r\n", s[i])) return 0;
  return 1;
}

/* ---------------------------------------------------------------- keys */

/* The algorithm of a parsed key, or 0 with *why saying what it is instead. */
static int key_algorithm(EVP_PKEY *pkey, const char **why, char *curve, size_t curve_size) {
  curve[0] = '\0';
  if (EVP_PKEY_is_a(pkey, "ED25519")) return CONTRACT_KEY_ED25519;
  if (!EVP_PKEY_is_a(pkey, "EC") && !EVP_PKEY_is_a(pkey, "SM2")) {
    *why = "type";
    return 0;
  }
  size_t len = 0;
  if (!EVP_PKEY_get_group_name(pkey, curve, curve_size, &len)) {
    curve[0] = '\0';
    *why = "curve";
    return 0;
  }
  /* A SubjectPublicKeyInfo names its curve (RFC 5480); explicit parameters are refused even when
   * they are P-256's or SM2's own, so one key has one DER and so one fingerprint. */
  char encoding[32] = "";
  if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_ENCODING, encoding, sizeof encoding,
                                      NULL) ||
      strcmp(encoding, OSSL_PKEY_EC_ENCODING_GROUP) != 0) {
    *why = "explicit";
    return 0;
  }
  int nid = OBJ_txt2nid(curve);
  if (nid == NID_X9_62_prime256v1 && EVP_PKEY_is_a(pkey, "EC")) return CONTRACT_KEY_P256;
  /* OpenSSL 3.0 decodes a key on the SM2 curve as an "SM2" key, whose signatures are SM2's.
   * One that came as a plain "EC" key would verify as ECDSA over SM3 instead, so it is refused
   * (as a curve this OpenSSL does not give SM2) rather than verified wrongly. */
  if (nid == NID_sm2 && EVP_PKEY_is_a(pkey, "SM2")) return CONTRACT_KEY_SM2;
  *why = "curve";
  return 0;
}

/* Parses pem into *out (the caller frees it) and its algorithm and fingerprint; on a refusal
 * *out is NULL and the status names publicKeyPem. */
static vbp_status load_key(const char *pem, EVP_PKEY **out, int *algorithm,
                           char fingerprint_hex[65]) {
  *out = NULL;
  size_t pem_len = pem ? strnlen(pem, PEM_MAX + 1) : 0;
  if (pem_len > PEM_MAX)
    return vbp_invalid(PEM_FIELD, "is longer than %d characters, longer than any accepted key",
                       PEM_MAX);
  if (only_space(pem, pem_len)) return vbp_invalid(PEM_FIELD, "is empty");
  if (strstr(pem, "PRIVATE KEY-----"))
    return vbp_invalid(PEM_FIELD,
                       "holds a private key: register only the public key "
                       "(-----BEGIN PUBLIC KEY-----), and keep the private key secret");
  const char *start = pem + strspn(pem, " \t\r\n");
  if (strncmp(start, "-----BEGIN ", 11) != 0)
    return vbp_invalid(PEM_FIELD,
                       "is not a PEM public key: it must start with -----BEGIN PUBLIC KEY-----");

  vbp_status st = vbp_status_ok();
  BIO *bio = BIO_new_mem_buf(start, (int)(pem_len - (size_t)(start - pem)));
  char *name = NULL, *header = NULL;
  unsigned char *der = NULL, *again = NULL;
  long der_len = 0;
  EVP_PKEY *pkey = NULL;
  if (bio == NULL) {
    st = vbp_status_make(VBP_INTERNAL, "out of memory reading a public key");
    goto done;
  }
  if (!PEM_read_bio(bio, &name, &header, &der, &der_len)) {
    st = vbp_invalid(PEM_FIELD,
                     "is not a PEM public key: no complete -----BEGIN/-----END block of base64");
    goto done;
  }
  if (strcmp(name, PEM_STRING_PUBLIC) != 0) {
    st = vbp_invalid(PEM_FIELD, "is a PEM \"%.40s\", not a \"PUBLIC KEY\" (SubjectPublicKeyInfo)",
                     name);
    goto done;
  }
  if (header[0] != '\0') {
    st = vbp_invalid(PEM_FIELD, "has PEM headers; a public key has none");
    goto done;
  }
  char rest[64];
  int n;
  while ((n = BIO_read(bio, rest, sizeof rest)) > 0) {
    if (!only_space(rest, (size_t)n)) {
      st = vbp_invalid(PEM_FIELD, "has text after -----END PUBLIC KEY-----: give one key alone");
      goto done;
    }
  }
  const unsigned char *p = der;
  pkey = d2i_PUBKEY(NULL, &p, der_len);
  if (pkey == NULL || p != der + der_len) {
    st = vbp_invalid(PEM_FIELD,
                     "holds no public key OpenSSL can read (not a SubjectPublicKeyInfo, an unknown "
                     "algorithm, or a point off its curve)");
    goto done;
  }

  const char *why = "";
  char curve[64];
  int alg = key_algorithm(pkey, &why, curve, sizeof curve);
  if (alg == 0) {
    if (strcmp(why, "explicit") == 0)
      st = vbp_invalid(PEM_FIELD,
                       "gives its curve's parameters explicitly; an accepted key names its curve "
                       "(P-256 or SM2)");
    else if (strcmp(why, "curve") == 0)
      st = vbp_invalid(PEM_FIELD,
                       "is an EC key on curve %.32s; accepted are Ed25519, ECDSA P-256 and SM2",
                       curve[0] ? curve : "(unnamed)");
    else
      st = vbp_invalid(
          PEM_FIELD, "is a key of algorithm %.32s; accepted are Ed25519, ECDSA P-256 and SM2",
          EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey) : "(unknown algorithm)");
    goto done;
  }
  EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
  int valid = check != NULL && EVP_PKEY_public_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!valid) {
    st = vbp_invalid(PEM_FIELD, "is not a valid public key of its algorithm");
    goto done;
  }

  /* The fingerprint is of the DER OpenSSL writes back (i2d_PUBKEY); that it is the DER given
   * makes it what a client computes over the PEM's own bytes, and keeps BER out. */
  int again_len = i2d_PUBKEY(pkey, &again);
  if (again_len <= 0) {
    st = vbp_status_make(VBP_INTERNAL, "cannot encode a public key");
    goto done;
  }
  if ((long)again_len != der_len || memcmp(again, der, (size_t)again_len) != 0) {
    /* BER, or an SM2 key under the algorithm OID of SM2 itself (1.2.156.10197.1.301) rather than
     * id-ecPublicKey, which OpenSSL reads but writes back as id-ecPublicKey. */
    if (alg == CONTRACT_KEY_SM2)
      st = vbp_invalid(PEM_FIELD,
                       "is not the DER of an SM2 SubjectPublicKeyInfo: its algorithm must be "
                       "id-ecPublicKey with the SM2 curve");
    else
      st = vbp_invalid(PEM_FIELD, "is not DER: its SubjectPublicKeyInfo is encoded otherwise");
    goto done;
  }
  unsigned char md[32];
  unsigned int md_len = 0;
  if (!EVP_Digest(again, (size_t)again_len, md, &md_len, EVP_sha256(), NULL) || md_len != 32) {
    st = vbp_status_make(VBP_INTERNAL, "SHA-256 failed");
    goto done;
  }
  vbp_hex_encode(md, sizeof md, fingerprint_hex);
  *algorithm = alg;
  *out = pkey;
  pkey = NULL;

done:
  EVP_PKEY_free(pkey);
  OPENSSL_free(again);
  OPENSSL_free(name);
  OPENSSL_free(header);
  OPENSSL_free(der);
  BIO_free(bio);
  return st;
}

vbp_status contract_key_parse(const char *pem, int *algorithm, char fingerprint_hex[65]) {
  ERR_set_mark();
  EVP_PKEY *pkey = NULL;
  int alg = 0;
  char fp[65];
  vbp_status st = load_key(pem, &pkey, &alg, fp);
  if (vbp_ok(&st)) {
    *algorithm = alg;
    memcpy(fingerprint_hex, fp, sizeof fp);
  }
  EVP_PKEY_free(pkey);
  ERR_pop_to_mark();
  return st;
}

/* ---------------------------------------------------------------- base64 */

static int b64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Strict standard base64 (RFC 4648 section 4): the alphabet A-Z a-z 0-9 + /, no whitespace, the
 * '=' padding either complete or absent, and the unused bits of the last character zero, so a
 * byte string is spelled only with or without its padding. out has room for SIGNATURE_MAX
 * bytes. */
static vbp_status b64_decode(const char *in, unsigned char *out, size_t *out_len) {
  size_t n = in ? strnlen(in, SIGNATURE_B64_MAX + 1) : 0;
  if (n == 0) return vbp_invalid(SIGNATURE_FIELD, "is empty");
  if (n > SIGNATURE_B64_MAX)
    return vbp_invalid(SIGNATURE_FIELD,
                       "is longer than %d characters, longer than any accepted signature",
                       SIGNATURE_B64_MAX);
  size_t pad = 0;
  while (pad < 2 && pad < n && in[n - 1 - pad] == '=') pad++;
  size_t m = n - pad; /* the data characters */
  for (size_t i = 0; i < m; i++) {
    if (b64_value(in[i]) < 0)
      return vbp_invalid(SIGNATURE_FIELD,
                         "is not base64: character %zu is not of the standard alphabet "
                         "(A-Z a-z 0-9 + /, '=' padding at the end)",
                         i + 1);
  }
  if (m % 4 == 1 || (pad > 0 && (m + pad) % 4 != 0))
    return vbp_invalid(SIGNATURE_FIELD, "is not base64: its length is not that of whole bytes");
  size_t len = 0;
  unsigned acc = 0;
  int bits = 0;
  for (size_t i = 0; i < m; i++) {
    acc = (acc << 6) | (unsigned)b64_value(in[i]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[len++] = (unsigned char)(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0)
    return vbp_invalid(SIGNATURE_FIELD, "is not base64: the last character has bits past the end");
  *out_len = len;
  return vbp_status_ok();
}

/* ---------------------------------------------------------------- verification */

/* 1 when sig verifies over msg with pkey and md (NULL for Ed25519), 0 when not, -1 when OpenSSL
 * failed otherwise. id, when not NULL, is SM2's distinguishing ID. */
static int digest_verify(EVP_PKEY *pkey, const EVP_MD *md, const char *id, const unsigned char *sig,
                         size_t sig_len, const unsigned char *msg, size_t msg_len) {
  int result = -1;
  EVP_MD_CTX *mctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  if (mctx == NULL) goto done;
  if (id != NULL) {
    /* EVP_PKEY-SM2(7): the ID goes on a EVP_PKEY_CTX given to the EVP_MD_CTX before the init,
     * which then uses it (and does not free it: EVP_MD_CTX_set_pkey_ctx keeps it ours). */
    pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (pctx == NULL || EVP_PKEY_CTX_set1_id(pctx, id, strlen(id)) <= 0) goto done;
    EVP_MD_CTX_set_pkey_ctx(mctx, pctx);
  }
  if (EVP_DigestVerifyInit(mctx, NULL, md, NULL, pkey) != 1) goto done;
  int r = EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len);
  result = r == 1 ? 1 : 0;
done:
  EVP_MD_CTX_free(mctx);
  EVP_PKEY_CTX_free(pctx);
  return result;
}

/* The DER ECDSA-Sig-Value of a raw r||s of 2 * 32 bytes; NULL when out of memory. The caller
 * OPENSSL_free()s it. */
static unsigned char *raw_to_der(const unsigned char *raw, int *der_len) {
  unsigned char *der = NULL;
  ECDSA_SIG *sig = ECDSA_SIG_new();
  BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
  if (sig == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(sig, r, s)) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return NULL;
  }
  /* r and s are sig's now. */
  *der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (*der_len <= 0) {
    OPENSSL_free(der);
    return NULL;
  }
  return der;
}

/* Whether 64 bytes begin as a DER SEQUENCE of 62 bytes would; a raw r||s does so only when r
 * happens to begin with those two bytes (1 in 65536), so it tells the two apart for the hint. */
static bool der_header_of_64(const unsigned char *sig) { return sig[0] == 0x30 && sig[1] == 62; }

/* 1 when sig is a P-256 signature over SHA-256(digest), in DER or raw r||s. */
static int verify_p256(EVP_PKEY *pkey, const unsigned char digest[32], const unsigned char *sig,
                       size_t sig_len) {
  int r = 0;
  if (sig_len == 64) {
    int der_len = 0;
    unsigned char *der = raw_to_der(sig, &der_len);
    if (der == NULL) return -1;
    r = digest_verify(pkey, EVP_sha256(), NULL, der, (size_t)der_len, digest, 32);
    OPENSSL_free(der);
    if (r != 0) return r;
    /* A DER signature can be 64 bytes too (r and s of 29 bytes): try it as DER as well. */
    if (sig[0] != 0x30) return 0;
  }
  /* OpenSSL's ECDSA verification takes DER only, refusing BER and trailing bytes. */
  return digest_verify(pkey, EVP_sha256(), NULL, sig, sig_len, digest, 32);
}

vbp_status contract_signature_verify(const char *pem, int algorithm, const unsigned char digest[32],
                                     const char *signature_b64) {
  unsigned char sig[SIGNATURE_MAX];
  size_t sig_len = 0;
  VBP_CHECK(b64_decode(signature_b64, sig, &sig_len));

  ERR_set_mark();
  EVP_PKEY *pkey = NULL;
  int key_alg = 0;
  char fp[65];
  vbp_status st = load_key(pem, &pkey, &key_alg, fp);
  if (!vbp_ok(&st)) {
    st = vbp_status_make(VBP_INTERNAL, "the signing key does not parse: %s", st.message);
    goto done;
  }
  if (key_alg != algorithm) {
    st = vbp_status_make(VBP_INTERNAL, "the signing key is %s, not the %s it is stored as",
                         contract_key_algorithm_name(key_alg),
                         contract_key_algorithm_name(algorithm));
    goto done;
  }

  int r = -1;
  switch (algorithm) {
    case CONTRACT_KEY_ED25519:
      if (sig_len != 64) {
        st = vbp_invalid(SIGNATURE_FIELD, "is %zu bytes; an Ed25519 signature is 64", sig_len);
        goto done;
      }
      r = digest_verify(pkey, NULL, NULL, sig, sig_len, digest, 32);
      break;
    case CONTRACT_KEY_P256:
      r = verify_p256(pkey, digest, sig, sig_len);
      break;
    case CONTRACT_KEY_SM2:
      r = digest_verify(pkey, EVP_sm3(), SM2_DEFAULT_ID, sig, sig_len, digest, 32);
      break;
  }
  if (r < 0)
    st = vbp_status_make(VBP_INTERNAL, "OpenSSL failed verifying a %s signature",
                         contract_key_algorithm_name(algorithm));
  else if (r == 0)
    st = vbp_invalid(SIGNATURE_FIELD, "does not verify with the %s key of fingerprint %s%s",
                     contract_key_algorithm_name(algorithm), fp,
                     algorithm == CONTRACT_KEY_SM2 && sig_len == 64 && !der_header_of_64(sig)
                         ? " (an SM2 signature is DER, not raw r||s)"
                         : "");

done:
  EVP_PKEY_free(pkey);
  ERR_pop_to_mark();
  return st;
}
