/* encode.c: see encode.h. */
#include "encode.h"

#include <string.h>

void
masa_hex(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Base64 with the given 64-letter alphabet, padded or not. */
static size_t
b64(const uint8_t *in, size_t n, char *out, const char *alpha, int pad)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		out[o++] = alpha[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alpha[v >> 18 & 63];
		out[o++] = alpha[v >> 12 & 63];
		out[o++] = alpha[v >> 6 & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

size_t
masa_b64url(const uint8_t *in, size_t n, char *out)
{
	return b64(in, n, out,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 0);
}

size_t
masa_b64(const uint8_t *in, size_t n, char *out)
{
	return b64(in, n, out,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 1);
}

/* The value of a hex digit, or -1. */
static int
nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
masa_unhex(const char *s, uint8_t *out, size_t n)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[2 * i] == '\0' || (hi = nibble(s[2 * i])) < 0 || (lo = nibble(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return s[2 * n] == '\0' ? 0 : -1;
}

/* The value of a base64 letter (standard, or base64url with url), or -1. */
static int
b64_value(char c, int url)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const char alpha_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *a = url ? alpha_url : alpha;
	const char *p = c != '\0' ? strchr(a, c) : NULL;

	return p != NULL ? (int)(p - a) : -1;
}

/* masa_unb64 (url 0: padded, standard letters) and masa_unb64url (url 1:
 * no padding, URL-safe letters). */
static int
unb64(const char *s, size_t n, int skip_ws, int url, uint8_t *out, size_t cap, size_t *len)
{
	uint32_t acc = 0;
	size_t o = 0, i, letters = 0;
	int bits = 0, pad = 0, v;

	for (i = 0; i < n; i++) {
		if (skip_ws && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			continue;
		letters++;
		if (s[i] == '=' && !url) {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64_value(s[i], url)) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Padding completes the last group; the bits it stands for are zero.
	 * Unpadded, a group of one letter is impossible. */
	if (url ? letters % 4 == 1 :
	    (letters % 4 != 0 || pad > 2 || (pad > 0 && bits != 2 * pad)))
		return -1;
	if ((acc & ((1u << bits) - 1)) != 0)
		return -1;
	*len = o;
	return 0;
}

int
masa_unb64(const char *s, size_t n, int skip_ws, uint8_t *out, size_t cap, size_t *len)
{
	return unb64(s, n, skip_ws, 0, out, cap, len);
}

int
masa_unb64url(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	return unb64(s, n, 0, 1, out, cap, len);
}
