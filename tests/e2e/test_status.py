"""The status page (GET /status on the admin listener, operator issue 20), in a
real browser: Debian's headless Chromium (cdp.py) loads it with an auditor
token in the Authorization header, a screenshot is taken, and the page's text
and the chart's bars are checked against a known history: vouchers issued and
refused by the real server in this hour, and entries written beforehand into
the audit trail, hash-chained as masa chains them (test_auditlog.chain_hash),
at known hours of the last 48 (and one just outside them). ?format=json is
checked against the same history, the store and the certificates.

MASA_STATUS_SCREENSHOT=PATH keeps the screenshot (the README's picture).
"""
import base64
import datetime
import hashlib
import json
import os
import sqlite3
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import cdp
from masatest import BACKEND, request, run
from test_auditlog import chain_hash
from vtest import VoucherCase, new_nonce

HOUR_MS = 3600 * 1000
HOURS = 48
ODD_REASON = '<b>bold</b>&"quoted"<script>x()</script>'   # markup: must show as text
RATE_LIMITED = "MASA_E_RATE_LIMITED"
BACKEND_NAME = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[BACKEND]   # as the page says


def add_audit_entries(case, entries):
    """Appends entries (dicts: at_ms, event, detail) to the trail of case's instance,
    chained (SQL behind masa's back: sqlite3, or psql on PostgreSQL)."""
    if BACKEND == "postgresql":
        add_audit_entries_pg(case, entries)
        return
    db = sqlite3.connect(case.inst.path("masa.db"))
    try:
        seq, prev = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        for e in entries:
            seq += 1
            full, h = audit_row(seq, e, prev)
            db.execute("INSERT INTO audit (seq, at_ms, event, serial, registrar_sha256, nonce,"
                       " assertion, source, detail, prev_hash, hash)"
                       " VALUES (?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, ?)",
                       (seq, full["at_ms"], full["event"], full["serial"], full["source"],
                        full["detail"], prev, h))
            prev = h
        db.commit()
    finally:
        db.close()


def audit_row(seq, e, prev):
    """The full audit entry of e at seq after prev, and its chain hash."""
    full = {"at_ms": e["at_ms"], "event": e["event"], "serial": "PAST-1", "registrar": None,
            "nonce": None, "assertion": None, "source": "test", "detail": e["detail"]}
    return full, chain_hash(seq, full, prev)


def add_audit_entries_pg(case, entries):
    """add_audit_entries with psql: the same rows, in one statement."""
    seq, prev = case.pg_rows("SELECT seq, encode(hash, 'hex') FROM audit"
                             " ORDER BY seq DESC LIMIT 1")[0]
    seq, prev, values = int(seq), bytes.fromhex(prev), []
    for e in entries:
        seq += 1
        full, h = audit_row(seq, e, prev)
        values.append("(%d, %d, %s, %s, %s, %s, '\\x%s', '\\x%s')" % (
            seq, full["at_ms"], *(sql_text(full[k]) for k in ("event", "serial", "source",
                                                               "detail")), prev.hex(), h.hex()))
        prev = h
    case.pg_rows("INSERT INTO audit (seq, at_ms, event, serial, source, detail, prev_hash, hash)"
                 " VALUES " + ", ".join(values))


def sql_text(s):
    """s as an SQL string literal (standard_conforming_strings: quotes doubled)."""
    return "'%s'" % s.replace("'", "''")


