/* cmd_serve.c: `masa serve --config FILE [--listen HOST:PORT]
 * [--admin-listen HOST:PORT]`. Loads and checks everything first (any
 * problem: one sentence, exit 1, no socket bound), then starts the public
 * listener and, when configured, the admin listener, and prints their
 * addresses. SIGTERM/SIGINT: stop accepting, let requests under way finish
 * (up to limits.shutdown_grace_s; then exit 0 without those still under
 * way), close the store, exit 0. SIGHUP: reload
 * the TLS files and log level (reload.c). Under systemd (NOTIFY_SOCKET
 * set) it reports READY=1 once listening, RELOADING=1 around a reload and
 * STOPPING=1 on the way out; without it sd_notify does nothing. */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "app.h"
#include "cli.h"
#include "handlers.h"
#include "log.h"
#include "masa_limits.h"
#include "metrics.h"
#include "reload.h"
#include "server.h"
#include "startup.h"
#include "timeutil.h"
#include "tlscreds.h"
#include "workq.h"

static const char help[] =
    "usage: masa serve --config FILE [--listen ADDRESS] [--admin-listen ADDRESS]\n\n"
    "Runs the service in the foreground over HTTPS. --listen and --admin-listen\n"
    "override the configured addresses; port 0 picks a free port. The first line\n"
    "on stdout is \"listening on https://HOST:PORT\", followed by \"admin listening\n"
    "on https://HOST:PORT\" when the admin listener is on. Stops cleanly on\n"
    "SIGTERM or SIGINT; SIGHUP reloads the TLS certificate and key and log.level.\n\n"
    "ADDRESS is HOST:PORT (HTTPS), or, behind a reverse proxy on this host only,\n"
    "http://HOST:PORT on a loopback address or unix:/PATH (plain HTTP).\n";

/* Starts one listener; its URL goes to auth. */
static enum masa_err
start_listener(struct masa_app *app, const char *text, const struct masa_tls_pem *tls,
    const struct masa_route_table *routes, size_t body_max, struct masa_server **out,
    char *auth, size_t auth_cap, struct masa_diag *diag)
{
	struct masa_netaddr addr;
	enum masa_err rc;

	rc = masa_netaddr_parse(text, &addr, diag);
	if (rc == MASA_OK)
		rc = masa_server_start(app, &addr, tls, routes, body_max, out, diag);
	if (rc == MASA_OK)
		masa_netaddr_url(&addr, masa_server_port(*out), auth, auth_cap);
	return rc;
}

/* Waits for requests under way to finish, at most grace_s seconds; returns
 * how many are still under way. */
static unsigned
drain(struct masa_server *pub, struct masa_server *adm, uint64_t grace_s)
{
	int64_t deadline = masa_mono_us() + (int64_t)grace_s * 1000000;
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	while (masa_server_inflight(pub) + masa_server_inflight(adm) > 0 &&
	    masa_mono_us() < deadline)
		nanosleep(&tick, NULL);
	return masa_server_inflight(pub) + masa_server_inflight(adm);
}

/* One worker per online core (at least 1, at most 16). */
static size_t
worker_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : (size_t)n;
}

