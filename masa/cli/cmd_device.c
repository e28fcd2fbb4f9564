/* cmd_device.c: `masa device add` (enroll one device by its IDevID
 * certificate or public key), `masa device release` (clear the registrar
 * pin, for resale or repair) and `masa device retire` (no more vouchers). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "enroll.h"
#include "operations.h"
#include "fsutil.h"
#include "startup.h"
#include "rows.h"
#include "timeutil.h"
#include "vreq.h"

static const char help[] =
    "usage: masa device add --config FILE --serial S (--idevid CERT.pem | --pubkey KEY.pem)\n"
    "                       [--product P] [--owner NAME] [--signing-key KEY]\n"
    "       masa device release --config FILE SERIAL\n"
    "       masa device retire --config FILE SERIAL\n"
    "       masa device import --config FILE [--atomic] FILE.jsonl|FILE.csv\n"
    "       masa device show --config FILE [--json] SERIAL\n"
    "       masa device list --config FILE [--json]\n\n"
    "add enrolls a device: with --idevid, the certificate's subject serialNumber\n"
    "must equal S; keys are P-256, P-384 or Ed25519. Enrolling the same record\n"
    "again changes nothing; the same serial with another key is refused.\n"
    "--signing-key records the voucher-signing key (masa key list) that the\n"
    "device's pledges trust: every voucher for it is signed with that key, and\n"
    "none once it is retired. Without it, the key \"default\".\n"
    "release clears the registrar the device is pinned to; retire stops all\n"
    "vouchers for the device (requests for it are answered like an unknown serial).\n"
    "import enrolls one record a line (JSON objects with serial-number, public-key\n"
    "or idevid, product, owner, signing-key; or CSV with a header row naming those columns),\n"
    "prints a report, and with --atomic writes nothing if any line is rejected.\n"
    "show prints a device's fields, list a table of devices; with --json, each\n"
    "device is one JSON object on one line.\n";

/* Reads the PEM file named by --idevid or --pubkey into the record. */
static int
device_add(const char *config, struct masa_enroll_one *a, const char *idevid, const char *pubkey,
    struct masa_buf *pem)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	enum masa_pem_kind kind;
	enum masa_err rc;

	if (a->rec.serial.ptr == NULL || (idevid == NULL) == (pubkey == NULL))
		return masa_cli_usage_error("device", "add needs --serial and one of --idevid, --pubkey");
	if (!masa_serial_ok(a->rec.serial.ptr, a->rec.serial.len))
		return masa_cli_usage_error("device", "--serial must be 1 to 128 printable bytes");
	rc = masa_file_read(idevid ? idevid : pubkey, 0, 64 * 1024, pem, &diag);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	kind = masa_cli_pem_kind(pem->ptr, pem->len);
	if (pubkey != NULL && kind == MASA_PEM_PRIVATE)
		masa_diag_set(&diag, "%s holds a private key; --pubkey takes the device's public key "
		    "(openssl pkey -in %s -pubout)", pubkey, pubkey);
	else if (pubkey != NULL && kind == MASA_PEM_CERT)
		masa_diag_set(&diag, "%s holds a certificate; give it with --idevid, or its public "
		    "key with --pubkey", pubkey);
	else if (idevid != NULL && kind == MASA_PEM_PRIVATE)
		masa_diag_set(&diag, "%s holds a private key; --idevid takes the device's IDevID "
		    "certificate", idevid);
	if (diag.msg[0] != '\0')
		return masa_cli_fail(MASA_E_KEY, &diag);
	if (idevid != NULL)
		a->rec.idevid = masa_buf_view(pem);
	else
		a->rec.public_key = masa_buf_view(pem);
	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = masa_cli_write(&st, masa_enroll_change, a);
	masa_startup_free(&st);
	if (rc != MASA_OK) {
		masa_diag_set(&diag, "%s", a->why.msg);
		return masa_cli_fail(rc, &diag);
	}
	printf("%s %.*s\n", a->created ? "enrolled" : "unchanged", (int)a->rec.serial.len,
	    (const char *)a->rec.serial.ptr);
	return MASA_EXIT_OK;
}

/* A C string as a view (NULL stays empty). */
static struct masa_bytes
view(const char *s)
{
	struct masa_bytes b = { (const uint8_t *)s, s ? strlen(s) : 0 };

	return b;
}

struct state_args {
	const char *serial;
	int retire;		/* retire, or release the pin */
	struct masa_diag *diag;
};

static enum masa_err
state_change(struct masa_txn *t, void *arg)
{
	struct state_args *a = arg;
	enum masa_err rc = a->retire ? masa_op_retire(t, a->serial, "cli") :
	    masa_op_release(t, a->serial, "cli");

	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(a->diag, "no device with serial %s is enrolled", a->serial);
	return rc;
}

/* device release / device retire */
static int
device_state(const char *config, const char *serial, int retire)
{
	struct masa_diag diag = { { 0 } };
	struct state_args a = { serial, retire, &diag };
	struct masa_startup st;
	enum masa_err rc;

	if (masa_cli_open_store(config, &st, &diag) != 0)
		return masa_cli_fail(MASA_E_STORE, &diag);
	rc = masa_cli_write(&st, state_change, &a);
	masa_startup_free(&st);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("%s %s\n", retire ? "retired" : "released", serial);
	return MASA_EXIT_OK;
}

int
masa_cmd_device(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 's' },
		{ "idevid", required_argument, NULL, 'i' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "product", required_argument, NULL, 'P' },
		{ "signing-key", required_argument, NULL, 'K' },
		{ "owner", required_argument, NULL, 'o' },
		{ "atomic", no_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_enroll_one a;
	struct masa_buf pem;
	const char *config = NULL, *idevid = NULL, *pubkey = NULL, *sub;
	int c, rc, atomic = 0, json = 0;

	memset(&a, 0, sizeof a);
	snprintf(a.actor, sizeof a.actor, "cli");
	masa_buf_init(&pem, 64 * 1024);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': a.rec.serial = view(optarg); break;
		case 'i': idevid = optarg; break;
		case 'p': pubkey = optarg; break;
		case 'P': a.rec.product = view(optarg); break;
		case 'K': a.rec.signing_key = view(optarg); break;
		case 'o': a.rec.owner = view(optarg); break;
		case 'a': atomic = 1; break;
		case 'j': json = 1; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("device", argv);
		}
	}
	if (optind >= argc || config == NULL)
		return masa_cli_usage_error("device", "a subcommand (add, import, show, list, release, retire) and --config FILE are required");
	sub = argv[optind];
	if (strcmp(sub, "add") == 0 && optind + 1 == argc) {
		rc = device_add(config, &a, idevid, pubkey, &pem);
		masa_buf_free(&pem);
		return rc;
	}
	if ((strcmp(sub, "release") == 0 || strcmp(sub, "retire") == 0) && optind + 2 == argc)
		return device_state(config, argv[optind + 1], strcmp(sub, "retire") == 0);
	if (strcmp(sub, "import") == 0 && optind + 2 == argc)
		return masa_cli_device_import(config, argv[optind + 1], atomic);
	if (strcmp(sub, "show") == 0 && optind + 2 == argc)
		return masa_cli_device_show(config, argv[optind + 1], json);
	if (strcmp(sub, "list") == 0 && optind + 1 == argc)
		return masa_cli_device_list(config, json);
	return masa_cli_usage_error("device", "expected: add [options] | import [--atomic] FILE | show SERIAL | list | release SERIAL | retire SERIAL");
}
