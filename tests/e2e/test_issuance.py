"""Issuance runs one way (README, "Architecture"): the policy decides on a
snapshot of the store before anything is signed, so a refused request costs
no signature. Counted with the MASA key's signature counter on GET /metrics
(masa_signatures_total), around each refusal of the real server: an unknown
serial, a PVR signed by a foreign key, a certificate pin asked of a raw-key
registrar, an empty bucket, and a byte-identical retry (replayed, not
signed again). Each voucher that is issued costs exactly one signature.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_issuance
"""
import unittest

import brski
import vtest
from test_ops import parse_metrics
from vtest import Pledge, request


class NoSignatureOnRefusal(vtest.VoucherCase):

    def start(self, **policy):
        if policy:
            self.inst.edit_config(policy=policy)
        self.server = self.serve(admin=True)
        return self.server

    def signatures(self):
        """masa_signatures_total, summed over its series."""
        st, _, body = request(self.inst, self.server.admin_port, "GET", "/metrics",
                              headers={"Authorization": "Bearer " + self.inst.token})
        self.assertEqual(st, 200, body)
        m = parse_metrics(body.decode())
        series = [v for k, v in m.items() if k.split("{")[0] == "masa_signatures_total"]
        self.assertTrue(series, "no masa_signatures_total on /metrics")
        return sum(series)

    def assertNoSignature(self, name, send):
        before = self.signatures()
        resp = self.assertRefused(name, send)
        self.assertEqual(self.signatures(), before, "%s cost a signature" % name)
        return resp

    def test_issued_voucher_is_one_signature(self):
        """A voucher costs exactly one signature; its byte-identical retry none."""
        p, r = self.enroll(), self.registrar()
        self.start()
        before = self.signatures()
        _leaves, rvr, voucher = self.issue(p, r)
        self.assertEqual(self.signatures(), before + 1)
        st, _, body = self.post(rvr)
        self.assertEqual((st, body), (200, voucher))
        self.assertEqual(self.signatures(), before + 1, "a replay was signed again")

    def test_unknown_serial_and_foreign_pledge_key(self):
        """404 for a serial never enrolled and 403 for a PVR signed by another key
        than the enrolled one: no signature for either."""
        p, r = self.enroll(), self.registrar()
        self.start()
        stranger = Pledge("SN-NEVER-ENROLLED", brski.new_key("es256"))
        self.assertNoSignature("MASA_E_UNKNOWN_DEVICE",
                               lambda: self.post(self.make_request(stranger, r)[0]))
        forged = Pledge(p.serial, brski.new_key("es256"))
        self.assertNoSignature("MASA_E_PVR_SIGNATURE",
                               lambda: self.post(self.make_request(forged, r)[0]))

    def test_certificate_pin_for_raw_key_registrar(self):
        """pinned_domain cert with a raw-key registrar: 406, no signature."""
        p, r = self.enroll(), self.registrar(cert=False)
        self.start(pinned_domain="cert")
        self.assertNoSignature("MASA_E_NOT_ACCEPTABLE",
                               lambda: self.post(self.make_request(p, r)[0]))

    def test_empty_bucket(self):
        """Once the bucket is empty, a new request is 429 and costs no signature."""
        p, r = self.enroll(), self.registrar()
        self.start(bucket_capacity=2, bucket_period_s=86400)
        before = self.signatures()
        self.issue(p, r)
        self.issue(p, r)
        self.assertEqual(self.signatures(), before + 2)
        self.assertNoSignature("MASA_E_RATE_LIMITED",
                               lambda: self.post(self.make_request(p, r)[0]))


if __name__ == "__main__":
    unittest.main()
