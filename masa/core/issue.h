/*
 * issue.h: from a decoded request with a verified registrar to a stored,
 * signed voucher, or a refusal. Looks the device up, verifies the PVR with
 * the enrolled key and signs on the terms that depend on the request and
 * configuration only; then, in one group-committed write transaction,
 * reads the device, registrar, block-list and bucket state, lets policy.c
 * decide, and stores the bucket debit, the voucher row and its audit
 * entry together before anything is sent. A byte-identical request from
 * the same registrar within policy.retry_window_s gets the stored voucher
 * back and spends nothing. Every refusal is written to the audit trail,
 * and only there.
 */
#ifndef MASA_ISSUE_H
#define MASA_ISSUE_H

#include <stdint.h>

#include "app.h"
#include "attr.h"
#include "bytes.h"
#include "format.h"
#include "store.h"
#include "vreq.h"
#include "vreq_verify.h"

struct masa_issued {
	struct masa_buf voucher;	/* the signed voucher; caller frees */
	int replayed;			/* the stored voucher of an identical request */
	int assertion;			/* MASA_ASSERT_* of a new voucher */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
};

/*
 * A request's trip through the store, in three steps so that no thread
 * blocks on the disk while it could be verifying the next request:
 *   masa_issue_prepare (or masa_issue_refusal) -> masa_issue_store as the
 *   change of masa_db_submit or masa_db_write -> masa_issue_outcome with
 *   the store's result, then masa_issue_free.
 * v, reg, answer and peer must live until masa_issue_outcome.
 */
struct masa_issuing;

/* For a decoded request with a verified registrar: checks the dates and
 * the PVR and signs, now; what masa_issue_store then does is the decision
 * and the records, or the audit entry of a refusal found here. MASA_OK
 * with *out set, or MASA_E_NOMEM. */
MASA_NODISCARD enum masa_err masa_issue_prepare(struct masa_app *app,
    const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    const struct masa_answer *answer, const char *peer, struct masa_issuing **out);
/* For a refusal that happened before issuance (decode, registrar
 * verification, media types, audit-log access) as event; v and reg may be
 * NULL. MASA_OK with *out set; MASA_E_NOT_FOUND when there is nothing to
 * audit (no verified registrar: anonymous garbage is only in the request
 * log, or anyone could grow the append-only trail); MASA_E_NOMEM. */
MASA_NODISCARD enum masa_err masa_issue_refusal(struct masa_app *app,
    const struct masa_vreq_raw *v, const struct masa_registrar *reg, const char *peer,
    const char *event, enum masa_err why, struct masa_issuing **out);
/* The store change (a struct masa_issuing * as arg). */
enum masa_err masa_issue_store(struct masa_txn *txn, void *arg);
/* The answer, given stored (masa_issue_store's result once committed):
 * MASA_OK with out filled (out->voucher is the caller's), or the refusal
 * or error to answer with (out->retry_after_s with MASA_E_RATE_LIMITED). */
enum masa_err masa_issue_outcome(struct masa_issuing *is, enum masa_err stored,
    struct masa_issued *out);
void masa_issue_free(struct masa_issuing *is);

#endif
