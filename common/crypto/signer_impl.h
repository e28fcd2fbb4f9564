/*
 * signer_impl.h: the interface between the generic signer (signer.c) and
 * the places a key can live, for implementations and tests only; users of
 * a signer include signer.h. An implementation fills a struct
 * masa_signer_ops, makes its own state ("impl") and hands both to
 * masa_signer_new, which proves the key and wraps it. Adding one (a
 * PKCS#11 token, a separate key process) is a new file and a row in
 * signer.c's scheme table, not edits across files.
 */
#ifndef MASA_SIGNER_IMPL_H
#define MASA_SIGNER_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/alg.h"
#include "crypto/signer.h"
#include "diag.h"
#include "err.h"

/* What an implementation does; every member is required except pkey.
 * impl is the pointer given to masa_signer_new. */
struct masa_signer_ops {
	/* Signs msg: exactly masa_alg_sig_len(alg) bytes of raw signature
	 * into sig. Called from any thread, concurrently, for as long as the
	 * signer lives: thread-safe, and without a lock per call if it can.
	 * May block. Returns MASA_OK or an error (MASA_E_CRYPTO if nothing
	 * better fits) and leaves its thread's OpenSSL error queue empty. */
	enum masa_err (*sign)(void *impl, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX]);
	/* The DER SubjectPublicKeyInfo of the key into out (cap bytes, at
	 * least MASA_SPKI_MAX), *len its length. Called once, at open. */
	enum masa_err (*public_der)(const void *impl, uint8_t *out, size_t cap, size_t *len);
	/* The key's algorithm. Called once, at open. */
	enum masa_alg (*alg)(const void *impl);
	/* Where the key lives, as masa_signer_where shows it: NUL-terminated
	 * into out (cap bytes; cut if longer), never secret (no PIN). Called
	 * once, at open. */
	void (*describe)(const void *impl, char *out, size_t cap);
	/* Releases impl, wiping key material. Called once. */
	void (*free)(void *impl);
	/* Optional: the key as an EVP_PKEY (a new reference, which the caller
	 * frees), for OpenSSL operations that take a key rather than a
	 * message to sign: CMS SignedData (signer_cms.c). A token's key
	 * reaches here through its provider or engine, so it never leaves
	 * the token. NULL (or no op): the implementation cannot, and
	 * masa_signer_cms_sign fails with MASA_E_KEY. Thread-safe as sign. */
	EVP_PKEY *(*pkey)(void *impl);
	/* Optional: gives back a key that pkey returned, once the operation
	 * with it is over, for an implementation that must know when its key
	 * is no longer in use (a token's module is re-initialised only then).
	 * rc is the operation's result; returns the one to report (a token
	 * says MASA_E_KEY_UNAVAILABLE for a failure). No op: the caller frees
	 * the key and reports rc. */
	enum masa_err (*pkey_put)(void *impl, EVP_PKEY *key, enum masa_err rc);
	/* Optional: 1 if the key can sign now, else 0, for /readyz. A key
	 * that can go away (a token) proves it with a test signature, and
	 * reconnects if it had gone; may block as sign does. No op: always 1
	 * (a file key, once opened). Not counted in the stats. */
	int (*ready)(void *impl);
};

/* Wraps impl: asks ops for the algorithm, the public key and where the
 * key lives, checks the key's type against the algorithm ("<where> is not
 * a key for algorithm <alg>") and runs the self-test, a signature by
 * ops->sign verified with the public key ("<where> failed the signing
 * self-test"); MASA_E_KEY for either, MASA_E_NOMEM. Takes impl in every
 * case: on failure it has been freed through ops->free. ops must outlive
 * the signer (a static table). *out only on success. */
MASA_NODISCARD enum masa_err masa_signer_new(const struct masa_signer_ops *ops, void *impl,
    struct masa_signer **out, struct masa_diag *diag);

/* masa_signer_cms_sign's work with the implementation's key (signer_cms.c;
 * signer.c only, which counts it). */
MASA_NODISCARD enum masa_err masa_signer_cms_with(EVP_PKEY *key, enum masa_alg alg,
    struct masa_bytes content, const char *econtent_oid, const struct masa_bytes *chain,
    size_t nchain, struct masa_buf *out);

/* The opener of "pkcs11:" URIs (signer.c's scheme table): signer_pkcs11.c
 * when built with PKCS#11, else signer_pkcs11_none.c, which refuses with
 * MASA_E_KEY. Same contract as masa_signer_open_opts. */
MASA_NODISCARD enum masa_err masa_signer_pkcs11_open(const char *uri, enum masa_alg alg,
    const struct masa_key_opts *opts, struct masa_signer **out, struct masa_diag *diag);

#endif
