/*
 * cbor_read.c: see cbor_read.h. One recursive validator (parse) does all
 * checking; iteration re-reads heads of items that were already validated.
 * Recursion depth is bounded by lim->max_depth.
 */
#include "cbor/cbor_read.h"

#include <string.h>

#include "utf8.h"

struct state {
	const struct masa_cbor_limits *lim;
	size_t items;
};

/* Reads an item head at *p: major type, argument. Fails on truncation,
 * reserved values (28..30) and indefinite lengths (31). */
static enum masa_err
head(const uint8_t **p, const uint8_t *end, uint8_t *type, uint8_t *ai, uint64_t *arg)
{
	const uint8_t *q = *p;
	unsigned n, i;
	uint64_t v;

	if (q >= end)
		return MASA_E_CBOR;
	*type = (uint8_t)(*q >> 5);
	*ai = (uint8_t)(*q & 0x1f);
	q++;
	if (*ai < 24) {
		v = *ai;
	} else if (*ai <= 27) {
		n = 1u << (*ai - 24);
		if ((size_t)(end - q) < n)
			return MASA_E_CBOR;
		for (v = 0, i = 0; i < n; i++)
			v = v << 8 | q[i];
		q += n;
	} else {
		return MASA_E_CBOR;	/* reserved, or indefinite length */
	}
	*arg = v;
	*p = q;
	return MASA_OK;
}

/* Validates the item at *p (and everything inside it) and describes it in
 * out; advances *p past it. */
static enum masa_err
parse(const uint8_t **p, const uint8_t *end, unsigned depth, struct state *st,
    struct masa_cbor *out)
{
	const uint8_t *start = *p, *q = *p;
	struct masa_cbor child;
	enum masa_err rc;
	uint64_t i, n;
	uint8_t type, ai;

	if (++st->items > st->lim->max_items)
		return MASA_E_CBOR_LIMIT;
	rc = head(&q, end, &type, &ai, &out->arg);
	if (rc != MASA_OK)
		return rc;
	out->type = type;
	out->str.ptr = NULL;
	out->str.len = 0;
	out->body.ptr = q;
	out->body.len = 0;
	switch (type) {
	case MASA_CBOR_UINT:
	case MASA_CBOR_NINT:
		break;
	case MASA_CBOR_BSTR:
	case MASA_CBOR_TSTR:
		if (out->arg > (uint64_t)(end - q))
			return MASA_E_CBOR;
		out->str.ptr = q;
		out->str.len = (size_t)out->arg;
		if (type == MASA_CBOR_TSTR && !masa_utf8_ok(q, out->str.len))
			return MASA_E_CBOR;
		q += out->str.len;
		break;
	case MASA_CBOR_ARRAY:
	case MASA_CBOR_MAP:
		if (depth >= st->lim->max_depth || out->arg > st->lim->max_entries)
			return MASA_E_CBOR_LIMIT;
		n = type == MASA_CBOR_MAP ? out->arg * 2 : out->arg;
		if (n > (uint64_t)(end - q))	/* each child takes a byte at least */
			return MASA_E_CBOR;
		for (i = 0; i < n; i++) {
			rc = parse(&q, end, depth + 1, st, &child);
			if (rc != MASA_OK)
				return rc;
		}
		break;
	case MASA_CBOR_TAG:
		if (depth >= st->lim->max_depth)
			return MASA_E_CBOR_LIMIT;
		rc = parse(&q, end, depth + 1, st, &child);
		if (rc != MASA_OK)
			return rc;
		break;
	default:	/* MASA_CBOR_SIMPLE */
		if (ai >= 25 && ai <= 27)
			break;	/* half, single, double float */
		if (ai < MASA_CBOR_FALSE || ai > MASA_CBOR_NULL)
			return MASA_E_CBOR;	/* undefined, unassigned, 1-byte simple */
		break;
	}
	if (type == MASA_CBOR_ARRAY || type == MASA_CBOR_MAP || type == MASA_CBOR_TAG)
		out->body.len = (size_t)(q - out->body.ptr);
	out->raw.ptr = start;
	out->raw.len = (size_t)(q - start);
	*p = q;
	return MASA_OK;
}

enum masa_err
masa_cbor_decode(struct masa_bytes in, const struct masa_cbor_limits *lim,
    struct masa_cbor *out)
{
	struct state st = { lim, 0 };
	const uint8_t *p = in.ptr, *end = in.ptr + in.len;
	struct masa_cbor item;
	enum masa_err rc;

	if (in.ptr == NULL || in.len == 0)
		return MASA_E_CBOR;
	rc = parse(&p, end, 0, &st, &item);
	if (rc != MASA_OK)
		return rc;
	if (p != end)
		return MASA_E_CBOR_TRAILING;
	*out = item;
	return MASA_OK;
}

void
masa_cbor_iter_init(const struct masa_cbor *c, struct masa_cbor_iter *it)
{
	it->rest = c->body;
	it->left = c->type == MASA_CBOR_MAP ? c->arg * 2 :
	    c->type == MASA_CBOR_ARRAY ? c->arg : 0;
}

int
masa_cbor_iter_next(struct masa_cbor_iter *it, struct masa_cbor *out)
{
	/* Children were validated by masa_cbor_decode: generous limits here
	 * only re-describe them. */
	static const struct masa_cbor_limits relaxed = { 1u << 30, SIZE_MAX, SIZE_MAX };
	struct state st = { &relaxed, 0 };
	const uint8_t *p = it->rest.ptr;

	if (it->left == 0)
		return 0;
	if (parse(&p, it->rest.ptr + it->rest.len, 0, &st, out) != MASA_OK) {
		it->left = 0;	/* cannot happen for decoded input */
		return 0;
	}
	it->rest.len -= (size_t)(p - it->rest.ptr);
	it->rest.ptr = p;
	it->left--;
	return 1;
}

void
masa_cbor_untag(const struct masa_cbor *tag, struct masa_cbor *out)
{
	struct masa_cbor_iter it = { tag->body, 1 };

	if (!masa_cbor_iter_next(&it, out))
		memset(out, 0, sizeof *out);
}

enum masa_err
masa_cbor_int(const struct masa_cbor *c, int64_t *out)
{
	if (c->arg > (uint64_t)INT64_MAX)
		return MASA_E_CBOR;
	if (c->type == MASA_CBOR_UINT)
		*out = (int64_t)c->arg;
	else if (c->type == MASA_CBOR_NINT)
		*out = -1 - (int64_t)c->arg;
	else
		return MASA_E_CBOR;
	return MASA_OK;
}

int
masa_cbor_is_text(const struct masa_cbor *c, const char *s)
{
	size_t n = strlen(s);

	return c->type == MASA_CBOR_TSTR && c->str.len == n && memcmp(c->str.ptr, s, n) == 0;
}
