/*
 * answer_later.h: a handler's answer that waits for work that must not
 * run on an event-loop thread: a store change (an issuance, a refusal's
 * audit entry, a readiness probe) to be durable, or a job that reads the
 * store or signs before it queues its change. On the public listener,
 * whose threads serve many connections each, the answer is deferred
 * (routes.h, req->defer) and the work queued (the store's committer, the
 * app's workers) without blocking the thread; on the admin listener, whose
 * handlers may block, the work is done at once.
 */
#ifndef MASA_ANSWER_LATER_H
#define MASA_ANSWER_LATER_H

#include <semaphore.h>

#include "routes.h"
#include "store.h"
#include "workq.h"

/* Kept in the handler's state until its answer. */
struct masa_answer_later {
	struct masa_later *later;	/* NULL when the work runs at once */
	void (*wake)(struct masa_later *later);
	enum masa_err stored;	/* the work's result, once finish runs */
	/* masa_answer_later_work's */
	struct masa_job job;
	void (*work)(void *arg, struct masa_answer_later *w);
	void *arg;
	struct masa_db *db;	/* masa_answer_later's change */
	enum masa_err (*change)(struct masa_txn *txn, void *arg);
	sem_t *sync;		/* set while a blocking caller waits */
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
/* The same for work(arg, w), which runs on one of the app's workers (at
 * once on the admin listener) and must see to it that
 * masa_answer_later_done(w, rc) is called exactly once, from any thread
 * (e.g. as the done callback of masa_db_submit). */
MASA_NODISCARD enum masa_err masa_answer_later_work(const struct masa_req *req,
    struct masa_reply *reply, struct masa_answer_later *w,
    void (*work)(void *arg, struct masa_answer_later *w), void *arg, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state));
/* The work of w is done with rc (w: a struct masa_answer_later *). */
void masa_answer_later_done(void *w, enum masa_err rc);

#endif