def expected_bars(rows, now_s):
    """{(series, hour RFC 3339, reason): count} of the chart's bars for audit rows
    (at_ms, event, detail) at now_s, as the page defines them."""
    first_s = (now_s // 3600 - (HOURS - 1)) * 3600
    bars = {}
    for at_ms, event, detail in rows:
        i = (at_ms // 1000 - first_s) // 3600
        if not 0 <= i < HOURS or event not in ("voucher.issued", "voucher.refused"):
            continue
        hour = datetime.datetime.fromtimestamp(first_s + i * 3600, datetime.timezone.utc)
        hour = hour.strftime("%Y-%m-%dT%H:%M:%SZ")
        reason = detail.split(" ")[0] if event == "voucher.refused" else ""
        if event == "voucher.issued":
            key = ("issued", hour, "")
        elif reason == RATE_LIMITED:
            key = ("limited", hour, RATE_LIMITED)
        else:
            key = ("refused", hour, reason)
        bars[key] = bars.get(key, 0) + 1
    return bars


class StatusPage(VoucherCase):
    def prepare(self):
        self.inst.edit_config(policy={"bucket_capacity": 2})
        # The past: hours counted back from this one, at half past.
        h0 = int(time.time() * 1000) // HOUR_MS * HOUR_MS + HOUR_MS // 2
        self.hour = h0 // HOUR_MS
        self.past = [
            {"at_ms": h0 - 48 * HOUR_MS, "event": "voucher.issued", "detail": ""},  # outside
            {"at_ms": h0 - 47 * HOUR_MS, "event": "voucher.issued", "detail": ""},
            {"at_ms": h0 - 47 * HOUR_MS + 1000, "event": "voucher.issued", "detail": ""},
            {"at_ms": h0 - 30 * HOUR_MS, "event": "voucher.refused", "detail": "MASA_E_PINNED"},
            {"at_ms": h0 - 30 * HOUR_MS, "event": "voucher.refused",
             "detail": RATE_LIMITED + " (+3 not audited)"},
            {"at_ms": h0 - 5 * HOUR_MS, "event": "voucher.refused", "detail": ODD_REASON},
            {"at_ms": h0 - 5 * HOUR_MS, "event": "device.enrolled", "detail": ""},  # not charted
        ]
        add_audit_entries(self, self.past)
        self.server = self.serve()
        # This hour, from the real server: issued, pinned refusal, issued, 429.
        pledge, reg, other = self.enroll(), self.registrar(), self.registrar(cn="other")
        self.enroll()
        self.issue(pledge, reg)
        statuses = [self.post(self.make_request(pledge, other)[0])[0]]
        self.issue(pledge, reg)
        statuses.append(self.post(self.make_request(pledge, reg)[0])[0])
        self.assertEqual(statuses, [403, 429])
        self.auditor = self.cli("token", "create", "--role", "auditor", "--name", "viewer").stdout.strip()

    def audit_rows(self):
        """[(at_ms, event, detail)] of the whole trail (`masa audit export`)."""
        return [(e["at_ms"], e["event"], e["detail"]) for e in self.audit_export()]

    def store_counts(self):
        """(devices, owners, registrar keys) counted with SQL on the store."""
        sql = ("SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM owners), "
               "(SELECT count(*) FROM registrar_keys)")
        if BACKEND == "postgresql":
            return tuple(int(n) for n in self.pg_rows(sql)[0])
        return self.query(sql)[0]

    def get(self, path, token=None, port=None):
        hdr = {"Authorization": "Bearer " + token} if token else {}
        return request(self.inst, port or self.server.admin_port, "GET", path, headers=hdr)

    def tls_spki(self):
        with open(self.inst.path("tls.crt"), "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        return cert.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)

    def test_page_in_chromium(self):
        """Chromium loads the page with the token: title, facts, totals, and one bar per
        (hour, series, reason) of the known history, each with its count; markup in a
        reason shows as text; a screenshot is taken."""
        browser = cdp.Browser(trust_spki_der=self.tls_spki())
        try:
            status = browser.open("https://localhost:%d/status" % self.server.admin_port,
                                  {"Authorization": "Bearer " + self.auditor})
            self.assertEqual(status, 200)
            self.assertEqual(browser.eval("document.title"), "masa status")
            text = browser.eval("document.body.innerText")
            now = browser.eval("document.querySelector('p').textContent")
            bars = browser.eval("""Array.from(document.querySelectorAll('svg#chart rect.bar'))
                .map(r => [r.classList[1], r.dataset.hour, r.dataset.reason,
                           Number(r.dataset.count), r.getBBox().height])""")
            scripts = browser.eval("document.scripts.length")
            bold = browser.eval("document.getElementsByTagName('b').length")
            external = browser.eval("""performance.getEntriesByType('resource').map(e => e.name)""")
            out = os.environ.get("MASA_STATUS_SCREENSHOT") or os.path.join(self.inst.tmp,
                                                                            "status.png")
            png = browser.screenshot(out)
        finally:
            browser.close()
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        self.assertGreater(len(png), 10000)
        # The page's own time says which 48 hours it shows.
        now_s = int(datetime.datetime.strptime(now.split()[1], "%Y-%m-%dT%H:%M:%SZ")
                    .replace(tzinfo=datetime.timezone.utc).timestamp())
        want = expected_bars(self.audit_rows(), now_s)
        got = {(c, h, r): n for c, h, r, n, _ in bars}
        self.assertEqual(len(bars), len(want), bars)
        self.assertEqual(got, want)
        self.assertTrue(all(height >= 1 for *_, height in bars), bars)
        issued = sum(n for (c, _, _), n in want.items() if c == "issued")
        refused = sum(n for (c, _, _), n in want.items() if c == "refused")
        limited = sum(n for (c, _, _), n in want.items() if c == "limited")
        if now_s // 3600 == self.hour:  # the page's hour is the one the history was made in
            # 2 issued 47 h ago and 2 now; refused: a pin 30 h ago, the odd reason 5 h
            # ago, a pin now; 429s: one 30 h ago, one now; nine bars in four hours.
            self.assertEqual((issued, refused, limited, len(bars)), (4, 3, 2, 7))
        self.assertIn("%d vouchers issued, %d refused, %d answered 429" % (issued, refused, limited),
                      text)
        version = run("--version").stdout.split()[1]
        for line in ("version\t" + version, "backend\t" + BACKEND_NAME, "devices\t2", "owners\t0",
                     "registrars\t%d" % self.store_counts()[2]):
            self.assertIn(line, text)
        self.assertIn("refused: " + ODD_REASON, text)   # as text ...
        self.assertEqual((scripts, bold, external), (0, 0, []))  # ... no markup, no assets
        self.assertIn("CN=localhost", text)

    def test_chromium_trusts_only_the_pinned_key(self):
        """The browser is not told to ignore certificate errors: pinned to another key, it
        refuses the server's certificate (so the pin above is what lets the page load)."""
        other = self.masa_key().public_bytes(  # the voucher-signing key: not the TLS one
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        browser = cdp.Browser(trust_spki_der=other)
        try:
            got = browser.open("https://localhost:%d/status" % self.server.admin_port,
                               {"Authorization": "Bearer " + self.auditor})
        finally:
            browser.close()
        self.assertIsInstance(got, str)
        self.assertIn("CERT", got)

    def test_json_matches_the_store_and_certificates(self):
        """?format=json: the same history, the store's counts and size, the keys'
        fingerprints and certificate expiries as the files have them."""
        st, hdr, body = self.get("/status?format=json", self.auditor)
        self.assertEqual(st, 200, body)
        self.assertTrue(hdr["content-type"].startswith("application/json"))
        doc = json.loads(body)
        now_s = int(datetime.datetime.strptime(doc["now"], "%Y-%m-%dT%H:%M:%SZ")
                    .replace(tzinfo=datetime.timezone.utc).timestamp())
        want = expected_bars(self.audit_rows(), now_s)
        got = {}
        for h in doc["history"]["series"]:
            if h["issued"]:
                got[("issued", h["hour"], "")] = h["issued"]
            if h["rate-limited"]:
                got[("limited", h["hour"], RATE_LIMITED)] = h["rate-limited"]
            for reason, n in h["refused"].items():
                got[("refused", h["hour"], reason)] = n
        self.assertEqual(got, want)
        self.assertEqual(len(doc["history"]["series"]), HOURS)
        self.assertFalse(doc["history"]["truncated"])
        self.assertEqual(sorted(doc["history"]["reasons"]),
                         sorted({r for (c, _, r) in want if c == "refused"}))
        self.assertEqual(doc["version"], run("--version").stdout.split()[1])
        self.assertGreaterEqual(doc["uptime-s"], 0)
        store = doc["store"]
        self.assertEqual((store["backend"], store["devices"], store["owners"],
                          store["registrars"]),
                         (BACKEND_NAME,)
                         + self.store_counts())
        self.assertGreater(store["bytes"], 0)
        signing, tls = doc["keys"]
        spki = self.masa_key().public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        self.assertEqual(signing["spki-sha256"], hashlib.sha256(spki).hexdigest())
        for entry, name in ((signing, "signing.crt"), (tls, "tls.crt")):
            with open(self.inst.path(name), "rb") as f:
                cert = x509.load_pem_x509_certificate(f.read())
            self.assertEqual(entry["certificate"]["not-after"],
                             cert.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ"))
            self.assertEqual(entry["certificate"]["subject"], cert.subject.rfc4514_string())

    def test_who_may_see_it(self):
        """auditor and admin: 200; factory 403; no token 401; the public listener 404;
        an unknown format 400."""
        factory = self.cli("token", "create", "--role", "factory", "--name", "f").stdout.strip()
        self.assertEqual(self.get("/status", self.inst.token)[0], 200)
        self.assertEqual(self.get("/status", factory)[0], 403)
        self.assertEqual(self.get("/status")[0], 401)
        self.assertEqual(self.get("/status", self.auditor, port=self.server.port)[0], 404)
        st, _, body = self.get("/status?format=xml", self.auditor)
        self.assertEqual(st, 400, body)


class StatusBound(VoucherCase):
    """More audit entries in the window than MASA_STATUS_AUDIT_MAX: the page reads that
    many, newest first, and says it stopped there."""
    LIMIT = 200000   # masa/app/masa_limits.h

    def prepare(self):
        now = int(time.time() * 1000)
        if BACKEND == "postgresql":     # the same rows with psql
            self.pg_rows("INSERT INTO audit (seq, at_ms, event, detail, prev_hash, hash)"
                         " SELECT m.seq + 1 + i, %d - 60000 + i / 1000, 'voucher.issued', '',"
                         " decode(repeat('00', 32), 'hex'), decode(repeat('00', 32), 'hex')"
                         " FROM (SELECT max(seq) AS seq FROM audit) m, generate_series(0, %d) i"
                         % (now, self.LIMIT + 4))
            self.server = self.serve()
            return
        db = sqlite3.connect(self.inst.path("masa.db"))
        try:
            seq = db.execute("SELECT max(seq) FROM audit").fetchone()[0]
            # Not chained (the page does not verify the chain; `audit verify` would fail).
            db.executemany("INSERT INTO audit (seq, at_ms, event, detail, prev_hash, hash)"
                           " VALUES (?, ?, 'voucher.issued', '', zeroblob(32), zeroblob(32))",
                           ((seq + 1 + i, now - 60000 + i // 1000) for i in range(self.LIMIT + 5)))
            db.commit()
        finally:
            db.close()
        self.server = self.serve()

    def test_history_is_cut_at_the_limit(self):
        token = self.inst.token
        t0 = time.monotonic()
        st, _, body = request(self.inst, self.server.admin_port, "GET", "/status?format=json",
                              headers={"Authorization": "Bearer " + token})
        elapsed = time.monotonic() - t0
        self.assertEqual(st, 200, body)
        hist = json.loads(body)["history"]
        self.assertEqual((hist["audit-entries-read"], hist["truncated"]), (self.LIMIT, True))
        self.assertEqual(sum(h["issued"] for h in hist["series"]), self.LIMIT)
        st, _, body = request(self.inst, self.server.admin_port, "GET", "/status",
                              headers={"Authorization": "Bearer " + token})
        self.assertIn(b"from %d audit entries, the newest only: cut" % self.LIMIT, body)
        self.assertLess(elapsed, 20, "the bounded read took %.1f s" % elapsed)


if __name__ == "__main__":
    unittest.main()
