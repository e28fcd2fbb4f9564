/*
 * auth.c: see auth.h. The throttle is a fixed table (no allocation per
 * attacker): open addressing over MASA_THROTTLE_SLOTS entries keyed by
 * "ip:<source>" (attempts that name no existing token) or
 * "tok:<token id>@<source>" (wrong secrets for one token from one source).
 * Only a failure takes a slot, an empty or the least recently seen unlocked
 * one of its probe run; a lock is never evicted, and when a run holds
 * nothing but locks the failure goes uncounted (fail open): a full table
 * never refuses anyone it has not seen fail (security review F4).
 */
#include "auth.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <argon2.h>
#include <openssl/crypto.h>

#include "crypto/rand.h"
#include "netaddr.h"
#include "tokens.h"

#define MASA_THROTTLE_SLOTS 4096
#define MASA_THROTTLE_PROBE 8
#define ID_LEN 16
#define SECRET_LEN 43

struct slot {
	char key[80];
	unsigned failures;
	int64_t last_ms;
	int64_t locked_until_ms;
};

struct masa_auth {
	pthread_mutex_t lock;
	sem_t hashing;
	uint32_t seed;		/* random: collisions cannot be chosen from outside */
	struct slot slots[MASA_THROTTLE_SLOTS];
};

struct masa_auth *
masa_auth_new(void)
{
	struct masa_auth *a = calloc(1, sizeof *a);

	if (a == NULL)
		return NULL;
	if (pthread_mutex_init(&a->lock, NULL) != 0) {
		free(a);
		return NULL;
	}
	if (sem_init(&a->hashing, 0, MASA_AUTH_CONCURRENT_HASHES) != 0) {
		pthread_mutex_destroy(&a->lock);
		free(a);
		return NULL;
	}
	if (masa_rand_bytes((uint8_t *)&a->seed, sizeof a->seed) != MASA_OK) {
		masa_auth_free(a);
		return NULL;
	}
	return a;
}

