/* handle_admin_devices.c: /admin/v1/devices: enroll one, list, show,
 * retire, release, set the owner. Thin: parse the JSON body, call
 * enroll.c / operations.c in one transaction, render device_json.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_json.h"
#include "handlers.h"
#include "device_json.h"
#include "enroll.h"
#include "operations.h"
#include "devices_view.h"
#include "timeutil.h"

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

/* Answers with the device's view and the given status. */
static enum masa_err
reply_device(const struct masa_req *req, const char *serial, unsigned status,
    struct masa_reply *reply)
{
	struct masa_txn *t = NULL;
	json_t *o = NULL;
	enum masa_err rc = masa_db_begin(req->app->db, 0, &t);

	if (rc == MASA_OK)
		rc = masa_device_json(t, req->app->cfg, serial, masa_now_ms(), &o);
	masa_db_rollback(t);
	if (rc == MASA_OK)
		rc = masa_reply_json(reply, status, o);
	json_decref(o);
	return rc;
}

enum masa_err
masa_handle_device_add(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_enroll_one a;
	char serial[MASA_ROUTE_PARAM_MAX];
	json_t *body = NULL;
	enum masa_err rc;

	memset(&a, 0, sizeof a);
	rc = masa_admin_body(req, masa_admin_record_keys, reply, &body);
	if (rc == MASA_OK)
		rc = masa_admin_record(body, &reply->detail, &a.rec);
	if (rc == MASA_OK) {
		masa_admin_actor(req, a.actor);
		rc = masa_db_write(req->app->db, masa_enroll_change, &a);
		if (rc == MASA_E_RECORD || rc == MASA_E_CONFLICT)
			masa_diag_set(&reply->detail, "%s", a.why.msg);
	}
	if (rc == MASA_OK) {
		snprintf(serial, sizeof serial, "%.*s", (int)a.rec.serial.len,
		    (const char *)a.rec.serial.ptr);
		rc = reply_device(req, serial, a.created ? 201 : 200, reply);
	}
	json_decref(body);
	return rc;
}

struct page {
	const struct masa_req *req;
	struct masa_txn *t;
	json_t *list;
	char last[MASA_ROUTE_PARAM_MAX];
	enum masa_err rc;
};

static int
page_one(void *arg, const char *serial)
{
	struct page *p = arg;
	json_t *o = NULL;

	p->rc = masa_device_json(p->t, p->req->app->cfg, serial, masa_now_ms(), &o);
	if (p->rc == MASA_OK && json_array_append_new(p->list, o) != 0)
		p->rc = MASA_E_NOMEM;
	snprintf(p->last, sizeof p->last, "%s", serial);
	return p->rc != MASA_OK;
}

enum masa_err
masa_handle_device_list(const struct masa_req *req, struct masa_reply *reply)
{
	const char *after = req->query(req, "after"), *lim = req->query(req, "limit");
	struct page p = { req, NULL, json_array(), "", MASA_OK };
	unsigned long limit = PAGE_DEFAULT;
	json_t *doc = NULL;
	char *end;
	enum masa_err rc;

	if (lim != NULL) {
		limit = strtoul(lim, &end, 10);
		if (*lim == '\0' || *end != '\0' || limit == 0 || limit > PAGE_MAX) {
			masa_diag_set(&reply->detail, "limit must be 1 to %d", PAGE_MAX);
			json_decref(p.list);
			return MASA_E_MALFORMED;
		}
	}
	rc = p.list ? masa_db_begin(req->app->db, 0, &p.t) : MASA_E_NOMEM;
	if (rc == MASA_OK)
		rc = masa_store_device_page(p.t, after ? after : "", (unsigned)limit, page_one, &p);
	if (rc == MASA_OK)
		rc = p.rc;
	masa_db_rollback(p.t);
	if (rc == MASA_OK) {
		doc = json_pack("{s:O, s:o}", "devices", p.list,
		    "next", json_array_size(p.list) == limit ? json_string(p.last) : json_null());
		rc = doc ? masa_reply_json(reply, 200, doc) : MASA_E_NOMEM;
	}
	json_decref(doc);
	json_decref(p.list);
	return rc;
}

enum masa_err
masa_handle_device_show(const struct masa_req *req, struct masa_reply *reply)
{
	return reply_device(req, req->param, 200, reply);
}

struct state {
	const char *serial, *owner;
	char actor[40];
	int what;	/* 0 release, 1 retire, 2 owner */
};

static enum masa_err
state_change(struct masa_txn *t, void *arg)
{
	struct state *s = arg;

	if (s->what == 2)
		return masa_op_assign(t, s->serial, s->owner, s->actor);
	return s->what ? masa_op_retire(t, s->serial, s->actor) : masa_op_release(t, s->serial, s->actor);
}

/* Runs one state change on the device named in the path. */
static enum masa_err
change_device(const struct masa_req *req, struct masa_reply *reply, int what, const char *owner)
{
	struct state s = { req->param, owner, "", what };
	enum masa_err rc;

	masa_admin_actor(req, s.actor);
	rc = masa_db_write(req->app->db, state_change, &s);
	if (rc == MASA_E_RECORD)
		masa_diag_set(&reply->detail, "there is no owner with that name");
	if (rc == MASA_OK)
		rc = reply_device(req, req->param, 200, reply);
	return rc;
}

enum masa_err
masa_handle_device_retire(const struct masa_req *req, struct masa_reply *reply)
{
	return change_device(req, reply, 1, NULL);
}

enum masa_err
masa_handle_device_release(const struct masa_req *req, struct masa_reply *reply)
{
	return change_device(req, reply, 0, NULL);
}

enum masa_err
masa_handle_device_owner(const struct masa_req *req, struct masa_reply *reply)
{
	static const char *const keys[] = { "owner", NULL };
	char owner[MASA_ROUTE_PARAM_MAX];
	struct masa_bytes o;
	json_t *body = NULL;
	enum masa_err rc = masa_admin_body(req, keys, reply, &body);

	if (rc == MASA_OK)
		rc = masa_admin_str(body, "owner", &reply->detail, &o);
	if (rc == MASA_OK && (o.len == 0 || o.len >= sizeof owner)) {
		masa_diag_set(&reply->detail, "\"owner\" must name an owner");
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK) {
		snprintf(owner, sizeof owner, "%.*s", (int)o.len, (const char *)o.ptr);
		rc = change_device(req, reply, 2, owner);
	}
	json_decref(body);
	return rc;
}
