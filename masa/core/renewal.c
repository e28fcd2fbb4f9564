/* renewal.c: see renewal.h. */
#include "renewal.h"

#include <string.h>

#include "crypto/certcache.h"
#include "format.h"

/* 1 if the earlier voucher's pin is the registrar's key: its
 * pinned-domain-pubk is the registrar's SPKI, or its pinned-domain-cert
 * carries the registrar's key. A voucher that pinned a CA above the
 * registrar does not name the registrar's own key, so it is refused here
 * as pinning another registrar (accepting it would need the registrar's
 * verified chain up to that CA). */
static int
pins_registrar(const struct masa_vreq_leaves *p, const struct masa_registrar *reg)
{
	struct masa_cert_facts f;
	int ok;

	if (p->pinned_pubk.ptr != NULL)
		return p->pinned_pubk.len == reg->spki_len &&
		    memcmp(p->pinned_pubk.ptr, reg->spki, reg->spki_len) == 0;
	if (masa_cert_facts_get(p->pinned_cert, &f) != MASA_OK)
		return 0;
	ok = EVP_PKEY_eq(f.key, reg->key) == 1;
	EVP_PKEY_free(f.key);
	return ok;
}

enum masa_err
masa_renewal_check(const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    struct masa_bytes masa_spki)
{
	EVP_PKEY *masa = NULL;
	enum masa_err rc;

	if (masa_pubkey_parse(masa_spki, &masa) != MASA_OK)
		return MASA_E_INTERNAL;
	rc = v->codec->verify(v, 1, masa);
	EVP_PKEY_free(masa);
	if (rc == MASA_E_SIGNATURE || rc == MASA_E_ALG)
		return MASA_E_RENEWAL_NOT_OURS;
	if (rc != MASA_OK)
		return rc;
	if (v->p.serial.len != v->r.serial.len ||
	    memcmp(v->p.serial.ptr, v->r.serial.ptr, v->r.serial.len) != 0)
		return MASA_E_RENEWAL_SERIAL;
	return pins_registrar(&v->p, reg) ? MASA_OK : MASA_E_RENEWAL_REGISTRAR;
}
