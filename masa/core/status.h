/* status.h: what the status page (GET /status on the admin listener)
 * shows: the build, uptime, the store, the keys and their certificates,
 * and 48 hours of vouchers issued, refusals by reason and 429s per hour,
 * counted from the audit trail (newest first, at most
 * MASA_STATUS_AUDIT_MAX entries). Read-only; no HTTP, no HTML. */
#ifndef MASA_STATUS_H
#define MASA_STATUS_H

#include <stdint.h>

#include "attr.h"
#include "bytes.h"
#include "crypto/certinfo.h"
#include "crypto/signer.h"
#include "crypto/x509.h"
#include "devices_view.h"
#include "store.h"

#define MASA_STATUS_HOURS 48
#define MASA_STATUS_REASONS 8	/* refusal reasons told apart; more count as "other" */
#define MASA_STATUS_REASON_MAX 48

struct masa_status_hour {
	int64_t start_s;	/* the hour's first second (UTC) */
	uint32_t issued;	/* voucher.issued */
	uint32_t rate_limited;	/* voucher.refused with MASA_E_RATE_LIMITED: the 429s */
	uint32_t refused[MASA_STATUS_REASONS + 1];	/* other refusals by reason; last: other */
};

struct masa_status {
	int64_t now_s, uptime_s;
	const char *backend;		/* "SQLite" */
	int have_summary;		/* the backend gave store below */
	struct masa_store_summary store;
	const char *signing_alg;	/* NULL without a signing key */
	const char *signing_where;	/* its file or key reference */
	uint8_t signing_spki_sha256[MASA_SHA256_LEN];
	int have_signing_cert, have_tls_cert;
	struct masa_cert_info signing_cert, tls_cert;
	char reasons[MASA_STATUS_REASONS][MASA_STATUS_REASON_MAX];	/* error names */
	size_t nreasons;
	int other_reasons;		/* refused[MASA_STATUS_REASONS] counted something */
	struct masa_status_hour hours[MASA_STATUS_HOURS];	/* oldest first; the last is now's */
	int64_t entries_read;		/* audit entries read for the history */
	int truncated;			/* stopped at MASA_STATUS_AUDIT_MAX */
};

/* Fills out at now_ms for a process started at started_ms: one read
 * transaction on db, the signer's public key (signer may be NULL), the
 * signing certificate's DER (may be empty) and the TLS certificate file. */
MASA_NODISCARD enum masa_err masa_status_collect(struct masa_db *db,
    const struct masa_signer *signer, struct masa_bytes signing_cert_der,
    const char *tls_cert_path, int64_t now_ms, int64_t started_ms, struct masa_status *out);

#endif
