/* cbor_write.c: see cbor_write.h. */
#include "cbor/cbor_write.h"

#include <stdbool.h>

#include <cbor/encoding.h>

void
masa_cbor_writer_init(struct masa_cbor_writer *w, struct masa_buf *out)
{
	w->out = out;
	w->err = MASA_OK;
}

enum masa_err
masa_cbor_writer_done(const struct masa_cbor_writer *w)
{
	return w->err;
}

/* Appends a head that enc wrote into a scratch buffer (at most 9 bytes). */
static void
put_head(struct masa_cbor_writer *w, const unsigned char *h, size_t n)
{
	if (w->err != MASA_OK)
		return;
	if (n == 0) {
		w->err = MASA_E_INTERNAL;
		return;
	}
	w->err = masa_buf_append(w->out, h, n);
}

void
masa_cbor_put_uint(struct masa_cbor_writer *w, uint64_t v)
{
	unsigned char h[9];
	put_head(w, h, cbor_encode_uint(v, h, sizeof h));
}

void
masa_cbor_put_int(struct masa_cbor_writer *w, int64_t v)
{
	unsigned char h[9];

	if (v >= 0)
		put_head(w, h, cbor_encode_uint((uint64_t)v, h, sizeof h));
	else
		put_head(w, h, cbor_encode_negint((uint64_t)(-1 - v), h, sizeof h));
}

void
masa_cbor_put_bstr(struct masa_cbor_writer *w, struct masa_bytes b)
{
	unsigned char h[9];

	put_head(w, h, cbor_encode_bytestring_start(b.len, h, sizeof h));
	if (w->err == MASA_OK && b.len > 0)
		w->err = masa_buf_append(w->out, b.ptr, b.len);
}

void
masa_cbor_put_tstr(struct masa_cbor_writer *w, const char *s, size_t n)
{
	unsigned char h[9];

	put_head(w, h, cbor_encode_string_start(n, h, sizeof h));
	if (w->err == MASA_OK && n > 0)
		w->err = masa_buf_append(w->out, s, n);
}

void
masa_cbor_put_array(struct masa_cbor_writer *w, size_t n)
{
	unsigned char h[9];
	put_head(w, h, cbor_encode_array_start(n, h, sizeof h));
}

void
masa_cbor_put_map(struct masa_cbor_writer *w, size_t pairs)
{
	unsigned char h[9];
	put_head(w, h, cbor_encode_map_start(pairs, h, sizeof h));
}

void
masa_cbor_put_tag(struct masa_cbor_writer *w, uint64_t tag)
{
	unsigned char h[9];
	put_head(w, h, cbor_encode_tag(tag, h, sizeof h));
}

void
masa_cbor_put_bool(struct masa_cbor_writer *w, int v)
{
	unsigned char h[1];
	put_head(w, h, cbor_encode_bool(v != 0, h, sizeof h));
}

void
masa_cbor_put_raw(struct masa_cbor_writer *w, struct masa_bytes raw)
{
	if (w->err == MASA_OK && raw.len > 0)
		w->err = masa_buf_append(w->out, raw.ptr, raw.len);
}
