/* handle_admin_products.c: product lines on the admin listener
 * (core/product.h): add, change, show, list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_json.h"
#include "handlers.h"
#include "product_json.h"

#define LIST_TEXT_MAX 128	/* a JSON array of names joined with commas */

struct product_change {
	struct masa_product_row p;
	struct masa_policy_product defaults;
	unsigned given;
	int add;
	char actor[40];
	struct masa_diag why;	/* a refused signing key */
};

static enum masa_err
change(struct masa_txn *t, void *arg)
{
	struct product_change *c = arg;

	return masa_op_product(t, &c->p, c->given, c->add, &c->defaults, c->actor, &c->p,
	    &c->why);
}

/* The JSON array of strings key of body joined with commas into out (NULL
 * when absent). MASA_E_JSON if it is not such an array. */
static enum masa_err
joined(json_t *body, const char *key, char out[LIST_TEXT_MAX], const char **res,
    struct masa_diag *detail)
{
	json_t *a = json_object_get(body, key), *v;
	size_t i, used = 0, n;

	*res = NULL;
	if (a == NULL)
		return MASA_OK;
	if (!json_is_array(a) || json_array_size(a) == 0)
		goto bad;
	json_array_foreach(a, i, v) {
		n = json_is_string(v) ? json_string_length(v) : 0;
		if (n == 0 || used + n + 1 >= LIST_TEXT_MAX || memchr(json_string_value(v), ',', n) ||
		    strlen(json_string_value(v)) != n)
			goto bad;
		used += (size_t)snprintf(out + used, LIST_TEXT_MAX - used, "%s%s", i > 0 ? "," : "",
		    json_string_value(v));
	}
	*res = out;
	return MASA_OK;
bad:
	masa_diag_set(detail, "\"%s\" is a non-empty array of names", key);
	return MASA_E_JSON;
}

/* POST /admin/v1/products (add: name in the body) and PUT
 * /admin/v1/products/{name} (change): {"formats": [...], "registrar-algs":
 * [...], "pin": FORM, "nonceless": bool, "signing-key": KEY}, each
 * optional. */
static enum masa_err
put(const struct masa_req *req, struct masa_reply *reply, int add)
{
	static const char *const add_keys[] = { "name", "formats", "registrar-algs", "pin",
		"nonceless", "signing-key", NULL };
	struct product_change *c = calloc(1, sizeof *c);
	char fmts[LIST_TEXT_MAX], algs[LIST_TEXT_MAX];
	const char *fp = NULL, *ap = NULL;
	struct masa_bytes name = { NULL, 0 }, pin = { NULL, 0 }, key = { NULL, 0 };
	json_t *body = NULL, *nl, *doc;
	enum masa_err rc = c ? masa_admin_body(req, add ? add_keys : add_keys + 1, reply, &body) :
	    MASA_E_NOMEM;

	if (rc == MASA_OK && add)
		rc = masa_admin_str(body, "name", &reply->detail, &name);
	else if (rc == MASA_OK)
		name = (struct masa_bytes){ (const uint8_t *)req->param, strlen(req->param) };
	if (rc == MASA_OK && !masa_product_name_ok((const char *)name.ptr, name.len)) {
		masa_diag_set(&reply->detail, "\"name\" is 1 to %d bytes of UTF-8 without '/'",
		    MASA_STORE_TEXT_MAX);
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK)
		rc = joined(body, "formats", fmts, &fp, &reply->detail);
	if (rc == MASA_OK)
		rc = joined(body, "registrar-algs", algs, &ap, &reply->detail);
	if (rc == MASA_OK)
		rc = masa_admin_str(body, "pin", &reply->detail, &pin);
	if (rc == MASA_OK)
		rc = masa_admin_str(body, "signing-key", &reply->detail, &key);
	nl = body != NULL ? json_object_get(body, "nonceless") : NULL;
	if (rc == MASA_OK && nl != NULL && !json_is_boolean(nl)) {
		masa_diag_set(&reply->detail, "\"nonceless\" is true or false");
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK) {
		snprintf(c->p.name, sizeof c->p.name, "%.*s", (int)name.len, (const char *)name.ptr);
		rc = masa_product_fields(fp, ap, pin.ptr != NULL ? (const char *)pin.ptr : NULL,
		    nl == NULL ? -1 : json_is_true(nl),
		    key.ptr != NULL ? (const char *)key.ptr : NULL, &c->p, &c->given, &reply->detail);
	}
	if (rc == MASA_OK && !add && c->given == 0) {
		masa_diag_set(&reply->detail, "give one of \"formats\", \"registrar-algs\", \"pin\", "
		    "\"nonceless\", \"signing-key\"");
		rc = MASA_E_JSON;
	}
	if (rc == MASA_OK) {
		c->add = add;
		masa_policy_default_product(&req->app->cfg->policy, &c->defaults);
		masa_admin_actor(req, c->actor);
		rc = masa_db_write(req->app->db, change, c);
		if (rc == MASA_E_CONFLICT)
			masa_diag_set(&reply->detail, "a product named \"%s\" exists", c->p.name);
		else if (rc == MASA_E_RECORD)
			reply->detail = c->why;
	}
	if (rc == MASA_OK) {
		doc = masa_product_json(&c->p);
		rc = doc ? masa_reply_json(reply, add ? 201 : 200, doc) : MASA_E_NOMEM;
		json_decref(doc);
	}
	json_decref(body);
	free(c);
	return rc;
}

enum masa_err
masa_handle_product_add(const struct masa_req *req, struct masa_reply *reply)
{
	return put(req, reply, 1);
}

enum masa_err
masa_handle_product_set(const struct masa_req *req, struct masa_reply *reply)
{
	return put(req, reply, 0);
}

/* Appends p to the JSON array arg. */
static int
append(void *arg, const struct masa_product_row *p)
{
	return json_array_append_new(arg, masa_product_json(p)) != 0;
}

/* GET /admin/v1/products/{name} (show) or /admin/v1/products (list:
 * {"products": [...]}). */
static enum masa_err
get(const struct masa_req *req, struct masa_reply *reply, const char *name)
{
	struct masa_product_row p;
	struct masa_txn *t = NULL;
	json_t *doc = NULL, *list = NULL;
	enum masa_err rc = masa_db_begin(req->app->db, 0, &t);

	if (rc == MASA_OK && name != NULL) {
		rc = masa_store_product_get(t, name, &p);
		if (rc == MASA_OK)
			doc = masa_product_json(&p);
	} else if (rc == MASA_OK) {
		list = json_array();
		rc = list != NULL ? masa_store_product_each(t, append, list) : MASA_E_NOMEM;
		doc = rc == MASA_OK ? json_pack("{s:O}", "products", list) : NULL;
	}
	masa_db_rollback(t);
	if (rc == MASA_OK)
		rc = doc ? masa_reply_json(reply, 200, doc) : MASA_E_NOMEM;
	json_decref(doc);
	json_decref(list);
	return rc;
}

enum masa_err
masa_handle_product_show(const struct masa_req *req, struct masa_reply *reply)
{
	return get(req, reply, req->param);
}

enum masa_err
masa_handle_product_list(const struct masa_req *req, struct masa_reply *reply)
{
	return get(req, reply, NULL);
}
