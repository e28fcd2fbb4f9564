/*
 * test_x509chain.c: common/crypto/x509chain.c builds a certificate's path
 * upward through the certificates sent along, in any order, checking each
 * link (name, signature, CA, pathLenConstraint) and every validity period,
 * on certificates made here with OpenSSL.
 */
#include "testutil.h"

#include <string.h>
#include <time.h>

#include <openssl/x509v3.h>

#include "crypto/x509chain.h"

#define DAY 86400L

struct cert {
	EVP_PKEY *key;
	X509 *x;
	uint8_t der[2048];
	size_t len;
};

/* A P-256 certificate for cn, issued by issuer (NULL: self-signed), valid
 * from now + nb to now + na seconds; bc is its basicConstraints value
 * ("CA:TRUE,pathlen:0"...) or NULL. */
static void
make(struct cert *c, const char *cn, const struct cert *issuer, const char *bc, long nb, long na)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	unsigned char *p = c->der;
	int n;

	memset(c, 0, sizeof *c);
	c->key = EVP_EC_gen("P-256");
	c->x = X509_new();
	assert_non_null(c->key);
	assert_int_equal(X509_set_version(c->x, 2), 1);
	ASN1_INTEGER_set(X509_get_serialNumber(c->x), 1);
	X509_gmtime_adj(X509_getm_notBefore(c->x), nb);
	X509_gmtime_adj(X509_getm_notAfter(c->x), na);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(c->x), "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c->x, X509_get_subject_name(issuer ? issuer->x : c->x));
	assert_int_equal(X509_set_pubkey(c->x, c->key), 1);
	if (bc != NULL) {
		X509V3_set_ctx(&ctx, issuer ? issuer->x : c->x, c->x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, bc);
		assert_non_null(ext);
		assert_int_equal(X509_add_ext(c->x, ext, -1), 1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(c->x, issuer ? issuer->key : c->key, EVP_sha256()) > 0);
	n = i2d_X509(c->x, NULL);
	assert_true(n > 0 && (size_t)n <= sizeof c->der);
	i2d_X509(c->x, &p);
	c->len = (size_t)n;
}

static void
drop(struct cert *c)
{
	X509_free(c->x);
	EVP_PKEY_free(c->key);
}

static struct masa_bytes
der(const struct cert *c)
{
	return (struct masa_bytes){ c->der, c->len };
}

/* registrar <- intermediate <- root, sent in any order, the registrar too. */
static void
test_path_in_any_order(void **state)
{
	struct cert root, mid, ee;
	struct masa_bytes set[3];
	struct masa_x509_chain ch;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	make(&root, "root", NULL, "critical,CA:TRUE", -DAY, 30 * DAY);
	make(&mid, "mid", &root, "critical,CA:TRUE", -DAY, 20 * DAY);
	make(&ee, "registrar", &mid, "critical,CA:FALSE", -DAY, 10 * DAY);
	set[0] = der(&root);
	set[1] = der(&ee);
	set[2] = der(&mid);
	assert_int_equal(masa_x509_chain_up(der(&ee), set, 3, now, &ch), MASA_OK);
	assert_int_equal(ch.n, 2);
	assert_int_equal(ch.idx[0], 2);	/* lowest first */
	assert_int_equal(ch.idx[1], 0);
	assert_int_equal(ch.outside_validity, 0);
	assert_true(ch.not_after_s[0] > now + 10 * DAY - 120 && ch.not_after_s[0] <= now + 10 * DAY + 1);
	assert_true(ch.not_after_s[2] > now + 30 * DAY - 120 && ch.not_after_s[2] <= now + 30 * DAY + 1);
	/* Nothing sent along: no CA, the leaf alone. */
	assert_int_equal(masa_x509_chain_up(der(&ee), NULL, 0, now, &ch), MASA_OK);
	assert_int_equal(ch.n, 0);
	drop(&root);
	drop(&mid);
	drop(&ee);
}

