/*
 * err.h: the one error enum shared by every module.
 *
 * Codes are grouped in ranges so that classification is a comparison, and
 * they are never renumbered: a retired code keeps its number as a
 * placeholder. masa/errors.c maps each code to a name, an HTTP status and a
 * one-sentence public message; tests/unit/test_errors.c pins the numbers.
 */
#ifndef MASA_ERR_H
#define MASA_ERR_H

enum masa_err {
	MASA_OK = 0,

	/* 1..99: resources, store, crypto library (HTTP 500/503) */
	MASA_E_INTERNAL = 1,
	MASA_E_NOMEM = 2,
	MASA_E_IO = 3,
	MASA_E_STORE = 4,
	MASA_E_STORE_BUSY = 5,
	MASA_E_CRYPTO = 6,
	MASA_E_KEY_UNAVAILABLE = 7,

	/* 100..199: transport: route, method, size, media type */
	MASA_E_NO_ROUTE = 100,
	MASA_E_METHOD = 101,
	MASA_E_TOO_LARGE = 102,
	MASA_E_MEDIA_TYPE = 103,
	MASA_E_NOT_ACCEPTABLE = 104,

	/* 200..299: malformed input (400); 300..399: verification (403);
	 * 400..499: policy outcomes. Filled in by the voucher work. */

	/* 500..599: local problems of the command line, configuration, key
	 * files and database settings. Never sent over HTTP. */
	MASA_E_USAGE = 500,
	MASA_E_CONFIG = 501,
	MASA_E_FILE_PERM = 502,
	MASA_E_EXISTS = 503,
	MASA_E_KEY = 504,
	MASA_E_STORE_SETTINGS = 505,
	MASA_E_SCHEMA = 506,
	MASA_E_NOT_FOUND = 507,
};

#endif
