/* Signing keys and signatures (API.md "Contracts", "Signing keys"): what key a PEM holds, its
 * fingerprint, and whether a base64 signature over the 32 bytes of a document's SHA-256 is that
 * key's, through OpenSSL 3's EVP interface. Encodings as API.md fixes them: Ed25519 signs the 32
 * bytes as its message; ECDSA P-256 signs them with SHA-256 (hashed once more), its signature DER
 * or raw r||s (64 bytes); SM2 signs them with SM3 and the default ID "1234567812345678".
 * Thread-safe. */
#ifndef CONTRACT_SIGNING_H
#define CONTRACT_SIGNING_H

#include <stddef.h>

#include "common/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CONTRACT_KEY_ED25519 = 1, CONTRACT_KEY_P256 = 2, CONTRACT_KEY_SM2 = 3 };

/* "Ed25519", "ECDSA_P256", "SM2"; "" for anything else. */
const char *contract_key_algorithm_name(int algorithm);

/* The algorithm of a PEM public key ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo) and the
 * hex SHA-256 of its DER SubjectPublicKeyInfo. INVALID_ARGUMENT naming publicKeyPem when the
 * text is no public key, or one of another algorithm or curve (RSA, P-384, ...). */
vbp_status contract_key_parse(const char *pem, int *algorithm, char fingerprint_hex[65]);

/* OK when signature_b64 (standard base64, padding optional) is the key's signature over the 32
 * bytes digest[0..32) as the encodings above say; INVALID_ARGUMENT naming `signature` when it is
 * no base64, or does not verify. pem is a key contract_key_parse accepted. */
vbp_status contract_signature_verify(const char *pem, int algorithm, const unsigned char digest[32],
                                     const char *signature_b64);

#ifdef __cplusplus
}
#endif
#endif
