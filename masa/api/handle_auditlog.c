/* handle_auditlog.c: POST /.well-known/brski/requestauditlog: the same
 * RVR as for a voucher -> negotiate -> decode -> verify the registrar ->
 * the device's log as JSON. Refusals of a verified registrar are audited,
 * the answer deferred until that entry is durable; nothing else changes. */
#include <stdlib.h>

#include "answer_later.h"
#include "auditlog.h"
#include "issue.h"
#include "negotiate.h"
#include "handlers.h"

/* A refused request, until its audit entry is durable. */
struct refused_call {
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	struct masa_issuing *is;	/* the audit entry */
	struct masa_answer_later wait;
};

static void
refused_free(void *state)
{
	struct refused_call *call = state;

	masa_issue_free(call->is);
	masa_registrar_free(&call->reg);
	free(call);
}

static enum masa_err
refused_finish(void *state, struct masa_reply *reply)
{
	struct refused_call *call = state;
	struct masa_issued ignored;

	(void)reply;
	return masa_issue_outcome(call->is, call->wait.stored, &ignored);
}

enum masa_err
masa_handle_requestauditlog(const struct masa_req *req, struct masa_reply *reply)
{
	struct refused_call *call;
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	struct masa_buf log;
	enum masa_err rc;

	call = calloc(1, sizeof *call);
	if (call == NULL)
		return MASA_E_NOMEM;
	rc = masa_negotiate_json(req->header(req, "Content-Type"), req->header(req, "Accept"));
	if (rc == MASA_OK)
		rc = masa_vreq_accept(req->body, req->tls_cert, &call->v, &call->reg, &decoded,
		    &found);
	if (rc == MASA_OK)
		rc = masa_auditlog(req->app, &call->v, &call->reg, &log);
	if (rc == MASA_OK) {
		reply->status = 200;
		reply->content_type = "application/json";
		masa_buf_free(&reply->body);
		reply->body = log;
	} else if (masa_issue_refusal(req->app, decoded, found, req->peer, "auditlog.refused", rc,
	    &call->is) == MASA_OK) {
		return masa_answer_later(req, reply, &call->wait, masa_issue_store, call->is, call,
		    refused_finish, refused_free);
	}
	refused_free(call);
	return rc;
}
