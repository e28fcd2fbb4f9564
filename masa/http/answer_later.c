/* answer_later.c: see answer_later.h. */
#include "answer_later.h"

/* The store has committed (or failed) the change: wake the answer. Runs
 * on the store's committer thread. */
static void
stored(void *arg, enum masa_err rc)
{
	struct masa_answer_later *w = arg;

	w->stored = rc;
	masa_later_wake(w->later);
}

enum masa_err
masa_answer_later(const struct masa_req *req, struct masa_reply *reply,
    struct masa_answer_later *w, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg, void *state, enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state))
{
	enum masa_err rc;

	if (req->defer == NULL) {	/* a listener whose handlers may block */
		w->stored = masa_db_write(req->app->db, change, arg);
		rc = finish(state, reply);
		release(state);
		return rc;
	}
	/* Deferred before it is queued: the store may finish at once. */
	w->later = req->defer(req, state, finish, release);
	if (w->later == NULL) {
		release(state);
		return MASA_E_SHUTTING_DOWN;
	}
	rc = masa_db_submit(req->app->db, change, arg, stored, w);
	if (rc != MASA_OK)
		stored(w, rc);
	return MASA_OK;
}
