/* auditlog.c: see auditlog.h. */
#include "auditlog.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "encode.h"
#include "masa_limits.h"
#include "policy.h"
#include "rows.h"
#include "timeutil.h"

static const char *const assertion_names[] = { "verified", "logged", "proximity" };

struct build {
	json_t *events;
	int64_t nonced_dups, nonceless_dups;
	int failed;
};

static json_int_t
saturate(int64_t n)
{
	return (json_int_t)(n > MASA_AUDITLOG_SATURATE ? MASA_AUDITLOG_SATURATE : n);
}

/* One event per voucher group. */
static int
add_event(void *arg, const struct masa_voucher_group *g)
{
	struct build *b = arg;
	char date[MASA_RFC3339_LEN], nonce[MASA_B64_LEN(sizeof g->nonce) + 1];
	json_t *e = json_object();

	masa_rfc3339_ms(g->created_ms, date);
	if (!g->nonceless)
		masa_b64(g->nonce, g->nonce_len, nonce);
	if (e == NULL || g->assertion < 0 || g->assertion > 2 ||
	    json_object_set_new(e, "date", json_string(date)) != 0 ||
	    json_object_set_new(e, "domainID", json_string(g->domain_id)) != 0 ||
	    json_object_set_new(e, "nonce", g->nonceless ? json_null() : json_string(nonce)) != 0 ||
	    json_object_set_new(e, "assertion", json_string(assertion_names[g->assertion])) != 0 ||
	    (g->count > 1 && json_object_set_new(e, "truncated", json_integer(saturate(g->count - 1))) != 0) ||
	    json_array_append(b->events, e) != 0) {
		json_decref(e);
		b->failed = 1;
		return 1;
	}
	json_decref(e);	/* the array holds it now */
	if (g->nonceless)
		b->nonceless_dups += g->count - 1;
	else
		b->nonced_dups += g->count - 1;
	return 0;
}

/* Whether reg may read dev's log: the facts, then the policy's rule. */
static enum masa_err
authorised(struct masa_txn *t, const struct masa_device *dev, const struct masa_registrar *reg)
{
	struct masa_policy_state st;
	struct masa_registrar_row r;
	enum masa_err rc;
	int held = 0;

	memset(&st, 0, sizeof st);
	st.device_found = 1;
	rc = masa_store_is_blocked(t, reg->sha256, &st.registrar_blocked);
	if (rc == MASA_OK && !st.registrar_blocked)
		rc = masa_store_registrar_get(t, reg->sha256, &r);
	if (rc == MASA_OK && !st.registrar_blocked) {
		st.registrar_is_owner = r.owner_id != 0 && r.owner_id == dev->owner_id;
		rc = masa_store_voucher_held(t, dev->id, r.id, &held);
	}
	if (rc == MASA_E_NOT_FOUND)
		rc = MASA_OK;	/* a key never seen: neither owner nor holder */
	return rc == MASA_OK ? masa_policy_auditlog(&st, held) : rc;
}

enum masa_err
masa_auditlog(struct masa_app *app, const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    struct masa_buf *out)
{
	char serial[MASA_SERIAL_MAX + 1];
	struct build b = { NULL, 0, 0, 0 };
	struct masa_device dev;
	struct masa_txn *t = NULL;
	json_t *root = NULL, *trunc;
	struct masa_buf buf;
	enum masa_err rc;
	char *text = NULL;

	memcpy(serial, v->r.serial.ptr, v->r.serial.len);	/* vreq.c bounds it */
	serial[v->r.serial.len] = '\0';
	rc = masa_db_begin(app->db, 0, &t);
	if (rc != MASA_OK)
		return rc;
	rc = masa_store_device_get(t, serial, &dev);
	if (rc == MASA_E_NOT_FOUND)
		rc = MASA_E_UNKNOWN_DEVICE;
	if (rc == MASA_OK)
		rc = authorised(t, &dev, reg);
	if (rc != MASA_OK)
		goto done;
	rc = MASA_E_NOMEM;
	root = json_object();
	b.events = json_array();
	if (root == NULL || b.events == NULL)
		goto done;
	rc = masa_store_voucher_groups(t, dev.id, add_event, &b);
	if (rc == MASA_OK && b.failed)
		rc = MASA_E_NOMEM;
	if (rc != MASA_OK)
		goto done;
	rc = MASA_E_NOMEM;
	trunc = json_pack("{s:I, s:I, s:i}", "nonced duplicates", saturate(b.nonced_dups),
	    "nonceless duplicates", saturate(b.nonceless_dups), "arbitrary", 0);
	if (trunc == NULL || json_object_set_new(root, "version", json_integer(1)) != 0 ||
	    json_object_set(root, "events", b.events) != 0 ||
	    json_object_set_new(root, "truncation", trunc) != 0)
		goto done;
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	masa_buf_init(&buf, 64 * 1024 * 1024);
	if (text == NULL || masa_buf_append(&buf, text, strlen(text)) != MASA_OK) {
		masa_buf_free(&buf);
		goto done;
	}
	*out = buf;
	rc = MASA_OK;
done:
	masa_db_rollback(t);
	free(text);
	json_decref(b.events);
	json_decref(root);
	return rc;
}
