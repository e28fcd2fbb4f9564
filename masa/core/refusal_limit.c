/* refusal_limit.c: see refusal_limit.h. The buckets live in one fixed
 * table, keyed by SHA-256 (of the registrar key, or of "net:" and the
 * source's network), probed linearly over a short window; a key that finds
 * no room takes the slot seen least recently in its window. One mutex: this
 * runs only for refusals of verified registrars. */
#include "refusal_limit.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "masa_limits.h"
#include "netaddr.h"

#define SLOTS 4096
#define WINDOW 16

struct slot {
	uint8_t id[MASA_SHA256_LEN];
	int used;
	int64_t tokens_ms;	/* tokens, as ms of refill (1 token = 3,600,000 / per_hour ms) */
	int64_t last_ms;
	uint64_t skipped;	/* refusals of this key not audited since its last entry */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[SLOTS];
static int64_t global_tokens_ms = -1, global_last_ms;	/* -1: not started (full) */
static atomic_ullong unaudited;

/* The slot for id: found, or else an empty one or the least recently
 * seen of its window, taken over with a full bucket. */
static struct slot *
slot_for(const uint8_t id[MASA_SHA256_LEN], int64_t now, int64_t full)
{
	struct slot *s, *pick = NULL;
	size_t h, i;

	memcpy(&h, id, sizeof h);
	for (i = 0; i < WINDOW; i++) {
		s = &slots[(h + i) % SLOTS];
		if (s->used && memcmp(s->id, id, MASA_SHA256_LEN) == 0)
			return s;
		if (pick == NULL || (pick->used && (!s->used || s->last_ms < pick->last_ms)))
			pick = s;
	}
	memset(pick, 0, sizeof *pick);
	memcpy(pick->id, id, MASA_SHA256_LEN);
	pick->used = 1;
	pick->tokens_ms = full;
	pick->last_ms = now;
	return pick;
}

/* Refills a bucket to now; 1 if it holds a token (unit ms of refill). */
static int
has_token(int64_t *tokens_ms, int64_t *last_ms, int64_t now, int64_t full, int64_t unit)
{
	if (now > *last_ms)
		*tokens_ms += now - *last_ms;
	*last_ms = now;
	if (*tokens_ms > full)
		*tokens_ms = full;
	return *tokens_ms >= unit;
}

int
masa_refusal_admit(const struct masa_refusal_rates *r, const uint8_t sha256[MASA_SHA256_LEN],
    const char *source, int64_t now, uint64_t *skipped)
{
	uint8_t net_id[MASA_SHA256_LEN];
	char net[MASA_HOST_MAX + 8] = "net:";
	struct slot *k, *n;
	int64_t unit, full, gunit, gfull;
	int ok;

	if (r->per_hour == 0 || r->per_s == 0 || r->space_low) {
		atomic_fetch_add_explicit(&unaudited, 1, memory_order_relaxed);
		return 0;
	}
	unit = 3600000 / (int64_t)r->per_hour;
	full = unit * (int64_t)r->burst;
	gunit = 1000 / (int64_t)r->per_s > 0 ? 1000 / (int64_t)r->per_s : 1;
	gfull = gunit * 60 * (int64_t)r->per_s;
	if (masa_netaddr_net(source, net + 4, sizeof net - 4) != 0)
		snprintf(net + 4, sizeof net - 4, "%s", source);
	masa_sha256((struct masa_bytes){ (const uint8_t *)net, strlen(net) }, net_id);

	pthread_mutex_lock(&lock);
	if (global_tokens_ms < 0) {
		global_tokens_ms = gfull;
		global_last_ms = now;
	}
	k = slot_for(sha256, now, full);
	n = slot_for(net_id, now, full);
	ok = has_token(&k->tokens_ms, &k->last_ms, now, full, unit) &&
	    has_token(&n->tokens_ms, &n->last_ms, now, full, unit) &&
	    has_token(&global_tokens_ms, &global_last_ms, now, gfull, gunit);
	if (ok) {
		k->tokens_ms -= unit;
		n->tokens_ms -= unit;
		global_tokens_ms -= gunit;
		*skipped = k->skipped;
		k->skipped = 0;
	} else {
		k->skipped++;
	}
	pthread_mutex_unlock(&lock);
	if (!ok)
		atomic_fetch_add_explicit(&unaudited, 1, memory_order_relaxed);
	return ok;
}

uint64_t
masa_refusal_unaudited(void)
{
	return atomic_load_explicit(&unaudited, memory_order_relaxed);
}
