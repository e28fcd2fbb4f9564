/* issue.c: see issue.h. */
#include "issue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/idissuer.h"
#include "encode.h"
#include "errors.h"
#include "events.h"
#include "keyring.h"
#include "log.h"
#include "masa_limits.h"
#include "netaddr.h"
#include "policy.h"
#include "refusal.h"
#include "renewal.h"
#include "rows.h"
#include "timeutil.h"
#include "voucher.h"

#define DOMAIN_ID_MAX 64
#define VOUCHER_MAX (64 * 1024)

enum state {
	S_NEW,		/* masa_issue_new: not yet run */
	S_FAILED,	/* the snapshot or the signature failed: answer why, store nothing */
	S_REFUSED,	/* refused before the transaction: it only audits why */
	S_REPLAY,	/* the snapshot found a retry to replay: nothing signed */
	S_SIGNED,	/* signed on the snapshot's decision: the transaction decides again */
};

/* A voucher request's trip through the store (issue.h). */
struct masa_issuing {
	struct masa_app *app;
	const struct masa_codec *codec;	/* signs the voucher */
	const struct masa_vreq_raw *v;
	const struct masa_registrar *reg;
	const struct masa_answer *answer;
	const char *peer;
	enum state state;
	enum masa_err why;		/* S_FAILED, S_REFUSED */
	int audit_refusal;		/* S_REFUSED: within the rates, with skipped */
	uint64_t skipped;
	char serial[MASA_SERIAL_MAX + 1];
	struct masa_policy_request req;
	uint8_t req_hash[MASA_SHA256_LEN];	/* of the request's bytes */
	char key_name[MASA_KEY_NAME_MAX + 1];	/* the device's signing key (snapshot) */
	const struct masa_key_entry *key;	/* S_SIGNED: what signed it */
	struct masa_registrar_path path;	/* the registrar certificate's chain */
	struct masa_policy_product product;	/* the device's, as the snapshot read it */
	char domain_id[DOMAIN_ID_MAX];	/* of what the voucher pins */
	struct masa_buf presigned;	/* S_SIGNED: on the terms below */
	struct masa_terms terms;
	/* the transaction's verdict */
	enum masa_err refusal;
	struct masa_buf replayed;	/* the stored voucher of a retry */
	int is_replay;
	int assertion;			/* of a new voucher */
	uint64_t retry_after_s;
};

/* Everything a read of the store learns about the request's subjects, and
 * the policy's view of it. */
struct facts {
	struct masa_issue_facts x;
	char net[MASA_STORE_TEXT_MAX + 1];	/* the peer's /24 or /64, or "" */
	struct masa_policy_state st;
};

/* The entry of an event about this request inside t. */
static enum masa_err
audit(struct masa_txn *t, const struct masa_issuing *j, enum masa_event ev, int assertion,
    const char *detail)
{
	struct masa_event_fields f = { 0 };

	f.at_ms = j->req.now_ms;
	f.serial = j->serial;
	f.registrar_sha256 = j->reg->sha256;
	f.nonce = j->v->r.nonce;
	f.has_assertion = assertion >= 0;
	f.assertion = assertion;
	f.source = j->peer;
	f.detail = detail;
	return masa_event_append(t, ev, &f);
}

/* Reads what policy needs, inside t (one statement); a retry's stored
 * voucher goes to retry (NULL: only whether there is one). */
