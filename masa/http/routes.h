/*
 * routes.h: the request a handler sees, and what a route table is (the
 * tables themselves are the api layer's: handlers.h). Method, path and size are decided before any handler runs:
 * unknown path 404, known path with another method 405 (with Allow).
 */
#ifndef MASA_ROUTES_H
#define MASA_ROUTES_H

#include "app.h"
#include "auth.h"
#include "bytes.h"
#include "err.h"
#include "reply.h"

struct masa_req {
	struct masa_app *app;
	const char *rid;
	const char *method;
	const char *path;
	const char *peer;		/* client address, numeric */
	struct masa_bytes tls_cert;	/* the TLS client certificate (DER), or empty */
	const struct masa_bytes *tls_cas;	/* the certificates the TLS client sent after */
	size_t tls_ncas;		/* its own (DER, at most MASA_TLS_CHAIN_MAX) */
	struct masa_bytes body;		/* at most the listener's body cap */
	const char *param;		/* the path segment matched by '*', or "" */
	struct masa_principal who;	/* the authenticated token, on routes with roles */
	/* Header lookup (case-insensitive name); NULL if absent. */
	const char *(*header)(const struct masa_req *req, const char *name);
	/* Query-string argument, URL-decoded; NULL if absent. */
	const char *(*query)(const struct masa_req *req, const char *name);
	void *conn;			/* for header() and query(); opaque to handlers */
	/* An answer that waits for the store, on the public listener (its
	 * threads serve many connections each and must not block): the
	 * handler calls defer with its state before it starts the work the
	 * answer waits for, returns MASA_OK without filling reply, and sees to
	 * it that wake is called exactly once, from any thread, when the
	 * answer is ready (answer_later.h does all this). Then finish fills
	 * the reply on a server thread, and release frees state (also when the
	 * connection ends first). NULL on the admin listener, whose handlers
	 * may block. */
	struct masa_later *(*defer)(const struct masa_req *req, void *state,
	    enum masa_err (*finish)(void *state, struct masa_reply *reply),
	    void (*release)(void *state));
	void (*wake)(struct masa_later *later);	/* later must not be used afterwards */
	void *call;			/* for defer(); opaque to handlers */
};

struct masa_later;

/* A handler fills reply and returns MASA_OK, or returns an error code and
 * leaves the reply to the caller. */
typedef enum masa_err (*masa_handler_fn)(const struct masa_req *req, struct masa_reply *reply);

struct masa_route {
	const char *method;
	const char *path;		/* a '*' segment matches one non-empty segment */
	masa_handler_fn fn;
	unsigned roles;			/* MASA_ROLE_* bits allowed; 0: no token needed */
};

#define MASA_ROUTE_PARAM_MAX 256

struct masa_route_table {
	const char *name;	/* "public" or "admin", for logs */
	int threaded;		/* a thread per connection: handlers may block */
	int forwarded;		/* proxy.trusted peers may forward client identity (proxy.h) */
	const struct masa_route *routes;
	size_t n;
};

/* Finds the route for method and path. MASA_E_NO_ROUTE, or MASA_E_METHOD
 * with the allowed methods ("GET, HEAD") written to allow. HEAD matches
 * GET routes. The segment a '*' matched goes to param (cap bytes; a
 * longer one does not match). */
MASA_NODISCARD enum masa_err masa_route_find(const struct masa_route_table *t, const char *method,
    const char *path, const struct masa_route **out, char *allow, size_t allow_cap,
    char *param, size_t param_cap);

#endif
