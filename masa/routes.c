/* routes.c: see routes.h. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

#define ALL (MASA_ROLE_ADMIN | MASA_ROLE_FACTORY | MASA_ROLE_AUDITOR)
#define ENROLL (MASA_ROLE_ADMIN | MASA_ROLE_FACTORY)
#define AUDIT (MASA_ROLE_ADMIN | MASA_ROLE_AUDITOR)
#define ADMIN MASA_ROLE_ADMIN

static const struct masa_route public_routes[] = {
	{ "GET", "/healthz", masa_handle_healthz, 0 },
	{ "GET", "/readyz", masa_handle_readyz, 0 },
	{ "POST", "/.well-known/brski/requestvoucher", masa_handle_requestvoucher, 0 },
	{ "POST", "/.well-known/brski/requestauditlog", masa_handle_requestauditlog, 0 },
};

/* Exact paths before '*' ones: the first match wins. */
static const struct masa_route admin_routes[] = {
	{ "GET", "/healthz", masa_handle_healthz, 0 },
	{ "GET", "/readyz", masa_handle_readyz, 0 },
	/* Operational counters: for a Prometheus scraper holding an auditor
	 * token (read-only), or an admin. */
	{ "GET", "/metrics", masa_handle_metrics, AUDIT },
	{ "POST", "/admin/v1/devices", masa_handle_device_add, ENROLL },
	{ "GET", "/admin/v1/devices", masa_handle_device_list, ALL },
	{ "POST", "/admin/v1/devices/import", masa_handle_device_import, ENROLL },
	{ "GET", "/admin/v1/devices/*", masa_handle_device_show, ALL },
	{ "DELETE", "/admin/v1/devices/*", masa_handle_device_retire, ADMIN },
	{ "POST", "/admin/v1/devices/*/release", masa_handle_device_release, ADMIN },
	{ "PUT", "/admin/v1/devices/*/owner", masa_handle_device_owner, ADMIN },
	{ "POST", "/admin/v1/owners", masa_handle_owner_add, ADMIN },
	{ "POST", "/admin/v1/registrars/blocked", masa_handle_block, ADMIN },
	{ "DELETE", "/admin/v1/registrars/blocked/*", masa_handle_unblock, ADMIN },
	{ "GET", "/admin/v1/audit", masa_handle_audit, AUDIT },
	{ "GET", "/admin/v1/key", masa_handle_key, ALL },
};

const struct masa_route_table masa_public_routes = {
	.name = "public", .threaded = 0,
	.routes = public_routes, .n = sizeof public_routes / sizeof public_routes[0],
};
const struct masa_route_table masa_admin_routes = {
	/* Imports and Argon2 verifications take long: a thread each. */
	.name = "admin", .threaded = 1,
	.routes = admin_routes, .n = sizeof admin_routes / sizeof admin_routes[0],
};

/* 1 if path matches pattern, whose '*' segment matches one non-empty
 * segment (copied to param). */
static int
match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *star = strchr(pattern, '*'), *end;
	size_t pre, n;

	if (star == NULL)
		return strcmp(pattern, path) == 0;
	pre = (size_t)(star - pattern);
	if (strncmp(pattern, path, pre) != 0)
		return 0;
	path += pre;
	end = strchr(path, '/');
	n = end ? (size_t)(end - path) : strlen(path);
	if (n == 0 || n >= cap || strcmp(star + 1, path + n) != 0)
		return 0;
	memcpy(param, path, n);
	param[n] = '\0';
	return 1;
}

/* Appends ", m" (or "m") to allow. */
static void
allow_add(char *allow, size_t cap, const char *m)
{
	size_t n = strlen(allow);

	snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
}

enum masa_err
masa_route_find(const struct masa_route_table *t, const char *method, const char *path,
    const struct masa_route **out, char *allow, size_t allow_cap, char *param, size_t param_cap)
{
	int path_known = 0;
	size_t i;

	allow[0] = '\0';
	param[0] = '\0';
	for (i = 0; i < t->n; i++) {
		const struct masa_route *r = &t->routes[i];

		if (!match(r->path, path, param, param_cap))
			continue;
		path_known = 1;
		if (strcmp(r->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0)) {
			*out = r;
			return MASA_OK;
		}
		allow_add(allow, allow_cap, r->method);
		if (strcmp(r->method, "GET") == 0)
			allow_add(allow, allow_cap, "HEAD");
	}
	return path_known ? MASA_E_METHOD : MASA_E_NO_ROUTE;
}
