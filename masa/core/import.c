/* import.c: see import.h. */
#include "import.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll_json.h"
#include "enroll.h"
#include "timeutil.h"

#define CSV_MAX_COLUMNS 5
#define RECORD_MAX (64 * 1024)

static const char *const columns[CSV_MAX_COLUMNS] = {
	"serial-number", "public-key", "idevid", "product", "owner",
};

/* A cursor over the body, counting lines. */
struct cursor {
	const char *p, *end;
	size_t line;		/* line of p, from 1 */
};

/* One CSV record: fields unquoted into scratch. Returns 1 with a record,
 * 0 at the end, -1 on a malformed record (why set; cursor moved past it). */
static int
csv_record(struct cursor *c, struct masa_bytes *f, size_t *n, char *scratch, size_t cap,
    size_t *start_line, struct masa_diag *why)
{
	size_t o = 0, k = 0;
	int quoted, too_long = 0;

	while (c->p < c->end && (*c->p == '\n' || *c->p == '\r')) {	/* blank lines */
		if (*c->p == '\n')
			c->line++;
		c->p++;
	}
	if (c->p >= c->end)
		return 0;
	*start_line = c->line;
	for (;;) {
		if (k == CSV_MAX_COLUMNS + 1)
			goto bad_count;
		f[k].ptr = (const uint8_t *)scratch + o;
		quoted = c->p < c->end && *c->p == '"';
		if (quoted)
			c->p++;
		for (;;) {
			if (c->p >= c->end) {
				if (quoted)
					goto bad_quote;
				break;
			}
			if (quoted && *c->p == '"') {
				if (c->p + 1 < c->end && c->p[1] == '"') {
					c->p++;	/* "" is a quote */
				} else {
					c->p++;
					quoted = 0;
					if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r')
						goto bad_quote;
					continue;
				}
			} else if (!quoted && (*c->p == ',' || *c->p == '\n' || *c->p == '\r')) {
				break;
			}
			if (*c->p == '\n')
				c->line++;
			if (o + 1 >= cap) {
				/* Too long: read on (quotes and all) to the record's end,
				 * keeping nothing, so the next record starts right. */
				too_long = 1;
				c->p++;
				continue;
			}
			scratch[o++] = *c->p++;
		}
		f[k].len = (size_t)((const uint8_t *)scratch + o - f[k].ptr);
		k++;
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		break;
	}
	if (c->p < c->end && *c->p == '\r')
		c->p++;
	if (c->p < c->end && *c->p == '\n') {
		c->p++;
		c->line++;
	}
	if (too_long) {
		masa_diag_set(why, "record is longer than %d bytes", RECORD_MAX);
		return -1;
	}
	*n = k;
	return 1;
bad_count:
	masa_diag_set(why, "too many fields");
	goto skip;
bad_quote:
	masa_diag_set(why, "malformed quoted field");
skip:	/* resynchronise at the next line */
	while (c->p < c->end && *c->p != '\n')
		c->p++;
	if (c->p < c->end) {
		c->p++;
		c->line++;
	}
	return -1;
}

/* The importer's state. */
struct run {
	struct masa_db *db;
	struct masa_txn *t;
	int atomic;
	const char *actor;
	size_t done;
	int64_t chunk_us;	/* when the current transaction began (masa_mono_us) */
	void (*progress)(void *arg, size_t done);
	void *arg;
	struct masa_import_report *rep;
};

static enum masa_err
reject(struct run *r, size_t line, const char *why)
{
	struct masa_import_report *rep = r->rep;

	rep->rejected_total++;
	if (rep->nrejected < MASA_IMPORT_REJECTED_MAX) {
		rep->rejected[rep->nrejected].line = line;
		snprintf(rep->rejected[rep->nrejected].why, MASA_IMPORT_WHY_MAX, "%.*s",
		    MASA_IMPORT_WHY_MAX - 1, why);
		rep->nrejected++;
	}
	return MASA_OK;
}

