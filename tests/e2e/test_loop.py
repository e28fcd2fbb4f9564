"""The public event loop never waits for the store (README, Architecture): while
another process holds the SQLite database's write lock and a voucher request
waits for it in the committer, the same listener answers GET /healthz and a
refusal that needs no store in well under 100 ms each; once the lock goes, the
waiting request gets its voucher.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_loop
"""
import http.client
import sqlite3
import threading
import time
import unittest

import vtest
from masatest import tls_context
from vtest import PATH


class LoopNeverBlocks(vtest.VoucherCase):

    def timed(self, conn, method, path, body=None, headers=None):
        """(status, seconds) of one request on a kept-alive connection."""
        t0 = time.monotonic()
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        r.read()
        return r.status, time.monotonic() - t0

    def test_store_locked_by_another_process(self):
        p, r = self.enroll(), self.registrar()
        self.start()
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port,
                                           context=tls_context(self.inst), timeout=30)
        self.assertEqual(self.timed(conn, "GET", "/healthz")[0], 200)   # handshake done
        rvr, nonce = self.make_request(p, r)
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None, timeout=0)
        db.execute("BEGIN IMMEDIATE")
        result = {}
        waiting = threading.Thread(target=lambda: result.update(resp=self.post(rvr)))
        try:
            waiting.start()
            time.sleep(0.2)         # let it reach the committer; no assertion depends on it
            self.assertTrue(waiting.is_alive(), "the voucher did not wait for the lock")
            health = [self.timed(conn, "GET", "/healthz") for _ in range(3)]
            refused = [self.timed(conn, "POST", PATH, b"\xa0",
                                  {"Content-Type": "text/plain"}) for _ in range(3)]
            print("while locked: /healthz %s ms, 415 %s ms" % (
                [round(t * 1000, 1) for _, t in health],
                [round(t * 1000, 1) for _, t in refused]))
            self.assertEqual({s for s, _ in health}, {200})
            self.assertEqual({s for s, _ in refused}, {415})
            self.assertLess(min(t for _, t in health), 0.1)
            self.assertLess(min(t for _, t in refused), 0.1)
            self.assertTrue(waiting.is_alive(), "the voucher did not wait for the lock")
        finally:
            db.execute("ROLLBACK")
            db.close()
            waiting.join(30)
            conn.close()
        self.assertVoucher(result["resp"], p.serial, nonce, r)


if __name__ == "__main__":
    unittest.main()
