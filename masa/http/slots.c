/* slots.c: see slots.h. A fixed open-addressing table of /64 prefixes and
 * their counts under one mutex: taken once per connection, not per request. */
#include "slots.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 4096	/* /64s with connections at once; past it, a new /64 is refused */
#define PROBE 16

struct entry {
	uint8_t net[8];
	unsigned count;		/* 0: free */
};

struct masa_slots {
	pthread_mutex_t lock;
	unsigned limit;
	struct entry e[SLOTS];
};

struct masa_slots *
masa_slots_new(unsigned limit)
{
	struct masa_slots *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->limit = limit;
	return s;
}

void
masa_slots_free(struct masa_slots *s)
{
	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int
masa_source_key(const struct sockaddr *addr, uint8_t key[9])
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)(const void *)addr;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)(const void *)addr;
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memset(key, 0, 9);
	if (addr == NULL)
		return 0;
	if (addr->sa_family == AF_INET) {
		key[0] = 4;
		memcpy(key + 1, &a4->sin_addr, 4);
		return 1;
	}
	if (addr->sa_family != AF_INET6)
		return 0;
	if (memcmp(a6->sin6_addr.s6_addr, v4mapped, sizeof v4mapped) == 0) {
		key[0] = 4;
		memcpy(key + 1, a6->sin6_addr.s6_addr + 12, 4);
	} else {
		key[0] = 6;
		memcpy(key + 1, a6->sin6_addr.s6_addr, 8);
	}
	return 1;
}

/* The /64 of addr into net; 0 for an address this table does not count
 * (IPv4 ones are left to the library's per-address limit). */
static int
net64(const struct sockaddr *addr, uint8_t net[8])
{
	uint8_t key[9];

	if (!masa_source_key(addr, key) || key[0] != 6)
		return 0;
	memcpy(net, key + 1, 8);
	return 1;
}

/* The entry of net (lock held): found, or with create a free one; NULL. */
static struct entry *
find(struct masa_slots *s, const uint8_t net[8], int create)
{
	struct entry *free_e = NULL, *e;
	uint64_t h;
	size_t i;

	memcpy(&h, net, sizeof h);
	h ^= h >> 29;
	h *= 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < PROBE; i++) {
		e = &s->e[(h + i) % SLOTS];
		if (e->count > 0 && memcmp(e->net, net, 8) == 0)
			return e;
		if (e->count == 0 && free_e == NULL)
			free_e = e;
	}
	if (!create || free_e == NULL)
		return NULL;
	memcpy(free_e->net, net, 8);
	return free_e;
}

int
masa_slots_allow(struct masa_slots *s, const struct sockaddr *addr)
{
	uint8_t net[8];
	struct entry *e;
	int ok;

	if (!net64(addr, net))
		return 1;
	pthread_mutex_lock(&s->lock);
	e = find(s, net, 1);	/* room for it, or the table is full: refused */
	ok = e != NULL && e->count < s->limit;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void
masa_slots_count(struct masa_slots *s, const struct sockaddr *addr, int delta)
{
	uint8_t net[8];
	struct entry *e;

	if (!net64(addr, net))
		return;
	pthread_mutex_lock(&s->lock);
	e = find(s, net, delta > 0);
	if (e != NULL && delta > 0)
		e->count++;
	else if (e != NULL && e->count > 0)
		e->count--;
	pthread_mutex_unlock(&s->lock);
}
