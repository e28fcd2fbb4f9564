/*
 * cbor_write.h: deterministic CBOR encoding of what masa signs: definite
 * lengths, shortest-form heads (libcbor's head encoders), maps written by
 * the caller in ascending key order. Errors are sticky: write everything,
 * then check masa_cbor_writer_done once.
 */
#ifndef MASA_CBOR_WRITE_H
#define MASA_CBOR_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

struct masa_cbor_writer {
	struct masa_buf *out;
	enum masa_err err;
};

/* Appends to out (which the caller initialised and frees). */
void masa_cbor_writer_init(struct masa_cbor_writer *w, struct masa_buf *out);
MASA_NODISCARD enum masa_err masa_cbor_writer_done(const struct masa_cbor_writer *w);

void masa_cbor_put_int(struct masa_cbor_writer *w, int64_t v);
void masa_cbor_put_uint(struct masa_cbor_writer *w, uint64_t v);
void masa_cbor_put_bstr(struct masa_cbor_writer *w, struct masa_bytes b);
/* Text of n bytes (the caller guarantees UTF-8). */
void masa_cbor_put_tstr(struct masa_cbor_writer *w, const char *s, size_t n);
void masa_cbor_put_array(struct masa_cbor_writer *w, size_t n);
void masa_cbor_put_map(struct masa_cbor_writer *w, size_t pairs);
void masa_cbor_put_tag(struct masa_cbor_writer *w, uint64_t tag);
void masa_cbor_put_bool(struct masa_cbor_writer *w, int v);
/* Already-encoded CBOR, copied as is. */
void masa_cbor_put_raw(struct masa_cbor_writer *w, struct masa_bytes raw);

#endif
