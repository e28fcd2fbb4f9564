/*
 * answer_later.h: a handler's answer that waits for a store change (an
 * issuance, a refusal's audit entry, a readiness probe) to be durable.
 * On the public listener, whose threads serve many connections each, the
 * change is queued and the answer deferred (routes.h, req->defer) without
 * blocking the thread; on the admin listener, whose handlers may block,
 * the change is written at once.
 */
#ifndef MASA_ANSWER_LATER_H
#define MASA_ANSWER_LATER_H

#include "routes.h"
#include "store.h"

/* Kept in the handler's state until its answer. */
struct masa_answer_later {
	struct masa_later *later;
	enum masa_err stored;	/* the store's result, once finish runs */
};

/* Writes change(txn, arg) through the group commit; once it is durable
 * (or has failed), finish(state, reply) fills the answer with w->stored
 * set, and release(state) frees state (w and arg are part of it). The
 * handler returns what this returns: MASA_OK when the answer is deferred
 * or was filled; otherwise the error to answer with (MASA_E_SHUTTING_DOWN
 * when the server stops taking deferred answers), state released. */
MASA_NODISCARD enum masa_err masa_answer_later(const struct masa_req *req,
    struct masa_reply *reply, struct masa_answer_later *w,
    enum masa_err (*change)(struct masa_txn *txn, void *arg), void *arg, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state));

#endif
