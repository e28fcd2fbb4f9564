/*
 * query.c: statements on the PostgreSQL backend: parameters (integers and
 * text as text, bytes in binary), statements prepared once per connection
 * by the address of their constant SQL, results read in binary, and
 * SQLSTATEs mapped to store errors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pg_int.h"

/* Type OIDs of the binary results read here (catalog/pg_type.h). */
#define OID_BOOL 16
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23

static void
add(struct masa_pg_params *p, const char *v, int len, int fmt)
{
	if (p->n >= MASA_PG_PARAMS_MAX)
		return;	/* a programming error: masa_pg_query refuses p */
	p->v[p->n] = v;
	p->len[p->n] = len;
	p->fmt[p->n] = fmt;
	p->n++;
}

void
masa_pg_int(struct masa_pg_params *p, int64_t v)
{
	if (p->n < MASA_PG_PARAMS_MAX) {
		snprintf(p->num[p->n], sizeof p->num[p->n], "%" PRId64, v);
		add(p, p->num[p->n], 0, 0);
	}
}

void
masa_pg_id(struct masa_pg_params *p, int64_t v)
{
	if (v > 0)
		masa_pg_int(p, v);
	else
		add(p, NULL, 0, 0);
}

void
masa_pg_text(struct masa_pg_params *p, const char *s, int opt)
{
	add(p, s != NULL && (!opt || s[0] != '\0') ? s : NULL, 0, 0);
}

void
masa_pg_bytes(struct masa_pg_params *p, const void *ptr, size_t len)
{
	add(p, ptr != NULL && len > 0 ? ptr : NULL, (int)len, 1);
}

/* Maps a failed result (or none: the connection failed) to a store error
 * and records its message in t. */
static enum masa_err
failure(struct masa_pg_txn *t, const PGresult *r)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(t->c->pg);

	snprintf(t->err, sizeof t->err, "%s", msg != NULL && msg[0] ? msg : "connection lost");
	t->err[strcspn(t->err, "\n")] = '\0';
	t->retry = 0;
	if (state == NULL)
		return MASA_E_STORE;
	if (strcmp(state, "23505") == 0)	/* unique_violation */
		return MASA_E_EXISTS;
	if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		t->retry = 1;	/* serialization_failure, deadlock_detected */
		return MASA_E_STORE_BUSY;
	}
	if (strcmp(state, "55P03") == 0)	/* lock_not_available: lock_timeout */
		return MASA_E_STORE_BUSY;
	return MASA_E_STORE;
}

/* The name of sql's prepared statement on t's connection, preparing it on
 * first use; NULL (t->err set) on failure or a full cache (then run
 * unnamed: *unnamed = 1). */
static enum masa_err
prepared(struct masa_pg_txn *t, const char *sql, int nparams, char name[16], int *unnamed)
{
	struct masa_pg_conn *c = t->c;
	enum masa_err rc;
	PGresult *r;
	int i;

	*unnamed = 0;
	for (i = 0; i < c->nstmt; i++)
		if (c->sql[i] == sql) {
			snprintf(name, 16, "m%d", i);
			return MASA_OK;
		}
	if (c->nstmt == MASA_PG_STMT_CACHE) {
		*unnamed = 1;
		return MASA_OK;
	}
	snprintf(name, 16, "m%d", c->nstmt);
	r = PQprepare(c->pg, name, sql, nparams, NULL);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = failure(t, r);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	c->sql[c->nstmt++] = sql;
	return MASA_OK;
}

/* Reads one statement's result in a pipeline (and the NULL after it). */
static PGresult *
next_result(PGconn *pg)
{
	PGresult *r = PQgetResult(pg), *extra;

	if (r != NULL && (extra = PQgetResult(pg)) != NULL) {
		PQclear(extra);	/* never for one statement: the state is unknown */
		PQclear(r);
		return NULL;
	}
	return r;
}

/* Sends the deferred statements and then the prepared statement name (or
 * sql unnamed) with p in one pipeline, and reads every answer: *out is the
 * last one's on success; otherwise the first failure's error. */
