/* cmd_client.c: `masa client voucher|auditlog --url https://HOST:PORT
 * --pledge-key KEY.pem --serial S --registrar-key KEY.pem [...]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static const char help[] =
    "usage: masa client voucher|auditlog --url https://HOST:PORT --serial S\n"
    "           --pledge-key KEY.pem --registrar-key KEY.pem [--registrar-cert CERT.pem]\n"
    "           [--masa-key MASA.pem] [--accept TYPE] [--nonceless] [--ca FILE] [--insecure]\n"
    "           [--format cose|cms|jws]\n\n"
    "Plays pledge and registrar against any MASA: builds a pledge voucher-request\n"
    "signed by the pledge key and a registrar voucher-request signed by the\n"
    "registrar key (--format: COSE with SID keys, the default; CMS SignedData or\n"
    "JWS over JSON), posts it, and prints the status and, for a voucher, its\n"
    "contents (CBOR diagnostic notation, or its JSON) and whether its signature\n"
    "verifies (with --masa-key, or with the key of a multipart COSE answer). The\n"
    "voucher's format is the answer's (--accept may ask for another). The\n"
    "registrar certificate, if given, goes in the x5bag, CMS certificates or JWS\n"
    "x5c and is the TLS client certificate (a MASA wants it for CMS).\n"
    "--nonceless sends no pledge request (no --pledge-key needed).\n"
    "The server is verified against --ca or the system store; --insecure skips that.\n"
    "Exit status 0 only for a verified voucher (voucher) or a log (auditlog).\n";

int
masa_cmd_client(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "pledge-key", required_argument, NULL, 'p' },
		{ "serial", required_argument, NULL, 's' },
		{ "registrar-key", required_argument, NULL, 'r' },
		{ "registrar-cert", required_argument, NULL, 'c' },
		{ "masa-key", required_argument, NULL, 'm' },
		{ "accept", required_argument, NULL, 'a' },
		{ "ca", required_argument, NULL, 'C' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "nonceless", no_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct masa_client_opts o;
	const char *sub;
	char msg[200];
	int c;

	memset(&o, 0, sizeof o);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u': o.url = optarg; break;
		case 'p': o.pledge_key = optarg; break;
		case 's': o.serial = optarg; break;
		case 'r': o.registrar_key = optarg; break;
		case 'c': o.registrar_cert = optarg; break;
		case 'm': o.masa_key = optarg; break;
		case 'a': o.accept = optarg; break;
		case 'C': o.ca = optarg; break;
		case 'k': o.insecure = 1; break;
		case 'n': o.nonceless = 1; break;
		case 'f':
			for (o.format = MASA_FORMAT_COSE; o.format <= MASA_FORMAT_MAX; o.format++)
				if (strcmp(optarg, masa_format_name(o.format)) == 0)
					break;
			if (o.format > MASA_FORMAT_MAX) {
				snprintf(msg, sizeof msg, "--format must be cose, cms or jws (not %.100s)", optarg);
				return masa_cli_usage_error("client", msg);
			}
			break;
		case 'h': fputs(help, stdout); return MASA_EXIT_OK;
		default: return masa_cli_bad_option("client", argv);
		}
	}
	if (optind != argc - 1)
		return masa_cli_usage_error("client", "expected: voucher | auditlog");
	sub = argv[optind];
	if (strcmp(sub, "voucher") != 0 && strcmp(sub, "auditlog") != 0) {
		snprintf(msg, sizeof msg, "unknown subcommand \"%.100s\" (expected: voucher | auditlog)", sub);
		return masa_cli_usage_error("client", msg);
	}
	if (o.url != NULL && strncmp(o.url, "https://", 8) != 0) {
		snprintf(msg, sizeof msg, "--url must start with https:// (not %.100s)", o.url);
		return masa_cli_usage_error("client", msg);
	}
	if (o.url == NULL || o.serial == NULL ||
	    o.serial[0] == '\0' || o.registrar_key == NULL || (o.pledge_key == NULL && !o.nonceless))
		return masa_cli_usage_error("client", "--url https://..., --serial, --registrar-key and --pledge-key (or --nonceless) are required");
	if (strcmp(sub, "voucher") == 0)
		return masa_client_voucher(&o, stdout);
	return masa_client_auditlog(&o, stdout);
}