static enum masa_err
gather(struct masa_txn *t, const struct masa_issuing *j, struct facts *f, struct masa_buf *retry)
{
	const struct masa_policy_config *cfg = &j->app->cfg->policy;
	int64_t since = j->req.now_ms - (int64_t)cfg->retry_window_s * 1000, owner;
	const struct masa_issue_facts *x = &f->x;
	char media[64];
	enum masa_err rc;

	memset(f, 0, sizeof *f);
	if (masa_netaddr_net(j->peer, f->net, sizeof f->net) != 0)
		f->net[0] = '\0';
	rc = masa_store_issue_facts(t, j->serial, j->reg->sha256, j->req_hash, since, j->req.now_ms,
	    &f->x);
	if (rc != MASA_OK || !x->device_found)
		return rc;	/* device_found stays 0 */
	owner = x->dev.owner_id;
	f->st.device_found = 1;
	f->st.device_retired = x->dev.retired;
	f->st.pinned = x->dev.pinned_registrar_id != 0;
	f->st.pinned_is_this = x->registrar_known && x->dev.pinned_registrar_id == x->reg.id;
	f->st.registrar_is_owner = x->registrar_known && owner != 0 && x->reg.owner_id == owner;
	f->st.net_known = x->registrar_known && x->reg.first_seen_net[0] != '\0';
	f->st.net_matches = f->st.net_known && strcmp(x->reg.first_seen_net, f->net) == 0;
	f->st.registrar_blocked = x->blocked;
	f->st.has_bucket = x->has_bucket;
	f->st.tat_ms = x->tat_ms;
	f->st.retry_found = x->retry_found;
	if (x->product_found) {
		f->st.product.formats = x->product_formats;
		f->st.product.registrar_algs = x->product_registrar_algs;
		f->st.product.pin = x->product_pin;
		f->st.product.nonceless = x->product_nonceless;
	} else {
		masa_policy_default_product(cfg, &f->st.product);
	}
	if (retry == NULL || !x->retry_found)
		return MASA_OK;
	/* The stored voucher itself only when it is to be sent again. */
	return masa_store_voucher_find_retry(t, x->dev.id, x->reg.id, j->req_hash, since,
	    j->req.now_ms, retry, media, sizeof media);
}

/* What a voucher on pin form pin pins: the registrar's DER SPKI, its
 * certificate, or a CA certificate of its verified chain. */
static struct masa_bytes
pinned(const struct masa_issuing *j, int pin)
{
	switch (pin) {
	case MASA_PIN_CERT:
		return j->reg->cert;
	case MASA_PIN_CA_LOWEST:
		return j->path.ca_lowest;
	case MASA_PIN_CA_HIGHEST:
		return j->path.ca_highest;
	default:
		return (struct masa_bytes){ j->reg->spki, j->reg->spki_len };
	}
}

/* RFC 8995 §5.8.2 domainID of what is pinned: the pinned certificate's
 * subject key identifier when it is derived from the key (one copied from
 * another registrar's certificate is not), else base64 of the SHA-256 of
 * the registrar's SPKI. */
static void
domain_id(const struct masa_issuing *j, int pin, char out[DOMAIN_ID_MAX])
{
	if (pin == MASA_PIN_PUBK || masa_x509_ski_base64(pinned(j, pin), out, DOMAIN_ID_MAX) != MASA_OK)
		masa_b64(j->reg->sha256, sizeof j->reg->sha256, out);
}

/* Records the issued voucher: registrar, pin, bucket, voucher row, audit. */
static enum masa_err
record(struct masa_txn *t, const struct masa_issuing *j, struct facts *f,
    const struct masa_decision *d)
{
	const struct masa_registrar *reg = j->reg;
	const char *media = j->answer->voucher_type;
	int64_t now = j->req.now_ms;
	struct masa_voucher_row row;
	enum masa_err rc = MASA_OK;

	if (!f->x.registrar_known)
		rc = masa_store_registrar_add(t, reg->sha256,
		    (struct masa_bytes){ reg->spki, reg->spki_len }, 0, f->net, now, &f->x.reg.id);
	else if (f->x.reg.first_seen_net[0] == '\0' && f->net[0] != '\0')
		rc = masa_store_registrar_first_net(t, f->x.reg.id, f->net);	/* an owner's key */
	if (rc == MASA_OK && d->pin_registrar)
		rc = masa_store_device_set_pin(t, f->x.dev.id, f->x.reg.id);
	if (rc == MASA_OK)
		rc = masa_store_bucket_set(t, f->x.dev.id, d->tat_ms);
	if (rc != MASA_OK)
		return rc;
	memset(&row, 0, sizeof row);
	row.device_id = f->x.dev.id;
	row.registrar_id = f->x.reg.id;
	memcpy(row.request_sha256, j->req_hash, sizeof row.request_sha256);
	row.domain_id = j->domain_id;
	row.nonce = j->v->r.nonce;
	row.assertion = d->assertion;
	row.media_type = media;
	row.voucher = masa_buf_view(&j->presigned);
	row.created_ms = now;
	row.expires_ms = d->expires_ms;
	rc = masa_store_voucher_add(t, &row);
	if (rc == MASA_OK)
		rc = audit(t, j, MASA_EV_VOUCHER_ISSUED, d->assertion, media);
	return rc;
}

