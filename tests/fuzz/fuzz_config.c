/*
 * fuzz_config.c: libFuzzer target for the configuration loader. The input
 * is written to masa.json in a scratch directory made once per process
 * (mkdtemp under $TMPDIR or /tmp, removed at exit) and loaded; a loaded
 * configuration must load again to the same values.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[512];
static char path[600];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static void
setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (dir[0] != '\0')
		return;
	snprintf(dir, sizeof dir, "%s/masa-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/masa.json", dir);
	atexit(cleanup);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct masa_config a, b;
	struct masa_diag diag = { "" };
	const char *key;
	enum masa_err rc;
	int fd;

	setup();
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	rc = masa_config_load(path, &a, &diag);
	if (getenv("MASA_FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_config: %d %s\n", (int)rc, diag.msg);
	if (rc != MASA_OK)
		return 0;
	if (masa_config_load(path, &b, &diag) != MASA_OK)
		abort();	/* the same file loads the same way */
	key = masa_config_changed_key(&a, &b, NULL);
	if (key != NULL) {
		fprintf(stderr, "config: %s differs between two loads\n", key);
		abort();
	}
	return 0;
}
