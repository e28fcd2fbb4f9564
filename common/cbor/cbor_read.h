/*
 * cbor_read.h: a strict, bounded CBOR (RFC 8949) reader over a byte view.
 *
 * Decoding never allocates and never copies: items are views into the
 * input. masa_cbor_decode checks the whole item before returning it: every
 * length against the bytes that remain, nesting depth, the total number of
 * items and entries per array or map (limits from the caller), UTF-8 of
 * text strings, and that the item fills the input exactly (no trailing
 * bytes). Indefinite lengths, reserved additional-information values,
 * stray breaks and simple values other than false/true/null are refused.
 * Any tag number is accepted structurally (including the COSE_Sign1 tag
 * 18); callers decide which tags they allow where. Duplicate map keys are
 * the caller's business too, since only it knows which keys are equal
 * (a SID delta and an absolute SID can name the same leaf).
 */
#ifndef MASA_CBOR_READ_H
#define MASA_CBOR_READ_H

#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "err.h"

enum masa_cbor_type {
	MASA_CBOR_UINT = 0,
	MASA_CBOR_NINT = 1,
	MASA_CBOR_BSTR = 2,
	MASA_CBOR_TSTR = 3,
	MASA_CBOR_ARRAY = 4,
	MASA_CBOR_MAP = 5,
	MASA_CBOR_TAG = 6,
	MASA_CBOR_SIMPLE = 7,	/* false, true, null, and floats */
};

enum {
	MASA_CBOR_FALSE = 20,
	MASA_CBOR_TRUE = 21,
	MASA_CBOR_NULL = 22,
};

struct masa_cbor_limits {
	unsigned max_depth;	/* arrays, maps and tags nested */
	size_t max_items;	/* items in the whole input */
	size_t max_entries;	/* elements of one array, pairs of one map */
};

/* One decoded item. */
struct masa_cbor {
	uint8_t type;		/* enum masa_cbor_type */
	uint64_t arg;		/* UINT: value; NINT: -1 - value; BSTR/TSTR: length;
				 * ARRAY: elements; MAP: pairs; TAG: number;
				 * SIMPLE: 20/21/22, or the float bits */
	struct masa_bytes str;	/* BSTR/TSTR: the content */
	struct masa_bytes raw;	/* the whole encoded item, children included */
	struct masa_bytes body;	/* ARRAY/MAP: the children; TAG: the tagged item */
};

/* Iterates the children of an array (each element) or map (key, value,
 * key, value...) returned by masa_cbor_decode. */
struct masa_cbor_iter {
	struct masa_bytes rest;
	uint64_t left;
};

/* Decodes the single item that in holds. MASA_E_CBOR (not well-formed or
 * refused construct), MASA_E_CBOR_LIMIT, MASA_E_CBOR_TRAILING. *out only
 * on success. */
MASA_NODISCARD enum masa_err masa_cbor_decode(struct masa_bytes in,
    const struct masa_cbor_limits *lim, struct masa_cbor *out);

void masa_cbor_iter_init(const struct masa_cbor *container, struct masa_cbor_iter *it);
/* Next child: 1 and *out, or 0 at the end. Only for decoded containers. */
int masa_cbor_iter_next(struct masa_cbor_iter *it, struct masa_cbor *out);
/* The item inside a TAG item. */
void masa_cbor_untag(const struct masa_cbor *tag, struct masa_cbor *out);

/* The value of an integer item as int64 (MASA_E_CBOR if not an integer or
 * out of range). */
MASA_NODISCARD enum masa_err masa_cbor_int(const struct masa_cbor *c, int64_t *out);
/* 1 if c is a text string equal to s. */
int masa_cbor_is_text(const struct masa_cbor *c, const char *s);

#endif
