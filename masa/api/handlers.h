/*
 * handlers.h: the two route tables (the public listener's BRSKI routes and
 * the admin listener's API) and the handlers they name. The HTTP layer
 * serves whichever table it is given (server.h) and knows no handler.
 */
#ifndef MASA_HANDLERS_H
#define MASA_HANDLERS_H

#include "routes.h"

extern const struct masa_route_table masa_public_routes;
extern const struct masa_route_table masa_admin_routes;

/* Handlers (handle_*.c). */
enum masa_err masa_handle_healthz(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_readyz(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_metrics(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_requestvoucher(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_requestauditlog(const struct masa_req *req, struct masa_reply *reply);
/* The admin API (handle_admin_*.c). */
enum masa_err masa_handle_device_add(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_list(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_import(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_show(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_retire(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_release(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_device_owner(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_owner_add(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_product_add(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_product_set(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_product_show(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_product_list(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_block(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_unblock(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_audit(const struct masa_req *req, struct masa_reply *reply);
enum masa_err masa_handle_key(const struct masa_req *req, struct masa_reply *reply);
/* The status page (handle_status.c). */
enum masa_err masa_handle_status(const struct masa_req *req, struct masa_reply *reply);

#endif
