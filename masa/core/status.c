/* status.c: see status.h. */
#include "status.h"

#include <string.h>

#include "audit.h"
#include "crypto/alg.h"
#include "masa_limits.h"

#define HOUR_S 3600
#define RATE_LIMITED "MASA_E_RATE_LIMITED"

struct history {
	struct masa_status *st;
	int64_t first_s;	/* hours[0].start_s */
};

/* The reason slot of an error name (cut at its first space: "NAME (+3 not
 * audited)"), adding it while there is room; MASA_STATUS_REASONS: other. */
static size_t
reason_slot(struct masa_status *st, const char *detail)
{
	size_t n = strcspn(detail, " "), i;

	if (n >= MASA_STATUS_REASON_MAX)
		n = MASA_STATUS_REASON_MAX - 1;
	for (i = 0; i < st->nreasons; i++)
		if (strlen(st->reasons[i]) == n && memcmp(st->reasons[i], detail, n) == 0)
			return i;
	if (st->nreasons == MASA_STATUS_REASONS)
		return MASA_STATUS_REASONS;
	memcpy(st->reasons[st->nreasons], detail, n);
	st->reasons[st->nreasons][n] = '\0';
	return st->nreasons++;
}

static int
count_entry(void *arg, const struct masa_audit_row *r)
{
	struct history *h = arg;
	struct masa_status *st = h->st;
	struct masa_status_hour *hour;
	int64_t at_s = r->e.at_ms / 1000, i;
	size_t slot;

	if (st->entries_read == MASA_STATUS_AUDIT_MAX) {
		st->truncated = 1;
		return 1;
	}
	st->entries_read++;
	i = (at_s - h->first_s) / HOUR_S;
	if (i < 0 || i >= MASA_STATUS_HOURS)
		return 0;	/* a clock step put it outside the window */
	hour = &st->hours[i];
	if (strcmp(r->e.event, "voucher.issued") == 0) {
		hour->issued++;
	} else if (strcmp(r->e.event, "voucher.refused") == 0 && r->e.detail != NULL) {
		if (strncmp(r->e.detail, RATE_LIMITED, sizeof RATE_LIMITED - 1) == 0 &&
		    (r->e.detail[sizeof RATE_LIMITED - 1] == '\0' ||
		    r->e.detail[sizeof RATE_LIMITED - 1] == ' ')) {
			hour->rate_limited++;
		} else {
			slot = reason_slot(st, r->e.detail);
			hour->refused[slot]++;
			st->other_reasons |= slot == MASA_STATUS_REASONS;
		}
	}
	return 0;
}

/* The signing key and the two certificates. */
static void
keys(struct masa_status *st, const struct masa_signer *signer, struct masa_bytes cert_der,
    const char *tls_cert_path)
{
	uint8_t spki[MASA_SPKI_MAX];
	size_t len;

	if (signer != NULL && masa_signer_public_der(signer, spki, sizeof spki, &len) == MASA_OK) {
		st->signing_alg = masa_alg_name(masa_signer_alg(signer));
		st->signing_where = masa_signer_where(signer);
		masa_sha256((struct masa_bytes){ spki, len }, st->signing_spki_sha256);
	}
	st->have_signing_cert = cert_der.len > 0 &&
	    masa_cert_info_der(cert_der, &st->signing_cert) == MASA_OK;
	st->have_tls_cert = tls_cert_path != NULL && tls_cert_path[0] != '\0' &&
	    masa_cert_info_pem_file(tls_cert_path, &st->tls_cert) == MASA_OK;
}

enum masa_err
masa_status_collect(struct masa_db *db, const struct masa_signer *signer,
    struct masa_bytes signing_cert_der, const char *tls_cert_path, int64_t now_ms,
    int64_t started_ms, struct masa_status *out)
{
	struct history h;
	struct masa_txn *t = NULL;
	enum masa_err rc;
	size_t i;

	memset(out, 0, sizeof *out);
	out->now_s = now_ms / 1000;
	out->uptime_s = (now_ms - started_ms) / 1000;
	out->backend = masa_db_backend_name(db);
	h.st = out;
	h.first_s = (out->now_s / HOUR_S - (MASA_STATUS_HOURS - 1)) * HOUR_S;
	for (i = 0; i < MASA_STATUS_HOURS; i++)
		out->hours[i].start_s = h.first_s + (int64_t)i * HOUR_S;
	keys(out, signer, signing_cert_der, tls_cert_path);
	rc = masa_db_begin(db, 0, &t);
	if (rc == MASA_OK) {
		rc = masa_store_summary(t, &out->store);
		out->have_summary = rc == MASA_OK;
		if (rc == MASA_E_NOT_FOUND)
			rc = MASA_OK;
	}
	if (rc == MASA_OK)
		rc = masa_audit_recent(t, h.first_s * 1000, count_entry, &h);
	masa_db_rollback(t);
	return rc;
}
