/* handle_admin_import.c: POST /admin/v1/devices/import[?atomic=true]:
 * application/x-ndjson or text/csv; answers the import report. */
#include <stdio.h>
#include <string.h>

#include "admin_json.h"
#include "handlers.h"
#include "http/mediatype.h"
#include "import.h"
#include "masa_limits.h"

enum masa_err
masa_handle_device_import(const struct masa_req *req, struct masa_reply *reply)
{
	const char *ctype = req->header(req, "Content-Type"), *atomic = req->query(req, "atomic");
	struct masa_import_report rep;
	enum masa_import_format fmt;
	char name[MASA_MEDIA_NAME_MAX], actor[40];
	struct masa_buf text;
	enum masa_err rc;

	if (ctype == NULL || strlen(ctype) > MASA_HEADER_MAX ||
	    masa_media_type(ctype, strlen(ctype), name) != MASA_OK)
		return MASA_E_MEDIA_TYPE;
	if (strcmp(name, "application/x-ndjson") == 0)
		fmt = MASA_IMPORT_NDJSON;
	else if (strcmp(name, "text/csv") == 0)
		fmt = MASA_IMPORT_CSV;
	else
		return MASA_E_MEDIA_TYPE;
	if (atomic != NULL && strcmp(atomic, "true") != 0 && strcmp(atomic, "false") != 0) {
		masa_diag_set(&reply->detail, "atomic is true or false");
		return MASA_E_MALFORMED;
	}
	masa_admin_actor(req, actor);
	rc = masa_import(req->app->db, req->body, fmt, atomic && strcmp(atomic, "true") == 0, actor,
	    NULL, NULL, &rep, &reply->detail);
	if (rc != MASA_OK)
		return rc;
	rc = masa_import_report_json(&rep, 0, &text);
	masa_import_report_free(&rep);
	if (rc != MASA_OK)
		return rc;
	reply->status = 200;
	reply->content_type = "application/json";
	masa_buf_free(&reply->body);
	reply->body = text;
	return MASA_OK;
}
