/*
 * server.c: see server.h. Starts a listener: its libmicrohttpd daemon,
 * threading model and options, where it listens (TCP, TLS or a unix
 * socket), and the accept policy and connection bookkeeping (slots.h,
 * evict.h). Requests: request.c; answers: dispatch.c; the peer: peer.c;
 * deferred answers and shutdown: drain.c.
 */
#include "server_impl.h"

#include <stdlib.h>
#include <unistd.h>

#include "bindprobe.h"
#include "crypto/rand.h"
#include "evict.h"
#include "metrics.h"
#include "slots.h"
#include "tlscreds.h"
#include "unixsock.h"

/* TLS 1.2 and 1.3 only (RFC 8995 §5.4 requires at least 1.2). */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Accept policy: an IPv6 /64 holds at most limits.per_ip_connection_limit
 * connections, as an IPv4 address does (slots.h). */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct masa_server *srv = cls;

	(void)addrlen;
	return masa_slots_allow(srv->slots, addr) ? MHD_YES : MHD_NO;
}

/* A connection starts or ends. Until its first request it has
 * limits.handshake_timeout_s to speak (begin() in request.c then gives it
 * the idle timeout): idle connections that never send a request cannot
 * hold the listener's slots for long (security review F10). */
static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct masa_server *srv = cls;
	const union MHD_ConnectionInfo *ci, *fd;
	int evicted;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		if (srv->handshake_timeout_s != srv->idle_timeout_s)
			(void)MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT,
			    srv->handshake_timeout_s);
		masa_slots_count(srv->slots, ci != NULL ? ci->client_addr : NULL, 1);
		fd = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = masa_evict_started(srv->evict, fd != NULL ? fd->connect_fd : -1,
		    ci != NULL ? ci->client_addr : NULL, &evicted);
		if (evicted)
			masa_metrics_evicted(srv->routes);
	} else {
		masa_slots_count(srv->slots, ci != NULL ? ci->client_addr : NULL, -1);
		masa_evict_closed(srv->evict, *socket_context);
		*socket_context = NULL;
	}
}

/* Where and how the listener speaks: options for o (ending with
 * MHD_OPTION_END; room for 6), and MHD_USE_TLS in *flags for HTTPS. A
 * unix: listener's socket is created here. */
static enum masa_err
transport(struct masa_server *s, const struct masa_netaddr *addr, const struct masa_tls_pem *tls,
    struct MHD_OptionItem *o, unsigned *flags, struct masa_diag *diag)
{
	enum masa_err rc;
	size_t n = 0;

	if (addr->kind == MASA_LISTEN_UNIX) {
		rc = masa_unix_listen(addr, &s->unix_sock, diag);
		if (rc != MASA_OK)
			return rc;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, s->unix_sock.fd, NULL };
	} else {
		rc = masa_bind_probe(addr, diag);	/* the cause, before MHD's vague log line */
		if (rc != MASA_OK)
			return rc;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)(uintptr_t)&addr->ss };
	}
	if (addr->kind == MASA_LISTEN_HTTPS) {
		*flags |= MHD_USE_TLS;
		/* The certificate and key of each handshake: SIGHUP replaces them. */
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_CERT_CALLBACK, 0,
		    (void *)(uintptr_t)masa_tlscreds_retrieve };
		/* Setting a trust list makes libmicrohttpd ask clients for a
		 * certificate (GNUTLS_CERT_REQUEST: optional). It is not used to
		 * judge them: a registrar is identified by its key. */
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)(uintptr_t)tls->cert };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)TLS_PRIORITIES };
	}
	o[n] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	return MASA_OK;
}

