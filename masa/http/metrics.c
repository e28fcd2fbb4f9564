/*
 * metrics.c: see metrics.h. Counters are plain arrays of atomics indexed by
 * fixed slots; the renderer reads them with relaxed loads, so a scrape
 * sees each counter exactly, though not all of them at one instant.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>

#include "policy.h"
#include "refusal.h"

#ifndef MASA_VERSION
#define MASA_VERSION "unknown"
#endif

#define ROUTES_MAX 32	/* routes of one table; one more slot for "none matched" */
#define NTABLES 2

static const unsigned codes[] = { 200, 201, 400, 401, 403, 404, 405, 406, 409, 413, 415, 429, 500, 503 };
#define NCODES (sizeof codes / sizeof codes[0])	/* slot NCODES: "other" */

/* Upper bounds of the latency buckets, in microseconds; one more slot
 * holds what is slower than the last (+Inf). */
static const int64_t bounds_us[] = { 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
    500000, 1000000, 2500000, 5000000, 10000000 };
#define NBOUNDS (sizeof bounds_us / sizeof bounds_us[0])

#define NFORMATS (MASA_FORMAT_MAX + 1)	/* enum masa_format values; 0 is unused */
#define NASSERT 3	/* MASA_ASSERT_VERIFIED, _LOGGED, _PROXIMITY */

static const char *const assert_names[NASSERT] = { "verified", "logged", "proximity" };
_Static_assert(MASA_ASSERT_VERIFIED == 0 && MASA_ASSERT_LOGGED == 1 && MASA_ASSERT_PROXIMITY == 2,
    "assert_names follows the MASA_ASSERT_* values");

static struct {
	atomic_ullong requests[NTABLES][ROUTES_MAX + 1][NCODES + 1];
	atomic_ullong latency[NTABLES][NBOUNDS + 1];
	atomic_ullong latency_sum_us[NTABLES];
	atomic_ullong vouchers[NFORMATS][2][NASSERT];
	atomic_ullong replayed[NFORMATS];
	atomic_ullong rate_limited[2];	/* voucher bucket, auth throttle */
	atomic_ullong store_errors[2];	/* unavailable, busy */
	atomic_ullong evicted[NTABLES];	/* connections shut down to make room */
} m;	/* static storage: all zero at start, as atomics may be */

#define ADD(counter) atomic_fetch_add_explicit(&(counter), 1, memory_order_relaxed)
#define GET(counter) ((unsigned long long)atomic_load_explicit(&(counter), memory_order_relaxed))

/* The listeners' tables, in label order: set once before any request. */
static const struct masa_route_table *tables[NTABLES];

void
masa_metrics_tables(const struct masa_route_table *public_t, const struct masa_route_table *admin_t)
{
	tables[0] = public_t;
	tables[1] = admin_t;
}

static const char *const table_names[NTABLES] = { "public", "admin" };

static int
table_index(const struct masa_route_table *t)
{
	return t == NULL ? -1 : t == tables[0] ? 0 : t == tables[1] ? 1 : -1;
}

static size_t
code_slot(unsigned status)
{
	size_t i;

	for (i = 0; i < NCODES; i++)
		if (codes[i] == status)
			return i;
	return NCODES;
}

static const char *
format_name(size_t f)
{
	return masa_format_name((enum masa_format)f);
}

void
masa_metrics_request(const struct masa_route_table *t, const struct masa_route *route,
    unsigned status, int64_t elapsed_us)
{
	int ti = table_index(t);
	size_t ri, b;

	if (ti < 0)
		return;
	for (ri = 0; ri < t->n && ri < ROUTES_MAX && &t->routes[ri] != route; ri++)
		;
	if (ri == t->n)
		ri = ROUTES_MAX;	/* none matched */
	ADD(m.requests[ti][ri][code_slot(status)]);
	if (elapsed_us < 0)
		elapsed_us = 0;
	for (b = 0; b < NBOUNDS && elapsed_us > bounds_us[b]; b++)
		;
	ADD(m.latency[ti][b]);
	atomic_fetch_add_explicit(&m.latency_sum_us[ti], (unsigned long long)elapsed_us,
	    memory_order_relaxed);
}

void
masa_metrics_error(enum masa_err rc)
{
	switch (rc) {
	case MASA_E_RATE_LIMITED: ADD(m.rate_limited[0]); break;
	case MASA_E_THROTTLED: ADD(m.rate_limited[1]); break;
	case MASA_E_STORE: ADD(m.store_errors[0]); break;
	case MASA_E_STORE_BUSY: ADD(m.store_errors[1]); break;
	default: break;
	}
}

void
masa_metrics_evicted(const struct masa_route_table *t)
{
	int ti = table_index(t);

	if (ti >= 0)
		ADD(m.evicted[ti]);
}

void
masa_metrics_voucher(enum masa_format format, int multipart, int assertion, int replayed)
{
	if ((size_t)format >= NFORMATS || format_name((size_t)format) == NULL)
		return;
	if (replayed) {
		ADD(m.replayed[format]);
		return;
	}
	if (assertion < 0 || assertion >= NASSERT)
		return;
	ADD(m.vouchers[format][multipart != 0][assertion]);
}