/* A link that does not check ends the path there: a root whose
 * pathLenConstraint is 0 above an intermediate, an issuer that is not a
 * CA, a certificate of the issuer's name signed by another key. */
static void
test_links_that_do_not_check(void **state)
{
	struct cert root, mid, ee, notca, ee2, impostor, ee3;
	struct masa_bytes set[2];
	struct masa_x509_chain ch;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	make(&root, "root", NULL, "critical,CA:TRUE,pathlen:0", -DAY, 30 * DAY);
	make(&mid, "mid", &root, "critical,CA:TRUE", -DAY, 20 * DAY);
	make(&ee, "registrar", &mid, NULL, -DAY, 10 * DAY);
	set[0] = der(&mid);
	set[1] = der(&root);
	assert_int_equal(masa_x509_chain_up(der(&ee), set, 2, now, &ch), MASA_OK);
	assert_int_equal(ch.n, 1);
	assert_int_equal(ch.idx[0], 0);

	make(&notca, "notca", NULL, "critical,CA:FALSE", -DAY, 30 * DAY);
	make(&ee2, "registrar", &notca, NULL, -DAY, 10 * DAY);
	set[0] = der(&notca);
	assert_int_equal(masa_x509_chain_up(der(&ee2), set, 1, now, &ch), MASA_OK);
	assert_int_equal(ch.n, 0);

	make(&impostor, "mid", NULL, "critical,CA:TRUE", -DAY, 30 * DAY);	/* mid's name */
	make(&ee3, "registrar", &mid, NULL, -DAY, 10 * DAY);
	set[0] = der(&impostor);
	assert_int_equal(masa_x509_chain_up(der(&ee3), set, 1, now, &ch), MASA_OK);
	assert_int_equal(ch.n, 0);
	drop(&root);
	drop(&mid);
	drop(&ee);
	drop(&notca);
	drop(&ee2);
	drop(&impostor);
	drop(&ee3);
}

/* Outside its validity period: the leaf (expired, not yet valid) or a CA. */
static void
test_validity(void **state)
{
	struct cert ca, old_ca, a, b, c;
	struct masa_bytes set[1];
	struct masa_x509_chain ch;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	make(&ca, "ca", NULL, "critical,CA:TRUE", -DAY, 30 * DAY);
	make(&old_ca, "old", NULL, "critical,CA:TRUE", -10 * DAY, -DAY);
	make(&a, "expired", &ca, NULL, -10 * DAY, -DAY);
	make(&b, "early", &ca, NULL, DAY, 10 * DAY);
	make(&c, "under an expired CA", &old_ca, NULL, -DAY, 10 * DAY);
	set[0] = der(&ca);
	assert_int_equal(masa_x509_chain_up(der(&a), set, 1, now, &ch), MASA_OK);
	assert_int_equal(ch.outside_validity, 1);
	assert_int_equal(masa_x509_chain_up(der(&b), set, 1, now, &ch), MASA_OK);
	assert_int_equal(ch.outside_validity, 1);
	assert_int_equal(masa_x509_chain_up(der(&b), set, 1, now + 2 * DAY, &ch), MASA_OK);
	assert_int_equal(ch.outside_validity, 0);	/* at its own time */
	set[0] = der(&old_ca);
	assert_int_equal(masa_x509_chain_up(der(&c), set, 1, now, &ch), MASA_OK);
	assert_int_equal((int)ch.n, 1);
	assert_int_equal(ch.outside_validity, 1);
	assert_int_equal(masa_x509_chain_up((struct masa_bytes){ c.der, c.len - 1 }, set, 1, now,
	    &ch), MASA_E_MALFORMED);
	drop(&ca);
	drop(&old_ca);
	drop(&a);
	drop(&b);
	drop(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_in_any_order),
		cmocka_unit_test(test_links_that_do_not_check),
		cmocka_unit_test(test_validity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
