/*
 * signer.h: the voucher-signing key. This is the only module that holds
 * the MASA's private key at run time. Everything else sees only
 * signatures, the public key, the algorithm and the certificate chain.
 * (keygen.c creates keys for `masa init` and writes them straight to disk.)
 *
 * DESIGN NOTES
 *
 * (1) A signer is generic: struct masa_signer dispatches to an
 *     implementation through struct masa_signer_ops (signer_impl.h), curl
 *     vtls style. Two implementations: a PEM file (signer_file.c) and a
 *     key on a PKCS#11 token (signer_pkcs11.c, through libp11's OpenSSL
 *     engine; a build with -DMASA_PKCS11=OFF links signer_pkcs11_none.c,
 *     which refuses).
 *
 * (2) A key is named by a key reference: a "pkcs11:" URI (RFC 7512; the
 *     scheme in any case), or else a file path. masa_signer_open picks the
 *     implementation. A relative file whose name starts with "pkcs11:" must
 *     be written "./pkcs11:...".
 *
 * (3) Every signer is proved at open, whatever implementation: its public
 *     key must be of the type and curve of its algorithm, and a signature
 *     of a fixed message must verify with that public key. A signer that
 *     fails either is never returned.
 *
 * (4) Once opened, a signer is immutable except for its counters and its
 *     certificate chain: masa_signer_sign and every accessor may be called
 *     from any number of threads at once. masa_signer_load_cert and
 *     masa_signer_free must not overlap any other call on the same signer
 *     (start-up and shut-down only).
 *
 * (5) masa_signer_sign is the hot path (thousands a second). It takes no
 *     lock of its own: the generic layer adds one indirect call and one or
 *     two relaxed atomic adds; the file implementation signs with a shared
 *     EVP_PKEY, which OpenSSL allows concurrently. An implementation may
 *     block (a token takes milliseconds), so a caller that must not block
 *     signs off its event loop. The token implementation holds a read lock
 *     per signature (a CMS one included), so that its module can be
 *     re-initialised safely after its token went away (at most once a
 *     second, by a signature or masa_signer_ready, which may block as
 *     signing does).
 */
#ifndef MASA_SIGNER_H
#define MASA_SIGNER_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/alg.h"
#include "diag.h"
#include "err.h"

struct masa_signer;

/* The most certificates masa_signer_load_cert keeps (end-entity first). */
#define MASA_SIGNER_CHAIN_MAX 8
/* The longest masa_signer_where text, NUL included (longer is cut). */
#define MASA_SIGNER_WHERE_MAX 1024

/* 1 if ref is a key reference in URI form ("pkcs11:..."), 0 if it is a
 * file path. The one place that tells the two apart (config.c keeps a URI
 * verbatim and joins a path to the configuration's directory). */
int masa_signer_ref_is_uri(const char *ref);

/* Opens the key that ref names (see note 2) for alg and proves it (note
 * 3). A file fails as masa_signer_load says. A "pkcs11:" URI fails with
 * MASA_E_KEY in this build ("PKCS#11 keys (pkcs11: URIs) are not supported
 * by this build"). *out only on success; free with masa_signer_free. */
MASA_NODISCARD enum masa_err masa_signer_open(const char *ref, enum masa_alg alg,
    struct masa_signer **out, struct masa_diag *diag);
/* What opening a token's key needs besides its URI (config.h:
 * signing.pkcs11_module, signing.pin_file); a file key needs neither. */
struct masa_key_opts {
	const char *pkcs11_module;	/* the PKCS#11 module library; NULL: none */
	const char *pin_file;		/* the PIN when the URI has no pin-source=; NULL: none */
};

/* masa_signer_open with opts (NULL: none) for a "pkcs11:" URI, opened
 * through libp11's engine when the build has PKCS#11 (MASA_E_KEY with one
 * sentence otherwise, or when the module, the key or the PIN fails). */
MASA_NODISCARD enum masa_err masa_signer_open_opts(const char *ref, enum masa_alg alg,
    const struct masa_key_opts *opts, struct masa_signer **out, struct masa_diag *diag);
/* Opens the PEM private key file at key_path for alg (a path, never a
 * URI). Fails with MASA_E_FILE_PERM (unsafe file: symlink, other owner,
 * group or world bits), MASA_E_NOT_FOUND, MASA_E_KEY (not a key, wrong
 * type for alg, self-test failed). *out only on success. */
MASA_NODISCARD enum masa_err masa_signer_load(const char *key_path, enum masa_alg alg,
    struct masa_signer **out, struct masa_diag *diag);
/* The same for a key whose algorithm follows from its type (P-256: es256,
 * P-384: es384, Ed25519: eddsa), e.g. a pledge's or registrar's key in the
 * client. */
