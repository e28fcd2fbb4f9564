/* handle_voucher.c: POST /.well-known/brski/requestvoucher: negotiate ->
 * decode -> verify the registrar -> issue (PVR, policy, sign, store) ->
 * respond. Every refusal of a verified registrar is audited (issue.c) and
 * answered with its status and one sentence. What goes to the store is
 * group-committed, and the answer deferred until it is durable, without
 * holding up the server thread. */
#include <stdio.h>
#include <stdlib.h>

#include "answer_later.h"
#include "issue.h"
#include "metrics.h"
#include "handlers.h"
#include "voucher_reply.h"

/* One request, from the handler to its deferred answer. */
struct voucher_call {
	struct masa_app *app;
	struct masa_answer answer;
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	struct masa_issuing *is;	/* what goes to the store */
	struct masa_answer_later wait;
};

static void
call_free(void *state)
{
	struct voucher_call *call = state;

	masa_issue_free(call->is);
	masa_registrar_free(&call->reg);
	free(call);
}

/* The answer, once the store has spoken. */
static enum masa_err
finish(void *state, struct masa_reply *reply)
{
	struct voucher_call *call = state;
	struct masa_issued issued;
	enum masa_err rc;
	char secs[24];

	rc = masa_issue_outcome(call->is, call->wait.stored, &issued);
	if (rc == MASA_E_RATE_LIMITED) {
		snprintf(secs, sizeof secs, "%llu", (unsigned long long)issued.retry_after_s);
		masa_reply_header(reply, "Retry-After", secs);
	}
	if (rc == MASA_OK)
		rc = masa_voucher_reply(call->app, &call->answer, masa_buf_view(&issued.voucher),
		    reply);
	if (rc == MASA_OK)
		masa_metrics_voucher(call->answer.format, call->answer.multipart != NULL,
		    issued.assertion, issued.replayed);
	masa_buf_free(&issued.voucher);
	return rc;
}

enum masa_err
masa_handle_requestvoucher(const struct masa_req *req, struct masa_reply *reply)
{
	struct voucher_call *call;
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	enum masa_err rc;

	call = calloc(1, sizeof *call);
	if (call == NULL)
		return MASA_E_NOMEM;
	call->app = req->app;
	rc = masa_negotiate(req->header(req, "Content-Type"), req->header(req, "Accept"),
	    &call->answer);
	if (rc == MASA_OK)
		rc = masa_vreq_accept(req->body, req->tls_cert, &call->v, &call->reg, &decoded,
		    &found);
	if (rc == MASA_OK)
		rc = masa_issue_prepare(req->app, &call->v, &call->reg, &call->answer, req->peer,
		    &call->is);
	else if (masa_issue_refusal(req->app, decoded, found, req->peer, "voucher.refused", rc,
	    &call->is) != MASA_OK)
		call->is = NULL;	/* nothing to audit: answer now */
	if (call->is == NULL) {
		call_free(call);
		return rc;
	}
	return masa_answer_later(req, reply, &call->wait, masa_issue_store, call->is, call, finish,
	    call_free);
}
