/* status_json.c: the status page as JSON (GET /status?format=json). */
#include "status_view.h"

#include "encode.h"
#include "timeutil.h"

/* {"subject", "not-before", "not-after", "days-left"}, or null. */
static json_t *
cert_json(int have, const struct masa_cert_info *c, int64_t now_s)
{
	char nb[MASA_RFC3339_LEN], na[MASA_RFC3339_LEN];

	if (!have)
		return json_null();
	masa_rfc3339_s(c->not_before_s * 1000, nb);
	masa_rfc3339_s(c->not_after_s * 1000, na);
	return json_pack("{s:s, s:s, s:s, s:I}", "subject", c->subject, "not-before", nb,
	    "not-after", na, "days-left", (json_int_t)((c->not_after_s - now_s) / 86400));
}

static json_t *
keys_json(const struct masa_status *st)
{
	char hex[2 * MASA_SHA256_LEN + 1];

	masa_hex(st->signing_spki_sha256, sizeof st->signing_spki_sha256, hex);
	return json_pack("[{s:s, s:s?, s:s?, s:s?, s:o}, {s:s, s:o}]",
	    "use", "voucher-signing", "algorithm", st->signing_alg, "where", st->signing_where,
	    "spki-sha256", st->signing_alg != NULL ? hex : NULL,
	    "certificate", cert_json(st->have_signing_cert, &st->signing_cert, st->now_s),
	    "use", "tls",
	    "certificate", cert_json(st->have_tls_cert, &st->tls_cert, st->now_s));
}

/* One hour: {"hour", "issued", "rate-limited", "refused": {reason: n}}. */
static json_t *
hour_json(const struct masa_status *st, const struct masa_status_hour *h)
{
	char when[MASA_RFC3339_LEN];
	json_t *refused = json_object(), *o;
	size_t i;

	masa_rfc3339_s(h->start_s * 1000, when);
	for (i = 0; refused != NULL && i <= MASA_STATUS_REASONS; i++)
		if (h->refused[i] > 0)
			json_object_set_new(refused, i < st->nreasons ? st->reasons[i] : "other",
			    json_integer(h->refused[i]));
	o = json_pack("{s:s, s:I, s:I, s:o}", "hour", when, "issued", (json_int_t)h->issued,
	    "rate-limited", (json_int_t)h->rate_limited, "refused", refused);
	return o;
}

json_t *
masa_status_json(const struct masa_status *st, const char *version)
{
	char now[MASA_RFC3339_LEN];
	json_t *hours = json_array(), *reasons = json_array(), *store, *doc;
	size_t i;

	for (i = 0; hours != NULL && i < MASA_STATUS_HOURS; i++)
		json_array_append_new(hours, hour_json(st, &st->hours[i]));
	for (i = 0; reasons != NULL && i < st->nreasons; i++)
		json_array_append_new(reasons, json_string(st->reasons[i]));
	if (reasons != NULL && st->other_reasons)
		json_array_append_new(reasons, json_string("other"));
	store = st->have_summary ?
	    json_pack("{s:s, s:I, s:I, s:I, s:I}", "backend", st->backend,
	    "bytes", (json_int_t)st->store.bytes, "devices", (json_int_t)st->store.devices,
	    "owners", (json_int_t)st->store.owners, "registrars", (json_int_t)st->store.registrars) :
	    json_pack("{s:s}", "backend", st->backend);
	masa_rfc3339_s(st->now_s * 1000, now);
	doc = json_pack("{s:s, s:s, s:I, s:o, s:o, s:{s:I, s:o, s:o, s:I, s:b}}",
	    "version", version, "now", now, "uptime-s", (json_int_t)st->uptime_s,
	    "store", store, "keys", keys_json(st),
	    "history", "hours", (json_int_t)MASA_STATUS_HOURS, "reasons", reasons,
	    "series", hours, "audit-entries-read", (json_int_t)st->entries_read,
	    "truncated", st->truncated);
	return doc;
}