/* The audit entry of refusal why, if the rates allow one now. */
static enum masa_err
audit_refusal(struct masa_txn *t, const struct masa_issuing *j, enum masa_err why)
{
	uint64_t skipped = 0;
	char detail[96];

	if (!masa_refusal_allowed(j->app, j->reg->sha256, j->peer, &skipped))
		return MASA_OK;
	masa_refusal_detail(why, skipped, detail, sizeof detail);
	return audit(t, j, MASA_EV_VOUCHER_REFUSED, -1, detail);
}

/* The transaction of a request that got past the snapshot: gather ->
 * decide -> replay, refuse or record the voucher signed beforehand. Runs
 * in the batch's transaction, so everything it writes commits together or
 * not at all; nothing here signs (it runs serialised with the batch). */
static enum masa_err
decide_and_record(struct masa_txn *t, struct masa_issuing *j)
{
	struct masa_decision d;
	struct facts f;
	enum masa_err rc;

	masa_buf_free(&j->replayed);	/* gather sets it anew */
	j->is_replay = 0;
	j->refusal = MASA_OK;
	rc = gather(t, j, &f, &j->replayed);
	if (rc != MASA_OK)
		return rc;
	masa_policy_decide(&j->app->cfg->policy, &f.st, &j->req, &d);
	if (d.refusal != MASA_OK) {
		j->refusal = d.refusal;
		j->retry_after_s = d.retry_after_s;
		return audit_refusal(t, j, d.refusal);
	}
	if (d.replay) {
		j->is_replay = 1;
		return audit(t, j, MASA_EV_VOUCHER_REPLAYED, -1, j->answer->voucher_type);
	}
	/* The snapshot saw a retry that is gone now (it expired between the
	 * two reads): nothing was signed, and nothing is signed in here. The
	 * change fails alone; the registrar retries. */
	if (j->state != S_SIGNED)
		return MASA_E_STORE_BUSY;
	/* The terms depend on the request, the configuration and the
	 * device's product (masa_policy_terms): a product changed since the
	 * snapshot changes them, and the voucher signed on the old ones is
	 * not sent; the change fails alone and the registrar retries. */
	if (d.assertion != j->terms.assertion || d.expires_ms != j->terms.expires_ms ||
	    d.pin != j->terms.pin)
		return MASA_E_STORE_BUSY;
	j->assertion = d.assertion;
	return record(t, j, &f, &d);
}

enum masa_err
masa_issue_store(struct masa_txn *t, void *arg)
{
	struct masa_issuing *j = arg;

	char detail[96];

	if (j->state == S_REFUSED) {
		masa_refusal_detail(j->why, j->skipped, detail, sizeof detail);
		return audit(t, j, MASA_EV_VOUCHER_REFUSED, -1, detail);
	}
	return decide_and_record(t, j);
}

/* RFC 8366bis: the MASA identifies the pledge "by serial-number and, when
 * the request names it, the idevid-issuer (compared with the enrolled
 * IDevID's authority key identifier)" (product.md §4), in the RVR and in
 * the PVR. A mismatch is MASA_E_IDEVID_ISSUER, answered as an unknown
 * serial. A device enrolled by public key only has no IDevID to compare
 * with: the leaf is not checked for it (its identity is the serial and
 * the key its PVR verifies with; refusing would lock it out of every
 * registrar that sends the leaf, as ot-registrar always does). */
