/* signer_pkcs11.c: the signer implementation for a key on a PKCS#11 token
 * (signer_impl.h), named by an RFC 7512 "pkcs11:" URI.
 *
 * The bridge is libp11's OpenSSL engine (Debian libengine-pkcs11-openssl):
 * ENGINE_load_private_key turns the URI into an EVP_PKEY whose private
 * operations run on the token through the module, so the private key never
 * leaves it, and the rest of masa (alg.c's raw signatures, CMS through
 * ops->pkey) signs with it like any other EVP_PKEY. The ENGINE API is
 * deprecated in OpenSSL 3.0; Debian 12 has no PKCS#11 provider, so this one
 * file uses it and says so (OPENSSL_SUPPRESS_DEPRECATED; -Werror stays on
 * everywhere, here too).
 *
 * One module per process (the engine holds one); each key logs in to its
 * token with its PIN, read from the file its URI names (pin-source=) or
 * signing.pin_file, and wiped once handed over. A URI carrying its PIN
 * (pin-value=) is refused. Nothing ever prompts.
 *
 * A token that goes away makes sign fail (MASA_E_KEY_UNAVAILABLE) and
 * /readyz (ops->ready, a test signature) answer 503. Service comes back by
 * re-initialising the whole module (recover): under the write side of
 * module_lock, which every signature (raw or CMS) holds for reading, every
 * EVP_PKEY taken from the engine is freed (each holds a libp11 object whose
 * slot and module are released next), ENGINE_finish makes libp11 release
 * its slots and C_Finalize the module (and unload it), ENGINE_init readies
 * the same engine again, and each key is opened anew from its URI, which
 * loads the module and C_Initializes it afresh (SoftHSM2 then reads its
 * token directory again). Merely opening the key again through the live
 * module does not work: SoftHSM2 keeps a vanished token invalid until it is
 * finalised ("no such key"), and libp11 0.4.12's RE_ENUMERATE crashed. A
 * re-initialisation is tried at most once per P11_RETRY_MS, from whichever
 * signature or /readyz probe comes first, so a token that stays away does
 * not cost one per request. Keys of other tokens on the same module pause
 * for the few milliseconds it takes.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include "crypto/signer_impl.h"

#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include "crypto/ossl.h"
#include "crypto/x509.h"
#include "fsutil.h"

#define PIN_FILE_MAX 256
#define URI_MAX 1024
#define P11_PATH_MAX 1024	/* a PIN file or module path (masa_limits.h: MASA_PATH_MAX) */
#define P11_RETRY_MS 1000	/* the least time between two re-initialisations */

struct p11_key {
	enum masa_alg alg;
	EVP_PKEY *key;			/* from the engine; NULL while unavailable (module_lock) */
	EVP_PKEY *pub;			/* its public half as a plain key (the first one opened) */
	struct p11_key *next;		/* every open key, in p11_keys (module_lock) */
	char pin_path[P11_PATH_MAX];	/* "" when the token needs no login */
	char uri[URI_MAX];		/* as given, pin-source included; never a PIN */
	char engine_uri[URI_MAX];	/* without pin-source (read here, not by libp11) */
};

/* The engine, its module and the lock around what it keeps globally (the
 * PIN of the next login). Set up on first use; its structural reference is
 * kept until exit, its functional one (engine_live) is dropped and taken
 * again by recover. */
static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static ENGINE *engine;
static int engine_live;
static char engine_module[P11_PATH_MAX];
static UI_METHOD *no_prompt;

/* Read by every use of a key taken from the engine (a signature, a CMS
 * message), written to change any key or the module (open, recover,
 * free). Prefers writers, so that a stream of signatures cannot hold a
 * recovery off; so no thread may take its read side twice. */
static pthread_rwlock_t module_lock;
static pthread_once_t module_lock_once = PTHREAD_ONCE_INIT;
static struct p11_key *p11_keys;
/* A signature failed or a key is not open: recover before the next. */
static atomic_int module_broken;
/* CLOCK_MONOTONIC milliseconds of the last recovery (0: none yet). */
static atomic_llong last_recovery;

/* A UI reader that answers nothing: libp11 asks for a PIN through the UI
 * when it has none, and a daemon must fail instead of reading a tty. */
static int
refuse_prompt(UI *ui, UI_STRING *uis)
{
	(void)ui;
	(void)uis;
	return 0;
}

/* Loads the engine for module (once; a second module is refused). Called
 * with engine_lock held. */
