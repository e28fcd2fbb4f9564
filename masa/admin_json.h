/* admin_json.h: what the admin handlers share: the JSON request body as
 * an object with known keys only, typed field access, the actor string
 * for the audit trail. */
#ifndef MASA_ADMIN_JSON_H
#define MASA_ADMIN_JSON_H

#include <jansson.h>

#include "attr.h"
#include "enroll.h"
#include "routes.h"
#include "store/db.h"

/* Parses the body as a JSON object (duplicate keys refused) whose keys
 * are all in allowed (NULL-terminated). MASA_E_JSON with reply->detail. */
MASA_NODISCARD enum masa_err masa_admin_body(const struct masa_req *req, const char *const *allowed,
    struct masa_reply *reply, json_t **out);
#define MASA_DETAIL_MAX 160	/* as struct masa_reply's detail */

/* Checks that every key of obj is in allowed (NULL-terminated). */
MASA_NODISCARD enum masa_err masa_admin_keys(json_t *obj, const char *const *allowed,
    char detail[MASA_DETAIL_MAX]);
/* An optional string member as a view (empty if absent); MASA_E_JSON if
 * it is there and not a string. */
MASA_NODISCARD enum masa_err masa_admin_str(json_t *obj, const char *key,
    char detail[MASA_DETAIL_MAX], struct masa_bytes *out);
/* The members of an enrollment record, NULL-terminated. */
extern const char *const masa_admin_record_keys[];
/* An enrollment record from a JSON object's members (views into it). */
MASA_NODISCARD enum masa_err masa_admin_record(json_t *obj, char detail[MASA_DETAIL_MAX],
    struct masa_enroll_rec *rec);
/* "token:<id>" for the audit trail. */
void masa_admin_actor(const struct masa_req *req, char out[40]);

#endif
