/*
 * drain.c: deferred answers and the drain. A deferred answer suspends its
 * connection until the work it waits for is done (routes.h, req->defer);
 * quiescing a listener stops new connections, and stopping it waits until
 * no deferred answer is left to wake before the connections are freed.
 */
#include "server_impl.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "evict.h"
#include "slots.h"
#include "unixsock.h"

/* req->defer: suspends the connection until req->wake. */
struct masa_later *
masa_srv_defer(const struct masa_req *req, void *state,
    enum masa_err (*finish)(void *state, struct masa_reply *reply), void (*release)(void *state))
{
	struct conn_req *r = req->call;
	struct masa_later *l = &r->later;

	/* Counted before the flag is read, and masa_server_stop sets the
	 * flag before it reads the count: either this sees the flag, or the
	 * stop waits for this answer. */
	atomic_fetch_add(&r->srv->deferred, 1);
	if (atomic_load(&r->srv->stopping)) {
		atomic_fetch_sub(&r->srv->deferred, 1);
		return NULL;
	}
	l->srv = r->srv;
	l->conn = req->conn;
	l->state = state;
	l->finish = finish;
	l->release = release;
	MHD_suspend_connection(l->conn);
	return l;
}

/* req->wake: the deferred answer is ready. */
void
masa_srv_wake(struct masa_later *l)
{
	struct masa_server *srv = l->srv;

	/* Once resumed, the connection (and l with it) may be answered and
	 * freed by a server thread at any moment. */
	MHD_resume_connection(l->conn);
	atomic_fetch_sub(&srv->deferred, 1);
}

void
masa_server_quiesce(struct masa_server *s)
{
	MHD_socket fd;

	if (s == NULL)
		return;
	atomic_store(&s->stopping, 1);
	fd = MHD_quiesce_daemon(s->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

unsigned
masa_server_inflight(struct masa_server *s)
{
	return s ? atomic_load(&s->inflight) : 0;
}

void
masa_server_stop(struct masa_server *s)
{
	struct timespec tick = { 0, 1000 * 1000 };

	if (s == NULL)
		return;
	/* A deferred answer is woken once its group commit ends (or fails,
	 * within the store's busy timeout); stopping before then would free
	 * a connection the committer is about to resume. No answer is
	 * deferred once stopping is set. */
	atomic_store(&s->stopping, 1);
	while (atomic_load(&s->deferred) > 0)
		nanosleep(&tick, NULL);
	MHD_stop_daemon(s->daemon);
	masa_unix_unlink(&s->unix_sock);
	masa_slots_free(s->slots);
	masa_evict_free(s->evict);
	free(s);
}