static enum masa_err
engine_for(const char *module, struct masa_diag *diag)
{
	ENGINE *e;

	if (engine != NULL) {
		if (strcmp(engine_module, module) == 0)
			return MASA_OK;
		masa_diag_set(diag, "only one PKCS#11 module per process: %s is loaded, not %s",
		    engine_module, module);
		return MASA_E_KEY;
	}
	if (strlen(module) >= sizeof engine_module) {
		masa_diag_set(diag, "the PKCS#11 module path is too long");
		return MASA_E_KEY;
	}
	if (access(module, R_OK) != 0) {	/* else libp11 prints dlopen's reason itself */
		masa_diag_set(diag, "cannot load the PKCS#11 module %s: no readable file there", module);
		return MASA_E_KEY;
	}
	if (no_prompt == NULL) {
		no_prompt = UI_create_method("masa: no PIN prompt");
		if (no_prompt == NULL || UI_method_set_reader(no_prompt, refuse_prompt) != 0)
			return MASA_E_NOMEM;
	}
	ENGINE_load_dynamic();
	e = ENGINE_by_id("pkcs11");
	if (e == NULL) {
		masa_ossl_drain(diag, "cannot load the OpenSSL PKCS#11 engine "
		    "(Debian package libengine-pkcs11-openssl)");
		return MASA_E_KEY;
	}
	/* QUIET: libp11 writes its own lines to stderr otherwise; masa says one. */
	if (ENGINE_ctrl_cmd(e, "QUIET", 0, NULL, NULL, 0) != 1 ||
	    ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) != 1 || ENGINE_init(e) != 1) {
		masa_ossl_drain(diag, "cannot load the PKCS#11 module");
		masa_diag_set(diag, "cannot load the PKCS#11 module %s", module);
		ENGINE_free(e);
		return MASA_E_KEY;
	}
	engine = e;		/* both references stay: recover cycles the functional one */
	engine_live = 1;
	memcpy(engine_module, module, strlen(module) + 1);
	return MASA_OK;
}

/* The value of attribute name ("pin-source=") in the URI's path or query
 * into out (cap bytes), percent-escapes left as they are; 0 when absent. */
static int
uri_attr(const char *uri, const char *name, char *out, size_t cap)
{
	size_t n = strlen(name);
	const char *p = uri + strlen("pkcs11:");
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, ";?&");
		if (len >= n && strncasecmp(p, name, n) == 0) {
			snprintf(out, cap, "%.*s", (int)(len - n), p + n);
			return 1;
		}
		p += len;
		if (*p != '\0')
			p++;
	}
	return 0;
}

/* Decodes RFC 3986 percent-escapes of s in place; -1 for a bad one. */
static int
percent_decode(char *s)
{
	char *w = s, hex[3] = { 0 };

	for (; *s != '\0'; s++) {
		if (*s != '%') {
			*w++ = *s;
			continue;
		}
		if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]))
			return -1;
		memcpy(hex, s + 1, 2);
		*w++ = (char)strtol(hex, NULL, 16);
		s += 2;
	}
	*w = '\0';
	return 0;
}

/* uri without its pin-source query attribute into out (cap bytes): the
 * path as it is, then "?" and the other query attributes joined by "&",
 * if any are left. */
static void
uri_without_pin_source(const char *uri, char *out, size_t cap)
{
	const char *q = strchr(uri, '?'), *p;
	size_t len, used;
	int kept = 0;

	used = (size_t)snprintf(out, cap, "%.*s", (int)(q ? (size_t)(q - uri) : strlen(uri)), uri);
	for (p = q ? q + 1 : ""; *p != '\0' && used < cap; p += len + (p[len] != '\0')) {
		len = strcspn(p, "&");
		if (strncasecmp(p, "pin-source=", strlen("pin-source=")) == 0)
			continue;
		used += (size_t)snprintf(out + used, cap - used, "%s%.*s", kept++ ? "&" : "?",
		    (int)len, p);
	}
}

/* Reads the PIN file (owner-only, like a key file) into pin (cap bytes,
 * without its final newline). */
