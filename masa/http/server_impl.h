/*
 * server_impl.h: what the files of one listener share, for them only
 * (users include server.h): the listener's state, a request's context,
 * and the calls between server.c (start-up), request.c (a request's
 * life), dispatch.c (routing and answers), peer.c (who is asking),
 * drain.c (deferred answers and shutdown) and mhdlog.c.
 */
#ifndef MASA_SERVER_IMPL_H
#define MASA_SERVER_IMPL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "attr.h"
#include "bytes.h"
#include "masa_limits.h"
#include "reply.h"
#include "routes.h"
#include "server.h"
#include "unixsock.h"

struct masa_server {
	struct MHD_Daemon *daemon;
	struct masa_app *app;
	const struct masa_route_table *routes;
	size_t body_max;
	unsigned port;
	atomic_uint inflight;
	atomic_uint deferred;	/* answers deferred and not yet woken */
	atomic_int stopping;	/* quiesced: no new requests, no new deferred answers */
	uint8_t rid_prefix[4];	/* request ids: random per listener... */
	atomic_uint_least32_t requests;	/* ...then a count */
	struct masa_unix_sock unix_sock;	/* a unix: listener's socket file */
	struct masa_slots *slots;	/* connections per IPv6 /64 */
	struct masa_evict *evict;	/* slow clients yield their place */
	unsigned handshake_timeout_s;	/* until a connection's first request */
	unsigned idle_timeout_s;	/* then */
	unsigned body_timeout_s;	/* a request's whole body, from its headers */
};

/* A deferred answer (routes.h): the connection is suspended meanwhile. */
struct masa_later {
	struct masa_server *srv;
	struct MHD_Connection *conn;
	void *state;
	enum masa_err (*finish)(void *state, struct masa_reply *reply);
	void (*release)(void *state);
};

struct conn_req {
	struct masa_server *srv;
	struct masa_buf body;
	int64_t start_us;
	size_t discarded;
	int too_large;
	int out_of_memory;
	int refused;		/* refused on the headers: drain any body, then send early */
	struct masa_reply early;
	int hashed;		/* an Argon2 verification ran for this request */
	unsigned status;
	char rid[17];
	char peer[64];
	char method[16];
	char path[MASA_LOG_PATH_MAX];
	struct masa_buf tls_cert;	/* the client's TLS certificate (DER), if it sent one */
	struct masa_buf tls_chain;	/* the certificates it sent after its own, DER back to back */
	struct masa_bytes tls_cas[MASA_TLS_CHAIN_MAX];	/* each of them, in tls_chain */
	size_t tls_ncas;
	const struct masa_route *route;	/* found on the first call */
	char param[MASA_ROUTE_PARAM_MAX];
	struct masa_principal who;	/* authenticated on the first call */
	struct masa_later later;	/* state set while an answer is deferred */
	char audit_detail[192];		/* a refused forwarded header's audit entry, or "" */
};

/* request.c: libmicrohttpd's access handler and completion callback. */
enum MHD_Result masa_srv_on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data, size_t *upload_size,
    void **con_cls);
void masa_srv_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe);

/* dispatch.c: routing, authentication and answers. */
enum masa_err masa_srv_admit(struct MHD_Connection *c, struct conn_req *r, const char *url,
    const char *method, struct masa_reply *reply);
enum MHD_Result masa_srv_dispatch(struct MHD_Connection *c, struct conn_req *r, const char *url,
    const char *method);
enum MHD_Result masa_srv_send_reply(struct MHD_Connection *c, struct conn_req *r,
    struct masa_reply *reply);
/* Answers with rc's status and sentence (masa_reply_error). */
enum MHD_Result masa_srv_send_error(struct MHD_Connection *c, struct conn_req *r, enum masa_err rc);
enum MHD_Result masa_srv_finish_later(struct MHD_Connection *c, struct conn_req *r);

/* peer.c: the TLS client certificate and forwarded headers. */
void masa_srv_chain_views(struct conn_req *r, const size_t *len, size_t n);
void masa_srv_capture_client_cert(struct MHD_Connection *c, struct conn_req *r);
enum masa_err masa_srv_apply_proxy(struct MHD_Connection *c, struct conn_req *r);
enum MHD_Result masa_srv_refuse_audited(struct MHD_Connection *c, struct conn_req *r);

/* drain.c: deferred answers (req->defer, req->wake). */
struct masa_later *masa_srv_defer(const struct masa_req *req, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply), void (*release)(void *state));
void masa_srv_wake(struct masa_later *l);

/* mhdlog.c: libmicrohttpd's own messages, as JSON log lines. */
void masa_srv_mhd_log(void *cls, const char *fmt, va_list ap) MASA_PRINTF(2, 0);

#endif
