"""The TLS client certificate as a registrar-key source (product.md §4):
a registrar known only from its TLS certificate gets a voucher; a TLS
certificate whose key differs from the RVR signer is refused."""
import http.client
import os
import ssl
import subprocess
import unittest

import brski
from cryptography.hazmat.primitives import serialization
from masatest import MASA_BIN, InstanceTest, tls_context

PATH = "/.well-known/brski/requestvoucher"


class TestTlsClientCertificate(InstanceTest):
    def setUp(self):
        super().setUp()
        self.pledge = brski.new_key("es256")
        brski.write_pem_public(self.pledge.public_key(), self.inst.path("pledge.pub"))
        subprocess.run([MASA_BIN, "device", "add", "--config", self.inst.config, "--serial",
                        "SN1", "--pubkey", self.inst.path("pledge.pub")], check=True,
                       capture_output=True)
        self.reg = brski.new_key("es256")
        brski.write_pem_private(self.reg, self.inst.path("reg.key"))
        with open(self.inst.path("reg.crt"), "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(brski.self_signed_cert(self.reg, "registrar")))
        self.server = self.serve(admin=False)
        out = subprocess.run([MASA_BIN, "key", "show", "--config", self.inst.config],
                             capture_output=True, check=True).stdout
        self.masa_key = serialization.load_pem_public_key(out)

    def post(self, body, client_cert=True):
        ctx = tls_context(self.inst)
        if client_cert:
            ctx.load_cert_chain(self.inst.path("reg.crt"), self.inst.path("reg.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx, timeout=10)
        try:
            conn.request("POST", PATH, body=body,
                         headers={"Content-Type": "application/voucher+cose"})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def rvr_known_only_by_tls(self):
        """An RVR with no x5bag whose PVR names the registrar by hash only."""
        nonce = os.urandom(8)
        spki = brski.spki_der(self.reg.public_key())
        pvr = brski.make_pvr(self.pledge, "SN1", nonce, ("sha256", brski.sha256(spki)))
        return brski.make_rvr(self.reg, "SN1", nonce, pvr), nonce, spki

    def test_registrar_identified_by_tls_certificate(self):
        """Only the TLS certificate carries the signer's key: 200, pinned to it."""
        rvr, nonce, spki = self.rvr_known_only_by_tls()
        status, body = self.post(rvr)
        self.assertEqual(status, 200, body)
        v = brski.parse_voucher(body, self.masa_key)
        self.assertEqual(v["nonce"], nonce)
        self.assertEqual(v["pinned-domain-pubk"], spki)
        self.assertEqual(v["assertion"], 2)

    def test_without_the_certificate_no_key_is_found(self):
        """The same request over a connection without a client certificate: 403."""
        rvr, _, _ = self.rvr_known_only_by_tls()
        self.assertEqual(self.post(rvr, client_cert=False),
                         (403, b"No registrar key that verifies the request was found.\n"))

    def test_tls_certificate_must_agree(self):
        """RVR signed by another registrar (with its own certificate) over a
        connection whose TLS certificate is ours: 403, sources disagree."""
        other = brski.new_key("es256")
        nonce = os.urandom(8)
        pvr = brski.make_pvr(self.pledge, "SN1", nonce,
                             ("pubk", brski.spki_der(other.public_key())))
        rvr = brski.make_rvr(other, "SN1", nonce, pvr,
                             x5bag=[brski.self_signed_cert(other, "other")])
        self.assertEqual(self.post(rvr),
                         (403, b"The registrar keys presented by the request do not agree.\n"))


if __name__ == "__main__":
    unittest.main()
