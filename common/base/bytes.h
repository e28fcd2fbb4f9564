/*
 * bytes.h: the two byte types. struct masa_bytes is a borrowed view that
 * nobody frees; struct masa_buf is an owned, growable buffer created with a
 * hard maximum it refuses to grow past (curl's dynbuf idea).
 */
#ifndef MASA_BYTES_H
#define MASA_BYTES_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "err.h"

struct masa_bytes {
	const uint8_t *ptr;
	size_t len;
};

struct masa_buf {
	uint8_t *ptr;
	size_t len;
	size_t cap;
	size_t max;
};

/* Prepares an empty buffer that will never hold more than max bytes. */
void masa_buf_init(struct masa_buf *b, size_t max);
/* Appends; MASA_E_TOO_LARGE past the maximum, MASA_E_NOMEM. The buffer is
 * unchanged on failure. It always keeps one spare NUL after the data. */
MASA_NODISCARD enum masa_err masa_buf_append(struct masa_buf *b, const void *p, size_t n);
/* Appends printf-formatted text (at most 4 KiB of it: longer is
 * MASA_E_INTERNAL, a caller's mistake). */
MASA_NODISCARD enum masa_err masa_buf_appendf(struct masa_buf *b, const char *fmt, ...)
    MASA_PRINTF(2, 3);
/* Drops everything past len (len <= b->len), keeping the trailing NUL. */
void masa_buf_truncate(struct masa_buf *b, size_t len);
/* Releases the memory; wipes it first (buffers may hold key material). */
void masa_buf_free(struct masa_buf *b);
/* A view of the current contents. */
struct masa_bytes masa_buf_view(const struct masa_buf *b);

#endif