static enum masa_err
pipelined(struct masa_pg_txn *t, const char *sql, const char *name,
    const struct masa_pg_params *p, PGresult **out)
{
	struct masa_pg_conn *c = t->c;
	PGconn *pg = c->pg;
	PGresult *r, *last = NULL, *bad = NULL;
	ExecStatusType st;
	enum masa_err rc;
	int i, n = c->ndefer, ok;

	c->ndefer = 0;
	ok = PQenterPipelineMode(pg);
	for (i = 0; ok && i < n; i++)
		ok = PQsendQueryParams(pg, c->defer[i], 0, NULL, NULL, NULL, NULL, 0);
	if (ok)
		ok = name != NULL ?
		    PQsendQueryPrepared(pg, name, p->n, p->v, p->len, p->fmt, 1) :
		    PQsendQueryParams(pg, sql, p->n, NULL, p->v, p->len, p->fmt, 1);
	if (ok)
		ok = PQpipelineSync(pg);
	for (i = 0; ok && i <= n; i++) {
		r = next_result(pg);
		st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
		if (r == NULL)
			ok = 0;
		else if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && bad == NULL)
			bad = r;
		else if (i == n && bad == NULL)
			last = r;
		else
			PQclear(r);
	}
	if (ok) {
		r = PQgetResult(pg);
		ok = r != NULL && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
		PQclear(r);
	}
	if (!ok || !PQexitPipelineMode(pg)) {
		c->broken = 1;	/* connected again when next taken */
		rc = failure(t, bad);
		PQclear(bad);
		PQclear(last);
		return rc == MASA_OK ? MASA_E_STORE : rc;
	}
	if (bad != NULL) {
		rc = failure(t, bad);
		PQclear(bad);
		PQclear(last);
		return rc;
	}
	*out = last;
	return MASA_OK;
}

enum masa_err
masa_pg_defer(struct masa_pg_txn *t, const char *sql)
{
	struct masa_pg_conn *c = t->c;
	enum masa_err rc = MASA_OK;

	if (c->ndefer == MASA_PG_DEFER_MAX)
		rc = masa_pg_exec(t, "SELECT 1");	/* sends the deferred ones */
	if (rc == MASA_OK)
		c->defer[c->ndefer++] = sql;
	return rc;
}

/* masa_pg_query's one attempt. */
static enum masa_err
query_once(struct masa_pg_txn *t, const char *sql, const struct masa_pg_params *p,
    PGresult **out)
{
	ExecStatusType st;
	enum masa_err rc;
	PGresult *r;
	char name[16];
	int unnamed;

	rc = prepared(t, sql, p->n, name, &unnamed);
	if (rc != MASA_OK)
		return rc;
	if (t->c->ndefer > 0)
		return pipelined(t, sql, unnamed ? NULL : name, p, out);
	if (unnamed)
		r = PQexecParams(t->c->pg, sql, p->n, NULL, p->v, p->len, p->fmt, 1);
	else
		r = PQexecPrepared(t->c->pg, name, p->n, p->v, p->len, p->fmt, 1);
	st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		rc = failure(t, r);
		PQclear(r);
		return rc;
	}
	*out = r;
	return MASA_OK;
}

enum masa_err
masa_pg_query(struct masa_txn *txn, const char *sql, const struct masa_pg_params *p,
    PGresult **out)
{
	static const struct masa_pg_params none;
	struct masa_pg_txn *t = masa_pg_txn_of(txn);
	struct masa_pg_conn *c = t->c;
	const char *saved[MASA_PG_DEFER_MAX];
	int nsaved = c->ndefer, fresh = t->fresh;
	enum masa_err rc;

	if (p == NULL)
		p = &none;
	if (p->n >= MASA_PG_PARAMS_MAX)
		return MASA_E_INTERNAL;
	memcpy(saved, c->defer, sizeof saved);
	t->fresh = 0;
	rc = query_once(t, sql, p, out);
	/* The first statement of a read found the connection dropped since
	 * its last use (a server restart): nothing of it ran, so connect
	 * again and run it once more. */
	if (rc != MASA_OK && fresh && (c->broken || PQstatus(c->pg) != CONNECTION_OK) &&
	    masa_pg_reconnect(t, NULL) == MASA_OK) {
		memcpy(c->defer, saved, sizeof saved);
		c->ndefer = nsaved;
		rc = query_once(t, sql, p, out);
	}
	return rc;
}

