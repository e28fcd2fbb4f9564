/*
 * answer_later.h: for a handler on the public listener whose answer waits
 * for its store change (an issuance, or a refusal's audit entry): queues
 * the change and defers the answer (routes.h, req->defer) until the change
 * is durable, without blocking the server thread meanwhile.
 */
#ifndef MASA_ANSWER_LATER_H
#define MASA_ANSWER_LATER_H

#include "issue.h"
#include "routes.h"

/* Kept in the handler's state until its answer. */
struct masa_answer_later {
	struct masa_later *later;
	enum masa_err stored;	/* the store's result, once finish runs */
};

/* Queues is's store change (masa_issue_store) and defers req's answer:
 * once the change is durable (or has failed), finish(state, reply) runs on
 * a server thread with w->stored set, then release(state). w and is are
 * part of state. The handler then returns MASA_OK. */
void masa_answer_later(const struct masa_req *req, struct masa_answer_later *w,
    struct masa_issuing *is, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply),
    void (*release)(void *state));

#endif
