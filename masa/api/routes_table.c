/* routes_table.c: the route tables of handlers.h, with the roles each
 * admin route admits. */
#include "handlers.h"

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
	/* The status page (HTML, or ?format=json), for the same roles. */
	{ "GET", "/status", masa_handle_status, AUDIT },
	{ "POST", "/admin/v1/devices", masa_handle_device_add, ENROLL },
	{ "GET", "/admin/v1/devices", masa_handle_device_list, ALL },
	{ "POST", "/admin/v1/devices/import", masa_handle_device_import, ENROLL },
	{ "GET", "/admin/v1/devices/*", masa_handle_device_show, ALL },
	{ "DELETE", "/admin/v1/devices/*", masa_handle_device_retire, ADMIN },
	{ "POST", "/admin/v1/devices/*/release", masa_handle_device_release, ADMIN },
	{ "PUT", "/admin/v1/devices/*/owner", masa_handle_device_owner, ADMIN },
	{ "POST", "/admin/v1/owners", masa_handle_owner_add, ADMIN },
	{ "POST", "/admin/v1/products", masa_handle_product_add, ADMIN },
	{ "GET", "/admin/v1/products", masa_handle_product_list, ALL },
	{ "GET", "/admin/v1/products/*", masa_handle_product_show, ALL },
	{ "PUT", "/admin/v1/products/*", masa_handle_product_set, ADMIN },
	{ "POST", "/admin/v1/registrars/blocked", masa_handle_block, ADMIN },
	{ "DELETE", "/admin/v1/registrars/blocked/*", masa_handle_unblock, ADMIN },
	{ "GET", "/admin/v1/audit", masa_handle_audit, AUDIT },
	{ "GET", "/admin/v1/key", masa_handle_key, ALL },
};

const struct masa_route_table masa_public_routes = {
	.name = "public", .threaded = 0, .forwarded = 1,
	.routes = public_routes, .n = sizeof public_routes / sizeof public_routes[0],
};
const struct masa_route_table masa_admin_routes = {
	/* Imports and Argon2 verifications take long: a thread each. No
	 * proxy fronts it (README, Behind nginx), so no peer may forward an
	 * identity to it: an address the throttle keys on is the peer's own. */
	.name = "admin", .threaded = 1, .forwarded = 0,
	.routes = admin_routes, .n = sizeof admin_routes / sizeof admin_routes[0],
};
