/* handle_health.c: GET /healthz (the process answers), GET /readyz (the
 * store can take a write lock now and the signing key is loaded) and
 * GET /metrics (Prometheus text format). */
#include "metrics.h"
#include "routes.h"

enum masa_err
masa_handle_healthz(const struct masa_req *req, struct masa_reply *reply)
{
	(void)req;
	return masa_reply_text(reply, 200, "ok");
}

enum masa_err
masa_handle_readyz(const struct masa_req *req, struct masa_reply *reply)
{
	enum masa_err rc;

	if (req->app->signer == NULL)
		return MASA_E_KEY_UNAVAILABLE;
	rc = masa_db_ping_write(req->app->db);
	if (rc != MASA_OK)
		return rc;
	return masa_reply_text(reply, 200, "ready");
}

/* GET /metrics (admin listener): the counters of metrics.c. */
enum masa_err
masa_handle_metrics(const struct masa_req *req, struct masa_reply *reply)
{
	struct masa_db_stats store;
	enum masa_err rc;

	masa_db_stats(req->app->db, &store);
	rc = masa_metrics_render(&reply->body, &store);
	if (rc != MASA_OK)
		return rc;
	reply->status = 200;
	reply->content_type = MASA_METRICS_CONTENT_TYPE;
	return MASA_OK;
}
