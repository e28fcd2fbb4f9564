/* registrar.c: see registrar.h. */
#include "registrar.h"

#include <string.h>

#include "crypto/alg.h"
#include "crypto/certcache.h"
#include "crypto/spki.h"
#include "format.h"
#include "masa_limits.h"

#define MAX_CANDIDATES (MASA_VREQ_CERTS_MAX + 3)

/* A candidate registrar key and where it came from. */
struct candidate {
	EVP_PKEY *key;
	struct masa_bytes cert;	/* set when it came from the RVR certificate set */
	uint8_t spki[MASA_SPKI_MAX];	/* its canonical SPKI, when spki_len > 0 */
	size_t spki_len;
	int cmc_ra;		/* a certificate's extendedKeyUsage has id-kp-cmcRA */
};

static int
bytes_eq(struct masa_bytes a, const uint8_t *b, size_t blen)
{
	return a.len == blen && memcmp(a.ptr, b, blen) == 0;
}

/* Adds the key of DER certificate der (from the RVR set when in_bag). */
static enum masa_err
add_cert(struct candidate *c, size_t *n, struct masa_bytes der, int in_bag)
{
	struct masa_cert_facts f;
	enum masa_err rc = masa_cert_facts_get(der, &f);

	if (rc != MASA_OK)
		return rc;
	c[*n].key = f.key;
	c[*n].cert = in_bag ? der : (struct masa_bytes){ NULL, 0 };
	memcpy(c[*n].spki, f.spki, f.spki_len);
	c[*n].spki_len = f.spki_len;
	c[*n].cmc_ra = f.cmc_ra;
	(*n)++;
	return MASA_OK;
}

/* 1 if spki is, byte for byte, the canonical SPKI of a candidate already
 * there (a PVR's proximity key is usually the registrar's certificate key:
 * no need to decode it again). */
static int
known_spki(const struct candidate *c, size_t n, struct masa_bytes spki)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].spki_len > 0 && bytes_eq(spki, c[i].spki, c[i].spki_len))
			return 1;
	return 0;
}

/* 1 if a and b are the same public key. */
static int
same_key(EVP_PKEY *a, EVP_PKEY *b)
{
	return EVP_PKEY_eq(a, b) == 1;
}

enum masa_err
masa_vreq_find_registrar(const struct masa_vreq_raw *v, struct masa_bytes tls_cert,
    struct masa_registrar *out)
{
	struct candidate c[MAX_CANDIDATES];
	struct masa_registrar r;
	EVP_PKEY *tls_key = NULL, *found = NULL;
	struct masa_bytes found_cert = { NULL, 0 };
	int found_ra = 0;
	enum masa_err rc = MASA_OK, vrc;
	size_t n = 0, i, k, fi = 0, typed = 0, tls_index = MAX_CANDIDATES;
	int in_bag = 0;

	memset(c, 0, sizeof c);
	/* The algorithm is the message's, whatever the key: settle it first. */
	if (!v->rvr.alg_ok)
		return MASA_E_ALG;
	for (i = 0; i < v->rvr.ncerts && rc == MASA_OK; i++)
		rc = add_cert(c, &n, v->rvr.certs[i], 1);
	if (rc == MASA_OK && tls_cert.len > 0) {
		tls_index = n;
		rc = add_cert(c, &n, tls_cert, 0);
	}
	if (rc == MASA_OK && v->has_pvr && v->p.prox_pubk.ptr != NULL &&
	    !known_spki(c, n, v->p.prox_pubk)) {
		rc = masa_pubkey_parse(v->p.prox_pubk, &c[n].key);
		if (rc == MASA_OK)
			n++;
		else
			rc = MASA_E_PVR_MALFORMED;
	}
	if (rc == MASA_OK && v->has_pvr && v->p.prox_cert.ptr != NULL) {
		rc = add_cert(c, &n, v->p.prox_cert, 0);
		if (rc != MASA_OK)
			rc = MASA_E_PVR_MALFORMED;
	}
	if (rc != MASA_OK)
		goto done;

