/*
 * loadgen.c: the voucher benchmark's load generator. Reads pre-built
 * requests (each a 4-byte big-endian length and the RVR bytes), POSTs each
 * once to HOST:PORT PATH over HTTPS on CONC keep-alive connections, one
 * request at a time on each, all driven by one thread (OpenSSL,
 * non-blocking, epoll; the server verified against CACERT for
 * the name "localhost"), and writes every answer (status, latency, body)
 * to OUT in request order for an independent verifier. Prints one line of
 * figures. Lean on purpose: it shares the machine with the server, and
 * every microsecond it spends is one the server does not get.
 *
 *   masa-loadgen PORT PATH CACERT IN OUT CONC
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX 65536	/* a request or an answer, head and body */

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
	size_t sent;		/* requests taken so far */
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A verified TLS connection to 127.0.0.1:port, made blocking, then left
 * non-blocking for the event loop; NULL on failure. */
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
	    SSL_connect(ssl) != 1 || fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
		SSL_free(ssl);
		close(fd);
		return NULL;
	}
	return ssl;
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

/* One keep-alive connection and the exchange under way on it. */
struct conn {
	SSL *ssl;
	int fd;
	size_t i;		/* the request being exchanged */
	int64_t t0;
	char out[BUF_MAX];	/* the request: head and body, one TLS record */
	int out_len;
	char in[BUF_MAX + 1];	/* the answer so far */
	size_t got;
};

/* Takes the next unsent request for c: 1, or 0 if none is left. */
static int
next_request(struct job *j, struct conn *c)
{
	int hn;

	if (j->sent == j->n)
		return 0;
	c->i = j->sent++;
	hn = snprintf(c->out, sizeof c->out, "POST %s HTTP/1.1\r\nHost: localhost\r\n"
	    "Content-Type: application/voucher+cose\r\nAccept: application/voucher+cose\r\n"
	    "Content-Length: %zu\r\n\r\n", j->path, j->req_len[c->i]);
	if (hn <= 0 || (size_t)hn + j->req_len[c->i] > sizeof c->out)
		return -1;
	memcpy(c->out + hn, j->req[c->i], j->req_len[c->i]);
	c->out_len = hn + (int)j->req_len[c->i];
	c->got = 0;
	c->t0 = now_us();
	return 1;
}

/* If c->in holds a whole answer, records it: 1; 0 if more is to come;
 * -1 if it is not one. */
static int
answer_done(struct job *j, struct conn *c)
{
	struct answer *a = &j->ans[c->i];
	char *end, *cl;
	size_t hlen, need;

	c->in[c->got] = '\0';
	if ((end = strstr(c->in, "\r\n\r\n")) == NULL)
		return c->got < BUF_MAX ? 0 : -1;
	hlen = (size_t)(end + 4 - c->in);
	*end = '\0';
	cl = find_header(c->in, "content-length");
	*end = '\r';
	if (strncmp(c->in, "HTTP/1.1 ", 9) != 0 || cl == NULL)
		return -1;
	need = strtoul(cl, NULL, 10);
	if (hlen + need > BUF_MAX)
		return -1;
	if (c->got < hlen + need)
		return 0;
	if (c->got > hlen + need)
		return -1;	/* nothing was asked for beyond this answer */
	a->status = strtol(c->in + 9, NULL, 10);
	a->us = (uint32_t)(now_us() - c->t0);
	a->len = need;
	a->body = malloc(need ? need : 1);
	if (a->body == NULL)
		return -1;
	memcpy(a->body, c->in + hlen, need);
	return 1;
}

/* Moves c on as far as it goes without blocking: sends its request, reads
 * its answer, takes the next request. 0 while c has work or is done; -1
 * on a transport error. *open is cleared when no request is left. */
