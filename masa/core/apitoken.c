/* tokens.c: see tokens.h. */
#include "apitoken.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/passwd.h"
#include "crypto/rand.h"
#include "encode.h"
#include "events.h"
#include "tokens.h"

enum masa_err
masa_token_create(struct masa_db *db, const char *name, const char *role, int64_t now_ms,
    char out[MASA_TOKEN_MAX], struct masa_diag *diag)
{
	uint8_t id[MASA_TOKEN_ID_BYTES], secret[MASA_TOKEN_SECRET_BYTES];
	char secret_txt[MASA_B64URL_LEN(MASA_TOKEN_SECRET_BYTES) + 1], detail[160];
	struct masa_token_row row;
	struct masa_event_fields ev = { 0 };
	struct masa_txn *txn = NULL;
	enum masa_err rc;

	if (strlen(name) == 0 || strlen(name) > MASA_TOKEN_NAME_MAX) {
		masa_diag_set(diag, "a token name is 1 to %d bytes", MASA_TOKEN_NAME_MAX);
		return MASA_E_USAGE;
	}
	if (masa_rand_bytes(id, sizeof id) != MASA_OK ||
	    masa_rand_bytes(secret, sizeof secret) != MASA_OK)
		return MASA_E_CRYPTO;
	memset(&row, 0, sizeof row);
	masa_hex(id, sizeof id, row.id);
	snprintf(row.name, sizeof row.name, "%s", name);
	snprintf(row.role, sizeof row.role, "%s", role);
	row.created_ms = now_ms;
	masa_b64url(secret, sizeof secret, secret_txt);
	rc = masa_passwd_hash(secret_txt, strlen(secret_txt), row.hash);
	if (rc == MASA_OK)
		rc = masa_db_begin(db, 1, &txn);
	if (rc != MASA_OK)
		goto done;
	rc = masa_store_token_add(txn, &row);
	if (rc == MASA_E_EXISTS) {
		masa_diag_set(diag, "a token named \"%s\" already exists", name);
		goto done;
	}
	if (rc != MASA_OK)
		goto done;
	snprintf(detail, sizeof detail, "name=%s role=%s id=%s", name, role, row.id);
	ev.at_ms = now_ms;
	ev.source = "cli";
	ev.detail = detail;
	rc = masa_event_append(txn, MASA_EV_TOKEN_CREATED, &ev);
	if (rc == MASA_OK) {
		rc = masa_db_commit(txn);
		txn = NULL;
	}
	if (rc == MASA_OK)
		snprintf(out, MASA_TOKEN_MAX, "%.16s.%.43s", row.id, secret_txt);
done:
	masa_db_rollback(txn);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(secret_txt, sizeof secret_txt);
	return rc;
}

/* What masa_token_revoke changes. */
struct revoke {
	const char *name;
	char id[24];
};

static enum masa_err
revoke_change(struct masa_txn *t, void *arg)
{
	struct revoke *r = arg;
	struct masa_event_fields ev = { 0 };
	char detail[160];
	enum masa_err rc = masa_store_token_delete(t, r->name, r->id);

	if (rc != MASA_OK)
		return rc;
	snprintf(detail, sizeof detail, "name=%s id=%s", r->name, r->id);
	ev.source = "cli";
	ev.detail = detail;
	return masa_event_append(t, MASA_EV_TOKEN_REVOKED, &ev);
}

enum masa_err
masa_token_revoke(struct masa_db *db, const char *name)
{
	struct revoke r = { name, "" };

	return masa_db_write(db, revoke_change, &r);
}
