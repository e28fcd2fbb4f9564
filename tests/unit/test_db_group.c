/* test_db_group.c: masa/store/group.c (group commit) and the
 * read-connection pool of masa/store/sqlite/conn.c, with real threads on a
 * real SQLite file. */
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BUSY_MS 2000
#define THREADS 16
#define PER_THREAD 40
#define FAIL_EVERY 7	/* every 7th change fails after writing its row */

struct writer {
	struct masa_db *db;
	int id;
	int ok, failed, wrong;	/* results seen, and results that were not the change's own */
};

struct row {
	int thread, n;
};

/* Inserts (thread, n); a change numbered FAIL_EVERY fails after its write. */
static enum masa_err
insert_change(struct masa_txn *t, void *arg)
{
	const struct row *r = arg;
	sqlite3_stmt *st = NULL;
	enum masa_err rc = masa_sqlite_prepare(t, "INSERT INTO scratch (thread, n) VALUES (?, ?)", &st);

	if (rc != MASA_OK)
		return rc;
	sqlite3_bind_int(st, 1, r->thread);
	sqlite3_bind_int(st, 2, r->n);
	rc = masa_sqlite_run(t, st);
	if (rc == MASA_OK && r->n % FAIL_EVERY == 0)
		rc = MASA_E_CONFLICT;
	return rc;
}

static void *
write_many(void *arg)
{
	struct writer *w = arg;
	struct row r;
	enum masa_err rc;
	int i;

	for (i = 1; i <= PER_THREAD; i++) {
		r.thread = w->id;
		r.n = i;
		rc = masa_db_write(w->db, insert_change, &r);
		if (rc == MASA_OK && i % FAIL_EVERY != 0)
			w->ok++;
		else if (rc == MASA_E_CONFLICT && i % FAIL_EVERY == 0)
			w->failed++;
		else
			w->wrong++;
	}
	return NULL;
}

static enum masa_err
create_scratch(struct masa_txn *t, void *arg)
{
	(void)arg;
	return sqlite3_exec(masa_sqlite_conn(t), "CREATE TABLE scratch (thread INTEGER, n INTEGER,"
	    " PRIMARY KEY (thread, n))", NULL, NULL, NULL) == SQLITE_OK ? MASA_OK : MASA_E_STORE;
}

/* THREADS threads each write PER_THREAD changes at once: every call gets
 * its own change's result, exactly the changes that succeeded are in the
 * file (a failed change is undone without taking its batch-mates along),
 * and the writes were grouped: fewer commits than changes. */
static void
test_concurrent_changes_grouped(void **state)
{
	char path[TU_PATH_MAX];
	struct writer w[THREADS];
	pthread_t th[THREADS];
	struct masa_db_stats before, after;
	struct masa_db *db;
	sqlite3 *c;
	int i, ok = 0, failed = 0;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	masa_db_stats(db, &before);
	for (i = 0; i < THREADS; i++) {
		memset(&w[i], 0, sizeof w[i]);
		w[i].db = db;
		w[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, write_many, &w[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].wrong, 0);
		ok += w[i].ok;
		failed += w[i].failed;
	}
	masa_db_stats(db, &after);
	masa_db_close(db);

	assert_int_equal(ok + failed, THREADS * PER_THREAD);
	assert_int_equal(failed, THREADS * (PER_THREAD / FAIL_EVERY));
	c = tu_sqlite_open(path);	/* what is durable in the file */
	assert_int_equal(tu_query_int(c, "SELECT COUNT(*) FROM scratch"), ok);
	assert_int_equal(tu_query_int(c, "SELECT COUNT(*) FROM scratch WHERE n % 7 = 0"), 0);
	sqlite3_close(c);
	assert_int_equal(after.changes - before.changes, THREADS * PER_THREAD);
	assert_true(after.batches - before.batches < after.changes - before.changes);
}

/* A lone change is committed and returned on its own, with its result. */
static void
test_single_change(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db;
	struct row good = { 1, 1 }, bad = { 1, FAIL_EVERY };
	sqlite3 *c;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	assert_int_equal(masa_db_write(db, insert_change, &good), MASA_OK);
	assert_int_equal(masa_db_write(db, insert_change, &bad), MASA_E_CONFLICT);
	assert_int_equal(masa_db_write(db, insert_change, &good), MASA_E_EXISTS);
	masa_db_close(db);
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT COUNT(*) FROM scratch"), 1);
	sqlite3_close(c);
}

struct reader {
	struct masa_db *db;
	enum masa_err rc;
	long waited_ms;
};

