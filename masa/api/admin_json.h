/* admin_json.h: what the admin handlers share: the JSON request body as
 * an object with known keys only (typed field access: enroll_json.h), the
 * actor string for the audit trail. */
#ifndef MASA_ADMIN_JSON_H
#define MASA_ADMIN_JSON_H

#include <jansson.h>

#include "attr.h"
#include "enroll_json.h"
#include "routes.h"

/* Parses the body as a JSON object (duplicate keys refused) whose keys
 * are all in allowed (NULL-terminated). MASA_E_JSON with reply->detail. */
MASA_NODISCARD enum masa_err masa_admin_body(const struct masa_req *req, const char *const *allowed,
    struct masa_reply *reply, json_t **out);
/* "token:<id>" for the audit trail. */
void masa_admin_actor(const struct masa_req *req, char out[40]);

#endif