enum masa_err
masa_pg_query_row(struct masa_txn *txn, const char *sql, const struct masa_pg_params *p,
    enum masa_err none, PGresult **out)
{
	enum masa_err rc = masa_pg_query(txn, sql, p, out);

	if (rc == MASA_OK && PQntuples(*out) == 0) {
		PQclear(*out);
		*out = NULL;
		rc = none;
	}
	return rc;
}

enum masa_err
masa_pg_run(struct masa_txn *txn, const char *sql, const struct masa_pg_params *p)
{
	PGresult *r = NULL;
	enum masa_err rc = masa_pg_query(txn, sql, p, &r);

	PQclear(r);
	return rc;
}

enum masa_err
masa_pg_exec_result(struct masa_pg_txn *t, const char *sql, PGresult **out)
{
	struct masa_pg_conn *c = t->c;
	char all[512];
	const char *q = sql;
	ExecStatusType st;
	enum masa_err rc = MASA_OK;
	PGresult *r;
	size_t n = 0;
	int i;

	/* The deferred statements first, in the same simple query (which
	 * stops at the first failure and answers with it). */
	if (c->ndefer > 0) {
		for (i = 0; i < c->ndefer; i++)
			n += (size_t)snprintf(all + n, n < sizeof all ? sizeof all - n : 0, "%s; ",
			    c->defer[i]);
		n += (size_t)snprintf(all + n, n < sizeof all ? sizeof all - n : 0, "%s", sql);
		if (n >= sizeof all)
			return MASA_E_INTERNAL;
		c->ndefer = 0;
		q = all;
	}
	r = PQexec(c->pg, q);
	st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = failure(t, r);
	if (out != NULL && rc == MASA_OK)
		*out = r;
	else
		PQclear(r);
	return rc;
}

enum masa_err
masa_pg_exec(struct masa_pg_txn *t, const char *sql)
{
	return masa_pg_exec_result(t, sql, NULL);
}

/* Big-endian n bytes at p. */
static uint64_t
be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

int64_t
masa_pg_get_int(const PGresult *r, int row, int col)
{
	const unsigned char *p = (const unsigned char *)PQgetvalue(r, row, col);
	int n = PQgetlength(r, row, col);

	if (PQgetisnull(r, row, col))
		return 0;
	switch (PQftype(r, col)) {
	case OID_INT8:
		return n == 8 ? (int64_t)be(p, 8) : 0;
	case OID_INT4:
		return n == 4 ? (int64_t)(int32_t)(uint32_t)be(p, 4) : 0;
	case OID_INT2:
		return n == 2 ? (int64_t)(int16_t)(uint16_t)be(p, 2) : 0;
	case OID_BOOL:
		return n == 1 && p[0] != 0;
	default:
		return 0;
	}
}

int
masa_pg_is_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col);
}

void
masa_pg_get_text(const PGresult *r, int row, int col, char *out, size_t cap)
{
	int n = PQgetisnull(r, row, col) ? 0 : PQgetlength(r, row, col);

	snprintf(out, cap, "%.*s", n, n > 0 ? PQgetvalue(r, row, col) : "");
}

struct masa_bytes
masa_pg_get_bytes(const PGresult *r, int row, int col)
{
	struct masa_bytes b = { NULL, 0 };

	if (!PQgetisnull(r, row, col)) {
		b.ptr = (const uint8_t *)PQgetvalue(r, row, col);
		b.len = (size_t)PQgetlength(r, row, col);
	}
	return b;
}
