/* tokens.c: see tokens.h. */
#include "tokens.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto/passwd.h"
#include "crypto/rand.h"
#include "encode.h"
#include "store/audit.h"

enum masa_err
masa_token_create(struct masa_db *db, const char *name, const char *role, int64_t now_ms,
    char out[MASA_TOKEN_MAX], struct masa_diag *diag)
{
	static const char ins_sql[] =
	    "INSERT INTO api_tokens (id, name, role, secret_hash, created_ms) VALUES (?, ?, ?, ?, ?)";
	uint8_t id[MASA_TOKEN_ID_BYTES], secret[MASA_TOKEN_SECRET_BYTES];
	char id_hex[2 * MASA_TOKEN_ID_BYTES + 1], secret_txt[MASA_B64URL_LEN(MASA_TOKEN_SECRET_BYTES) + 1];
	char hash[MASA_PASSWD_ENCODED_MAX], detail[160];
	struct masa_audit_entry ae;
	struct masa_txn *txn = NULL;
	sqlite3_stmt *st = NULL;
	enum masa_err rc;
	int src;

	if (masa_rand_bytes(id, sizeof id) != MASA_OK ||
	    masa_rand_bytes(secret, sizeof secret) != MASA_OK)
		return MASA_E_CRYPTO;
	masa_hex(id, sizeof id, id_hex);
	masa_b64url(secret, sizeof secret, secret_txt);
	rc = masa_passwd_hash(secret_txt, strlen(secret_txt), hash);
	if (rc != MASA_OK)
		goto done;

	rc = masa_db_begin(db, 1, &txn);
	if (rc != MASA_OK)
		goto done;
	src = sqlite3_prepare_v2(masa_txn_sqlite(txn), ins_sql, -1, &st, NULL);
	if (src == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id_hex, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 5, now_ms);
		src = sqlite3_step(st);
	}
	if (src == SQLITE_CONSTRAINT_UNIQUE || src == SQLITE_CONSTRAINT_PRIMARYKEY) {
		masa_diag_set(diag, "a token named \"%s\" already exists", name);
		rc = MASA_E_EXISTS;
		goto done;
	}
	if (src != SQLITE_DONE) {
		masa_diag_set(diag, "cannot store the token: %s", sqlite3_errmsg(masa_txn_sqlite(txn)));
		rc = masa_db_err(src);
		goto done;
	}
	snprintf(detail, sizeof detail, "name=%s role=%s id=%s", name, role, id_hex);
	memset(&ae, 0, sizeof ae);
	ae.at_ms = now_ms;
	ae.event = "token.created";
	ae.assertion = -1;
	ae.detail = detail;
	rc = masa_audit_append(txn, &ae);
	if (rc != MASA_OK)
		goto done;
	sqlite3_finalize(st);
	st = NULL;
	rc = masa_db_commit(txn);
	txn = NULL;
	if (rc == MASA_OK)
		snprintf(out, MASA_TOKEN_MAX, "%s.%s", id_hex, secret_txt);
done:
	sqlite3_finalize(st);
	masa_db_rollback(txn);
	OPENSSL_cleanse(secret, sizeof secret);
	OPENSSL_cleanse(secret_txt, sizeof secret_txt);
	return rc;
}
