/* audit.c: the PostgreSQL backend's audit trail (audit.h): the chain hash
 * is masa_audit_hash's (audit_hash.c), the rows are here.
 *
 * One chain across instances, without gaps or forks: an append runs only
 * in a write transaction, which holds the store's write lock (txn.c) from
 * before its first statement to its end, so appends of all instances run
 * one after another, and each reads the head that the one before
 * committed: the new entry is the head's seq + 1 chained to the head's
 * hash. seq is the primary key, so even a writer that broke this rule
 * could not commit a second entry with a seq (a fork); it would fail.
 * After its first append a transaction keeps the head it wrote
 * (head_known) instead of reading it again: nobody else can append before
 * it ends, and a savepoint rolled back forgets it (txn.c). */
#include <stdint.h>
#include <string.h>

#include "pg_int.h"

#define PAGE 1000	/* entries read per statement by audit_each and audit_recent */

static enum masa_err
audit_append(struct masa_txn *txn, const struct masa_audit_entry *e)
{
	static const char head_sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	static const char ins_sql[] =
	    "INSERT INTO audit (seq, at_ms, event, serial, registrar_sha256, nonce,"
	    " assertion, source, detail, prev_hash, hash)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	struct masa_pg_params p = { 0 };
	uint8_t prev[MASA_AUDIT_HASH_LEN] = { 0 }, hash[MASA_AUDIT_HASH_LEN];
	struct masa_bytes h;
	PGresult *r = NULL;
	int64_t seq = 1;
	enum masa_err rc;

	if (e->event == NULL || e->detail == NULL || !t->write)
		return MASA_E_INTERNAL;
	if (t->head_known) {
		seq = t->head_seq + 1;
		memcpy(prev, t->head_hash, sizeof prev);
		goto append;
	}
	rc = masa_pg_query(txn, head_sql, NULL, &r);
	if (rc == MASA_OK && PQntuples(r) == 1) {
		h = masa_pg_get_bytes(r, 0, 1);
		if (h.len != MASA_AUDIT_HASH_LEN)
			rc = MASA_E_STORE;	/* the chain is damaged: never extend it */
		else {
			seq = masa_pg_get_int(r, 0, 0) + 1;
			memcpy(prev, h.ptr, MASA_AUDIT_HASH_LEN);
		}
	}
	PQclear(r);
	if (rc != MASA_OK)
		return rc;
append:
	t->head_known = 0;
	rc = masa_audit_hash(seq, e, prev, hash);
	if (rc != MASA_OK)
		return rc;
	masa_pg_int(&p, seq);
	masa_pg_int(&p, e->at_ms);
	masa_pg_text(&p, e->event, 0);
	masa_pg_text(&p, e->serial, 0);
	masa_pg_bytes(&p, e->registrar_sha256.ptr, e->registrar_sha256.len);
	masa_pg_bytes(&p, e->nonce.ptr, e->nonce.len);
	if (e->assertion >= 0)
		masa_pg_int(&p, e->assertion);
	else
		masa_pg_text(&p, NULL, 0);
	masa_pg_text(&p, e->source, 0);
	masa_pg_text(&p, e->detail, 0);
	masa_pg_bytes(&p, prev, sizeof prev);
	masa_pg_bytes(&p, hash, sizeof hash);
	rc = masa_pg_run(txn, ins_sql, &p);
	if (rc == MASA_OK) {
		t->head_known = 1;
		t->head_seq = seq;
		memcpy(t->head_hash, hash, sizeof hash);
	}
	return rc;
}

/* Text column i, or NULL for SQL NULL (valid until r is cleared). */
static const char *
col_text(const PGresult *r, int row, int i)
{
	return masa_pg_is_null(r, row, i) ? NULL : PQgetvalue(r, row, i);
}

/* Hands rows of r to fn; *stop once fn asks to or at the first entry
 * older than stop_before_ms, *last the last seq. */
