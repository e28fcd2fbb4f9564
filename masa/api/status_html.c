/* status_html.c: the status page as HTML (GET /status): one document with
 * its style inline and the chart as inline SVG; no script, no external
 * asset. Every text that comes from the store, a certificate or the
 * configuration is escaped (esc); formatted text (masa_buf_appendf) holds
 * only our own words and numbers. */
#include "status_view.h"

#include <stdio.h>
#include <string.h>

#include "encode.h"
#include "timeutil.h"

#define SLOT_W 18		/* one hour: three bars of BAR_W and a gap */
#define BAR_W 5
#define PLOT_H 160
#define LEFT 50
#define TOP 10

static const char *const palette[MASA_STATUS_REASONS + 1] = {
	"#c62828", "#6a1b9a", "#283593", "#00838f", "#827717", "#4e342e", "#ad1457", "#37474f",
	"#9e9e9e",
};

/* Appends s with &, <, >, " and ' escaped (for text and attribute values). */
static enum masa_err
esc(struct masa_buf *out, const char *s)
{
	enum masa_err rc = MASA_OK;
	const char *r;

	for (; rc == MASA_OK && s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&': r = "&amp;"; break;
		case '<': r = "&lt;"; break;
		case '>': r = "&gt;"; break;
		case '"': r = "&quot;"; break;
		case '\'': r = "&#39;"; break;
		default: r = NULL; break;
		}
		rc = r != NULL ? masa_buf_append(out, r, strlen(r)) : masa_buf_append(out, s, 1);
	}
	return rc;
}

/* Appends before and after as they are (our own markup) around text escaped. */
static enum masa_err
esc_between(struct masa_buf *out, const char *before, const char *text, const char *after)
{
	enum masa_err rc = masa_buf_append(out, before, strlen(before));

	if (rc == MASA_OK)
		rc = esc(out, text);
	return rc == MASA_OK ? masa_buf_append(out, after, strlen(after)) : rc;
}

/* <tr><th>name</th><td>value (escaped)</td></tr> */
static enum masa_err
row(struct masa_buf *out, const char *name, const char *value)
{
	enum masa_err rc = masa_buf_appendf(out, "<tr><th>%s</th>", name);

	return rc == MASA_OK ? esc_between(out, "<td>", value, "</td></tr>\n") : rc;
}

static enum masa_err
facts(struct masa_buf *out, const struct masa_status *st, const char *version)
{
	char b[96];
	enum masa_err rc = masa_buf_appendf(out, "<h2>Service</h2>\n<table>\n");

	if (rc == MASA_OK)
		rc = row(out, "version", version);
	snprintf(b, sizeof b, "%lldd %02lldh %02lldm %02llds", (long long)(st->uptime_s / 86400),
	    (long long)(st->uptime_s / 3600 % 24), (long long)(st->uptime_s / 60 % 60),
	    (long long)(st->uptime_s % 60));
	if (rc == MASA_OK)
		rc = row(out, "uptime", b);
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "</table>\n<h2>Store</h2>\n<table>\n");
	if (rc == MASA_OK)
		rc = row(out, "backend", st->backend);
	if (rc == MASA_OK && st->have_summary) {
		snprintf(b, sizeof b, "%lld bytes (%.1f MiB)", (long long)st->store.bytes,
		    (double)st->store.bytes / 1048576.0);
		rc = row(out, "size", b);
		snprintf(b, sizeof b, "%lld", (long long)st->store.devices);
		if (rc == MASA_OK)
			rc = row(out, "devices", b);
		snprintf(b, sizeof b, "%lld", (long long)st->store.owners);
		if (rc == MASA_OK)
			rc = row(out, "owners", b);
		snprintf(b, sizeof b, "%lld", (long long)st->store.registrars);
		if (rc == MASA_OK)
			rc = row(out, "registrars", b);
	}
	return rc == MASA_OK ? masa_buf_appendf(out, "</table>\n") : rc;
}

