/* handle_health.c: GET /healthz (the process answers) and GET /readyz (the
 * store can take a write lock now and the signing key is loaded). */
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
