/* enroll_json.h: an enrollment record from a JSON object (the admin API's
 * body and each NDJSON import line): known keys only, typed members. */
#ifndef MASA_ENROLL_JSON_H
#define MASA_ENROLL_JSON_H

#include <jansson.h>

#include "attr.h"
#include "bytes.h"
#include "enroll.h"
#include "err.h"


/* Checks that every key of obj is in allowed (NULL-terminated). */
MASA_NODISCARD enum masa_err masa_admin_keys(json_t *obj, const char *const *allowed,
    struct masa_diag *detail);
/* An optional string member as a view (empty if absent); MASA_E_JSON if
 * it is there and not a string. */
MASA_NODISCARD enum masa_err masa_admin_str(json_t *obj, const char *key,
    struct masa_diag *detail, struct masa_bytes *out);
/* The members of an enrollment record, NULL-terminated. */
extern const char *const masa_admin_record_keys[];
/* An enrollment record from a JSON object's members (views into it). */
MASA_NODISCARD enum masa_err masa_admin_record(json_t *obj, struct masa_diag *detail,
    struct masa_enroll_rec *rec);
#endif