static enum masa_err
header(struct masa_buf *out, const char *name, const char *type, const char *help)
{
	return masa_buf_appendf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* masa_requests_total: only the series that have counted something (300
 * mostly empty combinations would drown the rest). */
static enum masa_err
render_requests(struct masa_buf *out)
{
	const struct masa_route_table *t;
	const char *method, *path;
	char code[8];
	unsigned long long v;
	enum masa_err rc;
	size_t ti, ri, ci;

	rc = header(out, "masa_requests_total", "counter",
	    "HTTP requests completed, by listener, route and status code.");
	for (ti = 0; rc == MASA_OK && ti < NTABLES; ti++) {
		t = tables[ti];
		for (ri = 0; t != NULL && rc == MASA_OK && ri <= ROUTES_MAX; ri++) {
			if (ri < ROUTES_MAX && ri >= t->n)
				continue;
			method = ri < t->n ? t->routes[ri].method : "";
			path = ri < t->n ? t->routes[ri].path : "none";
			for (ci = 0; rc == MASA_OK && ci <= NCODES; ci++) {
				v = GET(m.requests[ti][ri][ci]);
				if (v == 0)
					continue;
				if (ci < NCODES)
					snprintf(code, sizeof code, "%u", codes[ci]);
				else
					snprintf(code, sizeof code, "other");
				rc = masa_buf_appendf(out, "masa_requests_total{listener=\"%s\",method=\"%s\","
				    "route=\"%s\",code=\"%s\"} %llu\n", t->name, method, path, code, v);
			}
		}
	}
	return rc;
}

/* masa_request_duration_seconds: cumulative buckets per listener. */
static enum masa_err
render_latency(struct masa_buf *out)
{
	unsigned long long cum;
	enum masa_err rc;
	size_t ti, b;

	rc = header(out, "masa_request_duration_seconds", "histogram",
	    "Time from a request's first byte to its completion.");
	for (ti = 0; rc == MASA_OK && ti < NTABLES; ti++) {
		cum = 0;
		for (b = 0; rc == MASA_OK && b <= NBOUNDS; b++) {
			cum += GET(m.latency[ti][b]);
			if (b < NBOUNDS)
				rc = masa_buf_appendf(out, "masa_request_duration_seconds_bucket{listener=\"%s\","
				    "le=\"%g\"} %llu\n", table_names[ti], (double)bounds_us[b] / 1e6, cum);
			else
				rc = masa_buf_appendf(out, "masa_request_duration_seconds_bucket{listener=\"%s\","
				    "le=\"+Inf\"} %llu\n", table_names[ti], cum);
		}
		if (rc == MASA_OK)
			rc = masa_buf_appendf(out, "masa_request_duration_seconds_sum{listener=\"%s\"} %.6f\n"
			    "masa_request_duration_seconds_count{listener=\"%s\"} %llu\n",
			    table_names[ti], (double)GET(m.latency_sum_us[ti]) / 1e6,
			    table_names[ti], cum);
	}
	return rc;
}

/* Vouchers by format, answer form and assertion, and replays. */
static enum masa_err
render_vouchers(struct masa_buf *out)
{
	enum masa_err rc;
	size_t f, mp, a;

	rc = header(out, "masa_vouchers_issued_total", "counter",
	    "Vouchers signed and sent, by format, answer form and assertion.");
	for (f = 0; rc == MASA_OK && f < NFORMATS; f++)
		for (mp = 0; rc == MASA_OK && format_name(f) != NULL && mp < 2; mp++)
			for (a = 0; rc == MASA_OK && a < NASSERT; a++)
				rc = masa_buf_appendf(out, "masa_vouchers_issued_total{format=\"%s\",answer=\"%s\","
				    "assertion=\"%s\"} %llu\n", format_name(f), mp ? "multipart" : "plain",
				    assert_names[a], GET(m.vouchers[f][mp][a]));
	if (rc == MASA_OK)
		rc = header(out, "masa_vouchers_replayed_total", "counter",
		    "Stored vouchers sent again for a byte-identical retry (no token spent).");
	for (f = 0; rc == MASA_OK && f < NFORMATS; f++)
		if (format_name(f) != NULL)
			rc = masa_buf_appendf(out, "masa_vouchers_replayed_total{format=\"%s\"} %llu\n",
			    format_name(f), GET(m.replayed[f]));
	return rc;
}

/* A counter family with one label taking the two values names[0..1]. */
static enum masa_err
render_pair(struct masa_buf *out, const char *name, const char *help, const char *label,
    const char *const names[2], atomic_ullong values[2])
{
	enum masa_err rc = header(out, name, "counter", help);
	size_t i;

	for (i = 0; rc == MASA_OK && i < 2; i++)
		rc = masa_buf_appendf(out, "%s{%s=\"%s\"} %llu\n", name, label, names[i], GET(values[i]));
	return rc;
}

/* A counter family without labels. */
static enum masa_err
render_counter(struct masa_buf *out, const char *name, const char *help, uint64_t value)
{
	enum masa_err rc = header(out, name, "counter", help);

	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "%s %llu\n", name, (unsigned long long)value);
	return rc;
}

