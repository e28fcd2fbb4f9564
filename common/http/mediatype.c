/* mediatype.c: see mediatype.h. A cursor over (value, len) with explicit
 * bounds; RFC 9110 token characters only. */
#include "http/mediatype.h"

#include <string.h>

struct cur {
	const char *p, *end;
};

static int
tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static void
ows(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* Reads a token, lower-cased, appending to out at *o (cap bytes, room
 * for the terminating NUL always kept). */
static int
token(struct cur *c, char *out, size_t *o, size_t cap)
{
	const char *start = c->p;

	if (*o >= cap)
		return 0;
	while (c->p < c->end && tchar(*c->p)) {
		if (*o + 1 >= cap)
			return 0;
		out[(*o)++] = (char)(*c->p >= 'A' && *c->p <= 'Z' ? *c->p + 32 : *c->p);
		c->p++;
	}
	out[*o] = '\0';
	return c->p > start;
}

/* type "/" subtype */
static int
media_name(struct cur *c, char out[MASA_MEDIA_NAME_MAX])
{
	size_t o = 0;

	if (!token(c, out, &o, MASA_MEDIA_NAME_MAX) || c->p >= c->end || *c->p != '/' ||
	    o + 2 > MASA_MEDIA_NAME_MAX)
		return 0;
	c->p++;
	out[o++] = '/';
	return token(c, out, &o, MASA_MEDIA_NAME_MAX);
}

/* Skips a quoted string (the opening quote is at c->p). */
static int
quoted(struct cur *c)
{
	for (c->p++; c->p < c->end; c->p++) {
		if (*c->p == '\\') {
			if (++c->p >= c->end)
				return 0;
		} else if (*c->p == '"') {
			c->p++;
			return 1;
		}
	}
	return 0;
}

/* q value: "0", "0.d{0,3}", "1", "1.0{0,3}" -> thousandths. */
static int
qvalue(const char *s, size_t n, unsigned *q)
{
	unsigned v, scale = 100;
	size_t i;

	if (n == 0 || (s[0] != '0' && s[0] != '1') || n > 5 || (n > 1 && s[1] != '.'))
		return 0;
	v = (unsigned)(s[0] - '0') * 1000;
	for (i = 2; i < n; i++, scale /= 10) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return 0;
		v += (unsigned)(s[i] - '0') * scale;
	}
	*q = v;
	return 1;
}

/* Parameters after a media name: ";" name "=" (token | quoted). Records q. */
static int
params(struct cur *c, unsigned *q)
{
	char name[32], val[16];
	const char *vstart;
	size_t o;

	for (;;) {
		ows(c);
		if (c->p >= c->end || *c->p != ';')
			return 1;
		c->p++;
		ows(c);
		o = 0;
		if (!token(c, name, &o, sizeof name) || c->p >= c->end || *c->p != '=')
			return 0;
		c->p++;
		vstart = c->p;
		if (c->p < c->end && *c->p == '"') {
			if (!quoted(c))
				return 0;
		} else {
			o = 0;
			if (!token(c, val, &o, sizeof val) && strcmp(name, "q") == 0)
				return 0;
			while (c->p < c->end && tchar(*c->p))
				c->p++;	/* long non-q values */
		}
		if (q != NULL && strcmp(name, "q") == 0 &&
		    !qvalue(vstart, (size_t)(c->p - vstart), q))
			return 0;
	}
}

enum masa_err
masa_media_type(const char *value, size_t len, char out[MASA_MEDIA_NAME_MAX])
{
	struct cur c = { value, value + len };
	char name[MASA_MEDIA_NAME_MAX];

	ows(&c);
	if (!media_name(&c, name) || !params(&c, NULL))
		return MASA_E_MALFORMED;
	ows(&c);
	if (c.p != c.end)
		return MASA_E_MALFORMED;
	memcpy(out, name, MASA_MEDIA_NAME_MAX);
	return MASA_OK;
}

enum masa_err
masa_media_accept(const char *value, size_t len, struct masa_media_range *out, size_t max,
    size_t *n)
{
	struct cur c = { value, value + len };
	size_t k = 0;

	for (;;) {
		ows(&c);
		if (c.p < c.end && *c.p == ',') {	/* empty list elements are allowed */
			c.p++;
			continue;
		}
		if (c.p >= c.end)
			break;
		if (k >= max)
			return MASA_E_MALFORMED;
		out[k].q = 1000;
		if (!media_name(&c, out[k].name) || !params(&c, &out[k].q))
			return MASA_E_MALFORMED;
		k++;
		ows(&c);
		if (c.p < c.end && *c.p != ',')
			return MASA_E_MALFORMED;
	}
	*n = k;
	return MASA_OK;
}