	/* The keys named outside the certificate set first (the TLS client
	 * certificate, the PVR's proximity key): as a rule they are the
	 * registrar's own. At most MASA_REGISTRAR_TRIES keys of the message's
	 * algorithm are tried, so a request full of keys that do not verify
	 * costs a few verifications, not one per key (review F9). */
	for (k = 0; k < n && found == NULL && typed < MASA_REGISTRAR_TRIES; k++) {
		i = (k + v->rvr.ncerts) % n;
		/* MASA_E_ALG: not a key of the message's algorithm. */
		vrc = v->codec->verify(v, 0, c[i].key);
		if (vrc == MASA_E_ALG)
			continue;
		typed++;
		if (vrc == MASA_OK) {
			found = c[i].key;
			fi = i;
		}
	}
	if (found == NULL) {
		/* No key at all; keys, but none of the message's algorithm; or
		 * keys of that algorithm that do not verify. */
		rc = n == 0 ? MASA_E_NO_REGISTRAR_KEY : typed == 0 ? MASA_E_ALG : MASA_E_SIGNATURE;
		goto done;
	}
	if (tls_index < n)
		tls_key = c[tls_index].key;
	if (tls_key != NULL && !same_key(tls_key, found)) {
		rc = MASA_E_REGISTRAR_KEYS_DISAGREE;
		goto done;
	}
	for (i = 0; i < n; i++) {
		if (c[i].cert.ptr != NULL && same_key(c[i].key, found)) {
			in_bag = 1;
			found_cert = c[i].cert;
			found_ra = c[i].cmc_ra;
			break;
		}
	}
	if (v->rvr.ncerts > 0 && !in_bag) {
		rc = MASA_E_REGISTRAR_KEYS_DISAGREE;
		goto done;
	}
	if (in_bag && !found_ra) {	/* the certificate in the set must be an RA's */
		rc = MASA_E_NOT_RA;
		goto done;
	}
	memset(&r, 0, sizeof r);
	if (c[fi].spki_len > 0) {
		memcpy(r.spki, c[fi].spki, c[fi].spki_len);
		r.spki_len = c[fi].spki_len;
	} else {
		rc = masa_pubkey_spki(found, r.spki, sizeof r.spki, &r.spki_len);
		if (rc != MASA_OK)
			goto done;
	}
	masa_sha256((struct masa_bytes){ r.spki, r.spki_len }, r.sha256);
	r.cert = found_cert;
	if (tls_key != NULL)	/* it carries the key (checked above) */
		r.tls_cert = tls_cert;
	EVP_PKEY_up_ref(found);
	r.key = found;
	*out = r;	/* only on success */
done:
	for (i = 0; i < n; i++)
		EVP_PKEY_free(c[i].key);
	return rc;
}

void
masa_registrar_free(struct masa_registrar *r)
{
	if (r != NULL) {
		EVP_PKEY_free(r->key);
		r->key = NULL;
	}
}

_Static_assert(MASA_VREQ_CERTS_MAX + MASA_TLS_CHAIN_MAX <= 2 * MASA_X509_CHAIN_MAX,
    "masa_x509_chain_up takes every certificate of an RVR and a TLS chain");

enum masa_err
masa_registrar_path(const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    int64_t now_ms, struct masa_registrar_path *out)
{
	struct masa_bytes set[MASA_VREQ_CERTS_MAX + MASA_TLS_CHAIN_MAX];
	struct masa_registrar_path p;
	enum masa_err rc = MASA_OK;
	size_t n = 0, i;
	int a;

	memset(&p, 0, sizeof p);
	for (a = MASA_ALG_ES256; a <= MASA_ALG_EDDSA && p.alg == 0; a++)
		if (masa_alg_key_matches((enum masa_alg)a, reg->key))
			p.alg = a;
	/* The RVR's certificates first, then the TLS client's CA chain. */
	for (i = 0; i < v->rvr.ncerts && n < MASA_VREQ_CERTS_MAX; i++)
		set[n++] = v->rvr.certs[i];
	for (i = 0; reg->tls_cert.ptr != NULL && i < reg->tls_ncas && i < MASA_TLS_CHAIN_MAX; i++)
		set[n++] = reg->tls_cas[i];
	if (reg->cert.ptr != NULL || reg->tls_cert.ptr != NULL)
		rc = masa_x509_chain_up(reg->cert.ptr != NULL ? reg->cert : reg->tls_cert,
		    set, n, now_ms / 1000, &p.chain);
	if (rc != MASA_OK)
		return rc;
	if (p.chain.n > 0) {
		p.ca_lowest = set[p.chain.idx[0]];
		p.ca_highest = set[p.chain.idx[p.chain.n - 1]];
	}
	*out = p;
	return MASA_OK;
}

