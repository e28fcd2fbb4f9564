/* issue.c: see issue.h. */
#include "issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "errors.h"
#include "masa_limits.h"
#include "log.h"
#include "netaddr.h"
#include "policy.h"
#include "audit.h"
#include "rows.h"
#include "timeutil.h"
#include "voucher.h"

#define DOMAIN_ID_MAX 64

/* Everything the write transaction learns about the request's subjects. */
struct facts {
	struct masa_device dev;
	struct masa_registrar_row reg;
	int reg_known;
	char net[MASA_STORE_TEXT_MAX + 1];	/* the peer's /24 or /64, or "" */
	struct masa_policy_state st;
};

/* The serial-number leaf as a C string (vreq.c bounds it). */
static void
serial_of(const struct masa_vreq_raw *v, char out[MASA_SERIAL_MAX + 1])
{
	size_t n = v->r.serial.len <= MASA_SERIAL_MAX ? v->r.serial.len : 0;

	memcpy(out, v->r.serial.ptr, n);
	out[n] = '\0';
}

/* Appends an audit entry inside t. */
static enum masa_err
audit(struct masa_txn *t, int64_t now, const char *event, const char *serial,
    const struct masa_registrar *reg, const struct masa_vreq_raw *v, int assertion,
    const char *peer, const char *detail)
{
	struct masa_audit_entry e;

	memset(&e, 0, sizeof e);
	e.at_ms = now;
	e.event = event;
	e.serial = serial != NULL && serial[0] != '\0' ? serial : NULL;
	if (reg != NULL) {
		e.registrar_sha256.ptr = reg->sha256;
		e.registrar_sha256.len = sizeof reg->sha256;
	}
	if (v != NULL)
		e.nonce = v->r.nonce;
	e.assertion = assertion;
	e.source = peer;
	e.detail = detail;
	return masa_audit_append(t, &e);
}

/* Reads what policy needs, inside t. */
static enum masa_err
gather(struct masa_txn *t, const char *serial, const struct masa_registrar *reg,
    const char *peer, struct facts *f)
{
	enum masa_err rc;
	int64_t owner;

	memset(f, 0, sizeof *f);
	if (masa_netaddr_net(peer, f->net, sizeof f->net) != 0)
		f->net[0] = '\0';
	rc = masa_store_device_get(t, serial, &f->dev);
	if (rc == MASA_E_NOT_FOUND)
		return MASA_OK;	/* device_found stays 0 */
	if (rc != MASA_OK)
		return rc;
	f->st.device_found = 1;
	f->st.device_retired = f->dev.retired;
	rc = masa_store_registrar_get(t, reg->sha256, &f->reg);
	if (rc != MASA_OK && rc != MASA_E_NOT_FOUND)
		return rc;
	f->reg_known = rc == MASA_OK;
	owner = f->dev.owner_id;
	f->st.pinned = f->dev.pinned_registrar_id != 0;
	f->st.pinned_is_this = f->reg_known && f->dev.pinned_registrar_id == f->reg.id;
	f->st.registrar_is_owner = f->reg_known && owner != 0 && f->reg.owner_id == owner;
	f->st.net_known = f->reg_known && f->reg.first_seen_net[0] != '\0';
	f->st.net_matches = f->st.net_known && strcmp(f->reg.first_seen_net, f->net) == 0;
	rc = masa_store_is_blocked(t, reg->sha256, &f->st.registrar_blocked);
	if (rc == MASA_OK)
		rc = masa_store_bucket_get(t, f->dev.id, &f->st.tat_ms, &f->st.has_bucket);
	return rc;
}

/* RFC 8995 §5.8.2 domainID of what is pinned: the certificate's subject
 * key identifier, else base64 of the SHA-256 of the pinned SPKI. */
static void
domain_id(const struct masa_registrar *reg, int pin_cert, char out[DOMAIN_ID_MAX])
{
	if (!pin_cert || masa_x509_ski_base64(reg->cert, out, DOMAIN_ID_MAX) != MASA_OK)
		masa_b64(reg->sha256, sizeof reg->sha256, out);
}

/* A voucher request's trip through the store (issue.h): the issuance, or
 * the audit entry of a refusal. */
