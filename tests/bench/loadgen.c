/*
 * loadgen.c: the voucher benchmark's load generator. Reads pre-built
 * requests (each a 4-byte big-endian length and the RVR bytes), POSTs each
 * once to HOST:PORT PATH over HTTPS from CONC threads, one keep-alive
 * connection per thread (OpenSSL, the server verified against CACERT for
 * the name "localhost"), and writes every answer (status, latency, body)
 * to OUT in request order for an independent verifier. Prints one line of
 * figures. Lean on purpose: it shares the machine with the server, and
 * every microsecond it spends is one the server does not get.
 *
 *   masa-loadgen PORT PATH CACERT IN OUT CONC
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384

struct answer {
	long status;
	uint32_t us;		/* round-trip latency */
	uint8_t *body;
	size_t len;
};

struct job {
	int port;
	const char *path;
	SSL_CTX *ctx;
	uint8_t **req;
	size_t *req_len;
	struct answer *ans;
	size_t n;
	atomic_size_t next;
	atomic_int failed;	/* a transport error, not an HTTP status */
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A verified TLS connection to 127.0.0.1:port, or NULL. */
static SSL *
dial(struct job *j)
{
	struct sockaddr_in sa;
	SSL *ssl;
	int fd, one = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)j->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return NULL;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	ssl = SSL_new(j->ctx);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || ssl == NULL ||
	    SSL_set1_host(ssl, "localhost") != 1 || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
}

static void
hang_up(SSL *ssl)
{
	int fd = SSL_get_fd(ssl);

	SSL_free(ssl);
	close(fd);
}

/* The header line "\r\nName:" in head, any case; NULL if absent. */
static char *
find_header(char *head, const char *name)
{
	size_t n = strlen(name);

	for (head = strstr(head, "\r\n"); head != NULL; head = strstr(head + 2, "\r\n"))
		if (strncasecmp(head + 2, name, n) == 0 && head[2 + n] == ':')
			return head + 3 + n;
	return NULL;
}

/* Sends request i and reads its answer into a; 0 on success. */
static int
exchange(struct job *j, SSL *ssl, size_t i, struct answer *a)
{
	char head[HEAD_MAX + 1], *end, *cl;
	size_t got = 0, hlen, need;
	int n, hn;

	hn = snprintf(head, sizeof head, "POST %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/voucher+cose\r\nAccept: application/voucher+cose\r\n"
	    "Content-Length: %zu\r\n\r\n", j->path, j->req_len[i]);
	if (hn <= 0 || (size_t)hn + j->req_len[i] > sizeof head)
		return -1;
	memcpy(head + hn, j->req[i], j->req_len[i]);	/* one TLS record */
	hn += (int)j->req_len[i];
	if (SSL_write(ssl, head, hn) != hn)
		return -1;
	for (;;) {	/* the head, and perhaps part of the body */
		n = SSL_read(ssl, head + got, (int)(HEAD_MAX - got));
		if (n <= 0)
			return -1;
		got += (size_t)n;
		head[got] = '\0';
		if ((end = strstr(head, "\r\n\r\n")) != NULL)
			break;
		if (got == HEAD_MAX)
			return -1;
	}
	hlen = (size_t)(end + 4 - head);
	a->status = strtol(head + 9, NULL, 10);
	*end = '\0';
	cl = find_header(head, "content-length");
	if (strncmp(head, "HTTP/1.1 ", 9) != 0 || cl == NULL)
		return -1;
	need = strtoul(cl, NULL, 10);
	a->body = malloc(need ? need : 1);
	if (a->body == NULL || got - hlen > need)
		return -1;
	memcpy(a->body, head + hlen, got - hlen);
	for (a->len = got - hlen; a->len < need; a->len += (size_t)n) {
		n = SSL_read(ssl, a->body + a->len, (int)(need - a->len));
		if (n <= 0)
			return -1;
	}
	return 0;
}