static void
hand_over(const PGresult *r, int64_t stop_before_ms,
    int (*fn)(void *arg, const struct masa_audit_row *row), void *arg, int *stop, int64_t *last)
{
	struct masa_audit_row row;
	struct masa_bytes b;
	int i;

	for (i = 0; i < PQntuples(r) && !*stop; i++) {
		memset(&row, 0, sizeof row);
		row.seq = *last = masa_pg_get_int(r, i, 0);
		row.e.at_ms = masa_pg_get_int(r, i, 1);
		row.e.event = col_text(r, i, 2);
		row.e.serial = col_text(r, i, 3);
		row.e.registrar_sha256 = masa_pg_get_bytes(r, i, 4);
		row.e.nonce = masa_pg_get_bytes(r, i, 5);
		row.e.assertion = masa_pg_is_null(r, i, 6) ? -1 : (int)masa_pg_get_int(r, i, 6);
		row.e.source = col_text(r, i, 7);
		row.e.detail = col_text(r, i, 8);
		b = masa_pg_get_bytes(r, i, 9);
		if (b.len == MASA_AUDIT_HASH_LEN)
			memcpy(row.prev, b.ptr, b.len);
		b = masa_pg_get_bytes(r, i, 10);
		if (b.len == MASA_AUDIT_HASH_LEN)
			memcpy(row.hash, b.ptr, b.len);
		*stop = row.e.at_ms < stop_before_ms || fn(arg, &row) != 0;
	}
}

/* Reads the trail a page at a time (memory stays bounded however long it
 * is); inside a read transaction all pages come from one snapshot. */
static enum masa_err
audit_each(struct masa_txn *txn, const char *serial, int64_t since_ms, int64_t after_seq,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	static const char sql[] =
	    "SELECT seq, at_ms, event, serial, registrar_sha256, nonce, assertion, source, detail,"
	    " prev_hash, hash FROM audit WHERE ($1::text IS NULL OR serial = $1) AND at_ms >= $2"
	    " AND seq > $3 ORDER BY seq LIMIT $4";
	struct masa_pg_params p;
	PGresult *r = NULL;
	enum masa_err rc = MASA_OK;
	int stop = 0, n = PAGE;

	while (rc == MASA_OK && !stop && n == PAGE) {
		memset(&p, 0, sizeof p);
		masa_pg_text(&p, serial, 0);
		masa_pg_int(&p, since_ms);
		masa_pg_int(&p, after_seq);
		masa_pg_int(&p, PAGE);
		rc = masa_pg_query(txn, sql, &p, &r);
		if (rc != MASA_OK)
			break;
		n = PQntuples(r);
		hand_over(r, INT64_MIN, fn, arg, &stop, &after_seq);
		PQclear(r);
	}
	return rc;
}

/* Newest first along the primary key, a page at a time: reads only the
 * entries it hands over, and the page of the one that ends the walk. */
static enum masa_err
audit_recent(struct masa_txn *txn, int64_t since_ms,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	static const char sql[] =
	    "SELECT seq, at_ms, event, serial, registrar_sha256, nonce, assertion, source, detail,"
	    " prev_hash, hash FROM audit WHERE seq < $1 ORDER BY seq DESC LIMIT $2";
	struct masa_pg_params p;
	PGresult *r = NULL;
	enum masa_err rc = MASA_OK;
	int64_t before = INT64_MAX;
	int stop = 0, n = PAGE;

	while (rc == MASA_OK && !stop && n == PAGE) {
		memset(&p, 0, sizeof p);
		masa_pg_int(&p, before);
		masa_pg_int(&p, PAGE);
		rc = masa_pg_query(txn, sql, &p, &r);
		if (rc != MASA_OK)
			break;
		n = PQntuples(r);
		hand_over(r, since_ms, fn, arg, &stop, &before);
		PQclear(r);
	}
	return rc;
}

const struct masa_store_audit_ops masa_pg_audit = {
	.append = audit_append,
	.each = audit_each,
	.recent = audit_recent,
};
