/*
 * mediatype.h: bounded parsing of Content-Type and Accept values
 * (RFC 9110 §8.3, §12.5.1): type/subtype compared case-insensitively,
 * parameters skipped except q. Never reads past the given length.
 */
#ifndef MASA_MEDIATYPE_H
#define MASA_MEDIATYPE_H

#include <stddef.h>

#include "attr.h"
#include "err.h"

#define MASA_MEDIA_NAME_MAX 96	/* "type/subtype" */

struct masa_media_range {
	char name[MASA_MEDIA_NAME_MAX];	/* lower case, e.g. "application/voucher+cose" */
	unsigned q;			/* quality in thousandths: 0..1000 */
};

/* The media type of a Content-Type value, lower case, without
 * parameters. MASA_E_MALFORMED if it is not "token/token[;params]". */
MASA_NODISCARD enum masa_err masa_media_type(const char *value, size_t len,
    char out[MASA_MEDIA_NAME_MAX]);

/* The ranges of an Accept value, in order; *n of at most max. Ranges with
 * a malformed q are refused (MASA_E_MALFORMED); more than max ranges is
 * MASA_E_MALFORMED too. */
MASA_NODISCARD enum masa_err masa_media_accept(const char *value, size_t len,
    struct masa_media_range *out, size_t max, size_t *n);

#endif
