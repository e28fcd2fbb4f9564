/* handle_voucher.c: POST /.well-known/brski/requestvoucher: negotiate ->
 * decode -> verify the registrar -> issue (PVR, policy, sign, store) ->
 * respond. Every refusal is audited (in issue.c) and answered with its
 * status and one sentence. */
#include <stdio.h>

#include "issue.h"
#include "metrics.h"
#include "routes.h"
#include "voucher_reply.h"

enum masa_err
masa_handle_requestvoucher(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_answer answer;
	struct masa_vreq_raw v;
	struct masa_registrar reg = { 0 };
	struct masa_issued issued = { 0 };
	const struct masa_vreq_raw *decoded = NULL;
	const struct masa_registrar *found = NULL;
	enum masa_err rc;
	char secs[24];

	rc = masa_negotiate(req->header(req, "Content-Type"), req->header(req, "Accept"), &answer);
	if (rc == MASA_OK && (rc = masa_vreq_decode(req->body, &v)) == MASA_OK)
		decoded = &v;
	if (rc == MASA_OK && (rc = masa_vreq_find_registrar(&v, req->tls_cert, &reg)) == MASA_OK)
		found = &reg;
	if (rc != MASA_OK) {
		masa_issue_refused(req->app, decoded, found, req->peer, "voucher.refused", rc);
		goto done;
	}
	rc = masa_issue(req->app, &v, &reg, &answer, req->peer, &issued);
	if (rc == MASA_E_RATE_LIMITED) {
		snprintf(secs, sizeof secs, "%llu", (unsigned long long)issued.retry_after_s);
		masa_reply_header(reply, "Retry-After", secs);
	}
	if (rc == MASA_OK)
		rc = masa_voucher_reply(req->app, &answer, masa_buf_view(&issued.voucher), reply);
	if (rc == MASA_OK)
		masa_metrics_voucher(answer.format, answer.multipart != NULL, issued.assertion,
		    issued.replayed);
done:
	masa_buf_free(&issued.voucher);
	masa_registrar_free(&reg);
	return rc;
}