static enum masa_err
read_pin(const char *path, char *pin, size_t cap, struct masa_diag *diag)
{
	struct masa_buf b;
	enum masa_err rc;
	size_t len;

	rc = masa_file_read(path, 1, PIN_FILE_MAX, &b, diag);
	if (rc != MASA_OK)
		return rc;
	len = b.len;
	while (len > 0 && (b.ptr[len - 1] == '\n' || b.ptr[len - 1] == '\r'))
		len--;
	if (len == 0 || len >= cap || memchr(b.ptr, '\0', len) != NULL) {
		masa_diag_set(diag, "%s does not hold a PIN (one line of text)", path);
		rc = MASA_E_KEY;
	} else {
		memcpy(pin, b.ptr, len);
		pin[len] = '\0';
	}
	masa_buf_free(&b);	/* wipes */
	return rc;
}

/* 1 if the OpenSSL error queue (emptied here) says the token refused a
 * PIN (libp11's reasons "PIN incorrect", "PIN invalid", "PIN locked"...). */
static int
pin_refused(void)
{
	const char *why;
	unsigned long e;
	int refused = 0;

	while ((e = ERR_get_error()) != 0) {
		why = ERR_reason_error_string(e);
		if (why != NULL && strncmp(why, "PIN ", 4) == 0)
			refused = 1;
	}
	return refused;
}

/* The public half of an engine's key as a plain provider key, which
 * answers the parameter queries (curve, coordinates) the engine's does not. */
static enum masa_err
public_copy(EVP_PKEY *key, EVP_PKEY **out)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int len = i2d_PUBKEY(key, &der);

	if (len <= 0)
		return MASA_E_KEY;
	p = der;
	*out = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	return *out != NULL ? MASA_OK : MASA_E_KEY;
}

/* Opens k's key on its token into k->key (logging in with its PIN); a
 * key opened again must be the one opened first (k->pub). Called with
 * module_lock held for writing. */
