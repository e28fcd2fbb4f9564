/*
 * dispatch.c: a request as handlers see it (routes.h), admitted on its
 * headers (route, method, authentication) and answered by its route's
 * handler; and every answer turned into a libmicrohttpd response.
 */
#include "server_impl.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"
#include "timeutil.h"

static const char *
req_header(const struct masa_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const char *
req_query(const struct masa_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Authenticates req for a route that needs a role. */
static enum masa_err
authorise(struct conn_req *r, const struct masa_route *route, struct masa_req *req,
    struct masa_reply *reply)
{
	uint64_t retry = 0;
	char secs[24];
	enum masa_err rc;

	rc = masa_auth_check(r->srv->app->auth, r->srv->app->db, req->header(req, "Authorization"),
	    r->peer, masa_now_ms(), &req->who, &r->hashed, &retry);
	if (rc == MASA_E_THROTTLED) {
		snprintf(secs, sizeof secs, "%llu", (unsigned long long)retry);
		masa_reply_header(reply, "Retry-After", secs);
	} else if (rc == MASA_E_UNAUTHENTICATED) {
		masa_reply_header(reply, "WWW-Authenticate", "Bearer");
	} else if (rc == MASA_OK && (route->roles & req->who.role) == 0) {
		rc = MASA_E_FORBIDDEN;
	}
	return rc;
}

/* Turns reply into a libmicrohttpd response and queues it. */
enum MHD_Result
masa_srv_send_reply(struct MHD_Connection *c, struct conn_req *r, struct masa_reply *reply)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned i;

	resp = MHD_create_response_from_buffer(reply->body.len,
	    reply->body.ptr ? reply->body.ptr : (uint8_t *)"", MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	if (reply->content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
	MHD_add_response_header(resp, "X-Request-Id", r->rid);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (atomic_load(&r->srv->stopping))	/* keep-alive ends with this answer */
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	for (i = 0; i < reply->nheaders; i++)
		MHD_add_response_header(resp, reply->headers[i].name, reply->headers[i].value);
	ret = MHD_queue_response(c, reply->status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES) {
		r->status = reply->status;
		masa_metrics_error(reply->error);
	}
	return ret;
}

enum MHD_Result
masa_srv_send_error(struct MHD_Connection *c, struct conn_req *r, enum masa_err rc)
{
	struct masa_reply reply;
	enum MHD_Result ret;

	masa_reply_init(&reply);
	masa_reply_error(&reply, rc);
	ret = masa_srv_send_reply(c, r, &reply);
	masa_reply_free(&reply);
	return ret;
}

/* Answers a request whose answer was deferred, now that it is ready. */
enum MHD_Result
masa_srv_finish_later(struct MHD_Connection *c, struct conn_req *r)
{
	struct masa_reply reply;
	enum MHD_Result ret;
	enum masa_err rc;

	masa_reply_init(&reply);
	rc = r->later.finish(r->later.state, &reply);
	if (rc != MASA_OK)
		masa_reply_error(&reply, rc);
	ret = masa_srv_send_reply(c, r, &reply);
	masa_reply_free(&reply);
	r->later.release(r->later.state);
	r->later.state = NULL;
	return ret;
}

/* A request's view for handlers (and for header lookups on the first call). */
static void
make_req(struct MHD_Connection *c, struct conn_req *r, const char *url, const char *method,
    struct masa_req *req)
{
	memset(req, 0, sizeof *req);
	req->app = r->srv->app;
	req->rid = r->rid;
	req->method = method;
	req->path = url;
	req->peer = r->peer;
	req->body = masa_buf_view(&r->body);
	req->tls_cert = masa_buf_view(&r->tls_cert);
	req->tls_cas = r->tls_cas;
	req->tls_ncas = r->tls_ncas;
	req->param = r->param;
	req->who = r->who;
	req->header = req_header;
	req->query = req_query;
	req->conn = c;
	req->defer = r->srv->routes->threaded ? NULL : masa_srv_defer;
	req->wake = masa_srv_wake;
	req->call = r;
}

/* First call, headers only: route, and authenticate a route that needs a
 * role, before any body is read. MASA_OK, or the error to answer with now
 * (reply may carry headers for it). */
enum masa_err
masa_srv_admit(struct MHD_Connection *c, struct conn_req *r, const char *url, const char *method,
    struct masa_reply *reply)
{
	struct masa_req req;
	char allow[64];
	enum masa_err rc;

	rc = masa_route_find(r->srv->routes, method, url, &r->route, allow, sizeof allow, r->param,
	    sizeof r->param);
	if (rc == MASA_E_METHOD)
		masa_reply_header(reply, MHD_HTTP_HEADER_ALLOW, allow);
	if (rc != MASA_OK || r->route->roles == 0)
		return rc;
	make_req(c, r, url, method, &req);
	rc = authorise(r, r->route, &req, reply);
	r->who = req.who;
	return rc;
}

/* Answers the complete request with its route's handler. */
enum MHD_Result
masa_srv_dispatch(struct MHD_Connection *c, struct conn_req *r, const char *url, const char *method)
{
	struct masa_reply reply;
	struct masa_req req;
	enum MHD_Result ret;
	enum masa_err rc;

	masa_reply_init(&reply);
	make_req(c, r, url, method, &req);
	rc = r->route->fn(&req, &reply);
	if (rc == MASA_OK && r->later.state != NULL) {
		masa_reply_free(&reply);
		return MHD_YES;	/* masa_srv_finish_later answers */
	}
	if (rc != MASA_OK)
		masa_reply_error(&reply, rc);
	ret = masa_srv_send_reply(c, r, &reply);
	masa_reply_free(&reply);
	return ret;
}
