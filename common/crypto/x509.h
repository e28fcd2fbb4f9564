/*
 * x509.h: certificates and public keys from untrusted DER with explicit
 * lengths (the parser must consume the input exactly), SPKI fingerprints,
 * the id-kp-cmcRA check and the IDevID subject serialNumber. Only the key
 * types masa signs and verifies with are accepted: P-256, P-384, Ed25519.
 */
#ifndef MASA_X509_H
#define MASA_X509_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"

#define MASA_SHA256_LEN 32
#define MASA_SPKI_MAX 256	/* DER SPKI of the largest supported key (P-384: 120) */

/* DER certificate -> X509 (caller frees). MASA_E_MALFORMED. */
MASA_NODISCARD enum masa_err masa_x509_parse(struct masa_bytes der, X509 **out);
/* DER SubjectPublicKeyInfo -> key (caller frees). MASA_E_MALFORMED, or
 * MASA_E_KEY for a key type masa does not support. */
MASA_NODISCARD enum masa_err masa_pubkey_parse(struct masa_bytes spki, EVP_PKEY **out);
/* 1 if key is P-256, P-384 or Ed25519. */
int masa_pubkey_supported(const EVP_PKEY *key);
/* The DER SPKI of key into out (cap bytes); *len its length. */
MASA_NODISCARD enum masa_err masa_pubkey_spki(const EVP_PKEY *key, uint8_t *out, size_t cap,
    size_t *len);
void masa_sha256(struct masa_bytes in, uint8_t out[MASA_SHA256_LEN]);
/* 1 if cert has extendedKeyUsage id-kp-cmcRA (1.3.6.1.5.5.7.3.28). */
int masa_x509_has_cmc_ra(X509 *cert);
/* The subject serialNumber (2.5.4.5) into out as text; MASA_E_NOT_FOUND
 * if absent or not exactly one, MASA_E_MALFORMED if it does not fit or
 * is not UTF-8 text without NULs. */
MASA_NODISCARD enum masa_err masa_x509_subject_serial(X509 *cert, char *out, size_t cap);

/* A PEM public key (SubjectPublicKeyInfo) or certificate file: the DER
 * SPKI of its key (which must be a supported type) into spki (MASA_SPKI_MAX
 * bytes), and for a certificate its DER into cert (initialised here; empty
 * for a public key file). MASA_E_KEY with a sentence in diag. */
MASA_NODISCARD enum masa_err masa_pem_key_file(const char *path, int want_cert, uint8_t *spki,
    size_t *spki_len, struct masa_buf *cert, struct masa_diag *diag);
/* The same for PEM text in memory (what names it in messages). */
MASA_NODISCARD enum masa_err masa_pem_key_mem(struct masa_bytes pem, const char *what,
    int want_cert, uint8_t *spki, size_t *spki_len, struct masa_buf *cert,
    struct masa_diag *diag);

/* Standard base64 of the subject key identifier of DER certificate der
 * into out (cap bytes). MASA_E_NOT_FOUND if it has none; MASA_E_SIGNATURE
 * if it is not derived from the certificate's key (RFC 5280 method 1 or
 * RFC 7093 methods 1-3): an unverified certificate's SKI could be copied
 * from another registrar's (security review F7). */
MASA_NODISCARD enum masa_err masa_x509_ski_base64(struct masa_bytes der, char *out, size_t cap);

#endif
