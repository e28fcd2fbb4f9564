/* tlscreds.c: see tlscreds.h. The current set is published with an atomic
 * pointer: the retrieval function runs on the listeners' threads, the
 * setter on the main thread, and nothing is freed while they run. */
#include "tlscreds.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHAIN_MAX 8

struct creds {
	struct creds *replaced;		/* the set this one replaced, kept until exit */
	gnutls_pcert_st chain[CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
};

static _Atomic(struct creds *) current;
static pthread_mutex_t setter = PTHREAD_MUTEX_INITIALIZER;	/* one setter at a time */

static void
creds_free(struct creds *c)
{
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		gnutls_pcert_deinit(&c->chain[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c);
}

/* Parses the chain and key into a new set; *out only on success. */
static enum masa_err
creds_parse(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
    struct creds **out, struct masa_diag *diag)
{
	gnutls_datum_t cert = { (unsigned char *)(uintptr_t)cert_pem, (unsigned)cert_len };
	gnutls_datum_t key = { (unsigned char *)(uintptr_t)key_pem, (unsigned)key_len };
	struct creds *c;
	enum masa_err rc = MASA_E_KEY;
	int err;

	if (cert_len > 0xffffffu || key_len > 0xffffffu) {
		masa_diag_set(diag, "the TLS certificate or key file is too large");
		return MASA_E_KEY;
	}
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return MASA_E_NOMEM;
	c->n = CHAIN_MAX;
	err = gnutls_pcert_list_import_x509_raw(c->chain, &c->n, &cert, GNUTLS_X509_FMT_PEM, 0);
	if (err < 0) {
		c->n = 0;
		masa_diag_set(diag, "cannot use the TLS certificate chain: %s", gnutls_strerror(err));
		goto done;
	}
	if ((err = gnutls_privkey_init(&c->key)) < 0 ||
	    (err = gnutls_privkey_import_x509_raw(c->key, &key, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		masa_diag_set(diag, "cannot use the TLS private key: %s", gnutls_strerror(err));
		goto done;
	}
	*out = c;
	c = NULL;
	rc = MASA_OK;
done:
	creds_free(c);
	return rc;
}

enum masa_err
masa_tlscreds_set(const char *cert_pem, size_t cert_len, const char *key_pem, size_t key_len,
    struct masa_diag *diag)
{
	struct creds *c = NULL;
	enum masa_err rc;

	rc = creds_parse(cert_pem, cert_len, key_pem, key_len, &c, diag);
	if (rc != MASA_OK)
		return rc;
	pthread_mutex_lock(&setter);
	c->replaced = atomic_load(&current);
	atomic_store(&current, c);
	pthread_mutex_unlock(&setter);
	return MASA_OK;
}

int
masa_tlscreds_retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
    unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	struct creds *c = atomic_load(&current);

	(void)session;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	if (c == NULL)
		return -1;
	*pcert = c->chain;
	*pcert_length = c->n;
	*privkey = c->key;
	return 0;
}

void
masa_tlscreds_free_all(void)
{
	struct creds *c, *next;

	pthread_mutex_lock(&setter);
	c = atomic_exchange(&current, NULL);
	pthread_mutex_unlock(&setter);
	for (; c != NULL; c = next) {
		next = c->replaced;
		creds_free(c);
	}
}
