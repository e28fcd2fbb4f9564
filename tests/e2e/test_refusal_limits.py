"""How fast refusals may grow the audit trail (security review F2), on the real
server: a verified registrar's refusals are audited within
limits.refusal_audit_burst per key and per network, the rest answered and counted
(masa_refusals_unaudited_total), and the next entry of the key says how many it
stands for; under limits.store_reserve_mb of free space none is audited while
vouchers are still issued and recorded.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_refusal_limits
"""
import unittest

import brski
import vtest
from test_ops import parse_metrics
from vtest import Pledge, request


class RefusalLimits(vtest.VoucherCase):

    def start(self, **limits):
        self.inst.edit_config(limits=limits)
        self.server = self.serve(admin=True)
        return self.server

    def metric(self, name):
        st, _, body = request(self.inst, self.server.admin_port, "GET", "/metrics",
                              headers={"Authorization": "Bearer " + self.inst.token})
        self.assertEqual(st, 200, body)
        return parse_metrics(body.decode())[name]

    def refused_events(self, after):
        return [e for e in self.audit_events(after) if e[1] == "voucher.refused"]

    def test_burst_per_key(self):
        """Burst 3: of 6 refusals of one registrar key (unknown serial), 3 are audited
        and 3 counted; every one is answered 404 with its sentence; nothing else
        changes."""
        r = self.registrar()
        self.start(refusal_audit_burst=3, refusal_audit_per_hour=1)
        stranger = Pledge("SN-NOT-ENROLLED", brski.new_key("es256"))
        seq, before = self.audit_seq(), self.snapshot()
        for _ in range(6):
            self.assertError(self.post(self.make_request(stranger, r)[0]),
                             "MASA_E_UNKNOWN_DEVICE")
        self.assertEqual(self.snapshot(), before)
        events = self.refused_events(seq)
        self.assertEqual([e[4] for e in events], ["MASA_E_UNKNOWN_DEVICE"] * 3)
        self.assertEqual(self.metric("masa_refusals_unaudited_total"), 3)

    def test_burst_per_network(self):
        """Burst 2: fresh registrar keys from one address share its network's bucket."""
        self.start(refusal_audit_burst=2, refusal_audit_per_hour=1)
        stranger = Pledge("SN-NOT-ENROLLED", brski.new_key("es256"))
        seq = self.audit_seq()
        for _ in range(5):
            self.assertError(self.post(self.make_request(stranger, self.registrar())[0]),
                             "MASA_E_UNKNOWN_DEVICE")
        self.assertEqual(len(self.refused_events(seq)), 2)
        self.assertEqual(self.metric("masa_refusals_unaudited_total"), 3)

    def test_store_reserve(self):
        """A reserve larger than the disk's free space: refusals are answered but not
        audited, the gauge says so, and a voucher is still issued and recorded."""
        p, r = self.enroll(), self.registrar()
        self.start(store_reserve_mb=1048576)
        stranger = Pledge("SN-NOT-ENROLLED", brski.new_key("es256"))
        seq = self.audit_seq()
        self.assertError(self.post(self.make_request(stranger, r)[0]), "MASA_E_UNKNOWN_DEVICE")
        self.assertEqual(self.refused_events(seq), [])
        self.assertEqual(self.metric("masa_store_reserve_low"), 1)
        self.assertEqual(self.metric("masa_refusals_unaudited_total"), 1)
        self.issue(p, r)
        self.assertEqual([e[1] for e in self.audit_events(seq)], ["voucher.issued"])
        self.assertTrue(any("limits.store_reserve_mb" in l for l in self.server.stderr_lines))


if __name__ == "__main__":
    unittest.main()