MASA_NODISCARD enum masa_err masa_signer_load_any(const char *key_path, struct masa_signer **out,
    struct masa_diag *diag);
/* Releases s and its implementation (which wipes the key); NULL is fine. */
void masa_signer_free(struct masa_signer *s);

/* Signs msg; *len = masa_alg_sig_len(alg) bytes of raw signature (ECDSA
 * r||s, or Ed25519) in sig. Any thread, concurrently (note 4). Each call
 * counts in masa_signer_stats. MASA_E_CRYPTO (or the implementation's
 * code) on failure, *len then untouched. */
MASA_NODISCARD enum masa_err masa_signer_sign(struct masa_signer *s, struct masa_bytes msg,
    uint8_t sig[MASA_SIG_MAX], size_t *len);

/* Signs content as CMS SignedData (RFC 5652, DER, content attached) with
 * eContentType econtent_oid (dotted text), one SignerInfo identified by
 * chain[0] (the DER certificate of s's key) with signed attributes and
 * SHA-256 (ES256), SHA-384 (ES384) or SHA-512 (EdDSA, RFC 8419), and every
 * certificate of chain in `certificates`; with nchain 0, the SignerInfo
 * names the key by subjectKeyIdentifier and no certificate is sent (a
 * pledge with only its key, masa client). Appends the DER
 * to out. OpenSSL's CMS API with the implementation's key (signer_impl.h
 * ops->pkey): MASA_E_KEY for an implementation without one,
 * MASA_E_KEY_UNAVAILABLE when its key cannot be used now (a token that
 * went away), MASA_E_CRYPTO otherwise. Counts as one signature. Any
 * thread, as masa_signer_sign. */
MASA_NODISCARD enum masa_err masa_signer_cms_sign(struct masa_signer *s, struct masa_bytes content,
    const char *econtent_oid, const struct masa_bytes *chain, size_t nchain, struct masa_buf *out);

enum masa_alg masa_signer_alg(const struct masa_signer *s);
/* The public key as DER SubjectPublicKeyInfo into out (cap bytes;
 * MASA_SPKI_MAX is enough), *len its length. MASA_E_CRYPTO if cap is too
 * small. */
MASA_NODISCARD enum masa_err masa_signer_public_der(const struct masa_signer *s, uint8_t *out,
    size_t cap, size_t *len);
/* The public key as PEM SubjectPublicKeyInfo into out (initialised here). */
MASA_NODISCARD enum masa_err masa_signer_public_pem(const struct masa_signer *s,
    struct masa_buf *out);
/* Where the key lives, for operators (`masa check`, messages): a file's
 * path; a token URI without its PIN. Never secret. Lives as long as s. */
const char *masa_signer_where(const struct masa_signer *s);

/* Reads the PEM file cert_path: one to MASA_SIGNER_CHAIN_MAX certificates,
 * in order, the first of which must carry s's public key (the others are
 * kept as they are: their order is not checked). On success s keeps them
 * all (replacing a previous chain; see masa_signer_chain) and der_out
 * (initialised here) gets the DER of the first. MASA_E_NOT_FOUND, or
 * MASA_E_KEY for a file without a certificate, a first certificate of
 * another key ("... does not certify the voucher-signing key"), a later
 * PEM certificate that does not parse, or too many. Start-up only. */
MASA_NODISCARD enum masa_err masa_signer_load_cert(struct masa_signer *s, const char *cert_path,
    struct masa_buf *der_out, struct masa_diag *diag);
/* The chain of the last successful masa_signer_load_cert: *n views of DER
 * certificates, the key's own first (*n = 0 before any). The views live
 * until the next masa_signer_load_cert or masa_signer_free. */
const struct masa_bytes *masa_signer_chain(const struct masa_signer *s, size_t *n);

/* The chain of masa_signer_chain as PEM certificates, back to back, into
 * out (initialised here; empty without a chain). */
MASA_NODISCARD enum masa_err masa_signer_chain_pem(const struct masa_signer *s,
    struct masa_buf *out);

/* 1 if s can sign now (signer_impl.h: ops->ready; a token's key signs a
 * test message on the token and verifies it, reconnecting if the token had
 * gone away, so it may block as masa_signer_sign does), else 0. */
int masa_signer_ready(struct masa_signer *s);

/* What a signer has done since it was opened. The self-test at open is not
 * counted: a new signer reads 0 and 0. */
struct masa_signer_stats {
	uint64_t signatures;	/* calls of masa_signer_sign, failed ones included */
	uint64_t failures;	/* those of them that failed */
};

/* s's counters (relaxed loads: each exact, not all of one instant); all 0
 * for a NULL s (no key loaded). */
void masa_signer_stats(const struct masa_signer *s, struct masa_signer_stats *out);

#endif
