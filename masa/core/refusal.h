/*
 * refusal.h: the audit entry of a request refused before issuance (media
 * types, decoding, registrar verification, audit-log access), kept until
 * the store has written it. Only a request whose registrar signature
 * verified is attributable and audited: auditing anonymous garbage would
 * let anyone grow the append-only trail without bound (those refusals are
 * in the request log only). Nor is every attributable one: entries are
 * limited per registrar key, per source network and in all
 * (refusal_limit.h).
 */
#ifndef MASA_REFUSAL_H
#define MASA_REFUSAL_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "app.h"
#include "store.h"
#include "err.h"
#include "events.h"
#include "refusal_limit.h"
#include "registrar.h"
#include "vreq.h"

struct masa_refusal;

/* A refusal why of v (may be NULL) by reg as event ev from peer; v, reg
 * and peer must live until masa_refusal_free. MASA_OK with *out set;
 * MASA_E_NOT_FOUND when there is nothing to audit (reg NULL, or past the
 * rates); MASA_E_NOMEM. */
MASA_NODISCARD enum masa_err masa_refusal_new(const struct masa_app *app,
    enum masa_event ev, const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    const char *peer, enum masa_err why, struct masa_refusal **out);
/* Whether a refusal of registrar key sha256 from peer may be audited now
 * (masa_refusal_admit with app's limits.refusal_audit_*, and none while
 * its store is under limits.store_reserve_mb: looked at most once a
 * second, crossing the line logged); *skipped as there. Only refusals
 * ask: a request that is answered pays nothing for it. */
int masa_refusal_allowed(const struct masa_app *app, const uint8_t sha256[MASA_SHA256_LEN],
    const char *peer, uint64_t *skipped);
/* 1 while the store was under its reserve when last looked at. */
int masa_refusal_space_low(void);
/* The detail of a refusal's audit entry: the error's name, and how many
 * refusals of the key it stands for when some were not audited. */
void masa_refusal_detail(enum masa_err why, uint64_t skipped, char *out, size_t cap);
/* The store change that appends the entry (a struct masa_refusal * as arg). */
enum masa_err masa_refusal_store(struct masa_txn *txn, void *arg);
/* The refusal to answer with, once the store has spoken (stored): a
 * failure to audit is logged, and the refusal stands. */
enum masa_err masa_refusal_outcome(const struct masa_refusal *r, enum masa_err stored);
void masa_refusal_free(struct masa_refusal *r);

#endif
