/* audit.c: audit.h. Appending and reading entries is the backend's
 * (backend.h); walking the chain to verify it is the same for all. */
#include "audit.h"

#include <stdio.h>
#include <string.h>

#include "backend.h"

enum masa_err
masa_audit_append(struct masa_txn *txn, const struct masa_audit_entry *e)
{
	return txn->be->audit->append(txn, e);
}

enum masa_err
masa_audit_each(struct masa_txn *txn, const char *serial, int64_t since_ms, int64_t after_seq,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	return txn->be->audit->each(txn, serial, since_ms, after_seq, fn, arg);
}

enum masa_err
masa_audit_recent(struct masa_txn *txn, int64_t since_ms,
    int (*fn)(void *arg, const struct masa_audit_row *r), void *arg)
{
	if (txn->be->audit->recent == NULL)
		return MASA_E_NOT_FOUND;
	return txn->be->audit->recent(txn, since_ms, fn, arg);
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