/* The PVR's proximity leaf must name the registrar key: checked in the
 * order pubk-sha256, pubk, cert (8366bis). */
static enum masa_err
check_proximity(const struct masa_vreq_leaves *p, const struct masa_registrar *reg)
{
	struct masa_cert_facts f;
	int ok;

	if (p->prox_sha256.ptr != NULL)
		return bytes_eq(p->prox_sha256, reg->sha256, sizeof reg->sha256) ?
		    MASA_OK : MASA_E_PROXIMITY;
	if (p->prox_pubk.ptr != NULL)
		return bytes_eq(p->prox_pubk, reg->spki, reg->spki_len) ?
		    MASA_OK : MASA_E_PROXIMITY;
	if (p->prox_cert.ptr == NULL)
		return MASA_E_PROXIMITY;
	/* Parsed already as a candidate key (masa_vreq_find_registrar). */
	if (masa_cert_facts_get(p->prox_cert, &f) != MASA_OK)
		return MASA_E_PVR_MALFORMED;
	ok = same_key(f.key, reg->key);
	EVP_PKEY_free(f.key);
	return ok ? MASA_OK : MASA_E_PROXIMITY;
}

enum masa_err
masa_vreq_verify_pvr(const struct masa_vreq_raw *v, struct masa_bytes device_spki,
    const struct masa_registrar *reg)
{
	EVP_PKEY *dev = NULL, *owned = NULL;
	enum masa_err rc;

	if (!v->has_pvr)
		return MASA_E_PVR_MISSING;
	/* A new key on every request: an EC key is set into this thread's
	 * reusable key object rather than built. */
	dev = masa_spki_key_borrow(device_spki.ptr, device_spki.len);
	if (dev == NULL) {
		if (masa_pubkey_parse(device_spki, &owned) != MASA_OK)
			return MASA_E_INTERNAL;	/* enrollment stored a key we cannot read */
		dev = owned;
	}
	rc = v->codec->verify(v, 1, dev);
	EVP_PKEY_free(owned);
	if (rc == MASA_E_SIGNATURE)
		return MASA_E_PVR_SIGNATURE;
	if (rc != MASA_OK)
		return rc;
	if (v->p.serial.len != v->r.serial.len ||
	    memcmp(v->p.serial.ptr, v->r.serial.ptr, v->r.serial.len) != 0)
		return MASA_E_SERIAL_MISMATCH;
	rc = check_proximity(&v->p, reg);
	if (rc != MASA_OK)
		return rc;
	if ((v->p.nonce.ptr == NULL) != (v->r.nonce.ptr == NULL) ||
	    (v->p.nonce.ptr != NULL && !bytes_eq(v->p.nonce, v->r.nonce.ptr, v->r.nonce.len)))
		return MASA_E_NONCE_MISMATCH;
	return MASA_OK;
}

enum masa_err
masa_vreq_accept(const struct masa_codec *codec, struct masa_bytes body,
    const struct masa_tls_client *tls, struct masa_vreq_raw *v,
    struct masa_registrar *reg, const struct masa_vreq_raw **decoded,
    const struct masa_registrar **found)
{
	enum masa_err rc;

	*decoded = NULL;
	*found = NULL;
	if ((rc = masa_vreq_decode(codec, body, v)) != MASA_OK)
		return rc;
	*decoded = v;
	if ((rc = masa_vreq_find_registrar(v, tls != NULL ? tls->cert :
	    (struct masa_bytes){ NULL, 0 }, reg)) != MASA_OK)
		return rc;
	if (reg->tls_cert.ptr != NULL) {	/* the TLS client is the registrar */
		reg->tls_cas = tls->cas;
		reg->tls_ncas = tls->ncas;
	}
	*found = reg;
	return MASA_OK;
}
