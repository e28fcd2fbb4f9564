/*
 * refusal.h: the audit entry of a request refused before issuance (media
 * types, decoding, registrar verification, audit-log access), kept until
 * the store has written it. Only a request whose registrar signature
 * verified is attributable and audited: auditing anonymous garbage would
 * let anyone grow the append-only trail without bound (those refusals are
 * in the request log only).
 */
#ifndef MASA_REFUSAL_H
#define MASA_REFUSAL_H

#include "attr.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "registrar.h"
#include "vreq.h"

struct masa_refusal;

/* A refusal why of v (may be NULL) by reg as event ev from peer; v, reg
 * and peer must live until masa_refusal_free. MASA_OK with *out set;
 * MASA_E_NOT_FOUND when there is nothing to audit (reg NULL); MASA_E_NOMEM. */
MASA_NODISCARD enum masa_err masa_refusal_new(enum masa_event ev, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const char *peer, enum masa_err why,
    struct masa_refusal **out);
/* The store change that appends the entry (a struct masa_refusal * as arg). */
enum masa_err masa_refusal_store(struct masa_txn *txn, void *arg);
/* The refusal to answer with, once the store has spoken (stored): a
 * failure to audit is logged, and the refusal stands. */
enum masa_err masa_refusal_outcome(const struct masa_refusal *r, enum masa_err stored);
void masa_refusal_free(struct masa_refusal *r);

#endif
