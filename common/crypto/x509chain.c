/* x509chain.c: see x509chain.h. */
#include "crypto/x509chain.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/ossl.h"
#include "crypto/x509.h"

/* t as Unix seconds; 0 if it cannot be read. */
static int64_t
unix_s(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int day = 0, sec = 0, ok = epoch != NULL && ASN1_TIME_diff(&day, &sec, epoch, t) == 1;

	ASN1_TIME_free(epoch);
	return ok ? (int64_t)day * 86400 + sec : 0;
}

/* 1 if x is valid at now_s (notBefore <= now <= notAfter). */
static int
valid_at(X509 *x, int64_t now_s)
{
	time_t now = (time_t)now_s;

	return X509_cmp_time(X509_get0_notBefore(x), &now) < 0 &&
	    X509_cmp_time(X509_get0_notAfter(x), &now) > 0;
}

/* 1 if ca issued sub, with below CA certificates between ca and the leaf
 * (RFC 5280 §4.2.1.9): names and key identifiers link, ca is a CA allowed
 * to sign certificates, its pathLenConstraint admits below, and sub's
 * signature verifies with ca's key. */
static int
issued(X509 *ca, X509 *sub, size_t below)
{
	EVP_PKEY *key = X509_get0_pubkey(ca);
	long plen;

	if (X509_check_issued(ca, sub) != X509_V_OK || X509_check_ca(ca) != 1)
		return 0;
	plen = X509_get_pathlen(ca);
	if (plen >= 0 && (size_t)plen < below)
		return 0;
	return key != NULL && X509_verify(sub, key) == 1;
}

enum masa_err
masa_x509_chain_up(struct masa_bytes leaf, const struct masa_bytes *set, size_t n, int64_t now_s,
    struct masa_x509_chain *out)
{
	X509 *certs[MASA_X509_CHAIN_MAX * 2], *lx = NULL, *cur;
	struct masa_x509_chain c;
	int used[MASA_X509_CHAIN_MAX * 2];
	size_t i, below, found;
	enum masa_err rc;

	memset(&c, 0, sizeof c);
	memset(certs, 0, sizeof certs);
	memset(used, 0, sizeof used);
	if (n > sizeof certs / sizeof certs[0])
		n = sizeof certs / sizeof certs[0];
	rc = masa_x509_parse(leaf, &lx);
	if (rc != MASA_OK)
		return rc;
	cur = lx;
	for (i = 0; i < n; i++) {
		if (masa_x509_parse(set[i], &certs[i]) != MASA_OK)
			certs[i] = NULL;
		else if (X509_cmp(certs[i], cur) == 0)
			used[i] = 1;	/* the leaf itself, sent along */
	}
	c.not_after_s[0] = unix_s(X509_get0_notAfter(cur));
	c.outside_validity = !valid_at(cur, now_s);
	masa_ossl_clear();
	/* Upward until a self-issued certificate (the top of the path). */
	while (c.n < MASA_X509_CHAIN_MAX && X509_check_issued(cur, cur) != X509_V_OK) {
		below = c.n;	/* CA certificates between the next one and the leaf */
		found = n;
		for (i = 0; i < n && found == n; i++)
			if (certs[i] != NULL && !used[i] && issued(certs[i], cur, below))
				found = i;
		masa_ossl_clear();
		if (found == n)
			break;
		used[found] = 1;
		cur = certs[found];
		c.idx[c.n++] = found;
		c.not_after_s[c.n] = unix_s(X509_get0_notAfter(cur));
		c.outside_validity |= !valid_at(cur, now_s);
	}
	X509_free(lx);
	for (i = 0; i < n; i++)
		X509_free(certs[i]);
	*out = c;
	return MASA_OK;
}
