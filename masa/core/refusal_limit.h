/*
 * refusal_limit.h: how fast refusals may grow the audit trail (security
 * review F2). A refusal is attributable once its registrar signature
 * verified, but a throwaway key verifies too: without a limit, anyone
 * could append entries to the append-only, hash-chained trail as fast as
 * they can send. So an entry is written only while three token buckets
 * allow it: one for the registrar key, one for the source network (the
 * peer's /24 or /64) and one for the whole process. Refusals past a limit
 * are still answered and logged, counted in masa_refusals_unaudited_total,
 * and the next entry of the same registrar key says how many it stands for
 * ("(+N not audited)"). The trail then grows at most by
 * limits.refusal_audit_burst entries and limits.refusal_audit_per_hour an
 * hour per key or network, and limits.refusal_audit_per_s a second in all.
 * And none at all while the store's free space is under
 * limits.store_reserve_mb: the space left is kept for issuance, whose
 * records must be written (refusal.c watches it).
 */
#ifndef MASA_REFUSAL_LIMIT_H
#define MASA_REFUSAL_LIMIT_H

#include <stdint.h>

#include "crypto/x509.h"

struct masa_refusal_rates {
	uint64_t burst;		/* entries per key or network before the rate applies */
	uint64_t per_hour;	/* then, per key or network */
	uint64_t per_s;		/* for the whole process (its burst: 60 seconds' worth) */
	int space_low;		/* the store is under its reserve: audit none */
};

/* Whether a refusal of registrar key sha256 from source (the peer's
 * numeric address, or "unix") at now_ms may be audited: 1, with *skipped
 * the refusals of that key not audited since its last entry; else 0 (it is
 * counted). Thread-safe; state is kept for the 4,096 most recent keys and
 * networks. */
int masa_refusal_admit(const struct masa_refusal_rates *r, const uint8_t sha256[MASA_SHA256_LEN],
    const char *source, int64_t now_ms, uint64_t *skipped);
/* Refusals not audited since start. */
uint64_t masa_refusal_unaudited(void);

#endif
