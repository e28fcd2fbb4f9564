/*
 * db_group.c: group commit for masa_db_write. Concurrent changes are run
 * one after another inside a single write transaction, each in its own
 * savepoint, and committed with one COMMIT (one fsync under
 * synchronous=FULL); every caller returns only after the commit that holds
 * its change, with that change's own result.
 *
 * No extra thread: the first caller to find no batch in progress becomes
 * the committer. It takes every queued change (its own among them), runs
 * the batch, and wakes the others; while it waits for the disk, new changes
 * queue up and the next of their callers commits them as the next batch.
 * A lone writer pays what it paid before: one transaction, one fsync.
 */
#include <string.h>

#include "store/db_int.h"

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
	if (db->jobs == NULL)
		db->jobs_tail = &db->jobs;
	*pp = NULL;
	return batch;
}

/*
 * Each waiting caller sleeps on its own condition variable and is woken
 * once: when its change is done, or when it is first in the queue and the
 * committer's turn is free. (One shared condition would wake every waiter
 * at every commit.)
 */
enum masa_err
masa_db_write(struct masa_db *db, enum masa_err (*change)(struct masa_txn *txn, void *arg),
    void *arg)
{
	struct masa_db_job me, *batch, *j, *next;

	if (in_batch)
		return MASA_E_INTERNAL;	/* a change must not write through another */
	memset(&me, 0, sizeof me);
	me.change = change;
	me.arg = arg;
	if (pthread_cond_init(&me.wake, NULL) != 0)
		return MASA_E_INTERNAL;
	pthread_mutex_lock(&db->lock);
	*db->jobs_tail = &me;
	db->jobs_tail = &me.next;
	while (!me.done) {
		if (db->committing) {
			pthread_cond_wait(&me.wake, &db->lock);
			continue;
		}
		/* Commit the first MASA_DB_BATCH_MAX queued changes; if ours
		 * is not among them, the loop goes round again. */
		db->committing = 1;
		batch = take_batch(db);
		pthread_mutex_unlock(&db->lock);
		run_batch(db, batch);
		pthread_mutex_lock(&db->lock);
		for (j = batch; j != NULL; j = next) {
			next = j->next;	/* j may be gone once woken */
			j->done = 1;
			if (j != &me)
				pthread_cond_signal(&j->wake);
		}
		db->committing = 0;
		if (db->jobs != NULL)	/* the next batch is the first waiter's */
			pthread_cond_signal(&db->jobs->wake);
	}
	pthread_mutex_unlock(&db->lock);
	pthread_cond_destroy(&me.wake);
	return me.rc;
}

void
masa_db_stats(struct masa_db *db, struct masa_db_stats *out)
{
	pthread_mutex_lock(&db->lock);
	*out = db->stats;
	pthread_mutex_unlock(&db->lock);
}