struct masa_issuing {
	struct masa_app *app;
	const struct masa_vreq_raw *v;
	const struct masa_registrar *reg;
	const struct masa_answer *answer;
	const char *peer;
	const char *event;	/* a refusal's audit event, or NULL for an issuance */
	enum masa_err why;	/* the refusal */
	char serial[MASA_SERIAL_MAX + 1];
	struct masa_policy_request req;
	uint8_t req_hash[MASA_SHA256_LEN];	/* of the request's bytes */
	int pin_cert;
	char domain_id[DOMAIN_ID_MAX];	/* of what the voucher pins */
	/* signed before the transaction, on the terms masa_policy_terms gave */
	struct masa_buf presigned;
	int pre_assertion;
	int64_t pre_expires_ms;
	/* out */
	enum masa_err refusal;	/* the policy's answer, audited */
	int use_presigned;	/* the voucher is presigned, else voucher */
	struct masa_buf voucher;
	int replayed;
	int assertion;		/* of a new voucher */
	uint64_t retry_after_s;
};

/* Records the issued voucher: registrar, pin, bucket, voucher row, audit. */
static enum masa_err
record(struct masa_txn *t, const struct masa_issuing *j, struct facts *f,
    const struct masa_decision *d, struct masa_bytes voucher)
{
	const struct masa_registrar *reg = j->reg;
	const char *media = j->answer->voucher_type;
	int64_t now = j->req.now_ms;
	struct masa_voucher_row row;
	enum masa_err rc = MASA_OK;

	if (!f->reg_known)
		rc = masa_store_registrar_add(t, reg->sha256,
		    (struct masa_bytes){ reg->spki, reg->spki_len }, 0, f->net, now, &f->reg.id);
	else if (f->reg.first_seen_net[0] == '\0' && f->net[0] != '\0')
		rc = masa_store_registrar_first_net(t, f->reg.id, f->net);	/* an owner's key */
	if (rc == MASA_OK && d->pin_registrar)
		rc = masa_store_device_set_pin(t, f->dev.id, f->reg.id);
	if (rc == MASA_OK)
		rc = masa_store_bucket_set(t, f->dev.id, d->tat_ms);
	if (rc != MASA_OK)
		return rc;
	memset(&row, 0, sizeof row);
	row.device_id = f->dev.id;
	row.registrar_id = f->reg.id;
	memcpy(row.request_sha256, j->req_hash, sizeof row.request_sha256);
	row.domain_id = j->domain_id;
	row.nonce = j->v->r.nonce;
	row.assertion = d->assertion;
	row.media_type = media;
	row.voucher = voucher;
	row.created_ms = now;
	row.expires_ms = d->expires_ms;
	rc = masa_store_voucher_add(t, &row);
	if (rc == MASA_OK)
		rc = audit(t, now, "voucher.issued", j->serial, reg, j->v, d->assertion, j->peer,
		    media);
	return rc;
}

/* Verifies the PVR against the enrolled key, outside any write lock. */
static enum masa_err
check_pvr(struct masa_app *app, const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    const char *serial, int *verified)
{
	struct masa_device dev;
	struct masa_txn *t = NULL;
	enum masa_err rc;

	*verified = 0;
	if (!v->has_pvr)
		return MASA_OK;
	rc = masa_db_begin_single(app->db, &t);
	if (rc != MASA_OK)
		return rc;
	rc = masa_store_device_get(t, serial, &dev);
	masa_db_rollback(t);
	if (rc == MASA_E_NOT_FOUND || (rc == MASA_OK && dev.retired))
		return MASA_E_UNKNOWN_DEVICE;
	if (rc != MASA_OK)
		return rc;
	rc = masa_vreq_verify_pvr(v, (struct masa_bytes){ dev.pubkey, dev.pubkey_len }, reg);
	*verified = rc == MASA_OK;
	return rc;
}

/* A byte-identical retry gets its stored, unexpired voucher without a
 * token, if policy would still issue (an empty bucket aside): MASA_OK with
 * j->replayed set, MASA_E_NOT_FOUND when there is none. */
