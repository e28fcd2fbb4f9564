/* timeutil.c: see timeutil.h. */
#include "timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t
masa_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
masa_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
masa_rfc3339_ms(int64_t ms, char out[MASA_RFC3339_LEN])
{
	time_t secs = (time_t)(ms / 1000);
	int frac = (int)(ms % 1000);
	struct tm tm;
	size_t n;

	if (frac < 0) {
		frac += 1000;
		secs -= 1;
	}
	gmtime_r(&secs, &tm);
	n = strftime(out, MASA_RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, MASA_RFC3339_LEN - n, ".%03dZ", frac);
}

void
masa_rfc3339_s(int64_t ms, char out[MASA_RFC3339_LEN])
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, MASA_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* n decimal digits at s as an int, or -1. */
static int
digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int
masa_rfc3339_parse(const char *s, size_t n, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec, oh, om, ms = 0, scale = 100;
	size_t i = 19;
	int64_t t;
	time_t base;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4); mo = digits(s + 5, 2); d = digits(s + 8, 2);
	h = digits(s + 11, 2); mi = digits(s + 14, 2); sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			ms += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (s[i - 1] == '.')
			return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec == 60 ? 59 : sec;	/* a leap second counts as :59 */
	base = timegm(&tm);
	if (base == (time_t)-1)
		return -1;
	t = (int64_t)base * 1000 + ms;
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
		*out = t;
		return 0;
	}
	if (i + 6 != n || (s[i] != '+' && s[i] != '-') || s[i + 3] != ':')
		return -1;
	oh = digits(s + i + 1, 2);
	om = digits(s + i + 4, 2);
	if (oh < 0 || oh > 23 || om < 0 || om > 59)
		return -1;
	t -= (s[i] == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60) * 1000;
	*out = t;
	return 0;
}
