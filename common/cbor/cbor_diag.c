/*
 * cbor_diag.c: see cbor_diag.h. One recursive printer (render) walks the
 * decoded item with the reader's iterator; its depth counts containers and
 * tags across embedded levels and never exceeds lim->max_depth.
 */
#include "cbor/cbor_diag.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ctx {
	const struct masa_cbor_limits *lim;
	int embed;
	struct masa_buf *out;
};

static enum masa_err render(const struct ctx *cx, const struct masa_cbor *c, unsigned depth);

/* Appends the C string s. */
static enum masa_err
put(const struct ctx *cx, const char *s)
{
	return masa_buf_append(cx->out, s, strlen(s));
}

/* Half-precision bits to the (exactly equal) double. */
static double
half_to_double(uint16_t h)
{
	unsigned e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double d = e == 0 ? m / 16777216.0 :	/* zero, subnormal: m * 2^-24 */
	    e == 31 ? (m != 0 ? (double)NAN : (double)INFINITY) :
	    (double)(m | 0x400) * (double)(1u << (e - 1)) / 16777216.0;

	return h & 0x8000 ? -d : d;
}

/* 1 if the sign of v and 0.digits * 10^n read back as v. */
static int
reads_back(double v, const char *digits, int n)
{
	char num[48];

	snprintf(num, sizeof num, "%s0.%se%d", v < 0 ? "-" : "", digits, n);
	return strtod(num, NULL) == v;
}

/* The fewest digits (into digits[24]) and the n with |v| = 0.digits * 10^n
 * that read back as finite, non-zero v. At each length: printf's nearest
 * rounding, else the next string up, which is the one that reads back when
 * v is a power of two (its lower neighbour is nearer than its upper). */
static enum masa_err
shortest(double v, char *digits, int *n)
{
	char num[40];
	const char *s;
	size_t k, i;
	int p;

	for (p = 0; p < 17; p++) {	/* 17 significant digits always do */
		snprintf(num, sizeof num, "%.*e", p, v);
		for (k = 0, s = num; *s != '\0' && *s != 'e'; s++)
			if (*s >= '0' && *s <= '9' && k < 23)
				digits[k++] = *s;	/* skips sign and radix */
		if (*s != 'e')
			return MASA_E_INTERNAL;
		digits[k] = '\0';
		*n = atoi(s + 1) + 1;
		if (reads_back(v, digits, *n))
			break;
		for (i = k; i > 0 && digits[i - 1] == '9'; i--)
			digits[i - 1] = '0';
		if (i > 0)
			digits[i - 1]++;
		else
			digits[0] = '1', (*n)++;
		if (reads_back(v, digits, *n))
			break;
	}
	while (k > 1 && digits[k - 1] == '0')
		digits[--k] = '\0';
	return MASA_OK;
}

/* A double as RFC 8949 Appendix A writes it: the shortest digits laid out
 * like ECMAScript Number::toString (plain notation for 1e-6 <= |v| < 1e21),
 * with ".0" when there is no fraction. */
static enum masa_err
put_double(const struct ctx *cx, double v)
{
	static const char zeros[] = "000000000000000000000";	/* 21 */
	const char *sign = v < 0 ? "-" : "";
	char digits[24], txt[64];
	enum masa_err rc;
	int k, n;

	if (isnan(v))
		return put(cx, "NaN");
	if (isinf(v))
		return put(cx, v < 0 ? "-Infinity" : "Infinity");
	if (v == 0)
		return put(cx, signbit(v) ? "-0.0" : "0.0");
	rc = shortest(v, digits, &n);
	if (rc != MASA_OK)
		return rc;
	k = (int)strlen(digits);
	if (k <= n && n <= 21)
		snprintf(txt, sizeof txt, "%s%s%.*s.0", sign, digits, n - k, zeros);
	else if (n > 0 && n <= 21)
		snprintf(txt, sizeof txt, "%s%.*s.%s", sign, n, digits, digits + n);
	else if (n > -6 && n <= 0)
		snprintf(txt, sizeof txt, "%s0.%.*s%s", sign, -n, zeros, digits);
	else
		snprintf(txt, sizeof txt, "%s%c.%se%c%d", sign, digits[0],
		    k > 1 ? digits + 1 : "0", n - 1 < 0 ? '-' : '+', abs(n - 1));
	return put(cx, txt);
}

/* false, true, null, or a float, told apart by the head's low bits. */
static enum masa_err
put_simple(const struct ctx *cx, const struct masa_cbor *c)
{
	uint32_t bits32 = (uint32_t)c->arg;
	double d;
	float f;

	switch (c->raw.ptr[0] & 0x1f) {
	case 25:
		return put_double(cx, half_to_double((uint16_t)c->arg));
	case 26:
		memcpy(&f, &bits32, sizeof f);
		return put_double(cx, (double)f);
	case 27:
		memcpy(&d, &c->arg, sizeof d);
		return put_double(cx, d);
	case MASA_CBOR_FALSE:
		return put(cx, "false");
	case MASA_CBOR_TRUE:
		return put(cx, "true");
	default:
		return put(cx, "null");
	}
}

/* "text" with quote, backslash and control characters escaped; other
 * UTF-8 (already validated by the reader) goes through unchanged. */
