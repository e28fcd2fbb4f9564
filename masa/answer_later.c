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

void
masa_answer_later(const struct masa_req *req, struct masa_answer_later *w,
    struct masa_issuing *is, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state))
{
	enum masa_err rc;

	/* Deferred before it is queued: the store may finish at once. */
	w->later = req->defer(req, state, finish, release);
	rc = masa_db_submit(req->app->db, masa_issue_store, is, stored, w);
	if (rc != MASA_OK)
		stored(w, rc);
}
