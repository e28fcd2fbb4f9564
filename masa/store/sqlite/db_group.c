#define _GNU_SOURCE	/* pthread_setname_np */
/*
 * db_group.c: group commit for masa_db_write and masa_db_submit. Changes
 * are run one after another inside a single write transaction, each in its
 * own savepoint, and committed with one COMMIT (one fsync under
 * synchronous=FULL); every caller learns its own change's result only
 * after the commit that holds it.
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
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db_int.h"

/* Runs one change in a savepoint of the batch: a failed change is rolled
 * back alone and the others go on. */
static void
run_one(struct masa_txn *t, struct masa_db_job *j)
{
	static const char save[] = "SAVEPOINT job", release[] = "RELEASE job",
	    undo[] = "ROLLBACK TO job";

	if (masa_db_exec(t, save, 0) != MASA_OK) {
		j->rc = MASA_E_STORE;
		return;
	}
	j->rc = j->change(t, j->arg);
	if (j->rc == MASA_OK && masa_db_exec(t, release, 0) == MASA_OK)
		return;
	if (j->rc == MASA_OK)
		j->rc = MASA_E_STORE;
	/* These fail harmlessly if SQLite already rolled the whole
	 * transaction back (run_batch notices that). */
	(void)masa_db_exec(t, undo, 1);
	(void)masa_db_exec(t, release, 1);
}

/* Set while this thread runs a batch: a change that called masa_db_write
 * would queue behind the batch it is part of and wait for ever. */
static _Thread_local int in_batch;

/* Runs the changes of batch in one transaction and commits it. */
static void
run_batch(struct masa_db *db, struct masa_db_job *batch)
{
	struct masa_db_job *j;
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(db, 1, &t);

	in_batch = 1;
	for (j = batch; j != NULL && rc == MASA_OK; j = j->next) {
		run_one(t, j);
		/* An I/O error or a full disk can make SQLite roll the whole
		 * transaction back: then nothing of this batch will commit, and
		 * the next change must not run in autocommit mode. */
		if (sqlite3_get_autocommit(t->conn))
			rc = MASA_E_STORE;
	}
	in_batch = 0;
	if (rc == MASA_OK) {
		rc = masa_db_commit(t);
		t = NULL;
	}
	masa_db_rollback(t);
	if (rc != MASA_OK)	/* nothing of the batch is in the store */
		for (j = batch; j != NULL; j = j->next)
			j->rc = rc;
}

/* Takes up to MASA_DB_BATCH_MAX changes off the queue (under db->lock). */
static struct masa_db_job *
take_batch(struct masa_db *db)
{
	struct masa_db_job *batch = db->jobs, **pp;
	size_t n;

	for (n = 1, pp = &batch->next; *pp != NULL && n < MASA_DB_BATCH_MAX; n++)
		pp = &(*pp)->next;
	db->stats.batches++;
	db->stats.changes += n;
	db->jobs = *pp;
	db->njobs -= n;
	db->last_batch = n;
	if (db->jobs == NULL)
		db->jobs_tail = &db->jobs;
	*pp = NULL;
	return batch;
}

/* Waits (under db->lock) until gather_min changes are queued, the
 * gathering time has passed, or the store closes. */
static void
gather(struct masa_db *db)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += db->gather_us / 1000000;
	until.tv_nsec += (db->gather_us % 1000000) * 1000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	db->gathering = 1;
	while (db->njobs < db->gather_min && !db->closing)
		if (pthread_cond_timedwait(&db->work, &db->lock, &until) == ETIMEDOUT)
			break;
	db->gathering = 0;
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
	struct masa_db *db = arg;
	struct masa_db_job *batch, *j, *next;
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);	/* signals are the main thread's */
	(void)pthread_setname_np(pthread_self(), "masa-commit");	/* for top -H, perf */
	pthread_mutex_lock(&db->lock);
	for (;;) {
		while (db->jobs == NULL && !db->closing)
			pthread_cond_wait(&db->work, &db->lock);
		if (db->jobs == NULL)
			break;
		if (db->gather_us > 0 && db->last_batch > 1)
			gather(db);
		batch = take_batch(db);
		pthread_mutex_unlock(&db->lock);
		run_batch(db, batch);
		for (j = batch; j != NULL; j = next) {
			next = j->next;
			j->done(j->done_arg, j->rc);
			free(j);
		}
		pthread_mutex_lock(&db->lock);
	}
	pthread_mutex_unlock(&db->lock);
	return NULL;
}

void
masa_db_gather(struct masa_db *db, long wait_us, size_t min_changes)
{
	pthread_mutex_lock(&db->lock);
	db->gather_us = wait_us < 0 ? 0 : wait_us > 1000000 ? 1000000 : wait_us;
	db->gather_min = min_changes < MASA_DB_BATCH_MAX ? min_changes : MASA_DB_BATCH_MAX;
	pthread_cond_signal(&db->work);	/* a gathering committer re-reads them */
	pthread_mutex_unlock(&db->lock);
}

enum masa_err
masa_db_submit(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg, void (*done)(void *done_arg, enum masa_err rc), void *done_arg)
{
	struct masa_db_job *j;
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
	pthread_mutex_lock(&db->lock);
	/* Started on the first change, so that a process that only reads
	 * has no extra thread. Once closing, the committer may have left
	 * its loop: a change queued then would never run. */
	if (db->closing)
		rc = MASA_E_INTERNAL;
	else if (!db->committer_running) {
		if (pthread_create(&db->committer, NULL, committer, db) != 0)
			rc = MASA_E_INTERNAL;
		else
			db->committer_running = 1;
	}
	if (rc == MASA_OK) {
		*db->jobs_tail = j;
		db->jobs_tail = &j->next;
		/* The committer waits for a first change, or while gathering
		 * for enough of them: wake it only then, not for each. */
		if (++db->njobs == 1 || (db->gathering && db->njobs == db->gather_min))
			pthread_cond_signal(&db->work);
	}
	pthread_mutex_unlock(&db->lock);
	if (rc != MASA_OK)
		free(j);
	return rc;
}

/* A masa_db_write caller, waiting on its own stack. */
struct waiter {
	struct masa_db *db;
	pthread_cond_t wake;
	int done;
	enum masa_err rc;
};

static void
wake_waiter(void *arg, enum masa_err rc)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->db->lock);
	w->rc = rc;
	w->done = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->db->lock);
}

enum masa_err
masa_db_write(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg)
{
	struct waiter w = { .db = db };
	enum masa_err rc;

	if (pthread_cond_init(&w.wake, NULL) != 0)
		return MASA_E_INTERNAL;
	rc = masa_db_submit(db, change, arg, wake_waiter, &w);
	if (rc == MASA_OK) {
		pthread_mutex_lock(&db->lock);
		while (!w.done)
			pthread_cond_wait(&w.wake, &db->lock);
		pthread_mutex_unlock(&db->lock);
		rc = w.rc;
	}
	pthread_cond_destroy(&w.wake);
	return rc;
}

void
masa_db_group_stop(struct masa_db *db)
{
	int running;

	pthread_mutex_lock(&db->lock);
	db->closing = 1;
	running = db->committer_running;
	pthread_cond_signal(&db->work);
	pthread_mutex_unlock(&db->lock);
	if (running)
		pthread_join(db->committer, NULL);
}

void
masa_db_stats(struct masa_db *db, struct masa_db_stats *out)
{
	pthread_mutex_lock(&db->lock);
	*out = db->stats;
	pthread_mutex_unlock(&db->lock);
}
