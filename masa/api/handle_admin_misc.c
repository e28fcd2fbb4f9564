/* handle_admin_misc.c: owners, the registrar block-list, the audit trail
 * and the voucher-signing key on the admin listener. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_json.h"
#include "handlers.h"
#include "audit_export.h"
#include "encode.h"
#include "operations.h"
#include "timeutil.h"

#define OWNER_KEYS_MAX 64
#define AUDIT_PAGE_MAX 10000	/* rows per page: a page is read under the store lock */

struct owner {
	char name[MASA_ROUTE_PARAM_MAX];
	uint8_t spki[OWNER_KEYS_MAX][MASA_SPKI_MAX];
	size_t spki_len[OWNER_KEYS_MAX], nkeys;
	char actor[40];
	int created;
};

static enum masa_err
owner_change(struct masa_txn *t, void *arg)
{
	struct owner *o = arg;
	enum masa_err rc = masa_op_owner_key(t, o->name, NULL, 0, o->actor, &o->created);
	size_t i;
	int again;

	for (i = 0; rc == MASA_OK && i < o->nkeys; i++)
		rc = masa_op_owner_key(t, o->name, o->spki[i], o->spki_len[i], o->actor, &again);
	return rc;
}

/* POST /admin/v1/owners {"name": N, "registrar-keys": [PEM, ...]} */
enum masa_err
masa_handle_owner_add(const struct masa_req *req, struct masa_reply *reply)
{
	static const char *const keys[] = { "name", "registrar-keys", NULL };
	struct owner *o = calloc(1, sizeof *o);
	struct masa_bytes name, pem;
	struct masa_buf cert;
	json_t *body = NULL, *list, *v;
	enum masa_err rc = o ? masa_admin_body(req, keys, reply, &body) : MASA_E_NOMEM;
	size_t i;

	if (rc == MASA_OK)
		rc = masa_admin_str(body, "name", &reply->detail, &name);
	if (rc == MASA_OK && (name.len == 0 || name.len > 128)) {
		masa_diag_set(&reply->detail, "\"name\" is 1 to 128 bytes");
		rc = MASA_E_JSON;
	}
	list = body ? json_object_get(body, "registrar-keys") : NULL;
	if (rc == MASA_OK && list != NULL && (!json_is_array(list) || json_array_size(list) > OWNER_KEYS_MAX)) {
		masa_diag_set(&reply->detail,
		    "\"registrar-keys\" is an array of at most %d PEM keys", OWNER_KEYS_MAX);
		rc = MASA_E_JSON;
	}
	json_array_foreach(list, i, v) {
		if (rc != MASA_OK)
			break;
		pem.ptr = (const uint8_t *)json_string_value(v);
		pem.len = json_is_string(v) ? json_string_length(v) : 0;
		rc = masa_pem_key_mem(pem, "registrar key", 0, o->spki[i], &o->spki_len[i], &cert,
		    &reply->detail);
		if (rc == MASA_OK)
			masa_buf_free(&cert);
		else
			rc = MASA_E_RECORD;
		o->nkeys = i + 1;
	}
	if (rc == MASA_OK) {
		snprintf(o->name, sizeof o->name, "%.*s", (int)name.len, (const char *)name.ptr);
		masa_admin_actor(req, o->actor);
		rc = masa_db_write(req->app->db, owner_change, o);
	}
	if (rc == MASA_OK) {
		json_t *doc = json_pack("{s:s, s:I}", "name", o->name, "registrar-keys-added",
		    (json_int_t)o->nkeys);

		rc = doc ? masa_reply_json(reply, o->created ? 201 : 200, doc) : MASA_E_NOMEM;
		json_decref(doc);
	}
	json_decref(body);
	free(o);
	return rc;
}

struct block {
	uint8_t sha[MASA_SHA256_LEN];
	char reason[160], actor[40];
	int created, unblock;
};

static enum masa_err
block_change(struct masa_txn *t, void *arg)
{
	struct block *b = arg;

	return b->unblock ? masa_op_unblock(t, b->sha, b->actor) :
	    masa_op_block(t, b->sha, b->reason, b->actor, &b->created);
}

/* Answers {"sha256": hex, "blocked": bool}. */
static enum masa_err
reply_block(struct masa_reply *reply, const struct block *b, unsigned status)
{
	char hex[2 * MASA_SHA256_LEN + 1];
	json_t *doc;
	enum masa_err rc;

	masa_hex(b->sha, sizeof b->sha, hex);
	doc = json_pack("{s:s, s:b}", "sha256", hex, "blocked", !b->unblock);
	rc = doc ? masa_reply_json(reply, status, doc) : MASA_E_NOMEM;
	json_decref(doc);
	return rc;
}

