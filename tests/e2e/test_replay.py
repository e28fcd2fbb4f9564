"""Byte-identical retries over time (README "Voucher issuance": a replay within
policy.retry_window_s gets the stored voucher, after it spends a token like any
request): the window's expiry, retry_window_s 0, nonceless replays within their
lifetime, a replay asked for as a multipart answer, and the token bucket's refill
on a clock the test controls.

Waits are on the store's own clock (a voucher's created_ms / expires_ms), never a
fixed sleep guessed to be long enough.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_replay
"""
import sqlite3
import threading
import time
import unittest

import brski
import vtest
from vtest import COSE, COSE_OLD


class Replay(vtest.VoucherCase):

    def wait_past(self, ms, what):
        """Waits until the wall clock (the server's too: same machine) is past ms."""
        deadline = time.monotonic() + 30
        while vtest.now_ms() <= ms:
            self.assertLess(time.monotonic(), deadline, "the clock never passed " + what)
            time.sleep(min(0.05, max(0.001, (ms - vtest.now_ms() + 1) / 1000)))

    def voucher_created_ms(self, body):
        return self.query("SELECT created_ms FROM vouchers WHERE voucher = ?", (body,))[0][0]

    def assertFresh(self, rvr, first, serial, nonce, registrar, assertion=2):
        """Resending rvr signs a new voucher: verified, other bytes than first, a second
        row, a bucket debit and one voucher.issued row (not voucher.replayed)."""
        seq, tat0 = self.audit_seq(), self.bucket(serial)[1]
        resp = self.post(rvr)
        self.assertVoucher(resp, serial, nonce, registrar, assertion=assertion)
        self.assertNotEqual(resp[2], first)
        self.assertEqual(len(self.voucher_rows(serial)), 2)
        self.assertGreater(self.bucket(serial)[1], tat0, "no token was spent")
        self.assertEqual([e[1:3] for e in self.audit_events(seq)], [("voucher.issued", serial)])

    def assertReplay(self, rvr, voucher, serial, accept=None):
        """rvr resent gets voucher back (the body, or the voucher part of a multipart
        answer): every table unchanged, one voucher.replayed row. Returns the response."""
        seq, before = self.audit_seq(), self.snapshot()
        st, hdr, body = self.post(rvr, accept=accept)
        self.assertEqual(st, 200, body)
        self.assertCommonHeaders(hdr)
        if accept is None:
            self.assertEqual(hdr.get("content-type"), COSE)
            self.assertEqual(body, voucher)
        else:
            parts = brski.parse_multipart(hdr["content-type"], body)
            self.assertEqual(parts[0], (COSE, voucher))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual([e[1:3] for e in self.audit_events(seq)],
                         [("voucher.replayed", serial)])
        return st, hdr, body

    def test_retry_after_the_window_is_a_new_voucher(self):
        """retry_window_s 1: once a second has passed since the voucher (by its stored
        created_ms) the same RVR is a new request. (Within the window it is replayed:
        test_voucher.TokenBucket.)"""
        p, r = self.enroll(), self.registrar()
        self.start(retry_window_s=1)
        _leaves, rvr, first = self.issue(p, r)
        self.wait_past(self.voucher_created_ms(first) + 1000, "the retry window")
        self.assertFresh(rvr, first, p.serial, self.voucher_rows(p.serial)[0][0], r)

    def test_retry_window_0_never_replays(self):
        """retry_window_s 0: an immediate byte-identical resend is signed anew."""
        p, r = self.enroll(), self.registrar()
        self.start(retry_window_s=0)
        _leaves, rvr, first = self.issue(p, r)
        self.wait_past(self.voucher_created_ms(first), "the voucher's millisecond")
        self.assertFresh(rvr, first, p.serial, self.voucher_rows(p.serial)[0][0], r)

    def owner_mode(self, **policy):
        p, r = self.enroll(), self.registrar()
        self.cli("owner", "add", "acme", "--registrar-key", self.public_pem_file(r.key))
        self.cli("owner", "assign", "acme", p.serial)
        self.start(mode="owner", **policy)
        return p, r

    def test_nonceless_retry_within_its_lifetime_is_replayed(self):
        """A nonceless RVR resent while its voucher is valid gets the stored voucher."""
        p, r = self.owner_mode()
        rvr = r.rvr(p.serial, None, None)
        resp = self.post(rvr)
        self.assertVoucher(resp, p.serial, None, r, assertion=0)
        self.assertReplay(rvr, resp[2], p.serial)
        self.assertEqual(len(self.voucher_rows(p.serial)), 1)

    def test_expired_nonceless_voucher_is_not_replayed(self):
        """nonceless_lifetime_s 1: once the stored voucher's expires-on has passed, the
        identical RVR gets a new verified voucher (a token spent, voucher.issued), with
        its own expires-on one lifetime later."""
        p, r = self.owner_mode(nonceless_lifetime_s=1)
        rvr = r.rvr(p.serial, None, None)
        resp = self.post(rvr)
        self.assertVoucher(resp, p.serial, None, r, assertion=0)
        expires = self.voucher_rows(p.serial)[0][4]
        self.assertIsNotNone(expires)
        self.wait_past(expires, "the voucher's expires-on")
        self.assertFresh(rvr, resp[2], p.serial, None, r, assertion=0)
        leaves = brski.parse_voucher(self.voucher_rows(p.serial)[1][3], self.masa_key())
        self.assertGreater(brski.parse_rfc3339(leaves["expires-on"]).timestamp() * 1000,
                           expires)

    def test_replay_as_multipart(self):
        """A retry asking for multipart/related gets the stored voucher as the first part
        of a multipart answer, and spends nothing."""
        p, r = self.enroll(), self.registrar()
        self.start()
        _leaves, rvr, first = self.issue(p, r)
        self.assertReplay(rvr, first, p.serial, accept="multipart/related")

    def test_replay_under_another_type_name(self):
        """A retry asking for the other accepted name of the same format (the cBRSKI
        name and its pre-2024 name, masa/http/negotiate.c) gets the stored voucher, the
        same bytes, labelled with the name it asked for; spends nothing; one row."""
        p, r = self.enroll(), self.registrar()
        self.start()
        _leaves, rvr, first = self.issue(p, r)
        for accept in (COSE_OLD, COSE, COSE_OLD):
            self.assertReplayedAs(rvr, accept, accept, first, p.serial)
        self.assertEqual(len(self.voucher_rows(p.serial)), 1)

    def test_identical_requests_at_the_same_moment_give_one_voucher(self):
        """8 connections send the same RVR at once (one group commit may hold several):
        every answer is 200 with the same verified voucher bytes, the store holds one
        voucher row, one token is spent, and the audit trail has one voucher.issued and
        the rest voucher.replayed."""
        p, r = self.enroll(), self.registrar()
        self.start()
        self.masa_key()
        rvr, nonce = self.make_request(p, r)
        conns = [vtest.persistent_post(self.inst, self.server.port) for _ in range(8)]
        barrier, results, errors = threading.Barrier(8), [], []

        def send(post):
            try:
                barrier.wait(60)
                results.append(post(rvr))
            except BaseException as e:
                errors.append(repr(e))
        threads = [threading.Thread(target=send, args=(post,)) for _c, post in conns]
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
        finally:
            for c, _post in conns:
                c.close()
        self.assertEqual(errors, [])
        self.assertEqual(sorted(st for st, _h, _b in results), [200] * 8, results)
        self.assertEqual(len({b for _st, _h, b in results}), 1, "different vouchers")
        self.assertVoucher(results[0], p.serial, nonce, r)
        self.assertEqual(len(self.voucher_rows(p.serial)), 1)
        events = sorted(e[1] for e in self.audit_events())
        self.assertEqual(events.count("voucher.issued"), 1, events)
        self.assertEqual(events.count("voucher.replayed"), 7, events)

    def test_refill_on_a_clock_the_test_controls(self):
        """capacity 2 per 600 s (one token per 300 s): two vouchers, the third request
        429 with Retry-After ~300 s; moving the bucket's stored time back 300 s (as if
        that time had passed) gives exactly one voucher more, then 429 again."""
        p, r = self.enroll(), self.registrar()
        self.start(bucket_capacity=2, bucket_period_s=600)
        self.issue(p, r)
        self.issue(p, r)
        _st, hdr, _ = self.assertRefused("MASA_E_RATE_LIMITED",
                                         lambda: self.post(self.make_request(p, r)[0]))
        self.assertTrue(240 <= int(hdr["retry-after"]) <= 300, hdr["retry-after"])
        self.shift_bucket(p.serial, -300_000)
        self.issue(p, r)
        self.assertRefused("MASA_E_RATE_LIMITED", lambda: self.post(self.make_request(p, r)[0]))

    def shift_bucket(self, serial, delta_ms):
        """Moves a device's bucket time by delta_ms in the store (SQLite, WAL: the
        server reads it in its next transaction)."""
        db = sqlite3.connect(self.inst.path("masa.db"), timeout=10)
        try:
            with db:
                db.execute("UPDATE token_buckets SET tat_ms = tat_ms + ? WHERE device_id = "
                           "(SELECT id FROM devices WHERE serial = ?)", (delta_ms, serial))
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main()
