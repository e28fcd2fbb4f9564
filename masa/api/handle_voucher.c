/* handle_voucher.c: POST /.well-known/brski/requestvoucher: negotiate ->
 * decode -> verify the registrar (here, on the event loop: CPU only) ->
 * issue (issue.h: snapshot, PVR, decide, sign, on a worker; then decide
 * again and record, group-committed) -> respond. Every refusal of a
 * verified registrar is audited and answered with its status and one
 * sentence; the answer waits for the store without holding up the
 * server thread. */
#include <stdio.h>
#include <stdlib.h>

#include "answer_later.h"
#include "formats.h"
#include "json_codec.h"
#include "handlers.h"
#include "issue.h"
#include "keyring.h"
#include "metrics.h"
#include "negotiate.h"
#include "refusal.h"
#include "voucher_reply.h"

/* One request, from the handler to its deferred answer. */
struct voucher_call {
	struct masa_app *app;
	const struct masa_codec *codec;	/* of the voucher */
	struct masa_answer answer;
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	struct masa_issuing *is;	/* an issuance, or */
	struct masa_refusal *refused;	/* a refusal's audit entry */
	struct masa_answer_later wait;
};

static void
call_free(void *state)
{
	struct voucher_call *call = state;

	masa_issue_free(call->is);
	masa_refusal_free(call->refused);
	masa_registrar_free(&call->reg);
	masa_vreq_release(&call->v);
	free(call);
}

/* The answer, once the store has spoken. */
static enum masa_err
finish(void *state, struct masa_reply *reply)
{
	struct voucher_call *call = state;
	struct masa_issued issued;
	struct masa_app view;
	enum masa_err rc;
	char secs[24];

	if (call->refused != NULL)
		return masa_refusal_outcome(call->refused, call->wait.stored);
	rc = masa_issue_outcome(call->is, call->wait.stored, &issued);
	if (rc == MASA_E_RATE_LIMITED) {
		snprintf(secs, sizeof secs, "%llu", (unsigned long long)issued.retry_after_s);
		masa_reply_header(reply, "Retry-After", secs);
	}
	/* The multipart key and certificate parts are those of the device's key. */
	view = *call->app;
	if (issued.key != NULL) {
		view.masa_cert = issued.key->cert;
		view.masa_cose_key = issued.key->cose_key;
	}
	if (rc == MASA_OK)
		rc = masa_voucher_reply(&view, call->codec, &call->answer,
		    masa_buf_view(&issued.voucher), reply);
	if (rc == MASA_OK)
		masa_metrics_voucher(call->answer.format, call->answer.multipart != NULL,
		    issued.assertion, issued.replayed);
	masa_buf_free(&issued.voucher);
	return rc;
}

/* The issuance's work, on a worker (answer_later.h). */
static void
issue_work(void *arg, struct masa_answer_later *w)
{
	struct voucher_call *call = arg;

	masa_issue_run(call->is, masa_answer_later_done, w);
}

enum masa_err
masa_handle_requestvoucher(const struct masa_req *req, struct masa_reply *reply)
{
	struct voucher_call *call;
	const struct masa_tls_client tls = { req->tls_cert, req->tls_cas, req->tls_ncas };
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	const struct masa_codec *codec = NULL, *in = NULL;
	enum masa_err rc;

	call = calloc(1, sizeof *call);
	if (call == NULL)
		return MASA_E_NOMEM;
	call->app = req->app;
	rc = masa_negotiate(req->header(req, "Content-Type"), req->header(req, "Accept"),
	    &call->answer);
	/* The request's codec reads it; the answer's signs the voucher. */
	if (rc == MASA_OK && (in = masa_codec_for(call->answer.request_format)) == NULL)
		rc = MASA_E_MEDIA_TYPE;
	if (rc == MASA_OK && (codec = masa_codec_for(call->answer.format)) == NULL)
		rc = MASA_E_NOT_ACCEPTABLE;
	/* A CMS request in base64 text gets its CMS voucher so (json_codec.h). */
	call->answer.base64 = rc == MASA_OK && call->answer.request_format == MASA_FORMAT_CMS &&
	    call->answer.format == MASA_FORMAT_CMS && masa_cms_body_is_text(req->body);
	if (rc == MASA_OK)
		rc = masa_vreq_accept(in, req->body, &tls, &call->v, &call->reg,
		    &decoded, &found);
	call->codec = codec;
	if (rc == MASA_OK)
		rc = masa_issue_new(req->app, codec, &call->v, &call->reg, &call->answer, req->peer,
		    &call->is);
	if (rc == MASA_OK)
		return masa_answer_later_work(req, reply, &call->wait, issue_work, call, call,
		    finish, call_free);
	if (masa_refusal_new(req->app, MASA_EV_VOUCHER_REFUSED, decoded, found, req->peer, rc,
	    &call->refused) != MASA_OK) {
		call_free(call);	/* nothing to audit: answer now */
		return rc;
	}
	return masa_answer_later(req, reply, &call->wait, masa_refusal_store, call->refused, call,
	    finish, call_free);
}