void
masa_auth_free(struct masa_auth *a)
{
	if (a == NULL)
		return;
	sem_destroy(&a->hashing);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static unsigned
fnv1a(uint32_t seed, const char *s)
{
	unsigned h = 2166136261u ^ seed;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* The slot for key (lock held): found, or with create a fresh one taking
 * the place of an empty or least recently seen unlocked slot in the probe
 * run; NULL when there is none (not found, or a run of locks only). */
static struct slot *
slot_for(struct masa_auth *a, const char *key, int64_t now, int create)
{
	unsigned h = fnv1a(a->seed, key), i;
	struct slot *s, *empty = NULL, *oldest = NULL, *victim;

	for (i = 0; i < MASA_THROTTLE_PROBE; i++) {
		s = &a->slots[(h + i) % MASA_THROTTLE_SLOTS];
		if (strcmp(s->key, key) == 0)
			return s;
		if (s->key[0] == '\0') {
			if (empty == NULL)
				empty = s;
		} else if (s->locked_until_ms <= now && (oldest == NULL || s->last_ms < oldest->last_ms)) {
			oldest = s;
		}
	}
	victim = empty != NULL ? empty : oldest;
	if (victim == NULL || !create)
		return NULL;
	memset(victim, 0, sizeof *victim);
	snprintf(victim->key, sizeof victim->key, "%s", key);
	victim->last_ms = now;
	return victim;
}

/* Milliseconds key is still locked for, or 0. */
static int64_t
locked_for(struct masa_auth *a, const char *key, int64_t now)
{
	struct slot *s;
	int64_t left;

	pthread_mutex_lock(&a->lock);
	s = slot_for(a, key, now, 0);
	left = s != NULL ? s->locked_until_ms - now : 0;	/* never seen: not locked */
	pthread_mutex_unlock(&a->lock);
	return left > 0 ? left : 0;
}

/* 1 if key is locked, with *retry_after_s set to the wait in whole seconds. */
static int
throttled(struct masa_auth *a, const char *key, int64_t now, uint64_t *retry_after_s)
{
	int64_t wait = locked_for(a, key, now);

	if (wait == 0)
		return 0;
	*retry_after_s = (uint64_t)((wait + 999) / 1000);
	return 1;
}

/* Counts a failure against key; the fifth within the window locks it. */
static void
fail(struct masa_auth *a, const char *key, int64_t now)
{
	struct slot *s;

	pthread_mutex_lock(&a->lock);
	s = slot_for(a, key, now, 1);
	if (s != NULL) {
		if (now - s->last_ms > MASA_AUTH_LOCKOUT_MS)
			s->failures = 0;	/* old failures expire */
		s->last_ms = now;
		if (++s->failures >= MASA_AUTH_MAX_FAILURES)
			s->locked_until_ms = now + MASA_AUTH_LOCKOUT_MS;
	}
	pthread_mutex_unlock(&a->lock);
}

/* "Bearer <id>.<secret>" -> id and secret; -1 if malformed. */
static int
parse(const char *h, char id[ID_LEN + 1], const char **secret)
{
	size_t i;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
		return -1;
	h += 7;
	while (*h == ' ')
		h++;
	for (i = 0; i < ID_LEN; i++) {
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return -1;
		id[i] = h[i];
	}
	id[ID_LEN] = '\0';
	if (h[ID_LEN] != '.' || strlen(h + ID_LEN + 1) != SECRET_LEN ||
	    strspn(h + ID_LEN + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != SECRET_LEN)
		return -1;
	*secret = h + ID_LEN + 1;
	return 0;
}

static unsigned
role_bit(const char *role)
{
	if (strcmp(role, "admin") == 0)
		return MASA_ROLE_ADMIN;
	if (strcmp(role, "factory") == 0)
		return MASA_ROLE_FACTORY;
	if (strcmp(role, "auditor") == 0)
		return MASA_ROLE_AUDITOR;
	return 0;
}

/* The throttle key of a peer: the IPv4 address (also when mapped into
 * IPv6, "::ffff:a.b.c.d"), or the IPv6 /64 (one host is routinely given a
 * whole /64, so single addresses are free). */
static void
source_key(const char *peer, char *out, size_t cap)
{
	char net[64];

	if (strchr(peer, ':') != NULL && strchr(peer, '.') == NULL &&
	    masa_netaddr_net(peer, net, sizeof net) == 0)
		snprintf(out, cap, "ip:%s", net);
	else
		snprintf(out, cap, "ip:%s", peer);
}

enum masa_err
masa_auth_check(struct masa_auth *a, struct masa_db *db, const char *authorization,
    const char *peer, int64_t now_ms, struct masa_principal *out, int *hashed,
    uint64_t *retry_after_s)
{
	char src_key[80], tok_key[128], id[ID_LEN + 1];
	struct masa_token_row row;
	struct masa_txn *t = NULL;
	const char *secret = NULL;
	enum masa_err rc = MASA_E_NOT_FOUND;
	int ok;

	*hashed = 0;
	source_key(peer, src_key, sizeof src_key);
	if (parse(authorization, id, &secret) == 0) {
		rc = masa_db_begin(db, 0, &t);
		if (rc == MASA_OK)
			rc = masa_store_token_get(t, id, &row);
		masa_db_rollback(t);
		if (rc != MASA_OK && rc != MASA_E_NOT_FOUND)
			return rc;
	}
	if (rc == MASA_E_NOT_FOUND) {	/* names no token: counted against the source */
		if (throttled(a, src_key, now_ms, retry_after_s))
			return MASA_E_THROTTLED;
		fail(a, src_key, now_ms);
		return MASA_E_UNAUTHENTICATED;
	}
	/* A real token's wrong secrets lock that token at that source only: no
	 * one elsewhere can lock a valid token out (review F6). */
	snprintf(tok_key, sizeof tok_key, "tok:%s@%s", id, src_key + 3);
	if (throttled(a, tok_key, now_ms, retry_after_s)) {
		OPENSSL_cleanse(row.hash, sizeof row.hash);
		return MASA_E_THROTTLED;
	}
	sem_wait(&a->hashing);
	/* Failures recorded while this request queued count, and a failure is
	 * recorded before the next hash may start: a burst of concurrent
	 * guesses gets at most MASA_AUTH_CONCURRENT_HASHES - 1 hashes past
	 * the limit, not one per request in the burst. */
	if (throttled(a, tok_key, now_ms, retry_after_s)) {
		rc = MASA_E_THROTTLED;
	} else {
		ok = argon2id_verify(row.hash, secret, SECRET_LEN) == ARGON2_OK &&
		    role_bit(row.role) != 0;
		*hashed = 1;
		if (!ok)
			fail(a, tok_key, now_ms);
		rc = ok ? MASA_OK : MASA_E_UNAUTHENTICATED;
	}
	sem_post(&a->hashing);
	OPENSSL_cleanse(row.hash, sizeof row.hash);
	if (rc != MASA_OK)
		return rc;
	snprintf(out->token_id, sizeof out->token_id, "%s", id);
	out->role = role_bit(row.role);
	return MASA_OK;
}