static enum masa_err
replay(struct masa_txn *t, struct masa_issuing *j, const struct facts *f)
{
	const struct masa_policy_config *cfg = &j->app->cfg->policy;
	char media[64];
	enum masa_err rc;

	rc = masa_store_voucher_find_retry(t, f->dev.id, f->reg.id, j->req_hash,
	    j->req.now_ms - (int64_t)cfg->retry_window_s * 1000, j->req.now_ms, &j->voucher,
	    media, sizeof media);
	if (rc == MASA_OK)
		rc = audit(t, j->req.now_ms, "voucher.replayed", j->serial, j->reg, j->v, -1,
		    j->peer, media);
	if (rc == MASA_OK)
		j->replayed = 1;
	return rc;
}

/* Signs the voucher for j on the given terms into out. */
static enum masa_err
sign_voucher(const struct masa_issuing *j, int assertion, int64_t expires_ms, struct masa_buf *out)
{
	struct masa_voucher_in vin;

	memset(&vin, 0, sizeof vin);
	vin.assertion = assertion;
	vin.created_ms = j->req.now_ms;
	vin.expires_ms = expires_ms;
	vin.nonce = j->v->r.nonce;
	vin.serial = j->v->r.serial;
	vin.pin = j->pin_cert ? j->reg->cert :
	    (struct masa_bytes){ j->reg->spki, j->reg->spki_len };
	vin.pin_cert = j->pin_cert;
	return masa_voucher_sign(&vin, j->app->signer, j->app->masa_cert, out);
}

/* gather -> decide -> replay, refuse or record the voucher signed
 * beforehand; runs in the batch's transaction, so everything it writes
 * commits together or not at all. The signature is made outside, since
 * this runs serialised with every other change of the batch. */
static enum masa_err
issue_change(struct masa_txn *t, struct masa_issuing *j)
{
	const struct masa_policy_config *cfg = &j->app->cfg->policy;
	struct masa_decision d;
	struct masa_bytes voucher;
	struct facts f;
	enum masa_err rc = MASA_OK;

	masa_buf_truncate(&j->voucher, 0);
	j->use_presigned = 0;
	j->replayed = 0;
	j->refusal = MASA_OK;
	rc = gather(t, j->serial, j->reg, j->peer, &f);
	if (rc != MASA_OK)
		return rc;
	masa_policy_decide(cfg, &f.st, &j->req, &d);
	if (f.reg_known && (d.refusal == MASA_OK || d.refusal == MASA_E_RATE_LIMITED)) {
		rc = replay(t, j, &f);
		if (rc != MASA_E_NOT_FOUND)
			return rc;
	}
	if (d.refusal != MASA_OK) {
		j->refusal = d.refusal;
		j->retry_after_s = d.retry_after_s;
		return audit(t, j->req.now_ms, "voucher.refused", j->serial, j->reg, j->v, -1,
		    j->peer, masa_err_name(d.refusal));
	}
	rc = MASA_OK;
	j->assertion = d.assertion;
	/* The terms cannot differ (masa_policy_terms), but the voucher is
	 * never issued on terms the decision did not give. */
	j->use_presigned = j->presigned.len > 0 && d.assertion == j->pre_assertion &&
	    d.expires_ms == j->pre_expires_ms;
	if (!j->use_presigned)
		rc = sign_voucher(j, d.assertion, d.expires_ms, &j->voucher);
	voucher = masa_buf_view(j->use_presigned ? &j->presigned : &j->voucher);
	if (rc == MASA_OK)
		rc = record(t, j, &f, &d, voucher);
	return rc;
}

enum masa_err
masa_issue_store(struct masa_txn *t, void *arg)
{
	struct masa_issuing *j = arg;

	if (j->event != NULL)
		return audit(t, masa_now_ms(), j->event, j->serial, j->reg, j->v, -1, j->peer,
		    masa_err_name(j->why));
	return issue_change(t, j);
}

/* A new, empty masa_issuing; NULL if out of memory. */
static struct masa_issuing *
issuing_new(struct masa_app *app, const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    const char *peer)
{
	struct masa_issuing *j = calloc(1, sizeof *j);

	if (j == NULL)
		return NULL;
	j->app = app;
	j->v = v;
	j->reg = reg;
	j->peer = peer;
	masa_buf_init(&j->voucher, 64 * 1024);
	masa_buf_init(&j->presigned, 64 * 1024);
	if (v != NULL && v->r.serial.ptr != NULL)
		serial_of(v, j->serial);
	return j;
}

