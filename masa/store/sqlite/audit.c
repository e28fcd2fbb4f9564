/* audit.c: see audit.h. */
#include "audit.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/ossl.h"

/* Feeds one length-prefixed field (or the NULL marker) to the digest. */
static int
field(EVP_MD_CTX *ctx, const void *p, size_t n, int present)
{
	uint8_t hdr[5] = { 0 };

	if (!present)
		return EVP_DigestUpdate(ctx, hdr, 1);
	hdr[0] = 1;
	hdr[1] = (uint8_t)(n >> 24);
	hdr[2] = (uint8_t)(n >> 16);
	hdr[3] = (uint8_t)(n >> 8);
	hdr[4] = (uint8_t)n;
	return EVP_DigestUpdate(ctx, hdr, 5) && (n == 0 || EVP_DigestUpdate(ctx, p, n));
}

static int
field_str(EVP_MD_CTX *ctx, const char *s)
{
	return field(ctx, s, s ? strlen(s) : 0, s != NULL);
}

static int
field_int(EVP_MD_CTX *ctx, int64_t v, int present)
{
	char num[24];
	int n = snprintf(num, sizeof num, "%lld", (long long)v);

	return field(ctx, num, (size_t)n, present);
}

static int
field_bytes(EVP_MD_CTX *ctx, struct masa_bytes b)
{
	return field(ctx, b.ptr, b.len, b.ptr != NULL && b.len > 0);
}

enum masa_err
masa_audit_hash(int64_t seq, const struct masa_audit_entry *e,
    const uint8_t prev[MASA_AUDIT_HASH_LEN], uint8_t out[MASA_AUDIT_HASH_LEN])
{
	static const char domain[] = "masa-audit-v1";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok;

	ok = ctx != NULL &&
	    EVP_DigestInit_ex(ctx, masa_ossl_sha256(), NULL) &&
	    EVP_DigestUpdate(ctx, domain, sizeof domain - 1) &&
	    EVP_DigestUpdate(ctx, prev, MASA_AUDIT_HASH_LEN) &&
	    field_int(ctx, seq, 1) &&
	    field_int(ctx, e->at_ms, 1) &&
	    field_str(ctx, e->event) &&
	    field_str(ctx, e->serial) &&
	    field_bytes(ctx, e->registrar_sha256) &&
	    field_bytes(ctx, e->nonce) &&
	    field_int(ctx, e->assertion, e->assertion >= 0) &&
	    field_str(ctx, e->source) &&
	    field_str(ctx, e->detail) &&
	    EVP_DigestFinal_ex(ctx, out, &n) && n == MASA_AUDIT_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? MASA_OK : MASA_E_CRYPTO;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void
bind_blob(sqlite3_stmt *st, int i, struct masa_bytes b)
{
	if (b.ptr != NULL && b.len > 0)
		sqlite3_bind_blob(st, i, b.ptr, (int)b.len, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

enum masa_err
masa_audit_append(struct masa_txn *txn, const struct masa_audit_entry *e)
{
	static const char last_sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	static const char ins_sql[] =
	    "INSERT INTO audit (seq, at_ms, event, serial, registrar_sha256, nonce,"
	    " assertion, source, detail, prev_hash, hash)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st = NULL;
	uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 }, hash[MASA_AUDIT_HASH_LEN];
	int64_t seq = 1;
	enum masa_err rc;
	int src;

	if (e->event == NULL || e->detail == NULL)
		return MASA_E_INTERNAL;
	rc = masa_db_prepare(txn, last_sql, &st);
	if (rc != MASA_OK)
		return rc;
	src = sqlite3_step(st);
	if (src == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 1) != MASA_AUDIT_HASH_LEN) {
			rc = MASA_E_STORE;	/* the chain is damaged: never extend it */
			goto done;
		}
		seq = sqlite3_column_int64(st, 0) + 1;
		memcpy(prev, sqlite3_column_blob(st, 1), MASA_AUDIT_HASH_LEN);
	} else if (src != SQLITE_DONE) {
		rc = masa_db_err(src);
		goto done;
	}
	masa_db_finish(txn, st);
	st = NULL;

	rc = masa_audit_hash(seq, e, prev, hash);
	if (rc == MASA_OK)
		rc = masa_db_prepare(txn, ins_sql, &st);
	if (rc != MASA_OK)
		goto done;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, e->at_ms);
	bind_text(st, 3, e->event);
	bind_text(st, 4, e->serial);
	bind_blob(st, 5, e->registrar_sha256);
	bind_blob(st, 6, e->nonce);
	if (e->assertion >= 0)
		sqlite3_bind_int(st, 7, e->assertion);
	else
		sqlite3_bind_null(st, 7);
	bind_text(st, 8, e->source);
	bind_text(st, 9, e->detail);
	sqlite3_bind_blob(st, 10, prev, sizeof prev, SQLITE_STATIC);
	sqlite3_bind_blob(st, 11, hash, sizeof hash, SQLITE_STATIC);
	src = sqlite3_step(st);
	rc = src == SQLITE_DONE ? MASA_OK : masa_db_err(src);
