/* cmd_audit.c: `masa audit verify` (walk the hash chain, name the first
 * broken entry) and `masa audit export [--serial S] [--since T] [--format
 * jsonl|csv]` (stream the trail to stdout). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit_export.h"
#include "cli.h"
#include "encode.h"
#include "startup.h"
#include "audit.h"
#include "timeutil.h"

static const char help[] =
    "usage: masa audit verify --config FILE [--json]\n"
    "       masa audit export --config FILE [--serial S] [--since RFC3339] [--format jsonl|csv]\n\n"
    "verify checks the audit trail's hash chain and names the first entry that was\n"
    "edited, inserted or removed; it prints the head hash, which operators record\n"
    "elsewhere (a chain cut off at its end is only detectable against a recorded head).\n"
    "With --json, verify prints {\"ok\", \"entries\", \"head\"} and, for a broken chain,\n"
    "\"broken-entry\" and \"why\" (exit 1 still).\n"
    "export writes the trail as JSON lines (default) or CSV.\n";

/* verify --json: one JSON object; bad is 0 for an intact chain. */
static void
verify_json(int64_t count, int64_t bad, const char *why, const char *head)
{
	json_t *o = json_pack("{s:b, s:I, s:s}", "ok", bad == 0, "entries", (json_int_t)count,
	    "head", head);

	if (o != NULL && bad != 0) {
		json_object_set_new(o, "broken-entry", json_integer(bad));
		json_object_set_new(o, "why", json_string(why));
	}
	if (o != NULL) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(o);
}

static int
audit_verify(struct masa_startup *st, int json)
{
	uint8_t head[MASA_AUDIT_HASH_LEN];
	char why[160], hex[2 * MASA_AUDIT_HASH_LEN + 1];
	struct masa_txn *t = NULL;
	int64_t count = 0, bad = 0;
	enum masa_err rc = masa_db_begin(st->db, 0, &t);

	if (rc == MASA_OK)
		rc = masa_audit_verify(t, &count, &bad, why, sizeof why, head);
	masa_db_rollback(t);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, NULL);
	masa_hex(head, sizeof head, hex);
	if (json)
		verify_json(count, bad, why, hex);
	if (bad != 0) {
		fprintf(stderr, "masa: audit entry %lld is broken: %s\n", (long long)bad, why);
		return MASA_EXIT_FAIL;
	}
	if (!json)
		printf("ok: %lld entries, head %s\n", (long long)count, hex);
	return MASA_EXIT_OK;
}

static int
audit_export(struct masa_startup *st, const char *serial, int64_t since, int csv)
{
	struct masa_audit_query q = { serial, since, 0, 0 };
	struct masa_txn *t = NULL;
	enum masa_err rc = masa_db_begin(st->db, 0, &t);

	if (rc == MASA_OK)
		rc = masa_audit_export_file(t, &q, csv, stdout);
	masa_db_rollback(t);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, NULL);
	return fflush(stdout) == 0 && !ferror(stdout) ? MASA_EXIT_OK : MASA_EXIT_FAIL;
}

int
masa_cmd_audit(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	const char *config = NULL, *serial = NULL, *since = NULL, *format = "jsonl";
	int64_t since_ms = INT64_MIN;
	int c, rc, verify, json = 0;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': serial = optarg; break;
		case 't': since = optarg; break;
		case 'f': format = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("audit", argv);
		}
	}
	if (config == NULL || optind != argc - 1)
		return masa_cli_usage_error("audit", "expected: verify | export, with --config FILE");
	verify = strcmp(argv[optind], "verify") == 0;
	if (!verify && strcmp(argv[optind], "export") != 0)
		return masa_cli_usage_error("audit", "expected: verify | export");
	if (strcmp(format, "jsonl") != 0 && strcmp(format, "csv") != 0)
		return masa_cli_usage_error("audit", "--format must be jsonl or csv");
	if (since != NULL && masa_rfc3339_parse(since, strlen(since), &since_ms) != 0)
		return masa_cli_usage_error("audit", "--since must be an RFC 3339 date-time");
	if (masa_startup_load(config, MASA_NEED_DB, &st, &diag) != MASA_OK)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = verify ? audit_verify(&st, json) : audit_export(&st, serial, since_ms, strcmp(format, "csv") == 0);
	masa_startup_free(&st);
	return rc;
}
