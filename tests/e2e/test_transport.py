"""Transport promises of the README ("HTTP"): TLS 1.2 and 1.3 only (a 1.0 or 1.1
handshake is refused by the server), `X-Request-Id` and `Cache-Control: no-store` on
every answer of both listeners, whatever its status, error bodies one text/plain line;
and admin.body_max_bytes caps the admin listener's bodies (413).

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_transport
"""
import json
import re
import socket
import sqlite3
import ssl
import unittest

import brski
import vtest
from masatest import request, run, wait_for

TEXT = "text/plain; charset=utf-8"


class TlsVersions(vtest.VoucherCase):
    def prepare(self):
        self.server = self.serve()

    def handshake(self, port, version):
        """A handshake offering exactly version; returns the negotiated version."""
        ctx = vtest.tls_context(self.inst)
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")     # let this client offer 1.0 and 1.1
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                return s.version()

    def test_tls_1_0_and_1_1_refused_1_2_and_1_3_accepted(self):
        for port in (self.server.port, self.server.admin_port):
            for version, name in ((ssl.TLSVersion.TLSv1_2, "TLSv1.2"),
                                  (ssl.TLSVersion.TLSv1_3, "TLSv1.3")):
                with self.subTest(port=port, version=name):
                    self.assertEqual(self.handshake(port, version), name)
            for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
                with self.subTest(port=port, version=version.name):
                    with self.assertRaises(ssl.SSLError) as cm:
                        self.handshake(port, version)
                    # the server's refusal (it closes the handshake), not this client
                    # declining to offer the version: with these settings the same
                    # client completes TLS 1.1 with `openssl s_server -tls1_1`
                    self.assertNotIn("NO_PROTOCOLS_AVAILABLE", str(cm.exception).upper()
                                     .replace(" ", "_"))


