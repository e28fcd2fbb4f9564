/*
 * replay_main.c: runs a fuzz target's LLVMFuzzerTestOneInput over every
 * file in the directories (or files) given, without libFuzzer, so the
 * corpus (seeds and every crash ever found) is a regression test. For the
 * voucher-request targets (fuzz_codec.h) a directory's sibling file
 * DIR.accept names, a line each, the seeds whose registrar must be
 * identified (decoded and its signature verified): "no crash" alone would
 * also pass a decoder that refused everything.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Set by the voucher-request targets (fuzz_codec.h); absent in the others. */
extern int fuzz_registrar_found __attribute__((weak));

/* 1 if name is a line of the file accept (NULL: none). */
static int
listed(const char *accept, const char *name)
{
	char line[256];
	FILE *f = accept != NULL ? fopen(accept, "r") : NULL;
	int found = 0;

	while (f != NULL && !found && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		found = strcmp(line, name) == 0;
	}
	if (f != NULL)
		fclose(f);
	return found;
}

/* Counts the lines of accept (0 if it does not exist). */
static unsigned
lines(const char *accept)
{
	char line[256];
	FILE *f = fopen(accept, "r");
	unsigned n = 0;

	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		n++;
	if (f != NULL)
		fclose(f);
	return n;
}

/* Feeds one file to the target; returns 0, or -1 if it cannot be read. */
static int
replay_file(const char *path)
{
	static uint8_t buf[1 << 20];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int
main(int argc, char **argv)
{
	char path[4096], accept[4096];
	struct dirent *e;
	struct stat st;
	unsigned count = 0, accepted = 0, before;
	DIR *d;
	int i;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(argv[i]) != 0)
				return 1;
			count++;
			continue;
		}
		d = opendir(argv[i]);
		if (d == NULL) {
			fprintf(stderr, "replay: cannot open %s\n", argv[i]);
			return 1;
		}
		snprintf(accept, sizeof accept, "%s.accept", argv[i]);
		before = accepted;
		while ((e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
			if (replay_file(path) != 0) {
				closedir(d);
				return 1;
			}
			count++;
			if (&fuzz_registrar_found != NULL && listed(accept, e->d_name)) {
				accepted++;
				if (!fuzz_registrar_found) {
					fprintf(stderr, "replay: %s: its registrar was not identified\n", path);
					closedir(d);
					return 1;
				}
			}
		}
		closedir(d);
		if (accepted - before != lines(accept)) {
			fprintf(stderr, "replay: %s names a seed that is not in %s\n", accept, argv[i]);
			return 1;
		}
	}
	printf("replay: %u inputs, no crash; %u seeds identified their registrar as listed\n",
	    count, accepted);
	return count > 0 ? 0 : 1;
}
