/*
 * metrics.h: process-wide counters behind GET /metrics (Prometheus text
 * exposition format 0.0.4). Every label set is fixed and bounded: routes
 * come from the two route tables, status codes from a small fixed list
 * (anything else is code="other"), latency falls into fixed buckets. A
 * hook costs a relaxed atomic add or three and never takes a lock, so it
 * may sit on every request. Nothing here ever sees a serial number, a
 * token or an address.
 */
#ifndef MASA_METRICS_H
#define MASA_METRICS_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/signer.h"
#include "err.h"
#include "negotiate.h"
#include "routes.h"
#include "store.h"

/* The exposition format's media type, for the Content-Type header. */
#define MASA_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The route tables of the public and the admin listener, whose routes
 * label the request counters; call once, before any request. */
void masa_metrics_tables(const struct masa_route_table *public_t,
    const struct masa_route_table *admin_t);
/* A request of table t is complete: route is NULL when none matched (404,
 * 405, or answered before routing), status 0 when nothing was sent. A
 * table other than those of masa_metrics_tables is ignored. */
void masa_metrics_request(const struct masa_route_table *t, const struct masa_route *route,
    unsigned status, int64_t elapsed_us);
/* An error outcome worth its own counter: MASA_E_RATE_LIMITED and
 * MASA_E_THROTTLED (429s), MASA_E_STORE and MASA_E_STORE_BUSY. Any other
 * code is ignored. */
void masa_metrics_error(enum masa_err rc);
/* A connection of table t's listener was evicted to make room (evict.h). */
void masa_metrics_evicted(const struct masa_route_table *t);
/* A voucher was sent: its format, whether as a multipart answer, its
 * assertion (MASA_ASSERT_*), and whether it was a stored one replayed. */
void masa_metrics_voucher(enum masa_format format, int multipart, int assertion, int replayed);

/* Appends the exposition text of every metric to out, with the store's
 * group-commit counters from store and the voucher-signing key's
 * signature counters from signer (masa_signer_stats: all 0 without a
 * key). */
MASA_NODISCARD enum masa_err masa_metrics_render(struct masa_buf *out,
    const struct masa_db_stats *store, const struct masa_signer_stats *signer);

/* Appends the gauges a scrape computes: masa_ready (1 when ready is set:
 * the signing key is loaded and the store takes a write now) and
 * masa_certificate_expiry_timestamp_seconds for the voucher-signing and
 * the TLS certificate (not_after_s[0], [1]: seconds since the epoch; 0:
 * unknown, and the series is left out). */
MASA_NODISCARD enum masa_err masa_metrics_render_health(struct masa_buf *out, int ready,
    const int64_t not_after_s[2]);

/* A signing key's name and counters, for masa_metrics_render_keys. */
struct masa_metrics_key {
	const char *name;
	struct masa_signer_stats stats;
};

/* Appends masa_key_signatures_total and masa_key_signature_failures_total
 * with a series per key (label key="NAME") to out. */
MASA_NODISCARD enum masa_err masa_metrics_render_keys(struct masa_buf *out,
    const struct masa_metrics_key *keys, size_t n);

#endif