int
masa_cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "admin-listen", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct masa_server *pub = NULL, *adm = NULL;
	struct masa_startup st;
	struct masa_tls_pem tls;
	struct masa_app app = { 0 };
	const char *config = NULL, *listen = NULL, *admin_listen = NULL;
	char pub_auth[MASA_HOST_MAX + 24], adm_auth[MASA_HOST_MAX + 24];
	sigset_t sigs;
	enum masa_err rc;
	unsigned left;
	int c, sig = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 'a': admin_listen = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("serve", argv);
		}
	}
	if (optind != argc) {
		char msg[200];

		snprintf(msg, sizeof msg, "unexpected argument %.100s", argv[optind]);
		return masa_cli_usage_error("serve", msg);
	}
	if (config == NULL)
		return masa_cli_usage_error("serve", "--config FILE is required");

	/* Signals are taken by sigwait below, never by a server thread. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	rc = masa_startup_load(config, MASA_NEED_SIGNER | MASA_NEED_TLS | MASA_NEED_MIGRATE,
	    &st, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	app.cfg = &st.cfg;
	app.started_ms = masa_now_ms();
	app.db = st.db;
	masa_db_gather(app.db, MASA_COMMIT_GATHER_US, MASA_COMMIT_GATHER_MIN);
	app.signer = st.signer;
	app.masa_cert = masa_buf_view(&st.signing_cert);
	app.masa_cose_key = masa_buf_view(&st.cose_key);
	app.keys = &st.keys;
	tls.cert = (const char *)st.tls_cert.ptr;
	tls.key = (const char *)st.tls_key.ptr;
	if (listen == NULL)
		listen = st.cfg.listen;
	if (admin_listen == NULL)
		admin_listen = st.cfg.admin_listen;

	app.auth = masa_auth_new();
	if (app.auth == NULL) {
		rc = MASA_E_NOMEM;
		goto done;
	}
	/* Store reads and signatures run here, off the event loops: a worker
	 * a core, as many as the loops. */
	rc = masa_workq_start(worker_count(), "masa-work", &app.work);
	if (rc != MASA_OK)
		goto done;
	rc = masa_reload_apply_initial(&st.cfg, tls.cert, st.tls_cert.len, tls.key, st.tls_key.len,
	    &diag);
	if (rc != MASA_OK)
		goto done;
	masa_metrics_tables(&masa_public_routes, &masa_admin_routes);
	rc = start_listener(&app, listen, &tls, &masa_public_routes,
	    (size_t)st.cfg.limits.body_max_bytes, &pub, pub_auth, sizeof pub_auth, &diag);
	if (rc == MASA_OK && admin_listen[0] != '\0')
		rc = start_listener(&app, admin_listen, &tls, &masa_admin_routes,
		    (size_t)st.cfg.admin_body_max_bytes, &adm, adm_auth, sizeof adm_auth, &diag);
	if (rc != MASA_OK)
		goto done;
	/* Announced only once every listener is up. */
	printf("listening on %s\n", pub_auth);
	if (adm != NULL)
		printf("admin listening on %s\n", adm_auth);
	fflush(stdout);
	masa_log_event("info", "masa serving (schema version %d, signing %s)", st.schema_have,
	    masa_alg_name(st.cfg.alg));

	sd_notifyf(0, "READY=1\nSTATUS=listening on %s", pub_auth);
	for (;;) {
		if (sigwait(&sigs, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		sd_notify(0, "RELOADING=1");
		(void)masa_reload(config, &st.cfg);	/* logs its outcome */
		sd_notify(0, "READY=1");
	}
	sd_notify(0, "STOPPING=1");
	masa_log_event("info", "signal %d: stopping; finishing requests under way", sig);
	masa_server_quiesce(pub);
	masa_server_quiesce(adm);
	left = drain(pub, adm, st.cfg.limits.shutdown_grace_s);
	if (left > 0) {
		/* The grace is over: a request still under way (a signature on a
		 * slow token, a client mid-body) is abandoned, not waited for; a
		 * worker cannot be interrupted, so exit without stopping them. The
		 * store's transactions are atomic: what was not committed is not
		 * there. */
		masa_log_event("warn", "shutdown grace over with %u requests under way; "
		    "exiting without them", left);
		_exit(MASA_EXIT_OK);
	}
done:
	masa_workq_stop(app.work);	/* what is queued runs, and its answers wake */
	masa_server_stop(adm);
	masa_server_stop(pub);
	masa_auth_free(app.auth);
	masa_tlscreds_free_all();
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	masa_log_event("info", "stopped");
	return MASA_EXIT_OK;
}
