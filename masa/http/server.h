/*
 * server.h: one HTTPS listener (libmicrohttpd with GnuTLS) serving one
 * route table. Owns connection limits, timeouts, the body cap, request ids
 * and the per-request log line; knows nothing of vouchers.
 */
#ifndef MASA_SERVER_H
#define MASA_SERVER_H

#include "app.h"
#include "attr.h"
#include "diag.h"
#include "err.h"
#include "netaddr.h"
#include "routes.h"

struct masa_server;

/* TLS material shared by listeners: NUL-terminated PEM text that must
 * outlive every server started with it. */
struct masa_tls_pem {
	const char *cert;
	const char *key;
};

/* Starts a listener on addr accepting bodies of at most body_max bytes.
 * *out only on success; the bound port (which differs from addr->port when
 * that is 0) via masa_server_port. */
MASA_NODISCARD enum masa_err masa_server_start(struct masa_app *app, const struct masa_netaddr *addr,
    const struct masa_tls_pem *tls, const struct masa_route_table *routes, size_t body_max,
    struct masa_server **out, struct masa_diag *diag);
unsigned masa_server_port(const struct masa_server *s);
/* Stops accepting new connections; requests under way go on. */
void masa_server_quiesce(struct masa_server *s);
/* Requests begun and not yet completed. */
unsigned masa_server_inflight(struct masa_server *s);
/* Closes every connection and frees s (NULL is ignored). */
void masa_server_stop(struct masa_server *s);

#endif
