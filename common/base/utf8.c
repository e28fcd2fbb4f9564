/* utf8.c: see utf8.h. */
#include "utf8.h"

#include <string.h>

/* Length of the sequence a lead byte starts (1..4), 0 if it is not one. */
static size_t
seq_len(uint8_t b, uint32_t *cp, uint32_t *min)
{
	if (b < 0x80) {
		*cp = b; *min = 0;
		return 1;
	}
	if ((b & 0xe0) == 0xc0) {
		*cp = b & 0x1f; *min = 0x80;
		return 2;
	}
	if ((b & 0xf0) == 0xe0) {
		*cp = b & 0x0f; *min = 0x800;
		return 3;
	}
	if ((b & 0xf8) == 0xf0) {
		*cp = b & 0x07; *min = 0x10000;
		return 4;
	}
	return 0;
}

int
masa_utf8_ok(const uint8_t *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp, min;

	while (i < n) {
		len = seq_len(s[i], &cp, &min);
		if (len == 0 || n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

int
masa_utf8_cut(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	if (n <= max)
		return (int)n;
	/* s[max] is the first byte left out; back up while it continues a
	 * character that began inside the prefix. */
	n = max;
	while (n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}
