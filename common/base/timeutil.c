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

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil): exact, no libc, any year. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
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
	int y, mo, d, h, mi, sec, oh, om, ms = 0, scale = 100;
	size_t i = 19;
	int64_t t;

	if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	y = digits(s, 4); mo = digits(s + 5, 2); d = digits(s + 8, 2);
	h = digits(s + 11, 2); mi = digits(s + 14, 2); sec = digits(s + 17, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return -1;	/* no 29 February this year */
	if (sec == 60 && (h != 23 || mi != 59))
		return -1;	/* a leap second ends a (UTC) day */
	if (s[i] == '.') {
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			ms += (s[i] - '0') * scale;
			scale /= 10;
		}
		if (s[i - 1] == '.')
			return -1;
	}
	if (sec == 60)
		sec = 59;	/* a leap second counts as :59 */
	t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	t = t * 1000 + ms;
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
