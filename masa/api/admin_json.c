/* admin_json.c: see admin_json.h. */
#include "admin_json.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

enum masa_err
masa_admin_body(const struct masa_req *req, const char *const *allowed, struct masa_reply *reply,
    json_t **out)
{
	json_error_t err;
	json_t *j;

	j = json_loadb((const char *)req->body.ptr, req->body.len, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL || !json_is_object(j)) {
		masa_diag_set(&reply->detail, "expected a JSON object");
		json_decref(j);
		return MASA_E_JSON;
	}
	if (masa_admin_keys(j, allowed, &reply->detail) != MASA_OK) {
		json_decref(j);
		return MASA_E_JSON;
	}
	*out = j;
	return MASA_OK;
}

void
masa_admin_actor(const struct masa_req *req, char out[40])
{
	snprintf(out, 40, "token:%s", req->who.token_id);
}
