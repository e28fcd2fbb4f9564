/* handle_status.c: GET /status on the admin listener (auditor or admin):
 * the status page, HTML or with ?format=json the same data as JSON. Runs
 * on the admin listener's connection thread (never an event loop); its
 * store reads are one read transaction, bounded by MASA_STATUS_AUDIT_MAX. */
#include <stdlib.h>
#include <string.h>

#include "handlers.h"
#include "status_view.h"
#include "timeutil.h"

#ifndef MASA_VERSION
#define MASA_VERSION "unknown"
#endif

enum masa_err
masa_handle_status(const struct masa_req *req, struct masa_reply *reply)
{
	const char *format = req->query(req, "format");
	const struct masa_app *app = req->app;
	struct masa_status *st;
	json_t *doc;
	enum masa_err rc;

	if (format != NULL && strcmp(format, "json") != 0 && strcmp(format, "html") != 0) {
		masa_diag_set(&reply->detail, "format is html (the default) or json");
		return MASA_E_MALFORMED;
	}
	st = malloc(sizeof *st);
	if (st == NULL)
		return MASA_E_NOMEM;
	rc = masa_status_collect(app->db, app->signer, app->masa_cert, app->cfg->tls_cert,
	    masa_now_ms(), app->started_ms, st);
	if (rc == MASA_OK && format != NULL && strcmp(format, "json") == 0) {
		doc = masa_status_json(st, MASA_VERSION);
		rc = doc != NULL ? masa_reply_json(reply, 200, doc) : MASA_E_NOMEM;
		json_decref(doc);
	} else if (rc == MASA_OK) {
		rc = masa_status_html(st, MASA_VERSION, &reply->body);
		if (rc == MASA_OK) {
			reply->status = 200;
			reply->content_type = "text/html; charset=utf-8";
		}
	}
	free(st);
	return rc;
}