enum masa_err
masa_issue_refusal(struct masa_app *app, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const char *peer, const char *event, enum masa_err why,
    struct masa_issuing **out)
{
	struct masa_issuing *j;

	*out = NULL;
	/* Only a request whose registrar signature verified is attributable;
	 * auditing anonymous garbage would let anyone grow the append-only
	 * trail without bound. Those refusals are in the request log. */
	if (reg == NULL)
		return MASA_E_NOT_FOUND;
	j = issuing_new(app, v, reg, peer);
	if (j == NULL) {
		masa_log_event("error", "cannot audit a refusal (%s): %s", masa_err_name(why),
		    masa_err_name(MASA_E_NOMEM));
		return MASA_E_NOMEM;
	}
	j->event = event;
	j->why = why;
	*out = j;
	return MASA_OK;
}

/* The part of an issuance that needs no store lock: the request's dates,
 * the PVR against the enrolled key, and the signature on the terms that
 * depend on the request and configuration only. MASA_OK, or the refusal. */
static enum masa_err
prepare(struct masa_issuing *j)
{
	const struct masa_policy_config *cfg = &j->app->cfg->policy;
	const struct masa_vreq_raw *v = j->v;
	enum masa_err rc;

	j->req.now_ms = masa_now_ms();
	j->req.nonceless = v->r.nonce.ptr == NULL;
	if (v->r.created_on.ptr != NULL) {
		if (masa_rfc3339_parse((const char *)v->r.created_on.ptr, v->r.created_on.len,
		    &j->req.created_on_ms) != 0)
			return MASA_E_VREQ;
		j->req.has_created_on = 1;
	}
	rc = check_pvr(j->app, v, j->reg, j->serial, &j->req.pvr_verified);
	if (rc != MASA_OK)
		return rc;
	j->pin_cert = cfg->pinned_domain == MASA_PIN_CERT;
	if (j->pin_cert && j->reg->cert.ptr == NULL)
		return MASA_E_NOT_ACCEPTABLE;	/* this pledge needs a certificate pin */
	masa_sha256(v->body, j->req_hash);
	domain_id(j->reg, j->pin_cert, j->domain_id);
	masa_policy_terms(cfg, &j->req, &j->pre_assertion, &j->pre_expires_ms);
	if (sign_voucher(j, j->pre_assertion, j->pre_expires_ms, &j->presigned) != MASA_OK)
		masa_buf_truncate(&j->presigned, 0);	/* signed inside, then */
	return MASA_OK;
}

enum masa_err
masa_issue_prepare(struct masa_app *app, const struct masa_vreq_raw *v,
    const struct masa_registrar *reg, const struct masa_answer *answer, const char *peer,
    struct masa_issuing **out)
{
	struct masa_issuing *j;
	enum masa_err rc;

	*out = NULL;
	j = issuing_new(app, v, reg, peer);
	if (j == NULL)
		return MASA_E_NOMEM;
	j->answer = answer;
	rc = prepare(j);
	if (rc != MASA_OK) {	/* refused already: what is stored is the audit entry */
		j->event = "voucher.refused";
		j->why = rc;
	}
	*out = j;
	return MASA_OK;
}

enum masa_err
masa_issue_outcome(struct masa_issuing *j, enum masa_err stored, struct masa_issued *out)
{
	memset(out, 0, sizeof *out);
	if (j->event != NULL) {
		if (stored != MASA_OK)
			masa_log_event("error", "cannot audit a refusal (%s): %s",
			    masa_err_name(j->why), masa_err_name(stored));
		return j->why;
	}
	if (stored == MASA_OK)
		stored = j->refusal;
	out->retry_after_s = j->retry_after_s;
	if (stored != MASA_OK)
		return stored;
	out->replayed = j->replayed;
	out->assertion = j->assertion;
	out->voucher = j->use_presigned ? j->presigned : j->voucher;
	if (j->use_presigned)
		masa_buf_init(&j->presigned, 0);
	else
		masa_buf_init(&j->voucher, 0);
	return MASA_OK;
}

void
masa_issue_free(struct masa_issuing *j)
{
	if (j == NULL)
		return;
	masa_buf_free(&j->voucher);
	masa_buf_free(&j->presigned);
	free(j);
}
