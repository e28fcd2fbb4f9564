/*
 * issue.h: from a decoded request with a verified registrar to a stored,
 * signed voucher, or a refusal, one way through the layers:
 *
 *   masa_issue_new       on the event loop: the request's own facts (its
 *                        dates, hash, what the voucher would pin); no I/O
 *   masa_issue_run       off the event loop (a worker): one snapshot read
 *                        of the store, the PVR against the enrolled key,
 *                        the policy's decision on the snapshot, and only
 *                        then the signature; then the store change is
 *                        queued (group commit)
 *   masa_issue_store     the change, in the write transaction: reads the
 *                        state again, the policy decides again, and it
 *                        records the voucher (bucket debit, pin, voucher
 *                        row, audit entry), replays a stored one, or
 *                        audits the refusal
 *   masa_issue_outcome   once committed: the voucher to send, or the
 *                        refusal to answer with
 *
 * So a refused request costs no signature, and nothing is signed inside
 * the serialised batch. A byte-identical request from the same registrar
 * within policy.retry_window_s gets the stored voucher back and spends
 * nothing. Every refusal is written to the audit trail, and only there.
 *
 * States of a struct masa_issuing (SQLite pager style):
 *   NEW --run--> REFUSED (audit only) | REPLAY (no signature) | SIGNED
 *   each --store--> the change's verdict (j->verdict), then outcome.
 */
#ifndef MASA_ISSUE_H
#define MASA_ISSUE_H

#include <stdint.h>

#include "app.h"
#include "attr.h"
#include "bytes.h"
#include "format.h"
#include "registrar.h"
#include "store.h"
#include "vreq.h"

struct masa_issued {
	struct masa_buf voucher;	/* the signed voucher; caller frees */
	int replayed;			/* the stored voucher of an identical request */
	int assertion;			/* MASA_ASSERT_* of a new voucher */
	uint64_t retry_after_s;		/* with MASA_E_RATE_LIMITED */
	const struct masa_key_entry *key;	/* the key that signed a new voucher (keyring.h);
						 * NULL: app's default */
};

struct masa_issuing;

/* For a decoded request with a verified registrar, whose voucher codec
 * will sign (the answer's format). v, reg, answer and peer must live until
 * masa_issue_free. MASA_OK with *out set (a request refused already, e.g.
 * for an unreadable created-on, goes on to audit its refusal), or
 * MASA_E_NOMEM. */
MASA_NODISCARD enum masa_err masa_issue_new(struct masa_app *app,
    const struct masa_codec *codec, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const struct masa_answer *answer, const char *peer,
    struct masa_issuing **out);
/* The part that may block (store reads, a slow signing key): run it off
 * the event loop. It queues masa_issue_store on the store, whose result
 * reaches done(done_arg, rc) once committed (or failed), on the store's
 * thread; done is called exactly once. */
void masa_issue_run(struct masa_issuing *is, void (*done)(void *done_arg, enum masa_err rc),
    void *done_arg);
/* The store change (a struct masa_issuing * as arg). */
enum masa_err masa_issue_store(struct masa_txn *txn, void *arg);
/* The answer, given stored (the store's result once committed): MASA_OK
 * with out filled (out->voucher is the caller's), or the refusal or error
 * to answer with (out->retry_after_s with MASA_E_RATE_LIMITED). */
enum masa_err masa_issue_outcome(struct masa_issuing *is, enum masa_err stored,
    struct masa_issued *out);
void masa_issue_free(struct masa_issuing *is);

#endif