/* Enrolls one record; record-level failures are reported, not returned. */
static enum masa_err
one(struct run *r, size_t line, const struct masa_enroll_rec *rec)
{
	struct masa_diag why;
	enum masa_err rc;
	int created = 0;

	rc = masa_enroll(r->t, rec, r->actor, &created, &why);
	if (rc == MASA_E_RECORD || rc == MASA_E_CONFLICT)
		return reject(r, line, why.msg);
	if (rc != MASA_OK)
		return rc;
	if (created)
		r->rep->accepted++;
	else
		r->rep->unchanged++;
	if (++r->done % MASA_IMPORT_CHUNK == 0 && r->progress != NULL)
		r->progress(r->arg, r->done);
	/* Let other writers in between chunks. */
	if (!r->atomic && (r->done % MASA_IMPORT_CHUNK == 0 ||
	    masa_mono_us() - r->chunk_us >= MASA_IMPORT_CHUNK_MS * 1000)) {
		rc = masa_db_commit(r->t);
		r->t = NULL;
		if (rc == MASA_OK)
			rc = masa_db_begin(r->db, 1, &r->t);
		r->chunk_us = masa_mono_us();
	}
	return rc;
}

static enum masa_err
run_ndjson(struct run *r, struct masa_bytes body)
{
	struct cursor c = { (const char *)body.ptr, (const char *)body.ptr + body.len, 1 };
	struct masa_enroll_rec rec;
	struct masa_diag why;
	const char *nl;
	json_t *o;
	size_t len, line;
	enum masa_err rc = MASA_OK;
	int bad;

	while (rc == MASA_OK && c.p < c.end) {
		nl = memchr(c.p, '\n', (size_t)(c.end - c.p));
		len = (size_t)((nl ? nl : c.end) - c.p);
		line = c.line++;
		if (len > 0 && c.p[len - 1] == '\r')
			len--;
		if (len > 0) {
			why.msg[0] = '\0';	/* this line's reason only */
			o = json_loadb(c.p, len, JSON_REJECT_DUPLICATES, NULL);
			bad = o == NULL || !json_is_object(o);
			if (bad)
				masa_diag_set(&why, "not a JSON object");
			else
				bad = masa_admin_keys(o, masa_admin_record_keys, &why) != MASA_OK ||
				    masa_admin_record(o, &why, &rec) != MASA_OK;	/* why says what */
			rc = bad ? reject(r, line, why.msg) : one(r, line, &rec);
			json_decref(o);
		}
		c.p = nl ? nl + 1 : c.end;
	}
	return rc;
}

static enum masa_err
run_csv(struct run *r, struct masa_bytes body, struct masa_diag *detail)
{
	struct cursor c = { (const char *)body.ptr, (const char *)body.ptr + body.len, 1 };
	struct masa_bytes f[CSV_MAX_COLUMNS + 1], *slot[CSV_MAX_COLUMNS];
	struct masa_enroll_rec rec;
	int map[CSV_MAX_COLUMNS];	/* column -> field index in columns[] */
	char *scratch = malloc(RECORD_MAX);
	struct masa_diag why;
	size_t n = 0, ncols, i, j, line;
	enum masa_err rc = MASA_OK;
	int got;

	if (scratch == NULL)
		return MASA_E_NOMEM;
	slot[0] = &rec.serial;
	slot[1] = &rec.public_key;
	slot[2] = &rec.idevid;
	slot[3] = &rec.product;
	slot[4] = &rec.owner;
	why.msg[0] = '\0';
	got = csv_record(&c, f, &n, scratch, RECORD_MAX, &line, &why);
	if (n > CSV_MAX_COLUMNS)
		got = -1;	/* more columns than there are names */
	for (i = 0; got == 1 && i < n; i++) {
		for (j = 0; j < CSV_MAX_COLUMNS && (f[i].len != strlen(columns[j]) ||
		    memcmp(f[i].ptr, columns[j], f[i].len) != 0); j++)
			;
		map[i] = j < CSV_MAX_COLUMNS ? (int)j : -1;
		for (j = 0; map[i] >= 0 && j < i; j++)
			if (map[j] == map[i])
				map[i] = -1;
	}
	for (i = 0; got == 1 && i < n && map[i] >= 0; i++)
		;
	if (got != 1 || i < n || n == 0) {
		masa_diag_set(detail, "the CSV header must name distinct columns from: serial-number, "
		    "public-key, idevid, product, owner");
		free(scratch);
		return MASA_E_RECORD;
	}
	ncols = n;
	while (rc == MASA_OK &&
	    (why.msg[0] = '\0', got = csv_record(&c, f, &n, scratch, RECORD_MAX, &line, &why)) != 0) {
		if (got < 0) {
			rc = reject(r, line, why.msg);
			continue;
		}
		if (n != ncols) {
			snprintf(why.msg, sizeof why.msg, "%zu fields where the header has %zu", n, ncols);
			rc = reject(r, line, why.msg);
			continue;
		}
		memset(&rec, 0, sizeof rec);
		for (i = 0; i < n; i++)
			*slot[map[i]] = f[i];
		rc = one(r, line, &rec);
	}
	free(scratch);
	return rc;
}

