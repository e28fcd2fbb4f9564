/* answer_later.c: see answer_later.h. */
#include "answer_later.h"

#include <stddef.h>

void
masa_answer_later_done(void *arg, enum masa_err rc)
{
	struct masa_answer_later *w = arg;

	w->stored = rc;
	if (w->sync != NULL)
		sem_post(w->sync);	/* a blocking caller waits */
	else
		w->wake(w->later);
}

/* Runs w's work on a worker. */
static void
run_job(struct masa_job *job)
{
	struct masa_answer_later *w = (struct masa_answer_later *)
	    ((char *)job - offsetof(struct masa_answer_later, job));

	w->work(w->arg, w);
}

/* Defers the answer (req->defer), then starts the work: queued on the
 * app's workers when there are, else run here (it must not block then). */
static enum masa_err
start(const struct masa_req *req, struct masa_reply *reply, struct masa_answer_later *w,
    int queue, void *state, enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state))
{
	enum masa_err rc;
	sem_t sync;

	if (req->defer == NULL) {	/* a listener whose handlers may block */
		sem_init(&sync, 0, 0);
		w->sync = &sync;
		w->work(w->arg, w);
		while (sem_wait(&sync) != 0)
			;
		sem_destroy(&sync);
		w->sync = NULL;
		rc = finish(state, reply);
		release(state);
		return rc;
	}
	/* Deferred before it starts: the work may finish at once. */
	w->later = req->defer(req, state, finish, release);
	if (w->later == NULL) {
		release(state);
		return MASA_E_SHUTTING_DOWN;
	}
	w->wake = req->wake;
	w->job.run = run_job;
	if (!queue || req->app->work == NULL)
		w->work(w->arg, w);
	else if ((rc = masa_workq_push(req->app->work, &w->job)) != MASA_OK)
		masa_answer_later_done(w, rc);
	return MASA_OK;
}

enum masa_err
masa_answer_later_work(const struct masa_req *req, struct masa_reply *reply,
    struct masa_answer_later *w, void (*work)(void *arg, struct masa_answer_later *w),
    void *arg, void *state, enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state))
{
	w->work = work;
	w->arg = arg;
	return start(req, reply, w, 1, state, finish, release);
}

/* The work of masa_answer_later: queue the change (this never blocks). */
static void
submit(void *arg, struct masa_answer_later *w)
{
	enum masa_err rc = masa_db_submit(w->db, w->change, arg, masa_answer_later_done, w);

	if (rc != MASA_OK)
		masa_answer_later_done(w, rc);
}

enum masa_err
masa_answer_later(const struct masa_req *req, struct masa_reply *reply,
    struct masa_answer_later *w, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg, void *state, enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state))
{
	w->work = submit;
	w->arg = arg;
	w->db = req->app->db;
	w->change = change;
	return start(req, reply, w, 0, state, finish, release);
}
