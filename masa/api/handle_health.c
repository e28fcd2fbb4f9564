/* handle_health.c: GET /healthz (the process answers), GET /readyz (every
 * signing key is loaded and can sign now, probed on a worker, and the
 * store commits a write now) and GET /metrics (Prometheus text format). */
#include <stdlib.h>

#include "answer_later.h"
#include "crypto/certinfo.h"
#include "metrics.h"
#include "handlers.h"
#include "keyring.h"

enum masa_err
masa_handle_healthz(const struct masa_req *req, struct masa_reply *reply)
{
	(void)req;
	return masa_reply_text(reply, 200, "ok");
}

/* A change that writes (an empty one may write nothing: SQLite commits it
 * on a full disk): the store is ready if a group commit takes it to the
 * disk. On the public listener it joins the next batch instead of waiting
 * for the writer connection on a thread that serves other connections. */
static enum masa_err
touch(struct masa_txn *txn, void *arg)
{
	(void)arg;
	return masa_store_touch(txn);
}

static enum masa_err
ready_finish(void *state, struct masa_reply *reply)
{
	const struct masa_answer_later *w = state;

	if (w->stored != MASA_OK)
		return w->stored;
	return masa_reply_text(reply, 200, "ready");
}

/* The probe, on a worker: every signing key in service makes a test
 * signature (a token's on the token, which may take its time off the event
 * loop), then the store takes a change that writes. */
static void
ready_work(void *arg, struct masa_answer_later *w)
{
	const struct masa_app *app = arg;
	enum masa_err rc;

	if (app->signer == NULL || !masa_signer_ready(app->signer) ||
	    !masa_keyring_ready(app->keys)) {
		masa_answer_later_done(w, MASA_E_KEY_UNAVAILABLE);
		return;
	}
	rc = masa_db_submit(app->db, touch, NULL, masa_answer_later_done, w);
	if (rc != MASA_OK)
		masa_answer_later_done(w, rc);
}

enum masa_err
masa_handle_readyz(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_answer_later *w;

	if (req->app->signer == NULL)
		return MASA_E_KEY_UNAVAILABLE;
	w = calloc(1, sizeof *w);
	if (w == NULL)
		return MASA_E_NOMEM;
	return masa_answer_later_work(req, reply, w, ready_work, req->app, w, ready_finish, free);
}

/* GET /metrics (admin listener): the counters of metrics.c, the store's
 * and the signing key's, readiness and the certificates' expiries. */
enum masa_err
masa_handle_metrics(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_db_stats store;
	struct masa_signer_stats signer;
	struct masa_metrics_key keys[MASA_KEYRING_MAX];
	struct masa_cert_info ci;
	int64_t not_after[2] = { 0, 0 };
	enum masa_err rc;
	size_t i;
	int ready;

	masa_db_stats(req->app->db, &store);
	masa_signer_stats(req->app->signer, &signer);
	/* The admin listener has a thread per connection: waiting for the
	 * store's writer here blocks no other request. */
	ready = req->app->signer != NULL && masa_db_write(req->app->db, touch, NULL) == MASA_OK;
	if (masa_cert_info_der(req->app->masa_cert, &ci) == MASA_OK)
		not_after[0] = ci.not_after_s;
	if (req->app->cfg != NULL && masa_cert_info_pem_file(req->app->cfg->tls_cert, &ci) == MASA_OK)
		not_after[1] = ci.not_after_s;
	rc = masa_metrics_render(&reply->body, &store, &signer);
	if (rc == MASA_OK)
		rc = masa_metrics_render_health(&reply->body, ready, not_after);
	for (i = 0; req->app->keys != NULL && i < req->app->keys->n; i++) {
		keys[i].name = req->app->keys->e[i].name;
		masa_signer_stats(req->app->keys->e[i].signer, &keys[i].stats);	/* retired: 0 */
	}
	if (rc == MASA_OK)
		rc = masa_metrics_render_keys(&reply->body, keys, i);
	if (rc != MASA_OK)
		return rc;
	reply->status = 200;
	reply->content_type = MASA_METRICS_CONTENT_TYPE;
	return MASA_OK;
}
