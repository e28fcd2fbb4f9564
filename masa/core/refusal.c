/* refusal.c: see refusal.h. */
#include "refusal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "log.h"
#include "masa_limits.h"
#include "timeutil.h"

struct masa_refusal {
	enum masa_event ev;
	const struct masa_vreq_raw *v;
	const struct masa_registrar *reg;
	const char *peer;
	enum masa_err why;
	uint64_t skipped;	/* refusals of reg not audited before this one */
	char serial[MASA_SERIAL_MAX + 1];
};

static atomic_llong space_checked_ms;
static atomic_int space_low;

int
masa_refusal_space_low(void)
{
	return atomic_load_explicit(&space_low, memory_order_relaxed);
}

/* Whether db is under reserve_mb of free space, looked at once a second. */
static int
under_reserve(struct masa_db *db, uint64_t reserve_mb)
{
	long long now = masa_now_ms(), last = atomic_load(&space_checked_ms);
	uint64_t free_b;
	int low, was;

	if (now - last < 1000 || !atomic_compare_exchange_strong(&space_checked_ms, &last, now))
		return masa_refusal_space_low();
	if (masa_db_free_bytes(db, &free_b) != MASA_OK)
		return masa_refusal_space_low();
	low = free_b < reserve_mb * 1024 * 1024;
	was = atomic_exchange(&space_low, low);
	if (low != was)
		masa_log_event(low ? "warn" : "info", low ?
		    "the store has %llu MiB free, under limits.store_reserve_mb (%llu): refusals are "
		    "no longer audited, the space is kept for issuance" :
		    "the store has %llu MiB free again (limits.store_reserve_mb %llu): refusals are "
		    "audited again", (unsigned long long)(free_b >> 20),
		    (unsigned long long)reserve_mb);
	return low;
}

int
masa_refusal_allowed(const struct masa_app *app, const uint8_t sha256[MASA_SHA256_LEN],
    const char *peer, uint64_t *skipped)
{
	const struct masa_config *cfg = app->cfg;
	struct masa_refusal_rates r;

	r.burst = cfg->limits.refusal_audit_burst;
	r.per_hour = cfg->limits.refusal_audit_per_hour;
	r.per_s = cfg->limits.refusal_audit_per_s;
	r.space_low = cfg->limits.store_reserve_mb > 0 && app->db != NULL &&
	    under_reserve(app->db, cfg->limits.store_reserve_mb);
	return masa_refusal_admit(&r, sha256, peer, masa_now_ms(), skipped);
}

void
masa_refusal_detail(enum masa_err why, uint64_t skipped, char *out, size_t cap)
{
	if (skipped > 0)
		snprintf(out, cap, "%s (+%llu not audited)", masa_err_name(why),
		    (unsigned long long)skipped);
	else
		snprintf(out, cap, "%s", masa_err_name(why));
}

enum masa_err
masa_refusal_new(const struct masa_app *app, enum masa_event ev,
    const struct masa_vreq_raw *v, const struct masa_registrar *reg, const char *peer,
    enum masa_err why, struct masa_refusal **out)
{
	struct masa_refusal *r;
	uint64_t skipped = 0;
	size_t n;

	*out = NULL;
	if (reg == NULL || !masa_refusal_allowed(app, reg->sha256, peer, &skipped))
		return MASA_E_NOT_FOUND;
	r = calloc(1, sizeof *r);
	if (r == NULL) {
		masa_log_event("error", "cannot audit a refusal (%s): %s", masa_err_name(why),
		    masa_err_name(MASA_E_NOMEM));
		return MASA_E_NOMEM;
	}
	r->ev = ev;
	r->v = v;
	r->reg = reg;
	r->peer = peer;
	r->why = why;
	r->skipped = skipped;
	if (v != NULL && v->r.serial.ptr != NULL) {
		n = v->r.serial.len <= MASA_SERIAL_MAX ? v->r.serial.len : 0;
		memcpy(r->serial, v->r.serial.ptr, n);
	}
	*out = r;
	return MASA_OK;
}

enum masa_err
masa_refusal_store(struct masa_txn *t, void *arg)
{
	const struct masa_refusal *r = arg;
	struct masa_event_fields f = { 0 };
	char detail[96];

	f.serial = r->serial;
	f.registrar_sha256 = r->reg->sha256;
	if (r->v != NULL)
		f.nonce = r->v->r.nonce;
	f.source = r->peer;
	masa_refusal_detail(r->why, r->skipped, detail, sizeof detail);
	f.detail = detail;
	return masa_event_append(t, r->ev, &f);
}

enum masa_err
masa_refusal_outcome(const struct masa_refusal *r, enum masa_err stored)
{
	if (stored != MASA_OK)
		masa_log_event("error", "cannot audit a refusal (%s): %s", masa_err_name(r->why),
		    masa_err_name(stored));
	return r->why;
}

void
masa_refusal_free(struct masa_refusal *r)
{
	free(r);
}
