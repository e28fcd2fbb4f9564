/*
 * crypto_ceiling.c: the most vouchers per second the crypto alone allows.
 * One voucher costs two signature verifications (the registrar's RVR and
 * the pledge's PVR) and one signature (the voucher). This runs exactly that
 * with the calls masa makes (masa_alg_verify_raw, masa_signer_sign, keys
 * already parsed) on one thread per core for SECONDS and prints the rate.
 *
 *   masa-crypto-ceiling SIGNING_KEY_PEM SECONDS
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/alg.h"
#include "crypto/signer.h"

/* Sizes of the signed structures in a typical request and voucher. */
#define RVR_TBS 560
#define PVR_TBS 190
#define VOUCHER_TBS 200

struct shared {
	struct masa_signer *signer;
	EVP_PKEY *reg, *pledge;
	uint8_t rvr[RVR_TBS], pvr[PVR_TBS], voucher[VOUCHER_TBS];
	uint8_t rvr_sig[MASA_SIG_MAX], pvr_sig[MASA_SIG_MAX];
	double seconds;
	atomic_long done;
	atomic_int failed;
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
worker(void *arg)
{
	struct shared *s = arg;
	uint8_t sig[MASA_SIG_MAX];
	double end = now_s() + s->seconds;
	struct masa_bytes rs = { s->rvr_sig, 64 }, ps = { s->pvr_sig, 64 };
	size_t len;
	long n = 0;

	while (now_s() < end) {
		if (masa_alg_verify_raw(MASA_ALG_ES256, s->reg,
		    (struct masa_bytes){ s->rvr, sizeof s->rvr }, rs) != MASA_OK ||
		    masa_alg_verify_raw(MASA_ALG_ES256, s->pledge,
		    (struct masa_bytes){ s->pvr, sizeof s->pvr }, ps) != MASA_OK ||
		    masa_signer_sign(s->signer, (struct masa_bytes){ s->voucher, sizeof s->voucher },
		    sig, &len) != MASA_OK) {
			atomic_store(&s->failed, 1);
			break;
		}
		n++;
	}
	atomic_fetch_add(&s->done, n);
	return NULL;
}

static EVP_PKEY *
p256(void)
{
	return EVP_EC_gen("P-256");
}

int
main(int argc, char **argv)
{
	static struct shared s;
	struct masa_diag diag;
	pthread_t t[256];
	long cores = sysconf(_SC_NPROCESSORS_ONLN), i;
	double t0, t1;

	if (argc != 3 || (s.seconds = atof(argv[2])) <= 0) {
		fprintf(stderr, "usage: masa-crypto-ceiling SIGNING_KEY_PEM SECONDS\n");
		return 2;
	}
	if (cores < 1 || cores > 256)
		cores = 1;
	diag.msg[0] = '\0';
	if (masa_signer_load(argv[1], MASA_ALG_ES256, &s.signer, &diag) != MASA_OK) {
		fprintf(stderr, "masa-crypto-ceiling: %s\n", diag.msg);
		return 1;
	}
	s.reg = p256();
	s.pledge = p256();
	memset(s.rvr, 0xa5, sizeof s.rvr);
	memset(s.pvr, 0x5a, sizeof s.pvr);
	memset(s.voucher, 0x3c, sizeof s.voucher);
	if (s.reg == NULL || s.pledge == NULL ||
	    masa_alg_sign_raw(MASA_ALG_ES256, s.reg, (struct masa_bytes){ s.rvr, sizeof s.rvr },
	    s.rvr_sig) != MASA_OK ||
	    masa_alg_sign_raw(MASA_ALG_ES256, s.pledge, (struct masa_bytes){ s.pvr, sizeof s.pvr },
	    s.pvr_sig) != MASA_OK) {
		fprintf(stderr, "masa-crypto-ceiling: cannot make test keys\n");
		return 1;
	}
	t0 = now_s();
	for (i = 0; i < cores; i++)
		pthread_create(&t[i], NULL, worker, &s);
	for (i = 0; i < cores; i++)
		pthread_join(t[i], NULL);
	t1 = now_s();
	if (atomic_load(&s.failed)) {
		fprintf(stderr, "masa-crypto-ceiling: a verification or signature failed\n");
		return 1;
	}
	printf("cores=%ld crypto_ceiling_per_s=%.0f\n", cores, (double)atomic_load(&s.done) / (t1 - t0));
	masa_signer_free(s.signer);
	EVP_PKEY_free(s.reg);
	EVP_PKEY_free(s.pledge);
	return 0;
}