done:
	masa_db_finish(txn, st);
	return rc;
}

/* Text column i, or NULL for SQL NULL (valid until the next step). */
static const char *
col_text(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL :
	    (const char *)sqlite3_column_text(st, i);
}

static struct masa_bytes
col_blob(sqlite3_stmt *st, int i)
{
	struct masa_bytes b = { sqlite3_column_blob(st, i), (size_t)sqlite3_column_bytes(st, i) };

	return b;
}

enum masa_err
masa_audit_each(struct masa_txn *txn, const char *serial, int64_t since_ms, int64_t after_seq,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	static const char sql[] =
	    "SELECT seq, at_ms, event, serial, registrar_sha256, nonce, assertion, source, detail,"
	    " prev_hash, hash FROM audit WHERE (?1 IS NULL OR serial = ?1) AND at_ms >= ?2"
	    " AND seq > ?3 ORDER BY seq";
	struct masa_audit_row r;
	struct masa_bytes b;
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_db_prepare(txn, sql, &st);
	int src;

	if (rc != MASA_OK)
		return rc;
	if (serial != NULL)
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since_ms);
	sqlite3_bind_int64(st, 3, after_seq);
	while ((src = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&r, 0, sizeof r);
		r.seq = sqlite3_column_int64(st, 0);
		r.e.at_ms = sqlite3_column_int64(st, 1);
		r.e.event = col_text(st, 2);
		r.e.serial = col_text(st, 3);
		r.e.registrar_sha256 = col_blob(st, 4);
		r.e.nonce = col_blob(st, 5);
		r.e.assertion = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 6);
		r.e.source = col_text(st, 7);
		r.e.detail = col_text(st, 8);
		b = col_blob(st, 9);
		if (b.len == MASA_AUDIT_HASH_LEN)
			memcpy(r.prev, b.ptr, b.len);
		b = col_blob(st, 10);
		if (b.len == MASA_AUDIT_HASH_LEN)
			memcpy(r.hash, b.ptr, b.len);
		if (fn(arg, &r) != 0)
			break;
	}
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		rc = masa_db_err(src);
	masa_db_finish(txn, st);
	return rc;
}

struct verify_state {
	int64_t count, bad;
	uint8_t prev[MASA_AUDIT_HASH_LEN];
	char *why;
	size_t why_cap;
};

/* Checks one entry against the one before it. */
static int
verify_one(void *arg, const struct masa_audit_row *r)
{
	struct verify_state *v = arg;
	uint8_t h[MASA_AUDIT_HASH_LEN];
	const char *why = NULL;

	if (r->seq != v->count + 1)
		why = "sequence gap: an entry before it was deleted or it was inserted";
	else if (memcmp(r->prev, v->prev, sizeof h) != 0)
		why = "prev_hash does not match the previous entry's hash";
	else if (r->e.event == NULL || r->e.detail == NULL ||
	    masa_audit_hash(r->seq, &r->e, r->prev, h) != MASA_OK || memcmp(h, r->hash, sizeof h) != 0)
		why = "its hash does not match its contents: it was edited";
	if (why != NULL) {
		v->bad = r->seq;
		snprintf(v->why, v->why_cap, "%s", why);
		return 1;
	}
	v->count++;
	memcpy(v->prev, r->hash, sizeof v->prev);
	return 0;
}

enum masa_err
masa_audit_verify(struct masa_txn *txn, int64_t *count, int64_t *bad_seq, char *why,
    size_t why_cap, uint8_t head[MASA_AUDIT_HASH_LEN])
{
	struct verify_state v;
	enum masa_err rc;

	memset(&v, 0, sizeof v);
	v.why = why;
	v.why_cap = why_cap;
	why[0] = '\0';
	rc = masa_audit_each(txn, NULL, INT64_MIN, 0, verify_one, &v);
	if (rc != MASA_OK)
		return rc;
	*count = v.count;
	*bad_seq = v.bad;
	memcpy(head, v.prev, MASA_AUDIT_HASH_LEN);
	return MASA_OK;
}
