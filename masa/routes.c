/* routes.c: see routes.h. */
#include "routes.h"

#include <stdio.h>
#include <string.h>

static const struct masa_route public_routes[] = {
	{ "GET", "/healthz", masa_handle_healthz },
	{ "GET", "/readyz", masa_handle_readyz },
	{ "POST", "/.well-known/brski/requestvoucher", masa_handle_requestvoucher },
	{ "POST", "/.well-known/brski/requestauditlog", masa_handle_requestauditlog },
};

static const struct masa_route admin_routes[] = {
	{ "GET", "/healthz", masa_handle_healthz },
	{ "GET", "/readyz", masa_handle_readyz },
};

const struct masa_route_table masa_public_routes = {
	"public", public_routes, sizeof public_routes / sizeof public_routes[0]
};
const struct masa_route_table masa_admin_routes = {
	"admin", admin_routes, sizeof admin_routes / sizeof admin_routes[0]
};

/* Appends ", m" (or "m") to allow. */
static void
allow_add(char *allow, size_t cap, const char *m)
{
	size_t n = strlen(allow);

	snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
}

enum masa_err
masa_route_find(const struct masa_route_table *t, const char *method, const char *path,
    const struct masa_route **out, char *allow, size_t allow_cap)
{
	int path_known = 0;
	size_t i;

	allow[0] = '\0';
	for (i = 0; i < t->n; i++) {
		const struct masa_route *r = &t->routes[i];

		if (strcmp(r->path, path) != 0)
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
