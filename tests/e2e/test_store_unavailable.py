"""503 MASA_E_STORE: the store fails (not busy: unavailable) under a running server.

SQLite: the kernel refuses every write of the server process to a file (its
RLIMIT_FSIZE lowered to 0 with prlimit while it runs, as a full disk would refuse
them: SQLite gets an I/O error, masa_sqlite_err maps it to MASA_E_STORE), then the
limit is put back. PostgreSQL: the database server the suite started is stopped, then
started again (README "PostgreSQL": "While the database is down or restarting,
requests get 503 ... service resumes by itself").

For a voucher request and an admin enrollment: the exact 503 sentence of
masa/app/errors.c, every table and the audit trail unchanged,
masa_store_errors_total{kind="unavailable"} one more; once the store is back the same
request succeeds on the same server (a fresh voucher, one row).

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_store_unavailable
"""
import contextlib
import resource
import unittest

import vtest
from masatest import BACKEND, pg_server
from test_store_busy import StoreAdmin


class StoreUnavailable(StoreAdmin, vtest.VoucherCase):

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        # restore_signals=False: SIGXFSZ stays ignored, so a write past the file
        # size limit fails with EFBIG instead of killing the server.
        self.server = self.serve(restore_signals=False)
        self.make_tokens()
        self.masa_key()

    @contextlib.contextmanager
    def store_down(self):
        """The store fails for the server until the block ends."""
        if BACKEND == "postgresql":
            pg_server().stop()
            try:
                yield
            finally:
                pg_server().start()
            return
        pid = self.server.proc.pid
        old = resource.prlimit(pid, resource.RLIMIT_FSIZE)
        resource.prlimit(pid, resource.RLIMIT_FSIZE, (0, old[1]))
        try:
            yield
        finally:
            resource.prlimit(pid, resource.RLIMIT_FSIZE, old)

    def assertUnavailable(self, send):
        """send() while the store fails: the exact 503; after it is back, every table
        and the audit trail as before, one more store error of kind unavailable."""
        seq, before, errors = self.audit_seq(), self.snapshot(), self.store_errors("unavailable")
        with self.store_down():
            resp = send()
        self.assertError(resp, "MASA_E_STORE")
        self.assertEqual(self.snapshot(), before, "a failing store changed")
        self.assertEqual(self.audit_entries(seq), [])
        self.assertEqual(self.store_errors("unavailable"), errors + 1)

    def test_requestvoucher(self):
        rvr, nonce = self.make_request(self.p, self.r)
        self.assertUnavailable(lambda: self.post(rvr))
        self.assertVoucher(self.post(rvr), self.p.serial, nonce, self.r)
        self.assertEqual([e[1] for e in self.audit_events()][-1], "voucher.issued")
        self.assertEqual(len(self.voucher_rows(self.p.serial)), 1)

    def test_readiness(self):
        """/readyz and masa_ready: 200 and 1 while the store takes writes; 503 with the
        store's sentence and 0 while it refuses them (the probe writes a counter: an
        empty commit succeeds on SQLite with every write failing; on PostgreSQL the
        scrape itself is 503, its token being in the store), nothing else changed;
        200 and 1 again once it is back."""
        ready = lambda: vtest.request(self.inst, self.server.port, "GET", "/readyz")
        self.assertEqual(ready()[::2], (200, b"ready\n"))
        self.assertEqual(self.metric("masa_ready"), 1)
        seq, before = self.audit_seq(), self.snapshot()
        with self.store_down():
            self.assertError(ready(), "MASA_E_STORE")
            if BACKEND == "sqlite":
                self.assertEqual(self.metric("masa_ready"), 0)
            else:   # PostgreSQL down: the scrape's token cannot be looked up either
                self.assertError(vtest.request(
                    self.inst, self.server.admin_port, "GET", "/metrics",
                    headers={"Authorization": "Bearer " + self.tokens["auditor"]}),
                    "MASA_E_STORE")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.audit_entries(seq), [])
        self.assertEqual(ready()[::2], (200, b"ready\n"))
        self.assertEqual(self.metric("masa_ready"), 1)

    def test_admin_enroll(self):
        body = self.enroll_body("SN-DOWN")
        send = lambda: self.admin("POST", "/devices", body, ctype="application/json")
        self.assertUnavailable(send)
        st, _hdr, out = send()
        self.assertEqual(st, 201, out)
        self.assertEqual(self.store_rows("SELECT COUNT(*) FROM devices WHERE serial = 'SN-DOWN'"),
                         [(1,)] if BACKEND == "sqlite" else [("1",)])


if __name__ == "__main__":
    unittest.main()
