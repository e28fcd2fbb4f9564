/*
 * issue.h: from a decoded request with a verified registrar to a stored,
 * signed voucher, or a refusal. Looks the device up, verifies the PVR with
 * the enrolled key, then in one write transaction: reads the device,
 * registrar, block-list and bucket state, lets policy.c decide, signs,
 * and commits the bucket debit, the voucher row and its audit entry
 * together before anything is sent. A byte-identical request from the same
 * registrar within policy.retry_window_s gets the stored voucher back and
 * spends nothing. Every refusal is written to the audit trail, and only
 * there.
 */
#ifndef MASA_ISSUE_H
#define MASA_ISSUE_H

#include <stdint.h>

#include "app.h"
#include "attr.h"
#include "bytes.h"
#include "negotiate.h"
#include "vreq.h"
#include "vreq_verify.h"

struct masa_issued {
	struct masa_buf voucher;	/* the signed voucher; caller frees */
	int replayed;			/* the stored voucher of an identical request */
	int assertion;			/* MASA_ASSERT_* of a new voucher */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
};

MASA_NODISCARD enum masa_err masa_issue(struct masa_app *app, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const struct masa_answer *answer, const char *peer,
    struct masa_issued *out);

/* Audits a refusal that happened outside masa_issue (decode, registrar
 * verification, media types, audit-log access) as event: v and reg may be
 * NULL. */
void masa_issue_refused(struct masa_app *app, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const char *peer, const char *event, enum masa_err why);

#endif
