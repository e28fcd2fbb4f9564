/* keyring.c: see keyring.h. */
#include "keyring.h"

#include <stdlib.h>
#include <string.h>

#include "cose/cose_key.h"
#include "crypto/signchain.h"
#include "crypto/x509.h"

enum masa_err
masa_key_cose(const struct masa_signer *s, struct masa_buf *out)
{
	uint8_t spki[MASA_SPKI_MAX], kid[MASA_SHA256_LEN];
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	enum masa_err rc;

	rc = masa_signer_public_der(s, spki, sizeof spki, &len);
	if (rc == MASA_OK)
		rc = masa_pubkey_parse((struct masa_bytes){ spki, len }, &pub);
	if (rc != MASA_OK)
		return rc;
	masa_sha256((struct masa_bytes){ spki, len }, kid);
	masa_buf_init(out, 1024);
	rc = masa_cose_key_encode(pub, (struct masa_bytes){ kid, sizeof kid }, out);
	EVP_PKEY_free(pub);
	return rc;
}

/* The rows of the store, in kr's entries (names and retirement only). */
struct rows {
	struct masa_key_row r[MASA_KEYRING_MAX];
	size_t n, seen;
};

static void
take_row(void *arg, const struct masa_key_row *r)
{
	struct rows *rows = arg;

	if (rows->n < MASA_KEYRING_MAX)
		rows->r[rows->n++] = *r;
	rows->seen++;
}

/* Opens the key of row r into e, with its certificate and COSE_Key. */
static enum masa_err
open_entry(struct masa_key_entry *e, const struct masa_key_row *r, const struct masa_config *cfg,
    struct masa_diag *diag)
{
	struct masa_key_opts opts = masa_config_key_opts(cfg);
	const struct masa_bytes *chain;
	size_t n;
	enum masa_err rc;

	e->owned = 1;
	masa_buf_init(&e->cert_buf, 0);
	masa_buf_init(&e->cose_buf, 0);
	rc = masa_signer_open_opts(r->ref, (enum masa_alg)r->alg, &opts, &e->signer, diag);
	if (rc == MASA_OK)
		rc = masa_signer_load_cert(e->signer, r->cert, &e->cert_buf, diag);
	if (rc == MASA_OK) {	/* its vouchers carry the chain (cBRSKI §9.2.3): it must link */
		chain = masa_signer_chain(e->signer, &n);
		rc = masa_signchain_check(chain, n, r->cert, diag);
	}
	if (rc == MASA_OK)
		rc = masa_key_cose(e->signer, &e->cose_buf);
	e->cert = masa_buf_view(&e->cert_buf);
	e->cose_key = masa_buf_view(&e->cose_buf);
	return rc;
}

enum masa_err
masa_keyring_load(struct masa_keyring *kr, struct masa_db *db, const struct masa_config *cfg,
    struct masa_signer *def, struct masa_bytes def_cert, struct masa_bytes def_cose,
    struct masa_diag *diag)
{
	static struct rows zero;
	struct rows *rows = malloc(sizeof *rows);
	struct masa_txn *t = NULL;
	struct masa_diag why = { { 0 } };
	struct masa_key_entry *e;
	enum masa_err rc;
	size_t i;

	memset(kr, 0, sizeof *kr);
	if (rows == NULL)
		return MASA_E_NOMEM;
	*rows = zero;
	rc = masa_db_begin(db, 0, &t);
	if (rc == MASA_OK)
		rc = masa_store_key_each(t, take_row, rows);
	masa_db_rollback(t);
	if (rc == MASA_OK && rows->seen > MASA_KEYRING_MAX) {
		masa_diag_set(diag, "the store lists %zu signing keys; this masa holds at most %d",
		    (size_t)rows->seen, MASA_KEYRING_MAX);
		rc = MASA_E_KEY;
	}
	for (i = 0; rc == MASA_OK && i < rows->n; i++) {
		e = &kr->e[kr->n++];
		memcpy(e->name, rows->r[i].name, sizeof e->name);
		e->retired = rows->r[i].retired_ms != 0;
		if (strcmp(e->name, MASA_KEY_DEFAULT) == 0) {
			e->signer = e->retired ? NULL : def;
			e->cert = def_cert;
			e->cose_key = def_cose;
		} else if (!e->retired && (rc = open_entry(e, &rows->r[i], cfg, &why)) != MASA_OK) {
			masa_diag_set(diag, "signing key \"%s\": %s", e->name, why.msg);
		}
	}
	free(rows);
	if (rc != MASA_OK)
		masa_keyring_free(kr);
	return rc;
}

const struct masa_key_entry *
masa_keyring_find(const struct masa_keyring *kr, const char *name)
{
	size_t i;

	for (i = 0; kr != NULL && i < kr->n; i++)
		if (strcmp(kr->e[i].name, name) == 0)
			return &kr->e[i];
	return NULL;
}

int
masa_keyring_ready(const struct masa_keyring *kr)
{
	size_t i;

	for (i = 0; kr != NULL && i < kr->n; i++)
		if (kr->e[i].signer != NULL && !masa_signer_ready(kr->e[i].signer))
			return 0;
	return 1;
}

void
masa_keyring_free(struct masa_keyring *kr)
{
	size_t i;

	for (i = 0; i < kr->n; i++) {
		if (!kr->e[i].owned)
			continue;
		masa_signer_free(kr->e[i].signer);
		masa_buf_free(&kr->e[i].cert_buf);
		masa_buf_free(&kr->e[i].cose_buf);
	}
	memset(kr, 0, sizeof *kr);
}
