/*
 * evict.h: slow clients yield their place (reliability issue 19). A
 * listener keeps its connections that are not in a request (a TLS
 * handshake or headers under way, or idle between keep-alive requests)
 * in the order they became so. When the listener holds more than its
 * mark (limits.evict_idle_above_percent of limits.connection_limit), each
 * new connection shuts down one of them: among the oldest, one from the
 * source (an IPv4 address or an IPv6 /64) that holds the most. So
 * connections that never complete a request cannot fill the listener
 * while a legitimate client waits in the accept queue (before, a flood of
 * handshakes that never finished held every slot until
 * limits.handshake_timeout_s, again and again), and the one handshake of
 * a legitimate client is not cut short by a flood from many addresses.
 *
 * The victim's socket is only shut down (shutdown(2), not closed): the
 * library then reads the end of the stream and closes the connection
 * itself, which calls masa_evict_closed. The library notifies a close
 * before it closes the descriptor, and both happen under this table's
 * lock, so a descriptor is never shut down after it was reused.
 */
#ifndef MASA_EVICT_H
#define MASA_EVICT_H

#include <sys/socket.h>

struct masa_evict;
struct masa_evict_conn;

/* A table for a listener that evicts above mark connections (0: never);
 * NULL if out of memory. */
struct masa_evict *masa_evict_new(unsigned mark);
void masa_evict_free(struct masa_evict *e);

/* A connection with socket fd started (not yet in a request): its entry,
 * or NULL if out of memory. A connection without an entry or with fd -1
 * (unknown) is counted but never evicted. May evict the oldest connection
 * not in a request: *evicted is then 1, else 0. */
struct masa_evict_conn *masa_evict_started(struct masa_evict *e, int fd,
    const struct sockaddr *addr, int *evicted);
/* Its request began (busy 1: never evicted) or ended (busy 0: evictable
 * again, as the newest). NULL entries are ignored. */
void masa_evict_busy(struct masa_evict *e, struct masa_evict_conn *c, int busy);
/* The connection ended: its entry is freed. */
void masa_evict_closed(struct masa_evict *e, struct masa_evict_conn *c);

#endif