static int
drive(struct job *j, struct conn *c, int *open)
{
	int n, rc;

	for (;;) {
		if (c->out_len > 0) {
			n = SSL_write(c->ssl, c->out, c->out_len);
			if (n <= 0) {
				rc = SSL_get_error(c->ssl, n);
				return rc == SSL_ERROR_WANT_READ || rc == SSL_ERROR_WANT_WRITE ? 0 : -1;
			}
			c->out_len = 0;
			/* The answer cannot be there yet: wait for epoll rather
			 * than spend a read that would only say "not yet". */
			if (!SSL_has_pending(c->ssl))
				return 0;
		}
		n = SSL_read(c->ssl, c->in + c->got, (int)(BUF_MAX - c->got));
		if (n <= 0) {
			rc = SSL_get_error(c->ssl, n);
			return rc == SSL_ERROR_WANT_READ || rc == SSL_ERROR_WANT_WRITE ? 0 : -1;
		}
		c->got += (size_t)n;
		if ((rc = answer_done(j, c)) <= 0) {
			if (rc < 0)
				return -1;
			continue;
		}
		if ((rc = next_request(j, c)) <= 0) {
			*open = 0;
			return rc;
		}
	}
}

/* Every connection on one thread (epoll): a thread per connection would
 * cost the server a context switch per answer. */
static int
run(struct job *j, size_t conc)
{
	struct epoll_event ev, evs[64];
	struct conn *cs = calloc(conc, sizeof *cs);
	int *open = calloc(conc, sizeof *open);
	size_t i, live = 0;
	int ep = epoll_create1(0), n, k, rc = -1;

	if (cs == NULL || open == NULL || ep < 0)
		goto done;
	for (i = 0; i < conc; i++) {
		if ((cs[i].ssl = dial(j)) == NULL)
			goto done;
		cs[i].fd = SSL_get_fd(cs[i].ssl);
		ev.events = EPOLLIN;
		ev.data.u64 = i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev) != 0)
			goto done;
		if ((open[i] = next_request(j, &cs[i])) < 0)
			goto done;
		if (open[i] && drive(j, &cs[i], &open[i]) != 0)
			goto done;
		live += open[i] != 0;
	}
	while (live > 0) {
		n = epoll_wait(ep, evs, 64, 10000);
		if (n <= 0)
			goto done;	/* an answer 10 s late counts as lost */
		for (k = 0; k < n; k++) {
			i = evs[k].data.u64;
			if (!open[i])
				continue;
			if (drive(j, &cs[i], &open[i]) != 0)
				goto done;
			live -= open[i] == 0;
		}
	}
	rc = 0;
done:
	for (i = 0; cs != NULL && i < conc && cs[i].ssl != NULL; i++) {
		SSL_free(cs[i].ssl);
		close(cs[i].fd);
	}
	if (ep >= 0)
		close(ep);
	free(cs);
	free(open);
	return rc;
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
	uint32_t *lat;
	size_t i, ok = 0, conc;
	int64_t t0, t1;
	double secs;
	int rc = 0, failed;

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
	/* An answer's header and body come as two TLS records: read both
	 * with one recv. */
	SSL_CTX_set_read_ahead(j.ctx, 1);
	if (load(argv[4], &j) != 0) {
		fprintf(stderr, "masa-loadgen: cannot read requests from %s\n", argv[4]);
		return 1;
	}
	j.ans = calloc(j.n, sizeof *j.ans);
	lat = calloc(j.n, sizeof *lat);
	if (j.ans == NULL || lat == NULL)
		return 1;
	t0 = now_us();
	failed = run(&j, conc) != 0;
	t1 = now_us();
	for (i = 0; i < j.n; i++) {
		lat[i] = j.ans[i].us;
		ok += j.ans[i].status == 200;
	}
	qsort(lat, j.n, sizeof *lat, cmp_u32);
	secs = (double)(t1 - t0) / 1e6;
	printf("requests=%zu ok=%zu seconds=%.3f per_s=%.0f p50_ms=%.2f p99_ms=%.2f transport_errors=%d\n",
	    j.n, ok, secs, (double)j.n / secs, lat[j.n / 2] / 1000.0,
	    lat[(j.n * 99) / 100] / 1000.0, failed);
	if (save(argv[5], &j) != 0) {
		fprintf(stderr, "masa-loadgen: cannot write %s\n", argv[5]);
		rc = 1;
	}
	if (failed)
		rc = 1;
	for (i = 0; i < j.n; i++) {
		free(j.req[i]);
		free(j.ans[i].body);
	}
	free(j.req);
	free(j.req_len);
	free(j.ans);
	free(lat);
	SSL_CTX_free(j.ctx);
	return rc;
}