static void *
read_once(void *arg)
{
	struct reader *r = arg;
	struct masa_txn *t = NULL;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	r->rc = masa_db_begin(r->db, 0, &t);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (r->rc == MASA_OK)
		masa_db_rollback(t);
	r->waited_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	return NULL;
}

/* While a write transaction is open, a read transaction starts at once
 * (on a read connection) and sees only what is committed; and a read
 * connection refuses to write. */
static void
test_reads_do_not_wait_for_writer(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db;
	struct masa_txn *w = NULL, *r = NULL;
	struct reader rd;
	pthread_t th;
	sqlite3_stmt *st = NULL;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	assert_int_equal(masa_db_begin(db, 1, &w), MASA_OK);
	tu_exec(masa_sqlite_conn(w), "INSERT INTO scratch VALUES (9, 9)");

	rd.db = db;
	assert_int_equal(pthread_create(&th, NULL, read_once, &rd), 0);
	pthread_join(th, NULL);
	assert_int_equal(rd.rc, MASA_OK);
	assert_true(rd.waited_ms < BUSY_MS / 2);

	assert_int_equal(masa_db_begin(db, 0, &r), MASA_OK);
	assert_int_equal(tu_query_int(masa_sqlite_conn(r), "SELECT COUNT(*) FROM scratch"), 0);
	assert_int_equal(masa_sqlite_prepare(r, "INSERT INTO scratch VALUES (1, 1)", &st), MASA_OK);
	assert_int_not_equal(masa_sqlite_run(r, st), MASA_OK);	/* query_only */
	masa_db_rollback(r);
	assert_int_equal(masa_db_commit(w), MASA_OK);
	masa_db_close(db);
}

/* A cached statement comes back reset, with no binding left over. */
static void
test_statement_cache_reset(void **state)
{
	static const char sql[] = "SELECT ?1 IS NULL";
	char path[TU_PATH_MAX];
	struct masa_db *db;
	struct masa_txn *t = NULL;
	sqlite3_stmt *a = NULL, *b = NULL, *nested = NULL;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_begin(db, 0, &t), MASA_OK);
	assert_int_equal(masa_sqlite_prepare(t, sql, &a), MASA_OK);
	sqlite3_bind_int(a, 1, 5);
	assert_int_equal(sqlite3_step(a), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(a, 0), 0);
	/* the same SQL while a is in use: a separate statement */
	assert_int_equal(masa_sqlite_prepare(t, sql, &nested), MASA_OK);
	assert_ptr_not_equal(nested, a);
	masa_sqlite_finish(t, nested);
	masa_sqlite_finish(t, a);
	assert_int_equal(masa_sqlite_prepare(t, sql, &b), MASA_OK);
	assert_ptr_equal(b, a);	/* reused */
	assert_int_equal(sqlite3_step(b), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(b, 0), 1);	/* binding cleared */
	masa_sqlite_finish(t, b);
	masa_db_rollback(t);
	masa_db_close(db);
}

static enum masa_err
nothing(struct masa_txn *t, void *arg)
{
	(void)t;
	(void)arg;
	return MASA_OK;
}

/* Calls masa_db_write from inside a change: its result goes to *arg. */
static enum masa_err
nested_write(struct masa_txn *t, void *arg)
{
	struct masa_db **dbp = arg;

	(void)t;
	return masa_db_write(*dbp, nothing, NULL);
}

/* A change that writes through masa_db_write itself is refused at once
 * (it would wait for the batch it is part of, for ever), and the store
 * goes on working. */
static void
test_nested_write_refused(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, nested_write, &db), MASA_E_INTERNAL);
	assert_int_equal(masa_db_write(db, nothing, NULL), MASA_OK);
	masa_db_close(db);
}

/* A statement that makes SQLite roll the whole transaction back (INSERT
 * OR ROLLBACK stands for a full disk or an I/O error), then a change that
 * carries on regardless. */
static enum masa_err
careless_change(struct masa_txn *t, void *arg)
{
	sqlite3_stmt *st = NULL;
	enum masa_err rc, later;

	(void)arg;
	rc = masa_sqlite_prepare(t, "INSERT OR ROLLBACK INTO scratch (thread, n) VALUES (1, 1)", &st);
	if (rc == MASA_OK)
		rc = masa_sqlite_run(t, st);
	later = masa_sqlite_prepare(t, "INSERT INTO scratch (thread, n) VALUES (2, 2)", &st);
	if (later == MASA_OK)
		later = masa_sqlite_run(t, st);
	assert_int_equal(later, MASA_E_STORE);	/* refused, not run in autocommit */
	return rc;
}

/* After SQLite has abandoned the batch's transaction, nothing more is
 * written: a later statement of the same change is refused instead of
 * committing on its own. */