static enum masa_err
check_idevid_issuer(struct masa_txn *t, const struct masa_issuing *j, const struct facts *f)
{
	const struct masa_bytes *named[2] = { &j->v->r.idevid_issuer, &j->v->p.idevid_issuer };
	struct masa_buf der;
	enum masa_err rc;
	size_t i;

	if ((named[0]->ptr == NULL && named[1]->ptr == NULL) || !f->x.dev.has_idevid)
		return MASA_OK;
	masa_buf_init(&der, 64 * 1024);
	rc = masa_store_device_idevid(t, f->x.dev.id, &der);
	for (i = 0; rc == MASA_OK && i < 2; i++)
		if (named[i]->ptr != NULL &&
		    !masa_idevid_issuer_matches(masa_buf_view(&der), *named[i]))
			rc = MASA_E_IDEVID_ISSUER;
	masa_buf_free(&der);
	return rc;
}

static enum masa_err device_key(struct masa_issuing *j, struct masa_signer **signer,
    struct masa_bytes *cert);

/* The request's facts about the registrar's certificate: its key type,
 * its verified chain (signatures: on the worker), validity, notAfters. */
static enum masa_err
registrar_facts(struct masa_issuing *j)
{
	const struct masa_x509_chain *c = &j->path.chain;
	enum masa_err rc = masa_registrar_path(j->v, j->reg, j->req.now_ms, &j->path);

	if (rc != MASA_OK)
		return rc;
	j->req.registrar_alg = j->path.alg;
	j->req.registrar_cas = (int)c->n;
	j->req.outside_validity = c->outside_validity;
	j->req.ee_not_after_ms = j->reg->cert.ptr != NULL ? c->not_after_s[0] * 1000 : 0;
	if (c->n > 0) {
		j->req.ca_lowest_not_after_ms = c->not_after_s[1] * 1000;
		j->req.ca_highest_not_after_ms = c->not_after_s[c->n] * 1000;
	}
	return MASA_OK;
}

/* A renewal's earlier voucher against the key that signs for the device
 * (renewal.h): the voucher it renews was signed with that key. */
static enum masa_err
check_renewal(struct masa_issuing *j)
{
	uint8_t spki[MASA_SPKI_MAX];
	struct masa_signer *signer;
	struct masa_bytes cert;
	size_t len;
	enum masa_err rc = device_key(j, &signer, &cert);

	if (rc != MASA_OK)
		return rc;
	if (masa_signer_public_der(signer, spki, sizeof spki, &len) != MASA_OK)
		return MASA_E_INTERNAL;
	return masa_renewal_check(j->v, j->reg, (struct masa_bytes){ spki, len });
}

/* The snapshot: the registrar's chain, one read transaction for the facts
 * (and the enrolled IDevID when idevid-issuer is named), the PVR against
 * the enrolled key or a renewal's voucher against ours, the decision; the
 * state it leads to. */
