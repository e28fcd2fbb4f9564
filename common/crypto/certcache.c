/* certcache.c: see certcache.h. A small array searched linearly (64
 * SHA-256 comparisons cost well under a microsecond), replaced round-robin. */
#include "crypto/certcache.h"

#include <pthread.h>
#include <string.h>


struct entry {
	uint8_t sha256[MASA_SHA256_LEN];
	struct masa_cert_facts f;	/* f.key NULL: the slot is empty */
};

static struct entry cache[MASA_CERTCACHE_SIZE];
static unsigned next_slot;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Copies the entry for h into out (key up-referenced); 1 if found. */
static int
lookup(const uint8_t h[MASA_SHA256_LEN], struct masa_cert_facts *out)
{
	unsigned i;
	int found = 0;

	pthread_mutex_lock(&lock);
	for (i = 0; i < MASA_CERTCACHE_SIZE && !found; i++) {
		if (cache[i].f.key != NULL && memcmp(cache[i].sha256, h, MASA_SHA256_LEN) == 0 &&
		    EVP_PKEY_up_ref(cache[i].f.key) == 1) {
			*out = cache[i].f;
			found = 1;
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

/* Remembers f for h (a second thread may have added it meanwhile: then
 * there are two equal entries, which is harmless). */
static void
remember(const uint8_t h[MASA_SHA256_LEN], const struct masa_cert_facts *f)
{
	struct entry *e;
	EVP_PKEY *old;

	if (EVP_PKEY_up_ref(f->key) != 1)
		return;
	pthread_mutex_lock(&lock);
	e = &cache[next_slot];
	next_slot = (next_slot + 1) % MASA_CERTCACHE_SIZE;
	old = e->f.key;
	memcpy(e->sha256, h, MASA_SHA256_LEN);
	e->f = *f;
	pthread_mutex_unlock(&lock);
	EVP_PKEY_free(old);
}

enum masa_err
masa_cert_facts_get(struct masa_bytes der, struct masa_cert_facts *out)
{
	uint8_t h[MASA_SHA256_LEN];
	struct masa_cert_facts f;
	X509 *x = NULL;

	if (der.ptr == NULL || der.len == 0)
		return MASA_E_MALFORMED;
	masa_sha256(der, h);
	if (lookup(h, out))
		return MASA_OK;
	if (masa_x509_parse(der, &x) != MASA_OK)
		return MASA_E_MALFORMED;
	f.key = X509_get_pubkey(x);
	f.cmc_ra = masa_x509_has_cmc_ra(x);
	X509_free(x);
	if (f.key == NULL)
		return MASA_E_MALFORMED;
	/* A key masa cannot use (an RSA CA in a registrar's chain, say) is
	 * still remembered, without an SPKI: it is a candidate that no
	 * algorithm check will pick. */
	if (masa_pubkey_spki(f.key, f.spki, sizeof f.spki, &f.spki_len) != MASA_OK)
		f.spki_len = 0;
	remember(h, &f);
	*out = f;
	return MASA_OK;
}
