/* handle_auditlog.c: POST /.well-known/brski/requestauditlog: the same
 * RVR as for a voucher -> negotiate -> decode -> verify the registrar ->
 * on a worker (it reads the store), the device's log as JSON. Refusals of
 * a verified registrar are audited, the answer deferred until that entry
 * is durable; nothing else changes. */
#include <stdlib.h>

#include "answer_later.h"
#include "auditlog.h"
#include "formats.h"
#include "handlers.h"
#include "negotiate.h"
#include "refusal.h"

/* One request, until its answer. */
struct log_call {
	struct masa_app *app;
	const char *peer;
	struct masa_vreq_raw v;
	struct masa_registrar reg;
	enum masa_err rc;		/* the log's */
	struct masa_buf log;		/* with rc MASA_OK */
	struct masa_refusal *refused;	/* the audit entry of a refusal */
	struct masa_answer_later wait;
};

static void
call_free(void *state)
{
	struct log_call *call = state;

	masa_buf_free(&call->log);
	masa_refusal_free(call->refused);
	masa_registrar_free(&call->reg);
	masa_vreq_release(&call->v);
	free(call);
}

static enum masa_err
finish(void *state, struct masa_reply *reply)
{
	struct log_call *call = state;

	if (call->refused != NULL)
		return masa_refusal_outcome(call->refused, call->wait.stored);
	if (call->wait.stored != MASA_OK)
		return call->wait.stored;
	reply->status = 200;
	reply->content_type = "application/json";
	masa_buf_free(&reply->body);
	reply->body = call->log;
	masa_buf_init(&call->log, 0);
	return MASA_OK;
}

/* On a worker: the log, or the refusal's audit entry queued. */
static void
log_work(void *arg, struct masa_answer_later *w)
{
	struct log_call *call = arg;
	enum masa_err rc;

	rc = masa_auditlog(call->app, &call->v, &call->reg, &call->log);
	if (rc == MASA_OK || masa_refusal_new(call->app, MASA_EV_AUDITLOG_REFUSED, &call->v, &call->reg,
	    call->peer, rc, &call->refused) != MASA_OK) {
		masa_answer_later_done(w, rc);
		return;
	}
	rc = masa_db_submit(call->app->db, masa_refusal_store, call->refused,
	    masa_answer_later_done, w);
	if (rc != MASA_OK)
		masa_answer_later_done(w, rc);
}

enum masa_err
masa_handle_requestauditlog(const struct masa_req *req, struct masa_reply *reply)
{
	struct log_call *call;
	const struct masa_tls_client tls = { req->tls_cert, req->tls_cas, req->tls_ncas };
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	const struct masa_codec *codec = NULL;
	enum masa_format format = 0;
	enum masa_err rc;

	call = calloc(1, sizeof *call);
	if (call == NULL)
		return MASA_E_NOMEM;
	call->app = req->app;
	call->peer = req->peer;
	rc = masa_negotiate_json(req->header(req, "Content-Type"), req->header(req, "Accept"),
	    &format);
	if (rc == MASA_OK && (codec = masa_codec_for(format)) == NULL)
		rc = MASA_E_MEDIA_TYPE;
	if (rc == MASA_OK)
		rc = masa_vreq_accept(codec, req->body, &tls, &call->v, &call->reg,
		    &decoded, &found);
	if (rc == MASA_OK)
		return masa_answer_later_work(req, reply, &call->wait, log_work, call, call, finish,
		    call_free);
	if (masa_refusal_new(req->app, MASA_EV_AUDITLOG_REFUSED, decoded, found, req->peer, rc,
	    &call->refused) != MASA_OK) {
		call_free(call);
		return rc;
	}
	return masa_answer_later(req, reply, &call->wait, masa_refusal_store, call->refused, call,
	    finish, call_free);
}
