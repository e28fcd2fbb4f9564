/* status_view.h: the status page's two forms of a struct masa_status: JSON
 * (status_json.c) and HTML with an inline SVG chart (status_html.c). */
#ifndef MASA_STATUS_VIEW_H
#define MASA_STATUS_VIEW_H

#include <jansson.h>

#include "attr.h"
#include "bytes.h"
#include "status.h"

/* The JSON document (caller decrefs); NULL without memory. */
json_t *masa_status_json(const struct masa_status *st, const char *version);
/* Appends the whole HTML page to out: no script, no external asset. */
MASA_NODISCARD enum masa_err masa_status_html(const struct masa_status *st, const char *version,
    struct masa_buf *out);

#endif