/* One connection: takes the next unsent request until none is left. */
static void *
worker(void *arg)
{
	struct job *j = arg;
	SSL *ssl = dial(j);
	size_t i;
	int64_t t0;

	if (ssl == NULL) {
		atomic_store(&j->failed, 1);
		return NULL;
	}
	while ((i = atomic_fetch_add(&j->next, 1)) < j->n) {
		t0 = now_us();
		if (exchange(j, ssl, i, &j->ans[i]) != 0) {
			atomic_store(&j->failed, 1);
			j->ans[i].status = 0;
			break;
		}
		j->ans[i].us = (uint32_t)(now_us() - t0);
	}
	hang_up(ssl);
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Reads IN into j->req / j->req_len. */
static int
load(const char *path, struct job *j)
{
	FILE *f = fopen(path, "rb");
	uint8_t hdr[4];
	size_t cap = 0, len;

	if (f == NULL)
		return -1;
	while (fread(hdr, 1, 4, f) == 4) {
		len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
		if (j->n == cap) {
			cap = cap ? cap * 2 : 1024;
			j->req = realloc(j->req, cap * sizeof *j->req);
			j->req_len = realloc(j->req_len, cap * sizeof *j->req_len);
			if (j->req == NULL || j->req_len == NULL)
				break;
		}
		j->req[j->n] = malloc(len ? len : 1);
		if (j->req[j->n] == NULL || fread(j->req[j->n], 1, len, f) != len)
			break;
		j->req_len[j->n++] = len;
	}
	fclose(f);
	return j->n > 0 ? 0 : -1;
}

/* Writes each answer as status (2 bytes), latency (4), length (4), body. */
static int
save(const char *path, const struct job *j)
{
	FILE *f = fopen(path, "wb");
	size_t i;
	int ok = f != NULL;

	for (i = 0; ok && i < j->n; i++) {
		const struct answer *a = &j->ans[i];
		uint8_t h[10] = { (uint8_t)(a->status >> 8), (uint8_t)a->status,
			(uint8_t)(a->us >> 24), (uint8_t)(a->us >> 16), (uint8_t)(a->us >> 8),
			(uint8_t)a->us, (uint8_t)(a->len >> 24), (uint8_t)(a->len >> 16),
			(uint8_t)(a->len >> 8), (uint8_t)a->len };

		ok = fwrite(h, 1, sizeof h, f) == sizeof h &&
		    (a->len == 0 || fwrite(a->body, 1, a->len, f) == a->len);
	}
	if (f != NULL && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct job j;
	pthread_t *t;
	uint32_t *lat;
	size_t i, ok = 0, conc;
	int64_t t0, t1;
	double secs;
	int rc = 0;

	if (argc != 7 || (conc = strtoul(argv[6], NULL, 10)) == 0 || conc > 1024) {
		fprintf(stderr, "usage: masa-loadgen PORT PATH CACERT IN OUT CONCURRENCY\n");
		return 2;
	}
	memset(&j, 0, sizeof j);
	j.port = atoi(argv[1]);
	j.path = argv[2];
	j.ctx = SSL_CTX_new(TLS_client_method());
	if (j.ctx == NULL || SSL_CTX_load_verify_locations(j.ctx, argv[3], NULL) != 1) {
		fprintf(stderr, "masa-loadgen: cannot load %s\n", argv[3]);
		return 1;
	}
	SSL_CTX_set_verify(j.ctx, SSL_VERIFY_PEER, NULL);
	if (load(argv[4], &j) != 0) {
		fprintf(stderr, "masa-loadgen: cannot read requests from %s\n", argv[4]);
		return 1;
	}
	j.ans = calloc(j.n, sizeof *j.ans);
	t = calloc(conc, sizeof *t);
	lat = calloc(j.n, sizeof *lat);
	if (j.ans == NULL || t == NULL || lat == NULL)
		return 1;
	t0 = now_us();
	for (i = 0; i < conc; i++)
		if (pthread_create(&t[i], NULL, worker, &j) != 0)
			return 1;
	for (i = 0; i < conc; i++)
		pthread_join(t[i], NULL);
	t1 = now_us();
	for (i = 0; i < j.n; i++) {
		lat[i] = j.ans[i].us;
		ok += j.ans[i].status == 200;
	}
	qsort(lat, j.n, sizeof *lat, cmp_u32);
	secs = (double)(t1 - t0) / 1e6;
	printf("requests=%zu ok=%zu seconds=%.3f per_s=%.0f p50_ms=%.2f p99_ms=%.2f transport_errors=%d\n",
	    j.n, ok, secs, (double)j.n / secs, lat[j.n / 2] / 1000.0,
	    lat[(j.n * 99) / 100] / 1000.0, atomic_load(&j.failed));
	if (save(argv[5], &j) != 0) {
		fprintf(stderr, "masa-loadgen: cannot write %s\n", argv[5]);
		rc = 1;
	}
	if (atomic_load(&j.failed))
		rc = 1;
	for (i = 0; i < j.n; i++) {
		free(j.req[i]);
		free(j.ans[i].body);
	}
	free(j.req);
	free(j.req_len);
	free(j.ans);
	free(t);
	free(lat);
	SSL_CTX_free(j.ctx);
	return rc;
}
