/*
 * cbor_diag.h: CBOR diagnostic notation (RFC 8949 §8) of an item decoded by
 * masa_cbor_decode, for logs, the command line and tests. Output only: there
 * is no parser for the notation.
 */
#ifndef MASA_CBOR_DIAG_H
#define MASA_CBOR_DIAG_H

#include "attr.h"
#include "bytes.h"
#include "cbor/cbor_read.h"
#include "err.h"

/* Renders item (already decoded by masa_cbor_decode) in CBOR diagnostic
 * notation (RFC 8949 §8) into out (initialised by the caller): integers in
 * decimal, byte strings as h'hex' (lower case), text as "..." with \" \\ and
 * control characters escaped as \uXXXX, arrays [a, b], maps {k: v, ...},
 * tags 18(...), false/true/null, floats as decimal (half/single/double; NaN,
 * Infinity, -Infinity), and a byte string whose content is itself one
 * well-formed CBOR item under the given limits shown as <<item>> (embedded
 * CBOR, RFC 8610 App. G) only when embed is set. MASA_E_TOO_LARGE if out's
 * maximum is reached; the text is always NUL-terminated on success.
 *
 * Only arrays, maps and tags are shown embedded, so short binary such as
 * nonces stays h'..'. Embedded levels share lim->max_depth with the outer
 * item, which bounds the recursion; MASA_E_CBOR_LIMIT if item nests deeper
 * than lim allows (it was decoded under other limits). Text is appended
 * after what out already holds; on failure out is left as it was. */
MASA_NODISCARD enum masa_err masa_cbor_diag(const struct masa_cbor *item,
    const struct masa_cbor_limits *lim, int embed, struct masa_buf *out);

#endif