enum masa_err
masa_metrics_render(struct masa_buf *out, const struct masa_db_stats *store,
    const struct masa_signer_stats *signer)
{
	static const char *const reasons[2] = { "voucher_bucket", "auth_throttle" };
	static const char *const kinds[2] = { "unavailable", "busy" };
	enum masa_err rc;

	rc = render_requests(out);
	if (rc == MASA_OK)
		rc = render_latency(out);
	if (rc == MASA_OK)
		rc = render_vouchers(out);
	if (rc == MASA_OK)
		rc = render_pair(out, "masa_rate_limited_total", "Requests answered 429: a device's "
		    "voucher bucket was empty, or an address or token is throttled after failed logins.",
		    "reason", reasons, m.rate_limited);
	if (rc == MASA_OK)
		rc = render_pair(out, "masa_store_errors_total", "Store failures met while serving: "
		    "unavailable (an SQLite error) or busy (the wait for the store timed out).",
		    "kind", kinds, m.store_errors);
	if (rc == MASA_OK)
		rc = render_pair(out, "masa_connections_evicted_total", "Connections not in a "
		    "request shut down to make room for a new one: the listener held more than "
		    "limits.evict_idle_above_percent of limits.connection_limit.",
		    "listener", table_names, m.evicted);
	if (rc == MASA_OK)
		rc = render_counter(out, "masa_store_commits_total", "Group commits of the store: "
		    "write transactions holding one or more changes, each made durable by one fsync.",
		    store->batches);
	if (rc == MASA_OK)
		rc = render_counter(out, "masa_store_commit_changes_total", "Changes (a voucher, "
		    "an enrollment, an audited refusal...) committed in them; divided by "
		    "masa_store_commits_total, the mean group size.", store->changes);
	if (rc == MASA_OK)
		rc = render_counter(out, "masa_signatures_total", "Signatures asked of the "
		    "voucher-signing key since start-up, failed ones included (not its self-test "
		    "at start-up).", signer->signatures);
	if (rc == MASA_OK)
		rc = render_counter(out, "masa_signature_failures_total", "Of those, the ones that "
		    "failed (no signature made).", signer->failures);
	if (rc == MASA_OK)
		rc = render_counter(out, "masa_refusals_unaudited_total", "Refusals of verified "
		    "registrars answered but not audited: past limits.refusal_audit_* for their "
		    "key, network or the process.", masa_refusal_unaudited());
	if (rc == MASA_OK)
		rc = header(out, "masa_store_reserve_low", "gauge", "1 while the store's free space is "
		    "under limits.store_reserve_mb (refusals are then not audited), else 0.");
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "masa_store_reserve_low %d\n", masa_refusal_space_low());
	if (rc == MASA_OK)
		rc = header(out, "masa_build_info", "gauge", "The running masa's version; always 1.");
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "masa_build_info{version=\"%s\"} 1\n", MASA_VERSION);
	return rc;
}

enum masa_err
masa_metrics_render_health(struct masa_buf *out, int ready, const int64_t not_after_s[2])
{
	static const char *const certs[2] = { "signing", "tls" };
	enum masa_err rc;
	size_t i;

	rc = header(out, "masa_ready", "gauge", "1 when the voucher-signing key is loaded and the "
	    "store takes a write (what GET /readyz answers 200 for), else 0.");
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "masa_ready %d\n", ready != 0);
	if (rc == MASA_OK)
		rc = header(out, "masa_certificate_expiry_timestamp_seconds", "gauge", "When a "
		    "certificate stops being valid (its notAfter), in seconds since the epoch: the "
		    "voucher-signing certificate and the TLS certificate as the configuration names "
		    "it now.");
	for (i = 0; rc == MASA_OK && i < 2; i++)
		if (not_after_s[i] > 0)
			rc = masa_buf_appendf(out, "masa_certificate_expiry_timestamp_seconds{certificate=\"%s\"} "
			    "%lld\n", certs[i], (long long)not_after_s[i]);
	return rc;
}

enum masa_err
masa_metrics_render_keys(struct masa_buf *out, const struct masa_metrics_key *keys, size_t n)
{
	enum masa_err rc;
	size_t i;

	rc = header(out, "masa_key_signatures_total", "counter", "Signatures asked of each "
	    "voucher-signing key (masa key list) since start-up, failed ones included.");
	for (i = 0; rc == MASA_OK && i < n; i++)
		rc = masa_buf_appendf(out, "masa_key_signatures_total{key=\"%s\"} %llu\n", keys[i].name,
		    (unsigned long long)keys[i].stats.signatures);
	if (rc == MASA_OK)
		rc = header(out, "masa_key_signature_failures_total", "counter", "Of those, the "
		    "ones that failed, by key (a token away or refusing: its devices get 503).");
	for (i = 0; rc == MASA_OK && i < n; i++)
		rc = masa_buf_appendf(out, "masa_key_signature_failures_total{key=\"%s\"} %llu\n",
		    keys[i].name, (unsigned long long)keys[i].stats.failures);
	return rc;
}