class EveryAnswer(vtest.VoucherCase):
    """One request per status class on each listener: the common headers on all."""

    def prepare(self):
        self.inst.edit_config(admin={"body_max_bytes": 2048},
                              database={"busy_timeout_ms": 200},
                              policy={"bucket_capacity": 1})
        self.p, self.r = self.enroll(), self.registrar()
        self.server = self.serve()
        self.tokens = {}
        for role in ("admin", "factory", "auditor"):
            p = run("token", "create", "--config", self.inst.config, "--role", role,
                    "--name", "t-" + role)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.tokens[role] = p.stdout.strip()

    def admin(self, method, path, body=None, role="admin", ctype=None):
        h = {"Authorization": "Bearer " + self.tokens[role]} if role else {}
        if ctype:
            h["Content-Type"] = ctype
        return request(self.inst, self.server.admin_port, method, path, body, h)

    def public(self, method, path, body=None, ctype=None):
        return request(self.inst, self.server.port, method, path, body,
                       {"Content-Type": ctype} if ctype else {})

    def assertAnswer(self, resp, status, what):
        st, hdr, body = resp
        self.assertEqual(st, status, (what, body))
        self.assertEqual(hdr.get("cache-control"), "no-store", what)
        self.assertRegex(hdr.get("x-request-id", ""), r"^[0-9a-f]{16}$", what)
        if status >= 400:
            self.assertEqual(hdr.get("content-type"), TEXT, what)
            self.assertRegex(body.decode(), r"\A[^\n]+\n\Z", what)

    def test_every_status_class_on_both_listeners(self):
        rvr, _nonce = self.make_request(self.p, self.r)
        cases = [
            ("public /healthz", 200, lambda: self.public("GET", "/healthz")),
            ("admin /healthz", 200, lambda: self.admin("GET", "/healthz", role=None)),
            ("admin /metrics", 200, lambda: self.admin("GET", "/metrics", role="auditor")),
            ("voucher", 200, lambda: self.public("POST", vtest.PATH, rvr, vtest.COSE)),
            ("voucher 429", 429, lambda: self.public(
                "POST", vtest.PATH, self.make_request(self.p, self.r)[0], vtest.COSE)),
            ("auditlog 200", 200, lambda: self.public(
                "POST", "/.well-known/brski/requestauditlog", rvr, vtest.COSE)),
            ("admin 401", 401, lambda: self.admin("GET", "/admin/v1/devices", role=None)),
            ("admin 403", 403, lambda: self.admin("POST", "/admin/v1/devices", b"{}",
                                                  role="auditor", ctype="application/json")),
            ("public 404", 404, lambda: self.public("GET", "/nope")),
            ("admin 404", 404, lambda: self.admin("GET", "/admin/v1/nope")),
            ("public 405", 405, lambda: self.public("DELETE", "/healthz")),
            ("admin 405", 405, lambda: self.admin("PATCH", "/admin/v1/devices")),
            ("public 400", 400, lambda: self.public("POST", vtest.PATH, b"\xff", vtest.COSE)),
            ("public 413", 413, lambda: self.public("POST", vtest.PATH, b"\0" * 70000,
                                                    vtest.COSE)),
            ("admin 413", 413, lambda: self.admin("POST", "/admin/v1/devices/import",
                                                  b"\n" * 3000, ctype="application/x-ndjson")),
            ("public 415", 415, lambda: self.public("POST", vtest.PATH, rvr, "text/plain")),
            ("auditlog 406", 406, lambda: request(
                self.inst, self.server.port, "POST", "/.well-known/brski/requestauditlog",
                rvr, {"Content-Type": vtest.COSE, "Accept": "text/plain"})),
        ]
        for what, status, send in cases:
            with self.subTest(what):
                self.assertAnswer(send(), status, what)
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None, timeout=10)
        try:
            db.execute("BEGIN EXCLUSIVE")
            for what, send in (("public /readyz", lambda: self.public("GET", "/readyz")),
                               ("admin /readyz", lambda: self.admin("GET", "/readyz",
                                                                    role=None))):
                with self.subTest(what):
                    self.assertAnswer(send(), 503, what)
        finally:
            db.execute("ROLLBACK")
            db.close()

    def test_http_layer_refusals_are_not_audited(self):
        """404, 405 and 413 of the HTTP layer go to the request log only (README "The
        audit trail"): the audit trail is unchanged, each has its log line."""
        seq = self.audit_seq()
        rids = []
        for send, status in ((lambda: self.public("GET", "/nope"), 404),
                             (lambda: self.public("DELETE", vtest.PATH), 405),
                             (lambda: self.public("POST", vtest.PATH, b"\0" * 70000,
                                                  vtest.COSE), 413),
                             (lambda: self.admin("GET", "/admin/v1/nope"), 404),
                             (lambda: self.admin("DELETE", "/admin/v1/key"), 405)):
            st, hdr, _ = send()
            self.assertEqual(st, status)
            rids.append(hdr["x-request-id"])
        self.assertEqual(self.audit_entries(seq), [])
        wait_for(lambda: set(rids) <= {r.get("rid") for r in self.server.log_records()},
                 "the request log lines")

    def test_admin_body_max_bytes(self):
        """admin.body_max_bytes 2048: an import of 2,049+ bytes is 413 with the sentence and
        imports nothing; one under the cap is imported."""
        pem = lambda: brski._public(brski.new_key("es256")).public_bytes(
            brski.serialization.Encoding.PEM,
            brski.serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        line = lambda serial: json.dumps({"serial-number": serial, "public-key": pem()})
        small = (line("CAP-1") + "\n").encode()
        big = "".join(line("CAP-%d" % i) + "\n" for i in range(2, 40)).encode()
        self.assertLess(len(small), 2048)
        self.assertGreater(len(big), 2048)
        before = self.query("SELECT COUNT(*) FROM devices")
        resp = self.admin("POST", "/admin/v1/devices/import", big, role="factory",
                          ctype="application/x-ndjson")
        self.assertError(resp, "MASA_E_TOO_LARGE")
        self.assertEqual(self.query("SELECT COUNT(*) FROM devices"), before)
        st, _h, body = self.admin("POST", "/admin/v1/devices/import", small, role="factory",
                                  ctype="application/x-ndjson")
        self.assertEqual(st, 200, body)
        self.assertEqual(self.query("SELECT COUNT(*) FROM devices WHERE serial = 'CAP-1'"),
                         [(1,)])


if __name__ == "__main__":
    unittest.main()
