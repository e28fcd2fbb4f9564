/*
 * format.h: voucher formats, and the form of one answer (which format,
 * under which media type name, whether as a multipart body), as the HTTP
 * layer's negotiation (negotiate.h) chooses it for the core.
 */
#ifndef MASA_FORMAT_H
#define MASA_FORMAT_H

enum masa_format {
	MASA_FORMAT_COSE = 1,	/* COSE_Sign1 over YANG-CBOR */
};

struct masa_answer {
	enum masa_format format;	/* of the request and of the voucher */
	const char *voucher_type;	/* media type name of the voucher (static) */
	const char *multipart;		/* "multipart/related" or "multipart/mixed", or NULL */
};

#endif
