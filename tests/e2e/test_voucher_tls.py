"""The TLS client certificate as a registrar-key source (product.md §4):
a registrar known only from its TLS certificate gets a voucher; a TLS
certificate whose key differs from the RVR signer is refused; so is one
outside its validity period."""
import datetime
import http.client
import os
import ssl
import unittest

import brski
import vtest
from vtest import COSE, PATH, Registrar


class TestTlsClientCertificate(vtest.VoucherCase):
    def prepare(self):
        self.pledge = self.enroll(serial="SN1")
        self.reg = brski.new_key("es256")
        brski.write_pem_private(self.reg, self.inst.path("reg.key"))
        with open(self.inst.path("reg.crt"), "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(brski.self_signed_cert(self.reg, "registrar")))
        self.start()

    def post(self, body, client_cert=True):
        """(status, headers, body) of body posted with (or without) our TLS certificate."""
        ctx = vtest.tls_context(self.inst)
        if client_cert:
            ctx.load_cert_chain(self.inst.path("reg.crt"), self.inst.path("reg.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx, timeout=10)
        try:
            conn.request("POST", PATH, body=body, headers={"Content-Type": COSE})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def rvr_known_only_by_tls(self):
        """An RVR with no x5bag whose PVR names the registrar by hash only."""
        nonce = os.urandom(8)
        spki = brski.spki_der(self.reg.public_key())
        pvr = brski.make_pvr(self.pledge.key, "SN1", nonce, ("sha256", brski.sha256(spki)))
        return brski.make_rvr(self.reg, "SN1", nonce, pvr), nonce, spki

    def test_registrar_identified_by_tls_certificate(self):
        """Only the TLS certificate carries the signer's key: 200, a verified proximity
        voucher pinned to it, stored once."""
        rvr, nonce, _spki = self.rvr_known_only_by_tls()
        self.assertVoucher(self.post(rvr), "SN1", nonce, Registrar(self.reg), assertion=2)

    def test_expired_tls_certificate(self):
        """The registrar known only from a TLS certificate that expired yesterday:
        403 (issue 15 item 7), audited, nothing stored."""
        now = datetime.datetime.now(datetime.timezone.utc)
        with open(self.inst.path("reg.crt"), "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(brski.make_cert(
                self.reg, "registrar", cmc_ra=True, not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1))))
        rvr, _, _ = self.rvr_known_only_by_tls()
        self.assertRefused("MASA_E_CERT_VALIDITY", lambda: self.post(rvr))

    def test_without_the_certificate_no_key_is_found(self):
        """The same request over a connection without a client certificate: 403, nothing
        stored, not audited (no registrar was identified)."""
        rvr, _, _ = self.rvr_known_only_by_tls()
        self.assertRefused("MASA_E_NO_REGISTRAR_KEY", lambda: self.post(rvr, client_cert=False))

    def test_tls_certificate_must_agree(self):
        """RVR signed by another registrar (with its own certificate) over a
        connection whose TLS certificate is ours: 403, sources disagree, nothing
        stored, not audited."""
        other = brski.new_key("es256")
        nonce = os.urandom(8)
        pvr = brski.make_pvr(self.pledge.key, "SN1", nonce,
                             ("pubk", brski.spki_der(other.public_key())))
        rvr = brski.make_rvr(other, "SN1", nonce, pvr,
                             x5bag=[brski.self_signed_cert(other, "other")])
        self.assertRefused("MASA_E_REGISTRAR_KEYS_DISAGREE", lambda: self.post(rvr))


if __name__ == "__main__":
    unittest.main()
