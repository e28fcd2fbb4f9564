/* audit_export.c: see audit_export.h. */
#include "audit_export.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "encode.h"
#include "audit.h"
#include "timeutil.h"

/* Where lines go: a FILE, or a buffer; and how many more to write. */
struct sink {
	FILE *f;
	struct masa_buf *buf;
	int64_t left;	/* -1: no limit */
	int failed;
};

/* Counts one line; 1 when the limit is reached. */
static int
counted(struct sink *k)
{
	return k->left > 0 && --k->left == 0;
}

static const char *const columns[] = {
	"seq", "time", "at_ms", "event", "serial", "registrar", "nonce", "assertion", "source",
	"detail", "prev_hash", "hash",
};
#define NCOLS (sizeof columns / sizeof columns[0])

/* The fields of r as text (NULL for absent), in column order; bufs holds
 * the rendered ones. */
static void
fields(const struct masa_audit_row *r, const char *out[NCOLS], char bufs[][160])
{
	snprintf(bufs[0], 160, "%lld", (long long)r->seq);
	masa_rfc3339_ms(r->e.at_ms, bufs[1]);
	snprintf(bufs[2], 160, "%lld", (long long)r->e.at_ms);
	out[0] = bufs[0];
	out[1] = bufs[1];
	out[2] = bufs[2];
	out[3] = r->e.event;
	out[4] = r->e.serial;
	out[5] = NULL;
	if (r->e.registrar_sha256.len == MASA_AUDIT_HASH_LEN) {
		masa_hex(r->e.registrar_sha256.ptr, MASA_AUDIT_HASH_LEN, bufs[5]);
		out[5] = bufs[5];
	}
	out[6] = NULL;
	if (r->e.nonce.len > 0 && r->e.nonce.len <= 64) {
		masa_b64(r->e.nonce.ptr, r->e.nonce.len, bufs[6]);
		out[6] = bufs[6];
	}
	out[7] = NULL;
	if (r->e.assertion >= 0) {
		snprintf(bufs[7], 160, "%d", r->e.assertion);
		out[7] = bufs[7];
	}
	out[8] = r->e.source;
	out[9] = r->e.detail;
	masa_hex(r->prev, MASA_AUDIT_HASH_LEN, bufs[10]);
	masa_hex(r->hash, MASA_AUDIT_HASH_LEN, bufs[11]);
	out[10] = bufs[10];
	out[11] = bufs[11];
}

/* One CSV field (RFC 4180): quoted when it holds a comma, quote or newline. */
static void
csv_field(FILE *f, const char *s)
{
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, f);
		return;
	}
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			putc('"', f);
		putc(*s, f);
	}
	putc('"', f);
}

static int
emit_csv(void *arg, const struct masa_audit_row *r)
{
	struct sink *k = arg;
	const char *f[NCOLS];
	char bufs[NCOLS][160];
	size_t i;

	fields(r, f, bufs);
	for (i = 0; i < NCOLS; i++) {
		if (i > 0)
			putc(',', k->f);
		csv_field(k->f, f[i]);
	}
	putc('\n', k->f);
	return counted(k) || ferror(k->f) != 0;
}

static int
emit_jsonl(void *arg, const struct masa_audit_row *r)
{
	struct sink *k = arg;
	const char *f[NCOLS];
	char bufs[NCOLS][160], *line;
	json_t *o = json_object();
	size_t i;
	int bad;

	fields(r, f, bufs);
	for (i = 0; o != NULL && i < NCOLS; i++) {
		if (i == 0 || i == 2 || i == 7)	/* seq, at_ms and assertion are numbers */
			json_object_set_new(o, columns[i], f[i] ? json_integer(atoll(f[i])) : json_null());
		else
			json_object_set_new(o, columns[i], f[i] ? json_string(f[i]) : json_null());
	}
	line = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (line == NULL) {
		k->failed = 1;
		return 1;
	}
	if (k->f != NULL) {
		bad = fputs(line, k->f) < 0 || putc('\n', k->f) == EOF;
	} else {
		bad = masa_buf_append(k->buf, line, strlen(line)) != MASA_OK ||
		    masa_buf_append(k->buf, "\n", 1) != MASA_OK;
	}
	free(line);
	k->failed |= bad;
	return bad || counted(k);
}

enum masa_err
masa_audit_export_file(struct masa_txn *t, const struct masa_audit_query *q, int csv, FILE *f)
{
	struct sink k = { f, NULL, q->limit > 0 ? q->limit : -1, 0 };
	enum masa_err rc;
	size_t i;

	if (csv) {
		for (i = 0; i < NCOLS; i++)
			fprintf(f, "%s%s", i ? "," : "", columns[i]);
		putc('\n', f);
	}
	rc = masa_audit_each(t, q->serial, q->since_ms, q->after_seq, csv ? emit_csv : emit_jsonl, &k);
	if (rc == MASA_OK && (k.failed || ferror(f)))
		rc = MASA_E_IO;
	return rc;
}

enum masa_err
masa_audit_export_jsonl(struct masa_txn *t, const struct masa_audit_query *q, struct masa_buf *out)
{
	struct sink k = { NULL, out, q->limit > 0 ? q->limit : -1, 0 };
	enum masa_err rc = masa_audit_each(t, q->serial, q->since_ms, q->after_seq, emit_jsonl, &k);

	return rc == MASA_OK && k.failed ? MASA_E_NOMEM : rc;
}