static enum state
snapshot(struct masa_issuing *j)
{
	struct masa_decision d;
	struct masa_txn *t = NULL;
	struct facts f;
	enum masa_err rc;

	if ((rc = registrar_facts(j)) != MASA_OK) {
		j->why = rc;
		return S_FAILED;
	}
	rc = masa_db_begin(j->app->db, 0, &t);
	if (rc == MASA_OK)
		rc = gather(t, j, &f, NULL);
	if (rc == MASA_OK && f.st.device_found && !f.st.device_retired)
		rc = check_idevid_issuer(t, j, &f);
	masa_db_rollback(t);
	if (rc == MASA_E_IDEVID_ISSUER) {
		j->why = rc;
		return S_REFUSED;
	}
	if (rc != MASA_OK) {
		j->why = rc;
		return S_FAILED;
	}
	memcpy(j->key_name, f.x.dev.signing_key, sizeof j->key_name);
	if (f.st.device_found && !f.st.device_retired && j->v->prior_is_voucher) {
		rc = check_renewal(j);
		if (rc != MASA_OK) {
			j->why = rc;
			return rc == MASA_E_KEY_RETIRED ? S_FAILED : S_REFUSED;
		}
		j->req.renewal = 1;
	}
	if (f.st.device_found && !f.st.device_retired && j->v->has_pvr) {
		rc = masa_vreq_verify_pvr(j->v, (struct masa_bytes){ f.x.dev.pubkey, f.x.dev.pubkey_len },
		    j->reg);
		if (rc != MASA_OK) {
			j->why = rc;
			return S_REFUSED;
		}
		j->req.pvr_verified = 1;
	}
	masa_policy_decide(&j->app->cfg->policy, &f.st, &j->req, &d);
	if (d.refusal != MASA_OK) {
		j->why = d.refusal;
		j->retry_after_s = d.retry_after_s;
		return S_REFUSED;
	}
	j->product = f.st.product;	/* the voucher is signed on its terms */
	return d.replay ? S_REPLAY : S_SIGNED;
}

/* The key the device's pledges trust, recorded at enrollment: only that
 * key signs for it, whatever keys came later. A retired key, or one this
 * server does not hold, is MASA_E_KEY_RETIRED (503), never another key. */
static enum masa_err
device_key(struct masa_issuing *j, struct masa_signer **signer, struct masa_bytes *cert)
{
	const struct masa_key_entry *e = masa_keyring_find(j->app->keys, j->key_name);

	if (j->app->keys == NULL && strcmp(j->key_name, MASA_KEY_DEFAULT) == 0) {
		*signer = j->app->signer;	/* no keyring: the configured key only */
		*cert = j->app->masa_cert;
		return MASA_OK;
	}
	if (e == NULL || e->signer == NULL)
		return MASA_E_KEY_RETIRED;
	j->key = e;
	*signer = e->signer;
	*cert = e->cert;
	return MASA_OK;
}

/* Signs the voucher for j on the terms of masa_policy_terms for the
 * device's product, with the device's key. */
static enum masa_err
sign(struct masa_issuing *j)
{
	struct masa_voucher_in vin;
	struct masa_signer *signer = NULL;
	struct masa_bytes cert = { NULL, 0 };
	enum masa_err rc = device_key(j, &signer, &cert);

	if (rc != MASA_OK)
		return rc;

	masa_policy_terms(&j->app->cfg->policy, &j->product, &j->req, &j->terms);
	domain_id(j, j->terms.pin, j->domain_id);
	memset(&vin, 0, sizeof vin);
	vin.assertion = j->terms.assertion;
	vin.created_ms = j->req.now_ms;
	vin.expires_ms = j->terms.expires_ms;
	vin.nonce = j->v->r.nonce;
	vin.serial = j->v->r.serial;
	vin.pin = pinned(j, j->terms.pin);
	vin.pin_cert = j->terms.pin != MASA_PIN_PUBK;
	return j->codec->sign(&vin, signer, cert, &j->presigned);
}

void
masa_issue_run(struct masa_issuing *j, void (*done)(void *done_arg, enum masa_err rc),
    void *done_arg)
{
	enum masa_err rc;

	if (j->state == S_NEW)
		j->state = snapshot(j);
	if (j->state == S_SIGNED && (rc = sign(j)) != MASA_OK) {
		j->state = S_FAILED;
		j->why = rc;
	}
	if (j->state == S_REFUSED)	/* audited only within the rates */
		j->audit_refusal = masa_refusal_allowed(j->app, j->reg->sha256, j->peer,
		    &j->skipped);
	if (j->state == S_FAILED || (j->state == S_REFUSED && !j->audit_refusal)) {
		done(done_arg, j->state == S_FAILED ? j->why : MASA_OK);
		return;
	}
	rc = masa_db_submit(j->app->db, masa_issue_store, j, done, done_arg);
	if (rc != MASA_OK)
		done(done_arg, rc);
}

