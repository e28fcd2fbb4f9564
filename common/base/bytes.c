/* bytes.c: see bytes.h. */
#include "bytes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

void
masa_buf_init(struct masa_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

enum masa_err
masa_buf_append(struct masa_buf *b, const void *p, size_t n)
{
	size_t need, cap;
	uint8_t *np;

	if (n > b->max - b->len)
		return MASA_E_TOO_LARGE;
	need = b->len + n + 1;	/* room for a terminating NUL */
	if (need > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		np = malloc(cap);
		if (np == NULL)
			return MASA_E_NOMEM;
		if (b->ptr != NULL) {
			memcpy(np, b->ptr, b->len);
			OPENSSL_cleanse(b->ptr, b->cap);
			free(b->ptr);
		}
		b->ptr = np;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->ptr + b->len, p, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return MASA_OK;
}

void
masa_buf_truncate(struct masa_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

void
masa_buf_free(struct masa_buf *b)
{
	if (b->ptr != NULL) {
		OPENSSL_cleanse(b->ptr, b->cap);
		free(b->ptr);
	}
	b->ptr = NULL;
	b->len = 0;
	b->cap = 0;
}

struct masa_bytes
masa_buf_view(const struct masa_buf *b)
{
	struct masa_bytes v = { b->ptr, b->len };
	return v;
}

enum masa_err
masa_buf_appendf(struct masa_buf *b, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof text)
		return MASA_E_INTERNAL;
	return masa_buf_append(b, text, (size_t)n);
}