/* POST /admin/v1/registrars/blocked {"sha256": hex | "public-key": PEM, "reason"?} */
enum masa_err
masa_handle_block(const struct masa_req *req, struct masa_reply *reply)
{
	static const char *const keys[] = { "sha256", "public-key", "reason", NULL };
	struct block b;
	struct masa_bytes hex, pem, reason;
	struct masa_buf cert;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	json_t *body = NULL;
	enum masa_err rc;

	memset(&b, 0, sizeof b);
	rc = masa_admin_body(req, keys, reply, &body);
	if (rc == MASA_OK)
		rc = masa_admin_str(body, "sha256", &reply->detail, &hex);
	if (rc == MASA_OK)
		rc = masa_admin_str(body, "public-key", &reply->detail, &pem);
	if (rc == MASA_OK)
		rc = masa_admin_str(body, "reason", &reply->detail, &reason);
	if (rc == MASA_OK && (hex.len > 0) == (pem.len > 0)) {
		masa_diag_set(&reply->detail, "give one of \"sha256\" and \"public-key\"");
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK && hex.len > 0 && masa_unhex((const char *)hex.ptr, b.sha, sizeof b.sha) != 0) {
		masa_diag_set(&reply->detail, "\"sha256\" must be 64 hex digits");
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK && pem.len > 0) {
		rc = masa_pem_key_mem(pem, "public-key", 0, spki, &spki_len, &cert, &reply->detail);
		if (rc == MASA_OK) {
			masa_buf_free(&cert);
			masa_sha256((struct masa_bytes){ spki, spki_len }, b.sha);
		} else {
			rc = MASA_E_RECORD;
		}
	}
	if (rc == MASA_OK) {
		snprintf(b.reason, sizeof b.reason, "%.*s", (int)reason.len,
		    reason.ptr ? (const char *)reason.ptr : "");
		masa_admin_actor(req, b.actor);
		rc = masa_db_write(req->app->db, block_change, &b);
	}
	if (rc == MASA_OK)
		rc = reply_block(reply, &b, b.created ? 201 : 200);
	json_decref(body);
	return rc;
}

/* DELETE /admin/v1/registrars/blocked/{sha256} */
enum masa_err
masa_handle_unblock(const struct masa_req *req, struct masa_reply *reply)
{
	struct block b;
	enum masa_err rc;

	memset(&b, 0, sizeof b);
	b.unblock = 1;
	if (masa_unhex(req->param, b.sha, sizeof b.sha) != 0)
		return MASA_E_NOT_FOUND;
	masa_admin_actor(req, b.actor);
	rc = masa_db_write(req->app->db, block_change, &b);
	return rc == MASA_OK ? reply_block(reply, &b, 200) : rc;
}

/* GET /admin/v1/audit?serial=&since=&after=&limit= : JSON lines. */
enum masa_err
masa_handle_audit(const struct masa_req *req, struct masa_reply *reply)
{
	const char *since = req->query(req, "since"), *after = req->query(req, "after");
	const char *lim = req->query(req, "limit");
	struct masa_audit_query q;
	struct masa_txn *t = NULL;
	char *end;
	enum masa_err rc;

	memset(&q, 0, sizeof q);
	q.serial = req->query(req, "serial");
	q.since_ms = INT64_MIN;
	q.limit = 10000;
	if ((since != NULL && masa_rfc3339_parse(since, strlen(since), &q.since_ms) != 0) ||
	    (after != NULL && ((q.after_seq = strtoll(after, &end, 10)) < 0 || *end != '\0')) ||
	    (lim != NULL && ((q.limit = strtoll(lim, &end, 10)) < 1 || q.limit > AUDIT_PAGE_MAX ||
	    *end != '\0'))) {
		masa_diag_set(&reply->detail,
		    "since is RFC 3339, after a sequence number, limit 1 to %d", AUDIT_PAGE_MAX);
		return MASA_E_MALFORMED;
	}
	rc = masa_db_begin(req->app->db, 0, &t);
	if (rc == MASA_OK)
		rc = masa_audit_export_jsonl(t, &q, &reply->body);
	masa_db_rollback(t);
	if (rc == MASA_OK) {
		reply->status = 200;
		reply->content_type = "application/x-ndjson";
	}
	return rc;
}

/* GET /admin/v1/key: the voucher-signing public key, PEM. */
enum masa_err
masa_handle_key(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_buf pem;
	enum masa_err rc = masa_signer_public_pem(req->app->signer, &pem);

	if (rc != MASA_OK)
		return rc;
	masa_buf_free(&reply->body);
	reply->body = pem;
	reply->status = 200;
	reply->content_type = "application/x-pem-file";
	return MASA_OK;
}