/* The key a retry is found by: the request's bytes and the format of the
 * voucher asked for, since a resent request that asks for another format
 * is a new request. COSE's is the bytes' SHA-256 alone, as before there
 * were other formats (vouchers stored then are still found). */
static void
retry_key(struct masa_bytes body, enum masa_format format, uint8_t out[MASA_SHA256_LEN])
{
	const char *name = masa_format_name(format);
	uint8_t two[MASA_SHA256_LEN + 8];
	size_t n = name != NULL ? strlen(name) : 0;

	masa_sha256(body, out);
	if (format == MASA_FORMAT_COSE || n == 0 || n > 8)
		return;
	memcpy(two, out, MASA_SHA256_LEN);
	memcpy(two + MASA_SHA256_LEN, name, n);
	masa_sha256((struct masa_bytes){ two, MASA_SHA256_LEN + n }, out);
}

enum masa_err
masa_issue_new(struct masa_app *app, const struct masa_codec *codec,
    const struct masa_vreq_raw *v, const struct masa_registrar *reg,
    const struct masa_answer *answer, const char *peer, struct masa_issuing **out)
{
	struct masa_issuing *j;

	*out = NULL;
	j = calloc(1, sizeof *j);
	if (j == NULL)
		return MASA_E_NOMEM;
	j->app = app;
	j->codec = codec;
	j->v = v;
	j->reg = reg;
	j->answer = answer;
	j->peer = peer;
	masa_buf_init(&j->presigned, VOUCHER_MAX);
	masa_buf_init(&j->replayed, VOUCHER_MAX);
	memcpy(j->serial, v->r.serial.ptr, v->r.serial.len);	/* the codec bounds it */
	j->serial[v->r.serial.len] = '\0';
	j->req.now_ms = masa_now_ms();
	j->req.nonceless = v->r.nonce.ptr == NULL;
	j->req.registrar_cert = reg->cert.ptr != NULL;
	j->req.answer_format = (int)answer->format;
	retry_key(v->body, answer->format, j->req_hash);
	if (v->r.created_on_epoch) {	/* a CBOR epoch date (cose_vreq.c) */
		j->req.created_on_ms = v->r.created_on_ms;
		j->req.has_created_on = 1;
	} else if (v->r.created_on.ptr != NULL) {
		if (masa_rfc3339_parse((const char *)v->r.created_on.ptr, v->r.created_on.len,
		    &j->req.created_on_ms) != 0) {
			j->state = S_REFUSED;	/* audited as such */
			j->why = MASA_E_VREQ;
		}
		j->req.has_created_on = 1;
	}
	*out = j;
	return MASA_OK;
}

enum masa_err
masa_issue_outcome(struct masa_issuing *j, enum masa_err stored, struct masa_issued *out)
{
	memset(out, 0, sizeof *out);
	out->retry_after_s = j->retry_after_s;
	if (j->state == S_FAILED)
		return j->why;
	if (j->state == S_REFUSED) {
		if (stored != MASA_OK)
			masa_log_event("error", "cannot audit a refusal (%s): %s",
			    masa_err_name(j->why), masa_err_name(stored));
		return j->why;
	}
	if (stored == MASA_OK)
		stored = j->refusal;
	if (stored != MASA_OK)
		return stored;
	out->key = j->key != NULL ? j->key : masa_keyring_find(j->app->keys, j->key_name);
	out->replayed = j->is_replay;
	out->assertion = j->assertion;
	if (j->is_replay) {
		out->voucher = j->replayed;
		masa_buf_init(&j->replayed, 0);
	} else {
		out->voucher = j->presigned;
		masa_buf_init(&j->presigned, 0);
	}
	return MASA_OK;
}

void
masa_issue_free(struct masa_issuing *j)
{
	if (j == NULL)
		return;
	masa_buf_free(&j->presigned);
	masa_buf_free(&j->replayed);
	free(j);
}