static enum masa_err
open_key(struct p11_key *k, struct masa_diag *diag)
{
	char pin[PIN_FILE_MAX];
	enum masa_err rc = MASA_OK;
	EVP_PKEY *key = NULL;

	pin[0] = '\0';
	if (k->pin_path[0] != '\0')
		rc = read_pin(k->pin_path, pin, sizeof pin, diag);
	if (rc != MASA_OK)
		return rc;
	pthread_mutex_lock(&engine_lock);
	masa_ossl_clear();
	/* Not libp11's RE_ENUMERATE after a token went away: libp11 0.4.12
	 * crashed in it (SEGV) when tried with a token that answered
	 * CKR_DEVICE_REMOVED. */
	/* libp11 keeps the PIN for its later logins; an empty one means none. */
	if (ENGINE_ctrl_cmd_string(engine, "PIN", pin[0] ? pin : NULL, 0) == 1)
		key = ENGINE_load_private_key(engine, k->engine_uri, no_prompt, NULL);
	/* libp11 pins the engine in the key (EVP_PKEY_set1_engine: a
	 * functional reference) and keeps the key in its slot's cache, which
	 * only ENGINE_finish empties: with that reference ENGINE_finish never
	 * gets to libp11's finish, so recover could never C_Finalize. The
	 * key signs through its EC_KEY method (libp11's), not through the
	 * engine's pkey methods (it has none), so drop it. */
	if (key != NULL && EVP_PKEY_set1_engine(key, NULL) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	pthread_mutex_unlock(&engine_lock);
	OPENSSL_cleanse(pin, sizeof pin);
	if (key == NULL && pin_refused())
		masa_diag_set(diag, "%s: the token refused the PIN from %s", k->uri, k->pin_path);
	else if (key == NULL)
		masa_diag_set(diag, "%s: no such key on a present token%s", k->uri,
		    k->pin_path[0] ? "" : " (no PIN given: set pin-source= or signing.pin_file)");
	if (key == NULL)
		return MASA_E_KEY;
	if (k->pub == NULL && public_copy(key, &k->pub) != MASA_OK) {
		masa_diag_set(diag, "%s: cannot read the key's public half", k->uri);
		EVP_PKEY_free(key);
		return MASA_E_KEY;
	}
	if (EVP_PKEY_eq(key, k->pub) != 1) {
		masa_diag_set(diag, "%s: the token now holds another key", k->uri);
		EVP_PKEY_free(key);
		return MASA_E_KEY;
	}
	EVP_PKEY_free(k->key);
	k->key = key;
	return MASA_OK;
}

/* Makes module_lock (once): writer-preferring, see its comment. */
static void
module_lock_init(void)
{
	pthread_rwlockattr_t a;

	if (pthread_rwlockattr_init(&a) != 0 ||
	    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) != 0 ||
	    pthread_rwlock_init(&module_lock, &a) != 0)
		abort();	/* glibc fails none of these */
	pthread_rwlockattr_destroy(&a);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Re-initialises the module and opens every key again (see the top of
 * the file). Called with module_lock held for writing: no EVP_PKEY of the
 * engine is in use, and none may outlive ENGINE_finish, which frees the
 * slots and the module their libp11 objects point to. */
static void
reinit_locked(void)
{
	struct masa_diag quiet = { { 0 } };
	struct p11_key *k;
	int all = 1;

	for (k = p11_keys; k != NULL; k = k->next) {
		EVP_PKEY_free(k->key);
		k->key = NULL;
	}
	pthread_mutex_lock(&engine_lock);
	if (engine_live)
		ENGINE_finish(engine);	/* libp11: release the slots, C_Finalize, unload */
	engine_live = ENGINE_init(engine) == 1;
	pthread_mutex_unlock(&engine_lock);
	for (k = p11_keys; k != NULL; k = k->next)
		if (!engine_live || open_key(k, &quiet) != MASA_OK)
			all = 0;
	atomic_store(&module_broken, !all);
	masa_ossl_clear();
}

/* Recovers the module if a signature failed and the last try is at least
 * P11_RETRY_MS old. Called without module_lock. */
static void
recover(void)
{
	if (!atomic_load(&module_broken) || now_ms() - atomic_load(&last_recovery) < P11_RETRY_MS)
		return;
	pthread_rwlock_wrlock(&module_lock);
	if (atomic_load(&module_broken) && now_ms() - atomic_load(&last_recovery) >= P11_RETRY_MS) {
		reinit_locked();
		atomic_store(&last_recovery, now_ms());
	}
	pthread_rwlock_unlock(&module_lock);
}

static enum masa_err
p11_sign(void *impl, struct masa_bytes msg, uint8_t sig[MASA_SIG_MAX])
{
	struct p11_key *k = impl;
	enum masa_err rc = MASA_E_KEY_UNAVAILABLE;

	recover();
	pthread_rwlock_rdlock(&module_lock);
	if (k->key != NULL && masa_alg_sign_raw_checked(k->alg, k->key, msg, sig) == MASA_OK)
		rc = MASA_OK;
	pthread_rwlock_unlock(&module_lock);
	if (rc != MASA_OK)
		atomic_store(&module_broken, 1);
	masa_ossl_clear();
	return rc;
}

static enum masa_err
p11_public_der(const void *impl, uint8_t *out, size_t cap, size_t *len)
{
	const struct p11_key *k = impl;

	return masa_pubkey_spki(k->pub, out, cap, len);
}

static enum masa_alg
p11_alg(const void *impl)
{
	const struct p11_key *k = impl;

	return k->alg;
}

static void
p11_describe(const void *impl, char *out, size_t cap)
{
	const struct p11_key *k = impl;

	snprintf(out, cap, "%s", k->uri);
}

static void
p11_free(void *impl)
{
	struct p11_key *k = impl, **p;

	if (k == NULL)
		return;
	pthread_rwlock_wrlock(&module_lock);
	for (p = &p11_keys; *p != NULL; p = &(*p)->next)
		if (*p == k) {
			*p = k->next;
			break;
		}
	EVP_PKEY_free(k->key);
	pthread_rwlock_unlock(&module_lock);
	EVP_PKEY_free(k->pub);
	free(k);
}

/* p11_ops.pkey: the engine-backed key, one more reference; NULL while the
 * token is away. CMS signs with it through the engine, on the token. On
 * success module_lock stays held for reading until p11_pkey_put, so that
 * no recovery frees what the key points to while CMS uses it. */
static EVP_PKEY *
p11_pkey(void *impl)
{
	struct p11_key *k = impl;

	recover();
	pthread_rwlock_rdlock(&module_lock);
	if (k->key != NULL && EVP_PKEY_up_ref(k->key) == 1)
		return k->key;
	pthread_rwlock_unlock(&module_lock);
	atomic_store(&module_broken, 1);
	return NULL;
}

/* p11_ops.pkey_put: gives back what p11_pkey returned; a failure with it
 * is the token's (the key was proved at open), so recover before the next. */
static enum masa_err
p11_pkey_put(void *impl, EVP_PKEY *key, enum masa_err rc)
{
	(void)impl;
	EVP_PKEY_free(key);
	pthread_rwlock_unlock(&module_lock);
	if (rc == MASA_OK)
		return MASA_OK;
	atomic_store(&module_broken, 1);
	masa_ossl_clear();
	return MASA_E_KEY_UNAVAILABLE;
}

/* p11_ops.ready: a test signature on the token (re-initialising the
 * module first if a signature failed, at most once per P11_RETRY_MS),
 * verified with the key's public half. */
static int
p11_ready(void *impl)
{
	static const uint8_t msg[] = "masa readiness probe";
	struct p11_key *k = impl;
	struct masa_bytes m = { msg, sizeof msg - 1 };
	uint8_t sig[MASA_SIG_MAX];

	if (p11_sign(k, m, sig) != MASA_OK)
		return 0;
	return masa_alg_verify_raw(k->alg, k->pub, m,
	    (struct masa_bytes){ sig, masa_alg_sig_len(k->alg) }) == MASA_OK;
}

static const struct masa_signer_ops p11_ops = {
	.sign = p11_sign,
	.public_der = p11_public_der,
	.alg = p11_alg,
	.describe = p11_describe,
	.free = p11_free,
	.pkey = p11_pkey,
	.pkey_put = p11_pkey_put,
	.ready = p11_ready,
};

/* Checks uri and fills k's references from it and opts. */
static enum masa_err
parse_ref(struct p11_key *k, const char *uri, const struct masa_key_opts *opts,
    struct masa_diag *diag)
{
	char v[P11_PATH_MAX];

	if (strlen(uri) >= sizeof k->uri) {
		masa_diag_set(diag, "the pkcs11: URI is too long");
		return MASA_E_KEY;
	}
	if (uri_attr(uri, "pin-value=", v, sizeof v)) {
		OPENSSL_cleanse(v, sizeof v);
		masa_diag_set(diag, "a pkcs11: URI must not carry its PIN (pin-value): name a PIN "
		    "file with pin-source= or signing.pin_file");
		return MASA_E_KEY;
	}
	memcpy(k->uri, uri, strlen(uri) + 1);
	uri_without_pin_source(uri, k->engine_uri, sizeof k->engine_uri);
	if (uri_attr(uri, "pin-source=", v, sizeof v)) {
		if (percent_decode(v) != 0 || strlen(v) >= sizeof k->pin_path) {
			masa_diag_set(diag, "%s: pin-source is not a file name", k->uri);
			return MASA_E_KEY;
		}
		snprintf(k->pin_path, sizeof k->pin_path, "%s",
		    strncasecmp(v, "file:", 5) == 0 ? v + 5 : v);
	}
	else if (opts != NULL && opts->pin_file != NULL)
		snprintf(k->pin_path, sizeof k->pin_path, "%s", opts->pin_file);
	if (opts == NULL || opts->pkcs11_module == NULL || opts->pkcs11_module[0] == '\0') {
		masa_diag_set(diag, "%s: signing.pkcs11_module is not set (the PKCS#11 module "
		    "library, e.g. /usr/lib/softhsm/libsofthsm2.so)", k->uri);
		return MASA_E_KEY;
	}
	if (k->alg == MASA_ALG_EDDSA) {
		masa_diag_set(diag, "%s: Ed25519 keys on a PKCS#11 token are not supported (the "
		    "bridge, libp11 0.4.12, signs ECDSA and RSA only)", k->uri);
		return MASA_E_KEY;
	}
	return MASA_OK;
}

enum masa_err
masa_signer_pkcs11_open(const char *uri, enum masa_alg alg, const struct masa_key_opts *opts,
    struct masa_signer **out, struct masa_diag *diag)
{
	struct p11_key *k = calloc(1, sizeof *k);
	enum masa_err rc;

	if (k == NULL)
		return MASA_E_NOMEM;
	k->alg = alg;
	pthread_once(&module_lock_once, module_lock_init);
	rc = parse_ref(k, uri, opts, diag);
	pthread_rwlock_wrlock(&module_lock);
	if (rc == MASA_OK) {
		pthread_mutex_lock(&engine_lock);
		rc = engine_for(opts->pkcs11_module, diag);
		pthread_mutex_unlock(&engine_lock);
	}
	if (rc == MASA_OK)
		rc = open_key(k, diag);
	if (rc == MASA_OK) {
		k->next = p11_keys;
		p11_keys = k;
	}
	pthread_rwlock_unlock(&module_lock);
	masa_ossl_clear();
	if (rc != MASA_OK) {
		p11_free(k);
		return rc;
	}
	return masa_signer_new(&p11_ops, k, out, diag);	/* takes k */
}
