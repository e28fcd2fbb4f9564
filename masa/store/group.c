#define _GNU_SOURCE	/* pthread_setname_np */
/*
 * group.c: group commit for masa_db_write and masa_db_submit, above any
 * backend (backend.h): it knows transactions and savepoints, not SQL.
 * Changes are run one after another inside a single write transaction,
 * each in its own savepoint, and committed with one commit (SQLite: one
 * fsync under synchronous=FULL); every caller learns its own change's
 * result only after the commit that holds it.
 *
 * One committer thread per store, started by the first change, does all
 * of it: it takes every queued change, runs the batch, commits, then tells
 * each caller (masa_db_write's callers sleep on their own condition
 * variable; masa_db_submit's get a callback). While it waits for the disk,
 * new changes queue up for the next batch. A caller never runs a batch
 * itself, so one that serves many connections from an event loop need
 * not block on the disk (masa_db_submit). On a busy store it may first
 * wait a little for more changes (masa_db_gather).
 */
#include "group.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_MAX 256	/* changes committed together at most */
#define RETRIES 5	/* runs of a change lost to a deadlock (backend.h, retry) */

/* A change waiting to be committed with others. */
struct job {
	struct job *next;
	enum masa_err (*change)(struct masa_txn *txn, void *arg);
	void *arg;
	void (*done)(void *done_arg, enum masa_err rc);
	void *done_arg;
	enum masa_err rc;
};

struct masa_group {
	struct masa_db *db;
	pthread_mutex_t lock;	/* guards everything below */
	/* Changes queued for the next batch, and the thread that commits
	 * them (started by the first change). */
	struct job *jobs, **jobs_tail;
	size_t njobs;		/* queued */
	pthread_cond_t work;	/* CLOCK_MONOTONIC; a change was queued, enough
				 * were for a gathering committer, or closing */
	long gather_us;		/* masa_db_gather */
	size_t gather_min;
	int gathering;		/* the committer waits for gather_min changes */
	size_t last_batch;	/* changes in the batch before */
	pthread_t committer;
	int committer_running, closing;
	struct masa_db_stats stats;
};

/* Runs one change in a savepoint of the batch: a failed change is rolled
 * back alone and the others go on. */
static void
run_one(const struct masa_store_backend *be, struct masa_txn *t, struct job *j)
{
	if (be->savepoint(t) != MASA_OK) {
		j->rc = MASA_E_STORE;
		return;
	}
	j->rc = j->change(t, j->arg);
	if (j->rc == MASA_OK && be->release(t) == MASA_OK)
		return;
	if (j->rc == MASA_OK)
		j->rc = MASA_E_STORE;
	/* Harmless if the backend already gave up the whole transaction
	 * (run_batch notices that). */
	be->rollback_to(t);
}

/* Set while this thread runs a batch: a change that called masa_db_write
 * would queue behind the batch it is part of and wait for ever. */
static _Thread_local int in_batch;

/* Runs the changes of batch in one transaction and commits it. A change
 * lost to a deadlock or a serialization failure (backend.h, retry) makes
 * the whole transaction roll back, which frees what the other side waits
 * for, and the batch run again from its start (up to RETRIES times):
 * rolling back to the change's savepoint alone would keep the locks the
 * deadlock is made of. */
static void
run_batch(struct masa_db *db, struct job *batch)
{
	const struct masa_store_backend *be = db->be;
	struct job *j;
	struct masa_txn *t;
	enum masa_err rc;
	int runs = 0, again;

	do {
		t = NULL;
		again = 0;
		rc = be->begin(db, 1, &t);
		in_batch = 1;
		for (j = batch; j != NULL && rc == MASA_OK; j = j->next) {
			run_one(be, t, j);
			if (j->rc != MASA_OK && be->retry != NULL && be->retry(t)) {
				again = 1;
				rc = MASA_E_STORE_BUSY;
			} else if (be->lost(t)) {
				/* An I/O error or a full disk can make the backend give
				 * up the whole transaction (SQLite rolls it back): then
				 * nothing of this batch will commit, and the next change
				 * must not run outside it (SQLite: in autocommit mode). */
				rc = MASA_E_STORE;
			}
		}
		in_batch = 0;
		if (rc == MASA_OK) {
			rc = be->commit(t);
			t = NULL;
		}
		if (t != NULL)
			be->rollback(t);
	} while (again && ++runs < RETRIES);
	if (rc != MASA_OK)	/* nothing of the batch is in the store */
		for (j = batch; j != NULL; j = j->next)
			j->rc = rc;
}

/* Takes up to BATCH_MAX changes off the queue (under g->lock). */
static struct job *
take_batch(struct masa_group *g)
{
	struct job *batch = g->jobs, **pp;
	size_t n;

	for (n = 1, pp = &batch->next; *pp != NULL && n < BATCH_MAX; n++)
		pp = &(*pp)->next;
	g->stats.batches++;
	g->stats.changes += n;
	g->jobs = *pp;
	g->njobs -= n;
	g->last_batch = n;
	if (g->jobs == NULL)
		g->jobs_tail = &g->jobs;
	*pp = NULL;
	return batch;
}

/* Waits (under g->lock) until gather_min changes are queued, the
 * gathering time has passed, or the store closes. */
static void
gather(struct masa_group *g)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += g->gather_us / 1000000;
	until.tv_nsec += (g->gather_us % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	g->gathering = 1;
	while (g->njobs < g->gather_min && !g->closing)
		if (pthread_cond_timedwait(&g->work, &g->lock, &until) == ETIMEDOUT)
			break;
	g->gathering = 0;
}

