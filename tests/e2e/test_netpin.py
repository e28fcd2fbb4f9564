"""policy.pin_network end to end (README configuration table: "also pin a registrar
key to the /24 (IPv4) or /64 (IPv6) it was first seen from"): the network is
recorded on the registrar's first voucher, also for an owner key added before it
was ever seen; a request from another /24 is refused 403 MASA_E_NET_PINNED with
nothing spent and one voucher.refused row naming the new source; the same /24 is
still served; without the key nothing is pinned; behind a trusted proxy the
X-Forwarded-For client address is what counts.

Every address of 127/8 is loopback on Linux: the client binds 127.0.0.x or 127.0.1.x.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_netpin
"""
import http.client
import unittest

import vtest
from vtest import COSE, PATH


class NetworkPin(vtest.VoucherCase):

    def first_seen_net(self, registrar):
        rows = self.query("SELECT first_seen_net FROM registrar_keys WHERE spki = ?",
                          (registrar.spki,))
        return rows[0][0] if rows else "(unknown)"

    def issue_from(self, source, pledge, registrar, **kw):
        rvr, nonce = self.make_request(pledge, registrar)
        return self.assertVoucher(self.post(rvr, source=source, **kw), pledge.serial, nonce,
                                  registrar)

    def refused_from(self, source, pledge, registrar):
        rvr, nonce = self.make_request(pledge, registrar)
        self.assertRefused("MASA_E_NET_PINNED", lambda: self.post(rvr, source=source),
                           row=dict(serial=pledge.serial, nonce=nonce, registrar=registrar,
                                    source=source))

    def test_second_network_refused_same_network_served(self):
        """first-use + pin_network: the first voucher (from 127.0.0.1) records
        127.0.0.0/24; 127.0.0.2 is served; 127.0.1.1 is refused for this device and for
        another device, while another registrar from 127.0.1.1 is served."""
        p, q, r, other = self.enroll(), self.enroll(), self.registrar(), self.registrar(cn="B")
        self.start(pin_network=True)
        self.issue_from("127.0.0.1", p, r)
        self.assertEqual(self.first_seen_net(r), "127.0.0.0/24")
        self.issue_from("127.0.0.2", p, r)
        self.refused_from("127.0.1.1", p, r)
        self.refused_from("127.0.1.1", q, r)
        self.issue_from("127.0.1.1", q, other)
        self.assertEqual(self.first_seen_net(other), "127.0.1.0/24")
        self.assertEqual(self.first_seen_net(r), "127.0.0.0/24")

    def test_without_the_key_nothing_is_refused(self):
        """pin_network false (the default): the network is recorded but a registrar is
        served from anywhere."""
        p, r = self.enroll(), self.registrar()
        self.start()
        self.issue_from("127.0.0.1", p, r)
        self.issue_from("127.0.1.1", p, r)
        self.assertEqual(self.first_seen_net(r), "127.0.0.0/24")

    def test_owner_key_pinned_on_first_sight(self):
        """An owner key added by `owner add` has no network until its first voucher
        (here from 127.0.1.1); then 127.0.0.1 is refused."""
        p, r = self.enroll(), self.registrar()
        self.cli("owner", "add", "acme", "--registrar-key", self.public_pem_file(r.key))
        self.cli("owner", "assign", "acme", p.serial)
        self.assertIsNone(self.first_seen_net(r))
        self.start(mode="owner", pin_network=True)
        self.issue_from("127.0.1.1", p, r)
        self.assertEqual(self.first_seen_net(r), "127.0.1.0/24")
        self.refused_from("127.0.0.1", p, r)


class NetworkPinBehindProxy(vtest.VoucherCase):
    """masa on plain HTTP trusting 127.0.0.1 (the proxy): the forwarded address is the
    one pinned and compared (the proxy's own address never is)."""

    def prepare(self):
        self.inst.edit_config(proxy={"trusted": ["127.0.0.1"]}, admin={"listen": None})
        self.inst.edit_config(policy={"pin_network": True})
        self.server = self.serve(admin=False, listen="http://127.0.0.1:0")

    def forwarded(self, body, client):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("POST", PATH, body=body,
                         headers={"Content-Type": COSE, "X-Forwarded-For": client})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def test_forwarded_address_is_pinned(self):
        """Client 192.0.2.7 through the proxy: voucher, 192.0.2.0/24 recorded; client
        192.0.2.200: served; client 198.51.100.7 through the same proxy: refused, the
        audit row names 198.51.100.7."""
        p, r = self.enroll(), self.registrar()
        rvr, nonce = self.make_request(p, r)
        self.assertVoucher(self.forwarded(rvr, "192.0.2.7"), p.serial, nonce, r)
        self.assertEqual(self.query("SELECT first_seen_net FROM registrar_keys"),
                         [("192.0.2.0/24",)])
        rvr, nonce = self.make_request(p, r)
        self.assertVoucher(self.forwarded(rvr, "192.0.2.200"), p.serial, nonce, r)
        rvr, nonce = self.make_request(p, r)
        self.assertRefused("MASA_E_NET_PINNED", lambda: self.forwarded(rvr, "198.51.100.7"),
                           row=dict(serial=p.serial, nonce=nonce, registrar=r,
                                    source="198.51.100.7"))

    def test_ipv6_client_pinned_to_its_64(self):
        """Client 2001:db8:1:2::7: 2001:db8:1:2::/64 recorded; ::8 of the same /64 served;
        2001:db8:1:3::7 refused."""
        p, r = self.enroll(), self.registrar()
        rvr, nonce = self.make_request(p, r)
        self.assertVoucher(self.forwarded(rvr, "2001:db8:1:2::7"), p.serial, nonce, r)
        self.assertEqual(self.query("SELECT first_seen_net FROM registrar_keys"),
                         [("2001:db8:1:2::/64",)])
        rvr, nonce = self.make_request(p, r)
        self.assertVoucher(self.forwarded(rvr, "2001:db8:1:2::8"), p.serial, nonce, r)
        rvr, nonce = self.make_request(p, r)
        self.assertRefused("MASA_E_NET_PINNED", lambda: self.forwarded(rvr, "2001:db8:1:3::7"),
                           row=dict(serial=p.serial, nonce=nonce, registrar=r,
                                    source="2001:db8:1:3::7"))


if __name__ == "__main__":
    unittest.main()
