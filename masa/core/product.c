/* product.c: see product.h. */
#include "product.h"

#include <stdio.h>
#include <string.h>

#include "crypto/alg.h"
#include "events.h"
#include "keys.h"
#include "format.h"
#include "timeutil.h"
#include "utf8.h"

static const struct {
	const char *name;
	int pin;
} pins[] = {
	{ "pubk", MASA_PIN_PUBK },
	{ "ee-cert", MASA_PIN_CERT },
	{ "ca-lowest", MASA_PIN_CA_LOWEST },
	{ "ca-highest", MASA_PIN_CA_HIGHEST },
	{ "cert", MASA_PIN_CERT },	/* policy.pinned_domain's older name */
};

int
masa_product_name_ok(const char *s, size_t len)
{
	return len > 0 && len <= MASA_STORE_TEXT_MAX && memchr(s, 0, len) == NULL &&
	    memchr(s, '/', len) == NULL && masa_utf8_ok((const uint8_t *)s, len);
}

int
masa_pin_from_name(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof pins / sizeof pins[0]; i++)
		if (strlen(pins[i].name) == len && memcmp(pins[i].name, s, len) == 0)
			return pins[i].pin;
	return -1;
}

const char *
masa_pin_name(int pin)
{
	size_t i;

	for (i = 0; i < sizeof pins / sizeof pins[0]; i++)
		if (pins[i].pin == pin)
			return pins[i].name;
	return "?";
}

int
masa_algs_parse(const char *s, size_t len, uint64_t *mask)
{
	char word[16];
	enum masa_alg alg;
	size_t i = 0, j;

	*mask = 0;
	while (i <= len) {
		for (j = i; j < len && s[j] != ','; j++)
			;
		if (j - i == 0 || j - i >= sizeof word)
			return -1;
		memcpy(word, s + i, j - i);
		word[j - i] = '\0';
		if (masa_alg_from_name(word, &alg) != MASA_OK)
			return -1;
		*mask |= (uint64_t)1 << alg;
		i = j + 1;
	}
	return 0;
}

/* The names of mask's bits by name() into out. */
static void
names(uint64_t mask, const char *(*name)(int), char *out, size_t cap)
{
	size_t used = 0;
	const char *n;
	int b;

	out[0] = '\0';
	for (b = 1; b < 64; b++) {
		if ((mask >> b & 1) == 0 || (n = name(b)) == NULL)
			continue;
		used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s",
		    used > 0 ? "," : "", n);
	}
	if (used >= cap && cap > 0)
		out[cap - 1] = '\0';
}

static const char *
format_name(int f)
{
	return masa_format_name((enum masa_format)f);
}

static const char *
alg_name(int a)
{
	return a >= MASA_ALG_ES256 && a <= MASA_ALG_EDDSA ? masa_alg_name((enum masa_alg)a) : NULL;
}

void
masa_formats_text(uint64_t mask, char *out, size_t cap)
{
	names(mask, format_name, out, cap);
}

void
masa_algs_text(uint64_t mask, char *out, size_t cap)
{
	names(mask, alg_name, out, cap);
}

void
masa_product_policy(const struct masa_product_row *p, struct masa_policy_product *out)
{
	out->formats = p->formats;
	out->registrar_algs = p->registrar_algs;
	out->pin = p->pin;
	out->nonceless = p->nonceless != 0;
}

void
masa_product_line(const struct masa_product_row *p, char *out, size_t cap)
{
	char fmts[64], algs[64];

	masa_formats_text(p->formats, fmts, sizeof fmts);
	masa_algs_text(p->registrar_algs, algs, sizeof algs);
	snprintf(out, cap, "%s formats=%s registrar-algs=%s pin=%s nonceless=%s signing-key=%s",
	    p->name, fmts, algs, masa_pin_name(p->pin), p->nonceless ? "yes" : "no",
	    p->signing_key);
}

