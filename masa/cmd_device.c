/* cmd_device.c: `masa device add` (enroll one device by its IDevID
 * certificate or public key), `masa device release` (clear the registrar
 * pin, for resale or repair) and `masa device retire` (no more vouchers). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "startup.h"
#include "store/rows.h"
#include "timeutil.h"
#include "vreq.h"

static const char help[] =
    "usage: masa device add --config FILE --serial S (--idevid CERT.pem | --pubkey KEY.pem)\n"
    "                       [--product P] [--owner NAME]\n"
    "       masa device release --config FILE SERIAL\n"
    "       masa device retire --config FILE SERIAL\n\n"
    "add enrolls a device: with --idevid, the certificate's subject serialNumber\n"
    "must equal S; keys are P-256, P-384 or Ed25519. Enrolling the same record\n"
    "again changes nothing; the same serial with another key is refused.\n"
    "release clears the registrar the device is pinned to; retire stops all\n"
    "vouchers for the device (requests for it are answered like an unknown serial).\n";

struct add_args {
	const char *serial, *product, *owner;
	uint8_t spki[MASA_SPKI_MAX];
	size_t spki_len;
	struct masa_buf cert;
	int created;
	struct masa_diag *diag;
};

static enum masa_err
add_change(struct masa_txn *t, void *arg)
{
	struct add_args *a = arg;
	int64_t owner = 0;
	enum masa_err rc;

	if (a->owner != NULL && masa_store_owner_get(t, a->owner, &owner) != MASA_OK) {
		masa_diag_set(a->diag, "there is no owner named \"%s\" (masa owner add)", a->owner);
		return MASA_E_NOT_FOUND;
	}
	rc = masa_store_device_add(t, a->serial, (struct masa_bytes){ a->spki, a->spki_len },
	    masa_buf_view(&a->cert), a->product, owner, masa_now_ms(), &a->created);
	if (rc == MASA_E_EXISTS)
		masa_diag_set(a->diag, "serial %s is already enrolled with another key", a->serial);
	if (rc == MASA_OK && a->created)
		rc = masa_cli_audit(t, "device.enrolled", a->serial, NULL,
		    a->cert.len > 0 ? "idevid" : "public-key");
	return rc;
}

/* Reads the key (and certificate) and checks the certificate's serial. */
static enum masa_err
load_identity(struct add_args *a, const char *path, int is_cert)
{
	char msg[256], cert_serial[MASA_SERIAL_MAX + 1];
	enum masa_err rc;
	X509 *x = NULL;

	rc = masa_pem_key_file(path, is_cert, a->spki, &a->spki_len, &a->cert, msg, sizeof msg);
	if (rc != MASA_OK) {
		masa_diag_set(a->diag, "%s", msg);
		return rc;
	}
	if (!is_cert)
		return MASA_OK;
	rc = masa_x509_parse(masa_buf_view(&a->cert), &x);
	if (rc == MASA_OK)
		rc = masa_x509_subject_serial(x, cert_serial, sizeof cert_serial);
	X509_free(x);
	if (rc != MASA_OK) {
		masa_diag_set(a->diag, "%s has no single subject serialNumber", path);
		return MASA_E_KEY;
	}
	if (strcmp(cert_serial, a->serial) != 0) {
		masa_diag_set(a->diag, "the certificate's serialNumber is \"%s\", not \"%s\"",
		    cert_serial, a->serial);
		return MASA_E_KEY;
	}
	return MASA_OK;
}

static int
device_add(const char *config, struct add_args *a, const char *idevid, const char *pubkey)
{
	struct masa_diag diag = { { 0 } };
	struct masa_startup st;
	enum masa_err rc;

	a->diag = &diag;
	masa_buf_init(&a->cert, 0);
	if (a->serial == NULL || (idevid == NULL) == (pubkey == NULL))
		return masa_cli_usage_error("device", "add needs --serial and one of --idevid, --pubkey");
	if (!masa_serial_ok((const uint8_t *)a->serial, strlen(a->serial)))
		return masa_cli_usage_error("device", "--serial must be 1 to 128 printable bytes");
	rc = load_identity(a, idevid ? idevid : pubkey, idevid != NULL);
	if (rc == MASA_OK && masa_cli_open_store(config, &st, &diag) != 0)
		rc = MASA_E_STORE;
	if (rc == MASA_OK) {
		rc = masa_cli_write(&st, add_change, a);
		masa_startup_free(&st);
	}
	masa_buf_free(&a->cert);
	if (rc != MASA_OK)
		return masa_cli_fail(rc, &diag);
	printf("%s %s\n", a->created ? "enrolled" : "unchanged", a->serial);
	return MASA_EXIT_OK;
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
	struct masa_device d;
	enum masa_err rc = masa_store_device_get(t, a->serial, &d);

	if (rc == MASA_E_NOT_FOUND)
		masa_diag_set(a->diag, "no device with serial %s is enrolled", a->serial);
	if (rc == MASA_OK)
		rc = a->retire ? masa_store_device_retire(t, d.id) : masa_store_device_set_pin(t, d.id, 0);
	if (rc == MASA_OK)
		rc = masa_cli_audit(t, a->retire ? "device.retired" : "device.released", a->serial,
		    NULL, "");
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
		{ "owner", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct add_args a;
	const char *config = NULL, *idevid = NULL, *pubkey = NULL, *sub;
	int c;

	memset(&a, 0, sizeof a);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 's': a.serial = optarg; break;
		case 'i': idevid = optarg; break;
		case 'p': pubkey = optarg; break;
		case 'P': a.product = optarg; break;
		case 'o': a.owner = optarg; break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_usage_error("device", "unknown option");
		}
	}
	if (optind >= argc || config == NULL)
		return masa_cli_usage_error("device", "a subcommand (add, release, retire) and --config FILE are required");
	sub = argv[optind];
	if (strcmp(sub, "add") == 0 && optind + 1 == argc)
		return device_add(config, &a, idevid, pubkey);
	if ((strcmp(sub, "release") == 0 || strcmp(sub, "retire") == 0) && optind + 2 == argc)
		return device_state(config, argv[optind + 1], strcmp(sub, "retire") == 0);
	return masa_cli_usage_error("device", "expected: add [options] | release SERIAL | retire SERIAL");
}
