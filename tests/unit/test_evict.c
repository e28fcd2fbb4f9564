/* test_evict.c: masa/http/evict.c: above its mark, a new connection shuts
 * down an older one that is not in a request, from the source holding the
 * most. Real sockets (socketpairs): an evicted connection's other end
 * reads the end of the stream. */
#include "testutil.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evict.h"

#define N 6

struct peer {
	int fd[2];	/* [0] the "server" side given to the table, [1] the client's */
	struct sockaddr_in addr;
	struct masa_evict_conn *c;
};

static void
peer_open(struct peer *p, const char *ip)
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, p->fd), 0);
	assert_int_equal(fcntl(p->fd[1], F_SETFL, O_NONBLOCK), 0);
	memset(&p->addr, 0, sizeof p->addr);
	p->addr.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &p->addr.sin_addr), 1);
}

/* 1 if the table shut p's connection down: its client reads end of stream. */
static int
shut(const struct peer *p)
{
	char b;

	return read(p->fd[1], &b, 1) == 0;
}

static struct masa_evict_conn *
start(struct masa_evict *e, struct peer *p, int *evicted)
{
	p->c = masa_evict_started(e, p->fd[0], (const struct sockaddr *)(const void *)&p->addr,
	    evicted);
	assert_non_null(p->c);
	return p->c;
}

/* Proves: at or under the mark nothing is evicted; above it the oldest
 * connection goes, not one in a request, and one back from its request is
 * the newest again; a closed connection no longer counts. */
static void
test_oldest_idle_goes(void **state)
{
	struct masa_evict *e = masa_evict_new(3);
	struct peer p[N];
	int i, ev;

	(void)state;
	assert_non_null(e);
	for (i = 0; i < N; i++)
		peer_open(&p[i], "192.0.2.1");
	for (i = 0; i < 3; i++) {
		start(e, &p[i], &ev);
		assert_int_equal(ev, 0);
	}
	masa_evict_busy(e, p[0].c, 1);		/* p0 is in a request */
	start(e, &p[3], &ev);			/* 4 > 3: the oldest idle one, p1 */
	assert_int_equal(ev, 1);
	assert_true(shut(&p[1]));
	assert_false(shut(&p[0]));
	assert_false(shut(&p[2]));
	masa_evict_busy(e, p[0].c, 0);		/* back from its request: the newest */
	start(e, &p[4], &ev);			/* p2 is now the oldest idle one */
	assert_int_equal(ev, 1);
	assert_true(shut(&p[2]));
	assert_false(shut(&p[0]));
	masa_evict_closed(e, p[1].c);		/* the library closes the evicted */
	masa_evict_closed(e, p[2].c);
	masa_evict_closed(e, p[4].c);		/* 2 left: p0, p3 */
	start(e, &p[5], &ev);			/* 3: at the mark, nothing goes */
	assert_int_equal(ev, 0);
	assert_false(shut(&p[0]));
	assert_false(shut(&p[3]));
	masa_evict_closed(e, p[0].c);
	masa_evict_closed(e, p[3].c);
	masa_evict_closed(e, p[5].c);
	masa_evict_free(e);
	for (i = 0; i < N; i++) {
		close(p[i].fd[0]);
		close(p[i].fd[1]);
	}
}

/* Proves the source holding the most idle connections loses one, even when
 * the oldest connection is another source's single one; and that a table
 * with mark 0 never evicts. */
static void
test_crowded_source_goes_first(void **state)
{
	struct masa_evict *e = masa_evict_new(3), *never = masa_evict_new(0);
	struct peer p[N];
	int i, ev;

	(void)state;
	assert_non_null(e);
	assert_non_null(never);
	peer_open(&p[0], "198.51.100.7");	/* one legitimate handshake, the oldest */
	for (i = 1; i < N; i++)
		peer_open(&p[i], "203.0.113.9");	/* a flood from one address */
	for (i = 0; i < 4; i++)
		start(e, &p[i], &ev);
	assert_int_equal(ev, 1);		/* the 4th: p1, the flood's oldest */
	assert_false(shut(&p[0]));
	assert_true(shut(&p[1]));
	masa_evict_closed(e, p[1].c);
	start(e, &p[4], &ev);
	assert_int_equal(ev, 1);
	assert_false(shut(&p[0]));
	assert_true(shut(&p[2]));
	for (i = 0; i < 5; i++)
		if (i != 1)
			masa_evict_closed(e, p[i].c);
	for (i = 0; i < N; i++) {
		p[i].c = masa_evict_started(never, p[i].fd[0], NULL, &ev);
		assert_int_equal(ev, 0);
	}
	for (i = 0; i < N; i++)
		masa_evict_closed(never, p[i].c);
	masa_evict_free(e);
	masa_evict_free(never);
	for (i = 0; i < N; i++) {
		close(p[i].fd[0]);
		close(p[i].fd[1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oldest_idle_goes),
		cmocka_unit_test(test_crowded_source_goes_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
