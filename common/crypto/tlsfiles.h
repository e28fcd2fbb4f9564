/*
 * tlsfiles.h: the HTTPS server's certificate and key, read as PEM for the
 * TLS library (libmicrohttpd uses GnuTLS, which parses them itself). Here
 * they are only checked: the key file is owner-only, both parse, and the
 * certificate carries the key.
 */
#ifndef MASA_TLSFILES_H
#define MASA_TLSFILES_H

#include "attr.h"
#include "bytes.h"
#include "diag.h"
#include "err.h"

/* Reads and checks both files; cert_pem and key_pem are initialised here
 * and NUL-terminated. Caller frees both with masa_buf_free (which wipes). */
MASA_NODISCARD enum masa_err masa_tls_files_load(const char *cert_path, const char *key_path,
    struct masa_buf *cert_pem, struct masa_buf *key_pem, struct masa_diag *diag);

#endif
