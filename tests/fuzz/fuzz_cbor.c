/*
 * fuzz_cbor.c: libFuzzer target for the CBOR reader alone: the input is
 * decoded with the voucher-request limits, and every item of an accepted
 * one is visited as the format code visits them (containers iterated,
 * tags unwrapped, integers and texts read).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cbor/cbor_read.h"
#include "masa_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct masa_cbor_limits limits = {
	MASA_CBOR_MAX_DEPTH, MASA_CBOR_MAX_ITEMS, MASA_CBOR_MAX_ENTRIES
};

/* Visits c and its children; returns the items seen. */
static size_t
walk(const struct masa_cbor *c, unsigned depth)
{
	struct masa_cbor_iter it;
	struct masa_cbor child;
	size_t n = 1, kids = 0;
	int64_t v;

	if (depth > MASA_CBOR_MAX_DEPTH + 1)
		abort();	/* the reader let more nesting through than allowed */
	if (c->raw.len == 0)
		abort();
	switch (c->type) {
	case MASA_CBOR_UINT:
	case MASA_CBOR_NINT:
		if (masa_cbor_int(c, &v) == MASA_OK) {
			if (c->arg > INT64_MAX)
				abort();	/* out of range, yet read */
			if ((c->type == MASA_CBOR_UINT) != (v >= 0))
				abort();	/* the sign came out wrong */
		} else if (c->arg <= INT64_MAX) {
			abort();	/* in range, yet refused */
		}
		break;
	case MASA_CBOR_BSTR:
	case MASA_CBOR_TSTR:
		if (c->str.len != c->arg)
			abort();
		(void)masa_cbor_is_text(c, "serial-number");
		break;
	case MASA_CBOR_ARRAY:
	case MASA_CBOR_MAP:
		masa_cbor_iter_init(c, &it);
		while (masa_cbor_iter_next(&it, &child)) {
			n += walk(&child, depth + 1);
			kids++;
		}
		if (kids != (c->type == MASA_CBOR_MAP ? 2 * c->arg : c->arg))
			abort();	/* the iterator and the header disagree */
		break;
	case MASA_CBOR_TAG:
		masa_cbor_untag(c, &child);
		n += walk(&child, depth + 1);
		break;
	default:
		break;
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct masa_cbor top;

	if (masa_cbor_decode((struct masa_bytes){ data, size }, &limits, &top) != MASA_OK)
		return 0;
	if (walk(&top, 0) > MASA_CBOR_MAX_ITEMS)
		abort();	/* more items than the limit */
	return 0;
}
