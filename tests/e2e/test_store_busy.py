"""503 MASA_E_STORE_BUSY on the write routes (README: database.busy_timeout_ms, "how
long a request waits for the store ... before it gets 503"): while another process
holds the SQLite write lock past the timeout, POST requestvoucher and POST
/admin/v1/devices answer the exact 503 sentence, leave every table and the audit trail
unchanged and count masa_store_errors_total{kind="busy"}; once the lock is released the
same request succeeds (a fresh voucher, not a replay of something half written). The
registrar audit log is a read and is answered meanwhile; a refusal whose audit entry
cannot be written is answered all the same and the failure logged (README, "Voucher
issuance").

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_store_busy
"""
import json
import re
import sqlite3
import unittest

import brski
from cryptography.hazmat.primitives import serialization
import vtest
from masatest import request, run

AUDITLOG = "/.well-known/brski/requestauditlog"


class StoreAdmin:
    """For a VoucherCase with self.server (and its admin listener): auditor and factory
    tokens, admin requests, and the store-error counter (shared with
    test_store_unavailable)."""

    def make_tokens(self):
        self.tokens = {role: self.token(role) for role in ("auditor", "factory")}

    def token(self, role):
        p = run("token", "create", "--config", self.inst.config, "--role", role,
                "--name", "store-" + role)
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout.strip()

    def admin(self, method, path, body=None, role="factory", ctype=None):
        h = {"Authorization": "Bearer " + self.tokens[role]}
        if ctype:
            h["Content-Type"] = ctype
        return request(self.inst, self.server.admin_port, method, "/admin/v1" + path, body, h)

    def metric(self, series):
        """The value of series (a name with its labels, as exposed) from /metrics, 0
        before it first appears."""
        st, _, body = request(self.inst, self.server.admin_port, "GET", "/metrics",
                              headers={"Authorization": "Bearer " + self.tokens["auditor"]})
        self.assertEqual(st, 200, body)
        m = re.search(rb"^%s (\d+)$" % re.escape(series.encode()), body, re.M)
        return int(m.group(1)) if m else 0

    def store_errors(self, kind):
        """masa_store_errors_total{kind=KIND}."""
        return self.metric('masa_store_errors_total{kind="%s"}' % kind)

    def enroll_body(self, serial):
        """An admin enrollment (POST /devices) of serial with a new key."""
        key = brski.new_key("es256")
        pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
        return json.dumps({"serial-number": serial, "public-key": pem.decode()}).encode()


class StoreBusy(StoreAdmin, vtest.VoucherCase):

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.inst.edit_config(database={"busy_timeout_ms": 200})
        self.server = self.serve()       # with the admin listener
        self.make_tokens()
        self.masa_key()

    def busy_count(self):
        return self.store_errors("busy")

    def assertBusy(self, send):
        """send() while the write lock is held elsewhere: the exact 503; after the lock
        is released, every table and the audit trail as before, one more busy error."""
        seq, before, busy = self.audit_seq(), self.snapshot(), self.busy_count()
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None, timeout=10)
        try:
            db.execute("BEGIN EXCLUSIVE")
            resp = send()
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertError(resp, "MASA_E_STORE_BUSY")
        self.assertEqual(self.snapshot(), before, "a busy store changed")
        self.assertEqual(self.audit_entries(seq), [])
        self.assertEqual(self.busy_count(), busy + 1)
        return resp

    def test_requestvoucher(self):
        rvr, nonce = self.make_request(self.p, self.r)
        self.assertBusy(lambda: self.post(rvr))
        self.assertVoucher(self.post(rvr), self.p.serial, nonce, self.r)
        self.assertEqual([e[1] for e in self.audit_events()][-1], "voucher.issued")

    def locked(self, send):
        """send() while another process holds the write lock."""
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None, timeout=10)
        try:
            db.execute("BEGIN EXCLUSIVE")
            return send()
        finally:
            db.execute("ROLLBACK")
            db.close()

    def test_requestauditlog(self):
        """The log itself is a read: answered while the write lock is held. A refusal
        to audit (a stranger's key) needs the writer: 503, nothing written; then the
        404 with its auditlog.refused row."""
        _leaves, rvr, _body = self.issue(self.p, self.r)
        send = lambda body: request(self.inst, self.server.port, "POST", AUDITLOG, body,
                                    {"Content-Type": vtest.COSE})
        st, hdr, body = self.locked(lambda: send(rvr))
        self.assertEqual((st, hdr.get("content-type")), (200, "application/json"), body)
        self.assertEqual(len(json.loads(body)["events"]), 1)
        stranger = self.make_request(self.p, self.registrar(cn="stranger"))[0]
        self.assertUnauditedRefusal("MASA_E_UNKNOWN_DEVICE", lambda: send(stranger))
        self.assertRefused("MASA_E_UNKNOWN_DEVICE", lambda: send(stranger), audited=True,
                           event="auditlog.refused")

    def assertUnauditedRefusal(self, name, send):
        """README: a refusal whose audit entry the store cannot take within
        busy_timeout_ms is still answered, and the failure logged: the refusal's exact
        answer, nothing written, an error line naming it."""
        seq, before = self.audit_seq(), self.snapshot()
        self.assertError(self.locked(send), name)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.audit_entries(seq), [])
        rec = self.server.wait_log("cannot audit a refusal (%s)" % name)
        self.assertEqual(rec["level"], "error")

    def test_voucher_refusal(self):
        """A policy refusal (pinned elsewhere) while the store is busy: answered, not
        audited, logged; once free, the same request is refused and audited."""
        self.issue(self.p, self.r)
        other = self.registrar(cn="other")
        rvr = self.make_request(self.p, other)[0]
        self.assertUnauditedRefusal("MASA_E_PINNED_ELSEWHERE", lambda: self.post(rvr))
        self.assertRefused("MASA_E_PINNED_ELSEWHERE", lambda: self.post(rvr))

    def test_admin_enroll(self):
        body = self.enroll_body("SN-BUSY")
        send = lambda: self.admin("POST", "/devices", body, ctype="application/json")
        self.assertBusy(send)
        st, _hdr, out = send()
        self.assertEqual(st, 201, out)
        self.assertEqual(self.query("SELECT COUNT(*) FROM devices WHERE serial = 'SN-BUSY'"),
                         [(1,)])


if __name__ == "__main__":
    unittest.main()
