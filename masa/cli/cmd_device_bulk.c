/* cmd_device_bulk.c: `masa device import FILE` (NDJSON, or CSV for a .csv
 * file; progress on a terminal), `masa device show SERIAL` and `masa
 * device list` (JSON, as the admin API shows them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "device_json.h"
#include "fsutil.h"
#include "import.h"
#include "startup.h"
#include "devices_view.h"
#include "timeutil.h"

#define IMPORT_FILE_MAX (1024 * 1024 * 1024)

static void
progress(void *arg, size_t done)
{
	(void)arg;
	fprintf(stderr, "\rmasa: %zu records imported", done);
}

int
masa_cli_device_import(const char *config, const char *path, int atomic)
{
	struct masa_diag diag = { { 0 } };
	struct masa_import_report rep;
	struct masa_startup st;
	struct masa_buf body;
	size_t n = strlen(path);
	int tty = isatty(STDERR_FILENO), csv = n > 4 && strcmp(path + n - 4, ".csv") == 0;
	struct masa_buf text;
	enum masa_err rc;

	masa_buf_init(&body, IMPORT_FILE_MAX);
	rc = masa_file_read(path, 0, IMPORT_FILE_MAX, &body, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	if (masa_cli_open_store(config, &st, &diag) != 0) {
		masa_buf_free(&body);
		return masa_cli_fail(MASA_E_STORE, &diag);
	}
	rc = masa_import(st.db, masa_buf_view(&body), csv ? MASA_IMPORT_CSV : MASA_IMPORT_NDJSON,
	    atomic, "cli", tty ? progress : NULL, NULL, &rep, &diag);
	if (tty)
		fputc('\n', stderr);
	masa_startup_free(&st);
	masa_buf_free(&body);
	if (rc != MASA_OK) {
		masa_diag_set(&diag, "the import failed");	/* unless it said why */
		return masa_cli_fail(rc, &diag);
	}
	rc = masa_import_report_json(&rep, 1, &text);
	if (rc == MASA_OK)
		fwrite(text.ptr, 1, text.len, stdout);
	masa_buf_free(&text);
	masa_import_report_free(&rep);
	return rc == MASA_OK && rep.rejected_total == 0 ? MASA_EXIT_OK : MASA_EXIT_FAIL;
}

/* What print_device needs. */
struct lister {
	struct masa_txn *t;
	const struct masa_config *cfg;
	int json, show;		/* --json; show (one device) or list */
	enum masa_err rc;
};

/* A device field for people: null "-", booleans yes/no, strings as they
 * are, integers in decimal; into buf. */
static const char *
field_text(json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return "-";
}

/* One device: with --json a JSON line; else, for show, "field  value"
 * lines, for list, a row of the table list_header names. */
static void
print_human(const struct lister *l, json_t *o)
{
	char b[7][24];
	const char *k;
	json_t *v;

	if (l->show) {
		json_object_foreach(o, k, v)
			printf("%-18s %s\n", k, field_text(v, b[0], sizeof b[0]));
		return;
	}
	printf("%-24s %-12s %-12s %-16.16s %6s %8s %s\n",
	    field_text(json_object_get(o, "serial-number"), b[0], sizeof b[0]),
	    field_text(json_object_get(o, "product"), b[1], sizeof b[1]),
	    field_text(json_object_get(o, "owner"), b[2], sizeof b[2]),
	    field_text(json_object_get(o, "pinned-registrar"), b[3], sizeof b[3]),
	    field_text(json_object_get(o, "tokens-left"), b[4], sizeof b[4]),
	    field_text(json_object_get(o, "vouchers-issued"), b[5], sizeof b[5]),
	    field_text(json_object_get(o, "retired"), b[6], sizeof b[6]));
}

static int
print_device(void *arg, const char *serial)
{
	struct lister *l = arg;
	json_t *o = NULL;

	l->rc = masa_device_json(l->t, l->cfg, serial, masa_now_ms(), &o);
	if (l->rc != MASA_OK)
		return 1;
	if (l->json) {
		json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		print_human(l, o);
	}
	json_decref(o);
	return 0;
}

/* show SERIAL (serial != NULL) or list. */
static int
device_print(const char *config, const char *serial, int json)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	struct lister l = { NULL, NULL, json, serial != NULL, MASA_OK };
	enum masa_err rc;

	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	l.cfg = &st.cfg;
	rc = masa_db_begin(st.db, 0, &l.t);
	if (rc == MASA_OK && serial != NULL) {
		(void)print_device(&l, serial);
	} else if (rc == MASA_OK) {
		if (!json)
			printf("%-24s %-12s %-12s %-16s %6s %8s %s\n", "SERIAL", "PRODUCT", "OWNER",
			    "PINNED", "TOKENS", "VOUCHERS", "RETIRED");
		rc = masa_store_device_page(l.t, "", 0x7fffffff, print_device, &l);
	}
	if (rc == MASA_OK)
		rc = l.rc;
	masa_db_rollback(l.t);
	masa_startup_free(&st);
	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(&diag, "no device with serial %s is enrolled", serial);
	return rc == MASA_OK && fflush(stdout) == 0 ? MASA_EXIT_OK : masa_cli_fail(rc, &diag);
}

int
masa_cli_device_show(const char *config, const char *serial, int json)
{
	return device_print(config, serial, json);
}

int
masa_cli_device_list(const char *config, int json)
{
	return device_print(config, NULL, json);
}
