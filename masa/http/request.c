/*
 * request.c: one request's life on a listener (server_impl.h): its
 * context, request id, framing and body collection, and its log line.
 *
 * libmicrohttpd calls the access handler several times per request: first
 * with headers only (we set up the per-request context, route and
 * authenticate), then once per body chunk (accumulated up to the cap; past
 * it the rest is drained and dropped, and the connection cut after
 * MASA_DISCARD_MAX), and finally with no data, when we route and answer.
 * A declared Content-Length over the cap is drained the same way and
 * answered 413 at the end, so a client still sending reads the answer
 * instead of a reset; one over MASA_DISCARD_MAX as well is answered at
 * once (and the connection closed). A request refused on its headers
 * (route, method, authentication) is answered the same way: its body is
 * never kept, only drained up to MASA_DISCARD_MAX. The context is freed in the
 * completion callback, which also writes the request's log line.
 */
#include "server_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "encode.h"
#include "evict.h"
#include "log.h"
#include "metrics.h"
#include "timeutil.h"

/* Copies s for logging: printable ASCII only, truncated. */
static void
copy_printable(char *dst, size_t cap, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < cap; i++)
		dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	dst[i] = '\0';
}

/* Counts the Content-Length and Transfer-Encoding headers of a request. */
struct framing {
	unsigned content_length, transfer_encoding;
};

static enum MHD_Result
note_framing(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		f->content_length++;
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
		f->transfer_encoding++;
	return MHD_YES;
}

/* Strict framing (RFC 9112 §6.3): a request whose length could be read two
 * ways (two Content-Length headers, or one with Transfer-Encoding) is
 * refused, so that no proxy in front can read it differently from us.
 * *has_body: it announces a body. */
static enum masa_err
check_framing(struct MHD_Connection *c, int *has_body)
{
	struct framing f = { 0, 0 };

	MHD_get_connection_values(c, MHD_HEADER_KIND, note_framing, &f);
	if (f.content_length > 1 || (f.content_length > 0 && f.transfer_encoding > 0) ||
	    f.transfer_encoding > 1)
		return MASA_E_FRAMING;
	*has_body = f.transfer_encoding > 0;
	return MASA_OK;
}

/* 1 if requests of method never carry a body here (GET, HEAD, DELETE). */
static int
takes_no_body(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	    strcmp(method, "DELETE") == 0;
}

/* The connection's entry in the eviction table (evict.h), or NULL. */
static struct masa_evict_conn *
evict_entry(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

/* A request id: the listener's random 32-bit prefix, then a counter, in
 * hex. Unique within a run and unlikely to repeat across runs; it only
 * ties a request's log line to its answer, so it need not be
 * unpredictable (and drawing from the DRBG for each request cost more
 * than building the answer's headers). */
static void
next_request_id(struct masa_server *srv, char out[17])
{
	uint8_t id[8];
	uint32_t n = atomic_fetch_add(&srv->requests, 1);

	memcpy(id, srv->rid_prefix, 4);
	id[4] = (uint8_t)(n >> 24);
	id[5] = (uint8_t)(n >> 16);
	id[6] = (uint8_t)(n >> 8);
	id[7] = (uint8_t)n;
	masa_hex(id, sizeof id, out);
}

/* First call for a request: context, request id, early size check. */
static enum MHD_Result
begin(struct masa_server *srv, struct MHD_Connection *c, const char *url,
    const char *method, void **con_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct conn_req *r;
	enum masa_err rc;
	const char *cl, *expect;
	char *end;
	unsigned long long n = 0;
	int waits, chunked = 0;

	r = calloc(1, sizeof *r);
	if (r == NULL)
		return MHD_NO;
	r->srv = srv;
	r->start_us = masa_mono_us();
	if (srv->handshake_timeout_s != srv->idle_timeout_s)	/* it spoke: the idle timeout */
		(void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, srv->idle_timeout_s);
	masa_buf_init(&r->body, srv->body_max);
	masa_buf_init(&r->tls_cert, MASA_TLS_CERT_MAX);
	masa_buf_init(&r->tls_chain, MASA_TLS_CERT_MAX * MASA_TLS_CHAIN_MAX);
	masa_reply_init(&r->early);
	masa_evict_busy(srv->evict, evict_entry(c), 1);
	masa_srv_capture_client_cert(c, r);
	next_request_id(srv, r->rid);
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	masa_netaddr_peer(ci ? ci->client_addr : NULL, r->peer, sizeof r->peer);
	copy_printable(r->method, sizeof r->method, method);
	copy_printable(r->path, sizeof r->path, url);
	atomic_fetch_add(&srv->inflight, 1);
	*con_cls = r;
	if (atomic_load(&srv->stopping))	/* a keep-alive connection's next request */
		return masa_srv_send_error(c, r, MASA_E_SHUTTING_DOWN);
	if ((rc = masa_srv_apply_proxy(c, r)) != MASA_OK)
		return r->audit_detail[0] != '\0' ? masa_srv_refuse_audited(c, r) :
		    masa_srv_send_error(c, r, rc);

	/* A client waiting for 100 Continue sends no body until invited: a
	 * refusal is answered at once instead of inviting a body to drop. */
	expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);
	waits = expect != NULL && strcasecmp(expect, "100-continue") == 0;
	if ((rc = check_framing(c, &chunked)) != MASA_OK)
		return masa_srv_send_error(c, r, rc);
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	/* A body where none is taken is never read: answered at once. */
	if (takes_no_body(method) && (chunked || (cl != NULL && strcmp(cl, "0") != 0)))
		return masa_srv_send_error(c, r, MASA_E_BODY);
	if (cl != NULL) {
		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || *end != '\0' || (n > srv->body_max && (n > MASA_DISCARD_MAX || waits)))
			return masa_srv_send_error(c, r, MASA_E_TOO_LARGE);
		if (n > srv->body_max) {
			r->too_large = 1;	/* drained, then 413 */
			return MHD_YES;
		}
	}
	rc = masa_srv_admit(c, r, url, method, &r->early);
	if (rc == MASA_OK)
		return MHD_YES;
	/* Refused on the headers: no body is kept. A body of at most
	 * MASA_DISCARD_MAX is read and dropped before the answer, so that a
	 * client still sending it reads the answer instead of a reset;
	 * anything larger is answered at once. */
	masa_reply_error(&r->early, rc);
	r->refused = 1;
	if ((cl != NULL && n > MASA_DISCARD_MAX) || waits)
		return masa_srv_send_reply(c, r, &r->early);
	return MHD_YES;
}

