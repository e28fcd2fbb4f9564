/*
 * registrar.h: from a decoded voucher-request to a verified one, in any
 * format (the codec verifies each signature).
 *
 * The registrar is identified by its public key. Candidate keys come from
 * certificates the RVR's signer sent (COSE x5bag/x5chain), the TLS client certificate (when
 * the connection has one) and the PVR's proximity-registrar-pubk or -cert;
 * the first that verifies the RVR signature is the registrar key. Every
 * other source present must agree with it: the TLS client certificate must
 * carry it, and the certificate set must contain it (that certificate must
 * then have id-kp-cmcRA). The PVR's proximity check is in
 * masa_vreq_verify_pvr. No store access and no policy here.
 */
#ifndef MASA_REGISTRAR_H
#define MASA_REGISTRAR_H

#include <openssl/evp.h>

#include "attr.h"
#include "crypto/x509.h"
#include "crypto/x509chain.h"
#include "format.h"
#include "vreq.h"

struct masa_registrar {
	EVP_PKEY *key;			/* owned; free with masa_registrar_free */
	uint8_t spki[MASA_SPKI_MAX];	/* DER SubjectPublicKeyInfo */
	size_t spki_len;
	uint8_t sha256[MASA_SHA256_LEN];	/* SHA-256 of spki */
	struct masa_bytes cert;		/* its certificate as the RVR sent it, or NULL ptr */
	struct masa_bytes tls_cert;	/* the TLS client certificate, when it carries the
					 * key, or NULL ptr */
	const struct masa_bytes *tls_cas;	/* with tls_cert: the certificates the TLS */
	size_t tls_ncas;			/* client sent after it (candidate CAs) */
};

/* What the TLS client of the connection presented: its certificate (DER,
 * or an empty view) and the certificates it sent after it (its CA chain,
 * DER; ncas at most MASA_TLS_CHAIN_MAX). Views into the request. */
struct masa_tls_client {
	struct masa_bytes cert;
	const struct masa_bytes *cas;
	size_t ncas;
};

/* Finds and checks the registrar key. tls_cert is the DER client
 * certificate of the connection, or an empty view. MASA_E_ALG,
 * MASA_E_SIGNATURE, MASA_E_NO_REGISTRAR_KEY, MASA_E_REGISTRAR_KEYS_DISAGREE,
 * MASA_E_NOT_RA, MASA_E_MALFORMED (a certificate that does not parse). */
MASA_NODISCARD enum masa_err masa_vreq_find_registrar(const struct masa_vreq_raw *v,
    struct masa_bytes tls_cert, struct masa_registrar *out);
void masa_registrar_free(struct masa_registrar *r);
/* masa_vreq_decode of body with codec into v, then masa_vreq_find_registrar into reg
 * with tls's certificate (tls NULL: the connection has none), its CA
 * chain kept in reg for masa_registrar_path: MASA_OK, or the refusal.
 * *decoded and *found are set to v and reg as each step succeeds (NULL
 * before), for auditing a refusal. */
MASA_NODISCARD enum masa_err masa_vreq_accept(const struct masa_codec *codec,
    struct masa_bytes body, const struct masa_tls_client *tls,
    struct masa_vreq_raw *v, struct masa_registrar *reg, const struct masa_vreq_raw **decoded,
    const struct masa_registrar **found);

/* The registrar certificate's path through the certificates the RVR's
 * signer sent and those the TLS client sent after its own (reg->tls_cas),
 * verified at now_ms (x509chain.h), and what a voucher can pin of it. Without a registrar certificate in the RVR, the TLS client
 * certificate carrying its key is checked for validity; without either:
 * no CA, nothing outside its validity. */
struct masa_registrar_path {
	struct masa_x509_chain chain;
	struct masa_bytes ca_lowest, ca_highest;	/* DER in v or the request, or NULL ptr */
	int alg;			/* enum masa_alg of the registrar key (0: other) */
};
MASA_NODISCARD enum masa_err masa_registrar_path(const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, int64_t now_ms, struct masa_registrar_path *out);

/* Verifies the PVR against the device key enrolled for the serial
 * (device_spki, DER) and the registrar: signature (MASA_E_PVR_SIGNATURE or
 * MASA_E_ALG), serial-number equal to the RVR's (MASA_E_SERIAL_MISMATCH),
 * a proximity leaf naming the registrar key (MASA_E_PROXIMITY), and equal
 * nonces (MASA_E_NONCE_MISMATCH). v must have a PVR. */
MASA_NODISCARD enum masa_err masa_vreq_verify_pvr(const struct masa_vreq_raw *v,
    struct masa_bytes device_spki, const struct masa_registrar *reg);

#endif