enum masa_err
masa_server_start(struct masa_app *app, const struct masa_netaddr *addr,
    const struct masa_tls_pem *tls, const struct masa_route_table *routes, size_t body_max,
    struct masa_server **out, struct masa_diag *diag)
{
	const struct masa_limits *lim = &app->cfg->limits;
	const union MHD_DaemonInfo *info;
	struct MHD_OptionItem where[6], pool[2] = { { MHD_OPTION_END, 0, NULL },
		{ MHD_OPTION_END, 0, NULL } };
	struct masa_server *s;
	char url[MASA_HOST_MAX + 16];
	enum masa_err rc;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	/* The public listener: one event loop (poll) per core, each serving
	 * many connections. Its handlers never block: the crypto keeps every
	 * core busy, and an answer that waits for a group commit is deferred
	 * (the connection suspended) while the loop goes on with others. Not
	 * epoll: with libmicrohttpd 0.9.75 an epoll loop spins (recv ->
	 * EAGAIN, again) while a TLS handshake waits for the peer, so ten
	 * bytes of a ClientHello held a core until the connection timed out.
	 * The admin listener: a thread per connection (bounded by
	 * limits.connection_limit), since an import or an Argon2
	 * verification may take a while. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

	if (routes->threaded) {
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC;
	} else {
		/* MHD_ALLOW_SUSPEND_RESUME includes MHD_USE_ITC: a resume wakes the poll. */
		flags |= MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME;
		if (cores > 1)	/* one loop is no pool: the library warns about a size of 1 */
			pool[0] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
			    cores < 256 ? cores : 256, NULL };
	}

	if (addr->ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return MASA_E_NOMEM;
	s->app = app;
	s->routes = routes;
	s->handshake_timeout_s = (unsigned)lim->handshake_timeout_s;
	s->idle_timeout_s = (unsigned)lim->connection_timeout_s;
	s->body_timeout_s = (unsigned)lim->body_timeout_s;
	s->slots = masa_slots_new((unsigned)lim->per_ip_connection_limit);
	/* Above the mark, a new connection evicts the oldest one that is not in
	 * a request; at 100% never (the library refuses past the limit first). */
	s->evict = masa_evict_new((unsigned)(lim->connection_limit *
	    lim->evict_idle_above_percent / 100));
	if (s->slots == NULL || s->evict == NULL) {
		masa_slots_free(s->slots);
		masa_evict_free(s->evict);
		free(s);
		return MASA_E_NOMEM;
	}
	s->body_max = body_max;
	s->unix_sock.fd = -1;
	atomic_init(&s->inflight, 0);
	atomic_init(&s->deferred, 0);
	atomic_init(&s->stopping, 0);
	atomic_init(&s->requests, 0);
	rc = masa_rand_bytes(s->rid_prefix, sizeof s->rid_prefix);
	if (rc == MASA_OK)
		rc = transport(s, addr, tls, where, &flags, diag);
	if (rc != MASA_OK) {
		masa_slots_free(s->slots);
		masa_evict_free(s->evict);
		free(s);
		return rc;
	}
	s->daemon = MHD_start_daemon(flags, 0, on_accept, s, masa_srv_on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, masa_srv_mhd_log, NULL,	/* first, or MHD warns */
	    MHD_OPTION_ARRAY, where,
	    MHD_OPTION_ARRAY, pool,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)lim->connection_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)lim->per_ip_connection_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)lim->connection_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)lim->connection_memory_bytes,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_NOTIFY_COMPLETED, masa_srv_on_completed, s,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
	    MHD_OPTION_END);
	if (s->daemon == NULL) {
		masa_netaddr_url(addr, addr->port, url, sizeof url);
		masa_diag_set(diag, "cannot listen on %s (address in use, not local, or TLS files rejected)",
		    url);
		/* libmicrohttpd closes a listen socket it was given on most of
		 * its failure paths: closing it again could hit a reused
		 * descriptor, so at worst it stays open until serve exits. */
		masa_unix_unlink(&s->unix_sock);
		masa_slots_free(s->slots);
		masa_evict_free(s->evict);
		free(s);
		return MASA_E_IO;
	}
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : addr->port;
	*out = s;
	return MASA_OK;
}

unsigned
masa_server_port(const struct masa_server *s)
{
	return s->port;
}