enum MHD_Result
masa_srv_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct masa_server *srv = cls;
	struct conn_req *r = *con_cls;
	enum masa_err rc;

	(void)version;
	if (r == NULL)
		return begin(srv, c, url, method, con_cls);
	if (r->status != 0)
		return MHD_YES;	/* answered early; let the library finish */
	if (r->later.state != NULL) {	/* resumed: the answer is ready */
		*upload_size = 0;	/* a body still coming after an early refusal is dropped */
		return masa_srv_finish_later(c, r);
	}
	if (*upload_size != 0) {
		/* On the public listener, a body that trickles in (a byte every few
		 * seconds keeps the idle timeout away) has limits.body_timeout_s
		 * from its headers. The admin listener admits a body only with a
		 * valid token (masa_srv_admit runs on the headers), and its
		 * imports are large. */
		if (!srv->routes->threaded &&
		    masa_mono_us() - r->start_us > (int64_t)srv->body_timeout_s * 1000000) {
			masa_log_event("warn", "request %s: body not complete %u s after its headers; "
			    "connection dropped", r->rid, srv->body_timeout_s);
			return MHD_NO;
		}
		if (!r->too_large && !r->refused && (rc = masa_buf_append(&r->body, upload_data, *upload_size)) != MASA_OK) {
			r->too_large = 1;	/* drain the rest either way */
			r->out_of_memory = rc == MASA_E_NOMEM;
			masa_buf_free(&r->body);
		}
		if (r->too_large || r->refused) {
			r->discarded += *upload_size;
			if (r->discarded > MASA_DISCARD_MAX)
				return MHD_NO;	/* drop the connection */
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->refused)
		return masa_srv_send_reply(c, r, &r->early);
	if (r->too_large)
		return masa_srv_send_error(c, r, r->out_of_memory ? MASA_E_NOMEM : MASA_E_TOO_LARGE);
	return masa_srv_dispatch(c, r, url, method);
}

/* Completion: log the request and free its context. */
void
masa_srv_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct masa_server *srv = cls;
	struct conn_req *r = *con_cls;
	struct masa_log_request line;
	int64_t elapsed_us;

	(void)toe;
	masa_evict_busy(srv->evict, evict_entry(c), 0);	/* idle again: evictable */
	if (r == NULL)
		return;
	line.rid = r->rid;
	line.listener = srv->routes->name;
	line.method = r->method;
	line.path = r->path;
	line.peer = r->peer;
	line.status = r->status;
	line.argon2 = r->hashed;
	elapsed_us = masa_mono_us() - r->start_us;
	line.ms = (double)elapsed_us / 1000.0;
	masa_log_request(&line);
	masa_metrics_request(srv->routes, r->route, r->status, elapsed_us);
	if (r->later.state != NULL)	/* woken, but the connection ended first */
		r->later.release(r->later.state);
	masa_reply_free(&r->early);
	masa_buf_free(&r->body);
	masa_buf_free(&r->tls_cert);
	masa_buf_free(&r->tls_chain);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&srv->inflight, 1);
}
