/*
 * peer.c: who a request comes from: the TLS client certificate and the
 * chain sent with it, captured from the handshake, or the address and
 * certificate forwarded by a trusted proxy (proxy.h). A forwarded header
 * from anyone else is refused, and the refusal audited.
 */
#include "server_impl.h"

#include <string.h>

#include <gnutls/gnutls.h>

#include "errors.h"
#include "events.h"
#include "log.h"
#include "proxy.h"

/* Points r->tls_cas at the n certificates of r->tls_chain, of lengths
 * len, once every append is done (an append may move the buffer). */
void
masa_srv_chain_views(struct conn_req *r, const size_t *len, size_t n)
{
	size_t k, off = 0;

	for (k = 0; k < n; k++) {
		r->tls_cas[k] = (struct masa_bytes){ r->tls_chain.ptr + off, len[k] };
		off += len[k];
	}
	r->tls_ncas = n;
}

/* Copies the TLS client certificate (the first of the peer's chain), if
 * the client sent one, and the certificates it sent after it (its CA
 * chain; at most MASA_TLS_CHAIN_MAX, each at most MASA_TLS_CERT_MAX bytes,
 * the rest not kept). GnuTLS has checked that the client holds the first
 * one's key (CertificateVerify); whether the key is acceptable, and what
 * the others are worth, is decided later, like every other registrar-key
 * source and certificate set. */
void
masa_srv_capture_client_cert(struct MHD_Connection *c, struct conn_req *r)
{
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *peers;
	size_t len[MASA_TLS_CHAIN_MAX], i;
	unsigned n = 0;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci == NULL || ci->tls_session == NULL)
		return;
	peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
	if (peers == NULL || n == 0 ||
	    masa_buf_append(&r->tls_cert, peers[0].data, peers[0].size) != MASA_OK) {
		masa_buf_free(&r->tls_cert);
		return;
	}
	for (i = 0; i + 1 < n && i < MASA_TLS_CHAIN_MAX; i++) {
		if (peers[i + 1].size == 0 || peers[i + 1].size > MASA_TLS_CERT_MAX ||
		    masa_buf_append(&r->tls_chain, peers[i + 1].data, peers[i + 1].size) != MASA_OK)
			break;
		len[i] = peers[i + 1].size;
	}
	masa_srv_chain_views(r, len, i);
}

static enum MHD_Result
note_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	(void)kind;
	masa_proxy_header_seen(cls, key, value);
	return MHD_YES;
}

/* Forwarded client address, certificate and its chain (proxy.h): from a
 * trusted proxy they replace r->peer, r->tls_cert and r->tls_cas; from
 * anyone else the request is refused, and audited. */
enum masa_err
masa_srv_apply_proxy(struct MHD_Connection *c, struct conn_req *r)
{
	struct masa_proxy_headers h;
	size_t len[MASA_TLS_CHAIN_MAX], n = 0;
	enum masa_err rc;

	memset(&h, 0, sizeof h);
	MHD_get_connection_values(c, MHD_HEADER_KIND, note_header, &h);
	static const struct masa_proxy_trust nobody;	/* n = 0 */

	rc = masa_proxy_resolve(r->srv->routes->forwarded ? &r->srv->app->cfg->proxy_trusted :
	    &nobody, &h, r->tls_cert.len > 0, r->peer, sizeof r->peer, &r->tls_cert);
	if (rc == MASA_OK)	/* a forwarded certificate: the connection has none */
		rc = masa_proxy_chain(&h, &r->tls_chain, len, &n);
	if (rc == MASA_OK && n > 0)
		masa_srv_chain_views(r, len, n);
	if (rc == MASA_E_PROXY_HEADER &&
	    !masa_proxy_refusal_detail(&h, r->audit_detail, sizeof r->audit_detail))
		r->audit_detail[0] = '\0';
	return rc;
}

/* The audit entry of a refused forwarded header (proxy.h). */
static enum masa_err
proxy_audit_change(struct masa_txn *t, void *arg)
{
	struct conn_req *r = arg;
	struct masa_event_fields f = { .source = r->peer, .detail = r->audit_detail };

	return masa_event_append(t, MASA_EV_PROXY_HEADER_REFUSED, &f);
}

/* The refused request's answer, once its entry is written (or not). */
static enum masa_err
proxy_refused(void *state, struct masa_reply *reply)
{
	(void)state;
	(void)reply;
	return MASA_E_PROXY_HEADER;
}

static void
nothing_to_release(void *state)
{
	(void)state;
}

/* masa_db_submit's callback for proxy_audit_change. */
static void
proxy_audited(void *arg, enum masa_err rc)
{
	struct conn_req *r = arg;

	if (rc != MASA_OK)
		masa_log_event("error", "cannot audit a refused proxy header: %s", masa_err_name(rc));
	masa_srv_wake(&r->later);
}

/* Answers a request refused for its forwarded headers once their audit
 * entry is written: at once on a listener whose handlers may block, else
 * with the connection suspended until the store's commit. */
enum MHD_Result
masa_srv_refuse_audited(struct MHD_Connection *c, struct conn_req *r)
{
	struct masa_req req;
	enum masa_err rc;

	if (r->srv->routes->threaded) {
		rc = masa_db_write(r->srv->app->db, proxy_audit_change, r);
		if (rc != MASA_OK)
			masa_log_event("error", "cannot audit a refused proxy header: %s",
			    masa_err_name(rc));
		return masa_srv_send_error(c, r, MASA_E_PROXY_HEADER);
	}
	memset(&req, 0, sizeof req);
	req.conn = c;
	req.call = r;
	if (masa_srv_defer(&req, r, proxy_refused, nothing_to_release) == NULL)
		return masa_srv_send_error(c, r, MASA_E_PROXY_HEADER);
	rc = masa_db_submit(r->srv->app->db, proxy_audit_change, r, proxy_audited, r);
	if (rc != MASA_OK)
		proxy_audited(r, rc);
	return MHD_YES;
}
