/*
 * signer.h: the voucher-signing key. This is the only module that holds
 * the MASA's private key at run time: it is loaded once at start-up from an
 * owner-only file, checked against its algorithm and with a sign/verify
 * self-test, and wiped on free. Everything else sees only signatures and
 * the public key. (keygen.c creates keys for `masa init` and writes them
 * straight to disk.)
 */
#ifndef MASA_SIGNER_H
#define MASA_SIGNER_H

#include "attr.h"
#include "bytes.h"
#include "crypto/alg.h"
#include "diag.h"
#include "err.h"

struct masa_signer;

/* Loads the PEM private key at key_path for alg. Fails with
 * MASA_E_FILE_PERM (unsafe file), MASA_E_NOT_FOUND, MASA_E_KEY (not a key,
 * wrong type for alg, self-test failed). *out only on success; free with
 * masa_signer_free. */
MASA_NODISCARD enum masa_err masa_signer_load(const char *key_path, enum masa_alg alg,
    struct masa_signer **out, struct masa_diag *diag);
/* The same for a key whose algorithm follows from its type (P-256: es256,
 * P-384: es384, Ed25519: eddsa), e.g. a pledge's or registrar's key in the
 * client. */
MASA_NODISCARD enum masa_err masa_signer_load_any(const char *key_path, struct masa_signer **out,
    struct masa_diag *diag);
void masa_signer_free(struct masa_signer *s);

enum masa_alg masa_signer_alg(const struct masa_signer *s);
/* The public key as PEM SubjectPublicKeyInfo into out (initialised here). */
MASA_NODISCARD enum masa_err masa_signer_public_pem(const struct masa_signer *s,
    struct masa_buf *out);
/* The public key as DER SubjectPublicKeyInfo into out (cap bytes). */
MASA_NODISCARD enum masa_err masa_signer_public_der(const struct masa_signer *s, uint8_t *out,
    size_t cap, size_t *len);
/* Checks that the PEM certificate at cert_path carries our public key and
 * returns it as DER in der_out (initialised here). */
MASA_NODISCARD enum masa_err masa_signer_load_cert(const struct masa_signer *s,
    const char *cert_path, struct masa_buf *der_out, struct masa_diag *diag);
/* Signs msg; *len = masa_alg_sig_len(alg) bytes of raw signature in sig. */
MASA_NODISCARD enum masa_err masa_signer_sign(struct masa_signer *s, struct masa_bytes msg,
    uint8_t sig[MASA_SIG_MAX], size_t *len);

#endif