/* The committer thread: commits whatever is queued, batch after batch,
 * and tells each change's caller its result once its batch is durable.
 * While it waits for the disk, new changes queue up for the next batch.
 * On close it commits what is left, then ends. It runs under the normal
 * scheduling policy so that it gets a core as soon as it has a batch to
 * run: a low-priority committer (SCHED_BATCH, tried) waits out the slice
 * of a busy thread on its core, up to milliseconds in which the threads
 * waiting for its commit leave other cores idle. */
static void *
committer(void *arg)
{
	struct masa_group *g = arg;
	struct job *batch, *j, *next;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);	/* signals are the main thread's */
	(void)pthread_setname_np(pthread_self(), "masa-commit");	/* for top -H, perf */
	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (g->jobs == NULL && !g->closing)
			pthread_cond_wait(&g->work, &g->lock);
		if (g->jobs == NULL)
			break;
		if (g->gather_us > 0 && g->last_batch > 1)
			gather(g);
		batch = take_batch(g);
		pthread_mutex_unlock(&g->lock);
		run_batch(g->db, batch);
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			j->done(j->done_arg, j->rc);
			free(j);
		}
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

void
masa_db_gather(struct masa_db *db, long wait_us, size_t min_changes)
{
	struct masa_group *g = db->group;

	pthread_mutex_lock(&g->lock);
	g->gather_us = wait_us < 0 ? 0 : wait_us > 1000000 ? 1000000 : wait_us;
	g->gather_min = min_changes < BATCH_MAX ? min_changes : BATCH_MAX;
	pthread_cond_signal(&g->work);	/* a gathering committer re-reads them */
	pthread_mutex_unlock(&g->lock);
}

enum masa_err
masa_db_submit(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg, void (*done)(void *done_arg, enum masa_err rc), void *done_arg)
{
	struct masa_group *g = db->group;
	struct job *j;
	enum masa_err rc = MASA_OK;

	if (in_batch)
		return MASA_E_INTERNAL;	/* a change must not write through another */
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return MASA_E_NOMEM;
	j->change = change;
	j->arg = arg;
	j->done = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&g->lock);
	/* Started on the first change, so that a process that only reads
	 * has no extra thread. Once closing, the committer may have left
	 * its loop: a change queued then would never run. */
	if (g->closing)
		rc = MASA_E_INTERNAL;
	else if (!g->committer_running) {
		if (pthread_create(&g->committer, NULL, committer, g) != 0)
			rc = MASA_E_INTERNAL;
		else
			g->committer_running = 1;
	}
	if (rc == MASA_OK) {
		*g->jobs_tail = j;
		g->jobs_tail = &j->next;
		/* The committer waits for a first change, or while gathering
		 * for enough of them: wake it only then, not for each. */
		if (++g->njobs == 1 || (g->gathering && g->njobs == g->gather_min))
			pthread_cond_signal(&g->work);
	}
	pthread_mutex_unlock(&g->lock);
	if (rc != MASA_OK)
		free(j);
	return rc;
}

/* A masa_db_write caller, waiting on its own stack. */
struct waiter {
	struct masa_group *g;
	pthread_cond_t wake;
	int done;
	enum masa_err rc;
};

static void
wake_waiter(void *arg, enum masa_err rc)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->g->lock);
	w->rc = rc;
	w->done = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->g->lock);
}

enum masa_err
masa_db_write(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg)
{
	struct waiter w = { .g = db->group };
	enum masa_err rc;

	if (pthread_cond_init(&w.wake, NULL) != 0)
		return MASA_E_INTERNAL;
	rc = masa_db_submit(db, change, arg, wake_waiter, &w);
	if (rc == MASA_OK) {
		pthread_mutex_lock(&w.g->lock);
		while (!w.done)
			pthread_cond_wait(&w.wake, &w.g->lock);
		pthread_mutex_unlock(&w.g->lock);
		rc = w.rc;
	}
	pthread_cond_destroy(&w.wake);
	return rc;
}

void
masa_db_stats(struct masa_db *db, struct masa_db_stats *out)
{
	struct masa_group *g = db->group;

	pthread_mutex_lock(&g->lock);
	*out = g->stats;
	pthread_mutex_unlock(&g->lock);
}

enum masa_err
masa_group_open(struct masa_db *db)
{
	pthread_condattr_t ca;
	struct masa_group *g = calloc(1, sizeof *g);
	int ok;

	if (g == NULL)
		return MASA_E_NOMEM;
	ok = pthread_condattr_init(&ca) == 0;
	if (ok) {
		ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
		    pthread_cond_init(&g->work, &ca) == 0;
		pthread_condattr_destroy(&ca);
	}
	if (ok && pthread_mutex_init(&g->lock, NULL) != 0) {
		pthread_cond_destroy(&g->work);
		ok = 0;
	}
	if (!ok) {
		free(g);
		return MASA_E_INTERNAL;
	}
	g->db = db;
	g->jobs_tail = &g->jobs;
	db->group = g;
	return MASA_OK;
}

void
masa_group_close(struct masa_db *db)
{
	struct masa_group *g = db->group;
	int running;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->lock);
	g->closing = 1;
	running = g->committer_running;
	pthread_cond_signal(&g->work);
	pthread_mutex_unlock(&g->lock);
	if (running)
		pthread_join(g->committer, NULL);
	pthread_cond_destroy(&g->work);
	pthread_mutex_destroy(&g->lock);
	free(g);
	db->group = NULL;
}
