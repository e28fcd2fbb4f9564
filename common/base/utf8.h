/* utf8.h: strict UTF-8 validation and cutting text at a character edge. */
#ifndef MASA_UTF8_H
#define MASA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 if s[0..n) is strict UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), else 0. */
int masa_utf8_ok(const uint8_t *s, size_t n);

/* The length of the longest prefix of the NUL-terminated string s that
 * is at most max bytes and does not end inside a multi-byte character:
 * use it as the precision of "%.*s" when quoting user text in a message,
 * so a cut never leaves half a character (and invalid UTF-8) behind. */
int masa_utf8_cut(const char *s, size_t max);

#endif