/* One row of the keys table. */
static enum masa_err
key_row(struct masa_buf *out, const char *use, const char *alg, const char *where,
    const char *spki, int have, const struct masa_cert_info *c, int64_t now_s)
{
	char when[MASA_RFC3339_LEN];
	const char *cells[] = { use, alg ? alg : "-", where ? where : "-", spki, NULL };
	enum masa_err rc = masa_buf_appendf(out, "<tr>");
	size_t i;

	for (i = 0; rc == MASA_OK && cells[i] != NULL; i++)
		rc = esc_between(out, "<td>", cells[i], "</td>");
	if (rc == MASA_OK && !have)
		return masa_buf_appendf(out, "<td>-</td><td>-</td><td>-</td></tr>\n");
	if (rc == MASA_OK)
		rc = esc_between(out, "<td>", c->subject, "</td>");
	masa_rfc3339_s(c->not_after_s * 1000, when);
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "<td>%s</td><td class=\"%s\">%lld</td></tr>\n", when,
		    c->not_after_s - now_s < 30 * 86400 ? "soon" : "ok",
		    (long long)((c->not_after_s - now_s) / 86400));
	return rc;
}

static enum masa_err
keys(struct masa_buf *out, const struct masa_status *st)
{
	char hex[2 * MASA_SHA256_LEN + 1] = "-";
	enum masa_err rc = masa_buf_appendf(out, "<h2>Keys and certificates</h2>\n<table class=\"keys\">\n"
	    "<tr><th>use</th><th>algorithm</th><th>where</th><th>SPKI SHA-256</th>"
	    "<th>certificate subject</th><th>expires</th><th>days left</th></tr>\n");

	if (st->signing_alg != NULL)
		masa_hex(st->signing_spki_sha256, sizeof st->signing_spki_sha256, hex);
	if (rc == MASA_OK)
		rc = key_row(out, "voucher signing", st->signing_alg, st->signing_where, hex,
		    st->have_signing_cert, &st->signing_cert, st->now_s);
	if (rc == MASA_OK)
		rc = key_row(out, "TLS", NULL, NULL, "-", st->have_tls_cert, &st->tls_cert, st->now_s);
	return rc == MASA_OK ? masa_buf_appendf(out, "</table>\n") : rc;
}

static uint32_t
refused_total(const struct masa_status_hour *h)
{
	uint32_t n = 0;
	size_t i;

	for (i = 0; i <= MASA_STATUS_REASONS; i++)
		n += h->refused[i];
	return n;
}

/* A bar: class names the series, data-* the hour and count, a title for
 * the pointer; its height is n on the scale max. */
static enum masa_err
bar(struct masa_buf *out, const char *cls, const char *reason, const char *color, int x,
    int *y, uint32_t n, uint32_t max, int64_t hour_s)
{
	char when[MASA_RFC3339_LEN];
	int h = (int)(((uint64_t)n * PLOT_H + max - 1) / max);
	enum masa_err rc;

	if (n == 0)
		return MASA_OK;
	*y -= h;
	masa_rfc3339_s(hour_s * 1000, when);
	rc = masa_buf_appendf(out,
	    "<rect class=\"bar %s\" data-hour=\"%s\" data-count=\"%u\" data-reason=\"",
	    cls, when, n);
	if (rc == MASA_OK)
		rc = esc(out, reason);
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out,
		    "\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"><title>%s %u ",
		    x, *y, BAR_W, h, color, when, n);
	if (rc == MASA_OK)
		rc = esc(out, reason);
	return rc == MASA_OK ? masa_buf_appendf(out, "</title></rect>\n") : rc;
}

/* A legend entry for a refusal reason. */
static enum masa_err
legend(struct masa_buf *out, const char *color, const char *reason)
{
	enum masa_err rc = masa_buf_appendf(out, "<li><i style=\"background:%s\"></i>", color);

	return rc == MASA_OK ? esc_between(out, "refused: ", reason, "</li>\n") : rc;
}

