/* handle_auditlog.c: POST /.well-known/brski/requestauditlog: the same
 * RVR as for a voucher -> negotiate -> decode -> verify the registrar ->
 * the device's log as JSON. Refusals are audited; nothing else changes. */
#include "auditlog.h"
#include "issue.h"
#include "negotiate.h"
#include "routes.h"

enum masa_err
masa_handle_requestauditlog(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_vreq_raw v;
	struct masa_registrar reg = { 0 };
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	struct masa_buf log;
	enum masa_err rc;

	rc = masa_negotiate_json(req->header(req, "Content-Type"), req->header(req, "Accept"));
	if (rc == MASA_OK && (rc = masa_vreq_decode(req->body, &v)) == MASA_OK)
		decoded = &v;
	if (rc == MASA_OK && (rc = masa_vreq_find_registrar(&v, req->tls_cert, &reg)) == MASA_OK)
		found = &reg;
	if (rc == MASA_OK)
		rc = masa_auditlog(req->app, &v, &reg, &log);
	if (rc != MASA_OK) {
		masa_issue_refused(req->app, decoded, found, req->peer, "auditlog.refused", rc);
		goto done;
	}
	reply->status = 200;
	reply->content_type = "application/json";
	masa_buf_free(&reply->body);
	reply->body = log;
done:
	masa_registrar_free(&reg);
	return rc;
}