/* The key a product is to name is a key in service. */
static enum masa_err
key_in_service(struct masa_txn *t, const char *name, struct masa_diag *why)
{
	struct masa_key_row k;
	enum masa_err rc = masa_store_key_get(t, name, &k);

	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(why, "there is no signing key named \"%s\" (masa key add adds one)",
		    name);
	else if (rc == MASA_OK && k.retired_ms != 0)
		masa_diag_set(why, "signing key \"%s\" is retired: new devices of the product "
		    "could not be enrolled", name);
	if (rc == MASA_E_NOT_FOUND || (rc == MASA_OK && k.retired_ms != 0))
		return MASA_E_RECORD;
	return rc;
}

/* product.key-changed when a change of product p moves it from key old. */
static enum masa_err
key_changed(struct masa_txn *t, const struct masa_product_row *p, const char *old,
    const char *actor)
{
	struct masa_event_fields ev = { 0 };
	char detail[MASA_STORE_TEXT_MAX + 2 * MASA_KEY_NAME_MAX + 32];

	if (strcmp(old, p->signing_key) == 0)
		return MASA_OK;
	snprintf(detail, sizeof detail, "product=%s from=%s to=%s", p->name, old, p->signing_key);
	ev.source = actor;
	ev.detail = detail;
	return masa_event_append(t, MASA_EV_PRODUCT_KEY_CHANGED, &ev);
}

enum masa_err
masa_op_product(struct masa_txn *t, const struct masa_product_row *p, unsigned given, int add,
    const struct masa_policy_product *defaults, const char *actor, struct masa_product_row *out,
    struct masa_diag *why)
{
	struct masa_event_fields ev = { 0 };
	struct masa_product_row r;
	char detail[512], old[MASA_KEY_NAME_MAX + 1];
	enum masa_err rc = masa_store_product_get(t, p->name, &r);
	int created;

	if (rc == MASA_OK && add)
		return MASA_E_CONFLICT;
	if (rc == MASA_E_NOT_FOUND && !add)
		return MASA_E_NOT_FOUND;
	if (rc != MASA_OK && rc != MASA_E_NOT_FOUND)
		return rc;
	if (add) {
		memset(&r, 0, sizeof r);
		snprintf(r.name, sizeof r.name, "%s", p->name);
		r.formats = defaults->formats;
		r.registrar_algs = defaults->registrar_algs;
		r.pin = defaults->pin;
		r.nonceless = defaults->nonceless;
		snprintf(r.signing_key, sizeof r.signing_key, "%s", MASA_KEY_DEFAULT);
	}
	snprintf(old, sizeof old, "%s", r.signing_key);
	if (given & MASA_PRODUCT_FORMATS)
		r.formats = p->formats;
	if (given & MASA_PRODUCT_ALGS)
		r.registrar_algs = p->registrar_algs;
	if (given & MASA_PRODUCT_PIN)
		r.pin = p->pin;
	if (given & MASA_PRODUCT_NONCELESS)
		r.nonceless = p->nonceless != 0;
	if (given & MASA_PRODUCT_KEY)
		snprintf(r.signing_key, sizeof r.signing_key, "%s", p->signing_key);
	if ((given & MASA_PRODUCT_KEY) || add) {
		rc = key_in_service(t, r.signing_key, why);	/* a new one's "default" too */
		if (rc != MASA_OK)
			return rc;
	}
	rc = masa_store_product_put(t, &r, masa_now_ms(), &created);
	if (rc != MASA_OK)
		return rc;
	masa_product_line(&r, detail, sizeof detail);
	ev.source = actor;
	ev.detail = detail;
	rc = masa_event_append(t, add ? MASA_EV_PRODUCT_ADDED : MASA_EV_PRODUCT_CHANGED, &ev);
	if (rc == MASA_OK && !add)
		rc = key_changed(t, &r, old, actor);
	if (rc == MASA_OK && out != NULL)
		*out = r;
	return rc;
}