static enum masa_err
chart(struct masa_buf *out, const struct masa_status *st)
{
	const int width = LEFT + MASA_STATUS_HOURS * SLOT_W + 10, base = TOP + PLOT_H;
	uint32_t max = 1, issued = 0, refused = 0, limited = 0, r;
	char label[MASA_RFC3339_LEN];
	enum masa_err rc;
	size_t i, k;
	int x, y;

	for (i = 0; i < MASA_STATUS_HOURS; i++) {
		r = refused_total(&st->hours[i]);
		max = st->hours[i].issued > max ? st->hours[i].issued : max;
		max = r > max ? r : max;
		max = st->hours[i].rate_limited > max ? st->hours[i].rate_limited : max;
		issued += st->hours[i].issued;
		refused += r;
		limited += st->hours[i].rate_limited;
	}
	rc = masa_buf_appendf(out,
	    "<h2>Last %d hours</h2>\n<p id=\"totals\">%u vouchers issued, %u refused, "
	    "%u answered 429 (from %lld audit entries%s).</p>\n", MASA_STATUS_HOURS, issued, refused,
	    limited, (long long)st->entries_read, st->truncated ? ", the newest only: cut" : "");
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		    "height=\"%d\" role=\"img\" aria-label=\"vouchers issued, refusals by reason and "
		    "429s per hour\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\"/>\n"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%u</text>\n<text x=\"%d\" y=\"%d\" "
		    "text-anchor=\"end\">0</text>\n", width, base + 30, LEFT, base, width - 10, base,
		    LEFT - 4, TOP + 10, max, LEFT - 4, base);
	for (i = 0; rc == MASA_OK && i < MASA_STATUS_HOURS; i++) {
		const struct masa_status_hour *h = &st->hours[i];

		x = LEFT + (int)i * SLOT_W + 1;
		y = base;
		rc = bar(out, "issued", "", "#2e7d32", x, &y, h->issued, max, h->start_s);
		y = base;
		for (k = 0; rc == MASA_OK && k <= MASA_STATUS_REASONS; k++)
			rc = bar(out, "refused", k < st->nreasons ? st->reasons[k] : "other",
			    palette[k], x + BAR_W, &y, h->refused[k], max, h->start_s);
		y = base;
		if (rc == MASA_OK)
			rc = bar(out, "limited", "MASA_E_RATE_LIMITED", "#ef6c00", x + 2 * BAR_W, &y,
			    h->rate_limited, max, h->start_s);
		if (rc == MASA_OK && i % 6 == 0) {
			masa_rfc3339_s(h->start_s * 1000, label);
			rc = masa_buf_appendf(out, "<text x=\"%d\" y=\"%d\">%.5s</text>\n", x, base + 16, label + 11);
		}
	}
	if (rc == MASA_OK)
		rc = masa_buf_appendf(out, "</svg>\n<ul class=\"legend\"><li><i style=\"background:#2e7d32\"></i>"
		    "vouchers issued</li><li><i style=\"background:#ef6c00\"></i>429 (bucket empty)</li>\n");
	for (k = 0; rc == MASA_OK && k < st->nreasons; k++)
		rc = legend(out, palette[k], st->reasons[k]);
	if (rc == MASA_OK && st->other_reasons)
		rc = legend(out, palette[MASA_STATUS_REASONS], "other");
	return rc == MASA_OK ? masa_buf_appendf(out, "</ul>\n") : rc;
}

enum masa_err
masa_status_html(const struct masa_status *st, const char *version, struct masa_buf *out)
{
	char now[MASA_RFC3339_LEN];
	enum masa_err rc;

	masa_rfc3339_s(st->now_s * 1000, now);
	rc = masa_buf_appendf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>masa status</title>\n<link rel=\"icon\" href=\"data:,\">\n"
	    "<style>body{font:14px sans-serif;margin:1.5em;color:#222}"
	    "table{border-collapse:collapse}th,td{text-align:left;padding:2px 10px 2px 0}"
	    "table.keys td{font-family:monospace;font-size:12px;max-width:240px;"
	    "overflow-wrap:anywhere}td.soon{color:#c62828;"
	    "font-weight:bold}svg text{font:11px sans-serif}ul.legend{list-style:none;padding:0}"
	    "ul.legend li{display:inline-block;margin-right:1.2em}ul.legend i{display:inline-block;"
	    "width:10px;height:10px;margin-right:4px}</style></head>\n<body>\n"
	    "<h1>masa status</h1>\n<p>at %s (UTC)</p>\n", now);
	if (rc == MASA_OK)
		rc = facts(out, st, version);
	if (rc == MASA_OK)
		rc = keys(out, st);
	if (rc == MASA_OK)
		rc = chart(out, st);
	return rc == MASA_OK ? masa_buf_appendf(out, "</body></html>\n") : rc;
}
