/* evict.c: see evict.h. One list under one mutex, taken a few times per
 * connection (start, each request's start and end, close), and a count of
 * listed connections per source (an IPv4 address or an IPv6 /64) in a
 * chained hash table: O(1) each, but for the victim's choice, which looks
 * at the oldest SCAN entries. */
#include "evict.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "slots.h"

#define BUCKETS 1024	/* of the per-source table */
#define SCAN 64		/* the oldest entries a victim is chosen from */

struct source {
	struct source *next;	/* in its bucket */
	uint8_t key[9];		/* family, then 4 (IPv4) or 8 (IPv6 /64) bytes */
	unsigned listed;	/* its connections in the list */
	unsigned refs;		/* its connections in the table */
};

struct masa_evict_conn {
	struct masa_evict_conn *prev, *next;
	struct source *src;	/* NULL: no address known */
	int fd;
	int listed;		/* in the list: not in a request, not evicted */
	int evicted;		/* shut down: never listed again */
};

struct masa_evict {
	pthread_mutex_t lock;
	unsigned mark;
	unsigned conns;		/* every connection of the listener */
	struct masa_evict_conn *head, *tail;	/* oldest first */
	struct source *bucket[BUCKETS];
};

/* The bucket of key (FNV-1a). */
static size_t
source_hash(const uint8_t key[9])
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < 9; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % BUCKETS;
}

/* The source of key, found or made (lock held); NULL if out of memory. */
static struct source *
source_ref(struct masa_evict *e, const uint8_t key[9])
{
	size_t h = source_hash(key);
	struct source *s;

	for (s = e->bucket[h]; s != NULL; s = s->next)
		if (memcmp(s->key, key, 9) == 0)
			break;
	if (s == NULL) {
		s = calloc(1, sizeof *s);
		if (s == NULL)
			return NULL;
		memcpy(s->key, key, 9);
		s->next = e->bucket[h];
		e->bucket[h] = s;
	}
	s->refs++;
	return s;
}

/* Drops a reference to s (lock held), freeing it with its last. */
static void
source_unref(struct masa_evict *e, struct source *s)
{
	struct source **pp;

	if (s == NULL || --s->refs > 0)
		return;
	for (pp = &e->bucket[source_hash(s->key)]; *pp != s; pp = &(*pp)->next)
		;
	*pp = s->next;
	free(s);
}

struct masa_evict *
masa_evict_new(unsigned mark)
{
	struct masa_evict *e = calloc(1, sizeof *e);

	if (e == NULL)
		return NULL;
	pthread_mutex_init(&e->lock, NULL);
	e->mark = mark;
	return e;
}

void
masa_evict_free(struct masa_evict *e)
{
	if (e == NULL)
		return;
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Lock held. */
static void
append(struct masa_evict *e, struct masa_evict_conn *c)
{
	c->prev = e->tail;
	c->next = NULL;
	if (c->src != NULL)
		c->src->listed++;
	if (e->tail != NULL)
		e->tail->next = c;
	else
		e->head = c;
	e->tail = c;
	c->listed = 1;
}

/* Lock held. */
static void
unlink_conn(struct masa_evict *e, struct masa_evict_conn *c)
{
	if (!c->listed)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		e->tail = c->prev;
	c->prev = c->next = NULL;
	c->listed = 0;
	if (c->src != NULL)
		c->src->listed--;
}

/* The connection to evict (lock held): among the oldest SCAN listed, the
 * first of a source that has the most listed connections, so that a
 * client with one handshake under way is not evicted for a flood from a
 * hundred addresses; never keep. NULL if there is none. */
static struct masa_evict_conn *
victim(struct masa_evict *e, const struct masa_evict_conn *keep)
{
	struct masa_evict_conn *c, *best = NULL;
	unsigned most = 0, n, k;

	for (c = e->head, k = 0; c != NULL && k < SCAN; c = c->next, k++) {
		if (c == keep)
			continue;
		n = c->src != NULL ? c->src->listed : 1;
		if (best == NULL || n > most) {
			best = c;
			most = n;
		}
	}
	return best;
}

struct masa_evict_conn *
masa_evict_started(struct masa_evict *e, int fd, const struct sockaddr *addr, int *evicted)
{
	struct masa_evict_conn *c = calloc(1, sizeof *c), *v;
	uint8_t key[9];

	*evicted = 0;
	pthread_mutex_lock(&e->lock);
	e->conns++;
	if (c != NULL) {
		c->fd = fd;
		if (masa_source_key(addr, key))
			c->src = source_ref(e, key);
		if (fd >= 0)
			append(e, c);
		else
			c->evicted = 1;	/* no descriptor to shut down: never listed */
	}
	if (e->mark != 0 && e->conns > e->mark && (v = victim(e, c)) != NULL) {
		unlink_conn(e, v);
		v->evicted = 1;
		(void)shutdown(v->fd, SHUT_RDWR);
		*evicted = 1;
	}
	pthread_mutex_unlock(&e->lock);
	return c;
}

void
masa_evict_busy(struct masa_evict *e, struct masa_evict_conn *c, int busy)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&e->lock);
	if (busy)
		unlink_conn(e, c);
	else if (!c->evicted && !c->listed)
		append(e, c);
	pthread_mutex_unlock(&e->lock);
}

void
masa_evict_closed(struct masa_evict *e, struct masa_evict_conn *c)
{
	pthread_mutex_lock(&e->lock);
	e->conns--;
	if (c != NULL) {
		unlink_conn(e, c);
		source_unref(e, c->src);
	}
	pthread_mutex_unlock(&e->lock);
	free(c);
}
