/* encode.h: hex and base64url text encodings for identifiers and tokens. */
#ifndef MASA_ENCODE_H
#define MASA_ENCODE_H

#include <stddef.h>
#include <stdint.h>

/* Lower-case hex of n bytes into out, which must hold 2n+1 bytes. */
void masa_hex(const uint8_t *in, size_t n, char *out);
/* Unpadded base64url (RFC 4648 §5) into out, which must hold
 * MASA_B64URL_LEN(n)+1 bytes. Returns the text length. */
#define MASA_B64URL_LEN(n) (((n) * 4 + 2) / 3)
size_t masa_b64url(const uint8_t *in, size_t n, char *out);

/* Standard base64 with padding (RFC 4648 §4) into out, which must hold
 * MASA_B64_LEN(n)+1 bytes. Returns the text length. */
#define MASA_B64_LEN(n) ((((n) + 2) / 3) * 4)
size_t masa_b64(const uint8_t *in, size_t n, char *out);

/* Strict standard base64 (RFC 4648 §4): padded to a multiple of four,
 * '=' only at the end, unused bits zero; with skip_ws, spaces, tabs, CR
 * and LF anywhere are ignored (PEM). At most cap bytes to out; 0 with the
 * length in *len, or -1 if s is not such text or does not fit. */
int masa_unb64(const char *s, size_t n, int skip_ws, uint8_t *out, size_t cap, size_t *len);

/* Strict unpadded base64url (RFC 4648 §5, as JWS uses it, RFC 7515 §2):
 * unused bits zero. At most cap bytes to out; 0 with *len, or -1. */
int masa_unb64url(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len);

/* Exactly 2n hex digits (either case) to n bytes; 0, or -1 if s is not. */
int masa_unhex(const char *s, uint8_t *out, size_t n);

#endif
