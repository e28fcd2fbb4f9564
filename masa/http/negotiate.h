/*
 * negotiate.h: which voucher-request formats are accepted and which
 * response a request gets (product.md §3.1). The request's Content-Type
 * must be a voucher-request type masa reads (415 otherwise): COSE (two
 * names), CMS (two names), JWS. The answer: with no Accept, or "*" "/" "*",
 * the request's own format under the name the request used; a named
 * voucher type of any format (a request in one format may be answered in
 * another; 406 for a type masa does not produce); multipart/related or
 * multipart/mixed: the voucher in the request's format, the MASA key and
 * certificate as parts. Ranges with q=0 are never chosen; higher q wins;
 * at equal q "a specific range beats" the full wildcard (product.md
 * §3.1), then order.
 */
#ifndef MASA_NEGOTIATE_H
#define MASA_NEGOTIATE_H

#include <stddef.h>

#include "attr.h"
#include "err.h"
#include "format.h"

/* content_type and accept are header values (accept may be NULL).
 * MASA_E_MEDIA_TYPE, MASA_E_ACCEPT (unparseable), MASA_E_NOT_ACCEPTABLE. */
MASA_NODISCARD enum masa_err masa_negotiate(const char *content_type, const char *accept,
    struct masa_answer *out);

/* For requestauditlog: the request must be a voucher-request type masa
 * reads (MASA_E_MEDIA_TYPE); the answer is application/json, which Accept
 * must allow when present (MASA_E_NOT_ACCEPTABLE, MASA_E_ACCEPT). The
 * request's format goes to *format once its type is known. */
MASA_NODISCARD enum masa_err masa_negotiate_json(const char *content_type, const char *accept,
    enum masa_format *format);

#endif
