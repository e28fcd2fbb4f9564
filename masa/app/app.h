/* app.h: what every handler may use, set up once by `masa serve`. */
#ifndef MASA_APP_H
#define MASA_APP_H

#include "bytes.h"
#include "config.h"
#include "crypto/signer.h"
#include "store.h"

struct masa_auth;
struct masa_keyring;	/* keyring.h */	/* the HTTP layer's token checks (auth.h) */
struct masa_workq;	/* workq.h */

struct masa_app {
	const struct masa_config *cfg;
	struct masa_db *db;
	struct masa_signer *signer;
	struct masa_bytes masa_cert;	/* DER of the voucher-signing certificate */
	struct masa_bytes masa_cose_key;	/* the voucher-signing public key as a COSE_Key */
	const struct masa_keyring *keys;	/* every signing key by name (the above is "default");
						 * NULL: the above only */
	struct masa_auth *auth;			/* API token checks and throttle */
	/* Workers for what must not run on an event-loop thread (store reads,
	 * signatures); NULL: such work runs where it is started. */
	struct masa_workq *work;
	int64_t started_ms;	/* when serve started (masa_now_ms), for the status page */
};

#endif