enum masa_err
masa_import(struct masa_db *db, struct masa_bytes body, enum masa_import_format fmt, int atomic,
    const char *actor, void (*progress)(void *arg, size_t done), void *arg,
    struct masa_import_report *out, struct masa_diag *detail)
{
	struct masa_import_report rep = { 0, 0, 0, 0, NULL, 0 };
	struct run r = { db, NULL, atomic, actor, 0, masa_mono_us(), progress, arg, &rep };
	enum masa_err rc;

	rep.rejected = calloc(MASA_IMPORT_REJECTED_MAX, sizeof *rep.rejected);
	rc = rep.rejected != NULL ? masa_db_begin(db, 1, &r.t) : MASA_E_NOMEM;

	detail->msg[0] = '\0';
	if (rc == MASA_OK)
		rc = fmt == MASA_IMPORT_CSV ? run_csv(&r, body, detail) : run_ndjson(&r, body);
	if (rc == MASA_OK && atomic && rep.rejected_total > 0) {
		rep.accepted = rep.unchanged = 0;	/* nothing was written */
		goto done;
	}
	if (rc == MASA_OK) {
		rc = masa_db_commit(r.t);
		r.t = NULL;
		rep.committed = rc == MASA_OK;
	}
done:
	masa_db_rollback(r.t);
	if (rc != MASA_OK) {
		masa_import_report_free(&rep);
		return rc;
	}
	*out = rep;
	return MASA_OK;
}

void
masa_import_report_free(struct masa_import_report *rep)
{
	free(rep->rejected);
	rep->rejected = NULL;
	rep->nrejected = 0;
}

enum masa_err
masa_import_report_json(const struct masa_import_report *rep, int pretty, struct masa_buf *out)
{
	json_t *doc, *list = json_array(), *e;
	enum masa_err rc = list != NULL ? MASA_OK : MASA_E_NOMEM;
	char *text = NULL;
	size_t i;

	for (i = 0; rc == MASA_OK && i < rep->nrejected; i++) {
		e = json_pack("{s:I, s:s}", "line", (json_int_t)rep->rejected[i].line, "error",
		    rep->rejected[i].why);
		if (e == NULL || json_array_append_new(list, e) != 0)
			rc = MASA_E_NOMEM;
	}
	doc = rc == MASA_OK ? json_pack("{s:I, s:I, s:O, s:I, s:b}", "accepted",
	    (json_int_t)rep->accepted, "unchanged", (json_int_t)rep->unchanged, "rejected", list,
	    "rejected-count", (json_int_t)rep->rejected_total, "committed", rep->committed) : NULL;
	if (doc != NULL)
		text = json_dumps(doc, (pretty ? JSON_INDENT(2) : JSON_COMPACT) | JSON_PRESERVE_ORDER);
	masa_buf_init(out, 1024 * 1024);
	if (text == NULL || masa_buf_append(out, text, strlen(text)) != MASA_OK ||
	    masa_buf_append(out, "\n", 1) != MASA_OK) {
		masa_buf_free(out);
		rc = MASA_E_NOMEM;
	}
	free(text);
	json_decref(doc);
	json_decref(list);
	return rc;
}
