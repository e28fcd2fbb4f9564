/* signkeys.c: see signkeys.h. */
#include "signkeys.h"

#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "events.h"

int
masa_signkey_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n >= 1 && n <= MASA_KEY_NAME_MAX &&
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

struct add {
	const struct masa_key_row *r;
	struct masa_diag *diag;
};

static enum masa_err
add_change(struct masa_txn *t, void *arg)
{
	struct add *a = arg;
	struct masa_event_fields ev = { 0 };
	char detail[MASA_KEY_REF_MAX + 128];
	enum masa_err rc = masa_store_key_add(t, a->r);

	if (rc == MASA_E_EXISTS)
		masa_diag_set(a->diag, "there is already a signing key named \"%s\"", a->r->name);
	if (rc != MASA_OK)
		return rc;
	snprintf(detail, sizeof detail, "name=%s alg=%s where=%s", a->r->name,
	    masa_alg_name((enum masa_alg)a->r->alg), a->r->ref);
	ev.at_ms = a->r->created_ms;
	ev.source = "cli";
	ev.detail = detail;
	return masa_event_append(t, MASA_EV_KEY_ADDED, &ev);
}

enum masa_err
masa_signkey_add(struct masa_db *db, const struct masa_key_row *r, struct masa_diag *diag)
{
	struct add a = { r, diag };

	return masa_db_write(db, add_change, &a);
}

struct retire {
	const char *name;
	int force;
	int64_t now_ms;
	struct masa_diag *diag;
};

static enum masa_err
retire_change(struct masa_txn *t, void *arg)
{
	struct retire *r = arg;
	struct masa_event_fields ev = { 0 };
	struct masa_key_row row;
	char detail[MASA_KEY_NAME_MAX + 64];
	enum masa_err rc = masa_store_key_get(t, r->name, &row);

	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(r->diag, "there is no signing key named \"%s\"", r->name);
	if (rc != MASA_OK)
		return rc;
	if (row.retired_ms != 0) {
		masa_diag_set(r->diag, "signing key \"%s\" is already retired", r->name);
		return MASA_E_CONFLICT;
	}
	if (row.products > 0) {
		/* Even with --force: the products' new devices would be refused
		 * enrollment, and their old ones keep the key they recorded. */
		masa_diag_set(r->diag, "%lld products name signing key \"%s\" for their new devices: "
		    "give them another key first (masa product set NAME --signing-key KEY)",
		    (long long)row.products, r->name);
		return MASA_E_CONFLICT;
	}
	if (row.devices > 0 && !r->force) {
		masa_diag_set(r->diag, "%lld devices trust signing key \"%s\": retiring it refuses "
		    "them vouchers (503); add --force to do so", (long long)row.devices, r->name);
		return MASA_E_CONFLICT;
	}
	rc = masa_store_key_retire(t, r->name, r->now_ms);
	if (rc != MASA_OK)
		return rc;
	snprintf(detail, sizeof detail, "name=%s devices=%lld%s", r->name, (long long)row.devices,
	    r->force ? " forced" : "");
	ev.at_ms = r->now_ms;
	ev.source = "cli";
	ev.detail = detail;
	return masa_event_append(t, MASA_EV_KEY_RETIRED, &ev);
}

enum masa_err
masa_signkey_retire(struct masa_db *db, const char *name, int force, int64_t now_ms,
    struct masa_diag *diag)
{
	struct retire r = { name, force, now_ms, diag };

	return masa_db_write(db, retire_change, &r);
}