static enum masa_err
put_text(const struct ctx *cx, struct masa_bytes t)
{
	enum masa_err rc = put(cx, "\"");
	size_t i, run = 0;
	char esc[8];

	for (i = 0; rc == MASA_OK && i < t.len; i++) {
		uint8_t ch = t.ptr[i];

		if (ch >= 0x20 && ch != 0x7f && ch != '"' && ch != '\\')
			continue;
		rc = masa_buf_append(cx->out, t.ptr + run, i - run);
		if (ch == '"' || ch == '\\')
			snprintf(esc, sizeof esc, "\\%c", (char)ch);
		else
			snprintf(esc, sizeof esc, "\\u%04x", (unsigned)ch);
		if (rc == MASA_OK)
			rc = put(cx, esc);
		run = i + 1;
	}
	if (rc == MASA_OK)
		rc = masa_buf_append(cx->out, t.ptr + run, t.len - run);
	return rc == MASA_OK ? put(cx, "\"") : rc;
}

/* h'hex' in lower case. */
static enum masa_err
put_hex(const struct ctx *cx, struct masa_bytes b)
{
	static const char digit[] = "0123456789abcdef";
	enum masa_err rc = put(cx, "h'");
	char pair[2];
	size_t i;

	for (i = 0; rc == MASA_OK && i < b.len; i++) {
		pair[0] = digit[b.ptr[i] >> 4];
		pair[1] = digit[b.ptr[i] & 0xf];
		rc = masa_buf_append(cx->out, pair, 2);
	}
	return rc == MASA_OK ? put(cx, "'") : rc;
}

/* A byte string: <<item>> when embedding is on and the content is one
 * array, map or tag within the depth left; h'..' otherwise. */
static enum masa_err
put_bstr(const struct ctx *cx, const struct masa_cbor *c, unsigned depth)
{
	struct masa_cbor_limits inner_lim = *cx->lim;
	struct masa_cbor inner;
	enum masa_err rc;

	inner_lim.max_depth = cx->lim->max_depth - depth;
	if (!cx->embed || c->str.len == 0 ||
	    masa_cbor_decode(c->str, &inner_lim, &inner) != MASA_OK ||
	    (inner.type != MASA_CBOR_ARRAY && inner.type != MASA_CBOR_MAP &&
	    inner.type != MASA_CBOR_TAG))
		return put_hex(cx, c->str);
	rc = put(cx, "<<");
	if (rc == MASA_OK)
		rc = render(cx, &inner, depth);
	return rc == MASA_OK ? put(cx, ">>") : rc;
}

/* [a, b] or {k: v, ...}: children from the reader's iterator. */
static enum masa_err
put_container(const struct ctx *cx, const struct masa_cbor *c, unsigned depth)
{
	int is_map = c->type == MASA_CBOR_MAP;
	enum masa_err rc = put(cx, is_map ? "{" : "[");
	struct masa_cbor_iter it;
	struct masa_cbor child;
	uint64_t i = 0;

	masa_cbor_iter_init(c, &it);
	while (rc == MASA_OK && masa_cbor_iter_next(&it, &child)) {
		if (i > 0)
			rc = put(cx, is_map && i % 2 == 1 ? ": " : ", ");
		if (rc == MASA_OK)
			rc = render(cx, &child, depth + 1);
		i++;
	}
	return rc == MASA_OK ? put(cx, is_map ? "}" : "]") : rc;
}

/* Any item at the given nesting depth. */
static enum masa_err
render(const struct ctx *cx, const struct masa_cbor *c, unsigned depth)
{
	struct masa_cbor inner;
	enum masa_err rc;
	char num[40];

	switch (c->type) {
	case MASA_CBOR_UINT:
		snprintf(num, sizeof num, "%" PRIu64, c->arg);
		return put(cx, num);
	case MASA_CBOR_NINT:	/* -1 - arg, which may be -2^64 */
		if (c->arg == UINT64_MAX)
			return put(cx, "-18446744073709551616");
		snprintf(num, sizeof num, "-%" PRIu64, c->arg + 1);
		return put(cx, num);
	case MASA_CBOR_BSTR:
		return put_bstr(cx, c, depth);
	case MASA_CBOR_TSTR:
		return put_text(cx, c->str);
	case MASA_CBOR_SIMPLE:
		return put_simple(cx, c);
	default:
		break;
	}
	if (depth >= cx->lim->max_depth)	/* as masa_cbor_decode counts */
		return MASA_E_CBOR_LIMIT;
	if (c->type != MASA_CBOR_TAG)
		return put_container(cx, c, depth);
	snprintf(num, sizeof num, "%" PRIu64 "(", c->arg);
	rc = put(cx, num);
	masa_cbor_untag(c, &inner);
	if (rc == MASA_OK)
		rc = render(cx, &inner, depth + 1);
	return rc == MASA_OK ? put(cx, ")") : rc;
}

enum masa_err
masa_cbor_diag(const struct masa_cbor *item, const struct masa_cbor_limits *lim,
    int embed, struct masa_buf *out)
{
	struct ctx cx = { lim, embed, out };
	size_t start = out->len;
	enum masa_err rc;

	rc = render(&cx, item, 0);
	if (rc != MASA_OK)
		goto done;
	rc = masa_buf_append(out, "", 0);	/* makes sure a NUL is there */
done:
	if (rc != MASA_OK)
		masa_buf_truncate(out, start);
	return rc;
}