static void
test_no_write_after_rollback(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db;
	struct row first = { 1, 1 };
	sqlite3 *c;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	assert_int_equal(masa_db_write(db, insert_change, &first), MASA_OK);
	assert_int_not_equal(masa_db_write(db, careless_change, NULL), MASA_OK);
	assert_int_equal(masa_db_write(db, nothing, NULL), MASA_OK);	/* still usable */
	masa_db_close(db);
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT COUNT(*) FROM scratch"), 1);
	sqlite3_close(c);
}

#define SUBMITS 200

/* What one masa_db_submit caller was told, and by which thread. */
struct told {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t caller;
	int calls[SUBMITS];
	enum masa_err rc[SUBMITS];
	int on_caller_thread, n;
};

struct submitted {
	struct row row;
	struct told *told;
};

static void
on_done(void *arg, enum masa_err rc)
{
	struct submitted *s = arg;
	struct told *t = s->told;
	int i = s->row.n - 1;

	pthread_mutex_lock(&t->lock);
	t->calls[i]++;
	t->rc[i] = rc;
	t->on_caller_thread += pthread_equal(pthread_self(), t->caller);
	t->n++;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Queues SUBMITS changes from one thread without waiting, then checks that
 * each done callback came once, from the committer thread, with its own
 * change's result; that exactly the good rows are in the file; and that
 * the changes were grouped. With close_early the store is closed at once
 * after queueing: what was queued is still committed and reported. */
static void
submit_many(void **state, int close_early)
{
	static struct submitted sub[SUBMITS];
	static struct told told;
	char path[TU_PATH_MAX];
	struct masa_db_stats before, after;
	struct masa_db *db;
	sqlite3 *c;
	int i, good = 0;

	memset(&told, 0, sizeof told);
	pthread_mutex_init(&told.lock, NULL);
	pthread_cond_init(&told.cond, NULL);
	told.caller = pthread_self();
	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	masa_db_stats(db, &before);
	for (i = 0; i < SUBMITS; i++) {
		sub[i].row.thread = 1;
		sub[i].row.n = i + 1;
		sub[i].told = &told;
		assert_int_equal(masa_db_submit(db, insert_change, &sub[i].row, on_done, &sub[i]),
		    MASA_OK);
	}
	if (!close_early) {
		pthread_mutex_lock(&told.lock);
		while (told.n < SUBMITS)
			pthread_cond_wait(&told.cond, &told.lock);
		pthread_mutex_unlock(&told.lock);
		masa_db_stats(db, &after);
		assert_int_equal(after.changes - before.changes, SUBMITS);
		assert_true(after.batches - before.batches < SUBMITS / 4);
	}
	masa_db_close(db);
	assert_int_equal(told.n, SUBMITS);
	assert_int_equal(told.on_caller_thread, 0);
	for (i = 0; i < SUBMITS; i++) {
		assert_int_equal(told.calls[i], 1);
		assert_int_equal(told.rc[i], (i + 1) % FAIL_EVERY == 0 ? MASA_E_CONFLICT : MASA_OK);
		good += (i + 1) % FAIL_EVERY != 0;
	}
	c = tu_sqlite_open(path);
	assert_int_equal(tu_query_int(c, "SELECT COUNT(*) FROM scratch"), good);
	sqlite3_close(c);
	pthread_cond_destroy(&told.cond);
	pthread_mutex_destroy(&told.lock);
}

static void
test_submit_without_waiting(void **state)
{
	submit_many(state, 0);
}

static void
test_close_commits_what_was_submitted(void **state)
{
	submit_many(state, 1);
}

/* A change that says it has begun, then waits until the test opens the
 * gate. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int entered, open;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };

static enum masa_err
gated_change(struct masa_txn *t, void *arg)
{
	pthread_mutex_lock(&gate.lock);
	gate.entered = 1;
	pthread_cond_broadcast(&gate.cond);
	while (!gate.open)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	return insert_change(t, arg);
}

static void
wait_told(struct told *t, int n)
{
	pthread_mutex_lock(&t->lock);
	while (t->n < n)
		pthread_cond_wait(&t->cond, &t->lock);
	pthread_mutex_unlock(&t->lock);
}

static int
told_count(struct told *t)
{
	int n;

	pthread_mutex_lock(&t->lock);
	n = t->n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

static void
submit_row(struct masa_db *db, struct submitted *sub, struct told *told, int n,
    enum masa_err (*change)(struct masa_txn *, void *))
{
	sub->row.thread = 2;
	sub->row.n = n;
	sub->told = told;
	assert_int_equal(masa_db_submit(db, change, &sub->row, on_done, sub), MASA_OK);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* masa_db_gather: once a batch held several changes, the committer waits
 * for more: three changes queued 50 ms apart commit as one batch, the
 * first answered only after the third was queued. Once the store is quiet
 * (a batch of one), a lone change is committed at once, not after the
 * gathering time. */
static void
test_busy_store_gathers(void **state)
{
	static struct submitted sub[8];
	static struct told told;
	char path[TU_PATH_MAX];
	struct masa_db_stats before, after;
	struct masa_db *db;
	double t0;
	int i;

	memset(&told, 0, sizeof told);
	pthread_mutex_init(&told.lock, NULL);
	pthread_cond_init(&told.cond, NULL);
	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	masa_db_gather(db, 1000000, 3);
	/* Busy: the two changes queued while the gated one runs make the
	 * next batch. */
	gate.open = gate.entered = 0;
	submit_row(db, &sub[0], &told, 1, gated_change);
	pthread_mutex_lock(&gate.lock);
	while (!gate.entered)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	submit_row(db, &sub[1], &told, 2, insert_change);
	submit_row(db, &sub[2], &told, 3, insert_change);
	pthread_mutex_lock(&gate.lock);
	gate.open = 1;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	wait_told(&told, 3);

	masa_db_stats(db, &before);
	for (i = 3; i < 6; i++) {
		if (i > 3)
			sleep_ms(50);
		assert_int_equal(told_count(&told), 3);	/* nothing of these is committed yet */
		submit_row(db, &sub[i], &told, i + 1, insert_change);
	}
	wait_told(&told, 6);
	masa_db_stats(db, &after);
	assert_int_equal(after.batches - before.batches, 1);
	assert_int_equal(after.changes - before.changes, 3);

	/* Quiet: a lone change waits the full second for company, and
	 * leaves a batch of one behind; the next lone change does not wait. */
	submit_row(db, &sub[6], &told, 8, insert_change);
	wait_told(&told, 7);
	t0 = now_ms();
	submit_row(db, &sub[7], &told, 9, insert_change);
	wait_told(&told, 8);
	assert_true(now_ms() - t0 < 500);
	masa_db_close(db);
	for (i = 0; i < 8; i++)
		assert_int_equal(told.rc[sub[i].row.n - 1], MASA_OK);
	pthread_cond_destroy(&told.cond);
	pthread_mutex_destroy(&told.lock);
}

static enum masa_err
insert_one(struct masa_txn *t, void *arg)
{
	struct row r = { 3, *(int *)arg };

	return insert_change(t, &r);
}

/* Count of scratch rows through masa_db_begin_single; also checks the
 * statement ran outside any explicit transaction. */
static int
single_count(struct masa_db *db)
{
	struct masa_txn *t = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	assert_int_equal(masa_db_begin_single(db, &t), MASA_OK);
	assert_int_equal(masa_sqlite_prepare(t, "SELECT COUNT(*) FROM scratch", &st), MASA_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int(st, 0);
	masa_sqlite_finish(t, st);
	assert_true(sqlite3_get_autocommit(masa_sqlite_conn(t)));
	masa_db_rollback(t);
	return n;
}

/* masa_db_begin_single: a lookup is its own read transaction, so each one
 * sees what was committed before it, and nothing stays open after it. */
static void
test_single_statement_read(void **state)
{
	char path[TU_PATH_MAX];
	struct masa_db *db;
	int one = 1, two = 2;

	tu_path(path, *state, "masa.db");
	db = tu_db_migrated(path, BUSY_MS);
	assert_int_equal(masa_db_write(db, create_scratch, NULL), MASA_OK);
	assert_int_equal(masa_db_write(db, insert_one, &one), MASA_OK);
	assert_int_equal(single_count(db), 1);
	assert_int_equal(masa_db_write(db, insert_one, &two), MASA_OK);
	assert_int_equal(single_count(db), 2);
	masa_db_close(db);
}

#define DIR_TEST(f) cmocka_unit_test_setup_teardown(f, tu_setup_dir, tu_teardown_dir)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		DIR_TEST(test_concurrent_changes_grouped),
		DIR_TEST(test_single_change),
		DIR_TEST(test_submit_without_waiting),
		DIR_TEST(test_close_commits_what_was_submitted),
		DIR_TEST(test_busy_store_gathers),
		DIR_TEST(test_single_statement_read),
		DIR_TEST(test_reads_do_not_wait_for_writer),
		DIR_TEST(test_statement_cache_reset),
		DIR_TEST(test_nested_write_refused),
		DIR_TEST(test_no_write_after_rollback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
