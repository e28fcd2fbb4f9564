"""RFC 8995 CMS vouchers and JWS vouchers end to end (issue 16): the real `masa serve`
over verified HTTPS; requests built as the peers build them (jvouchers.py: the
nqminds/brski registrar's CMS, jwcrypto's JWS; the RFC 8995 Appendix C request as
published); vouchers checked by independent verifiers only: the `openssl cms -verify`
CLI, asn1crypto + cryptography, jwcrypto.

The negative matrix for CMS and JWS requests is test_voucher.NegativeMatrixCMS/-JWS
(the COSE rows, parametrised); the format-specific defects are here.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_json_formats
"""
import base64
import json
import os
import subprocess
import unittest

from cryptography import x509

import brski
import jvouchers
import vtest
from masatest import request
from vtest import COSE, new_nonce

CMS, JWS, PKCS7 = jvouchers.CMS, jvouchers.JWS, jvouchers.PKCS7
AUDITLOG = "/.well-known/brski/requestauditlog"
HERE = os.path.dirname(os.path.abspath(__file__))
RFC8995 = os.path.normpath(os.path.join(HERE, "..", "vectors", "rfc8995"))
# The Appendix C RVR's created-on is 2021-04-13T21:43:23.787Z; its registrar
# certificate is valid 2020-02-25..2022-02-24. masa runs a few seconds after it.
APPENDIX_C_TIME = "2021-04-13 21:43:30"


def openssl_cms_verify(der, ca_pem):
    """`openssl cms -verify` of a DER voucher against ca_pem; returns (content, the
    eContentType as `openssl cms -cmsout -print` shows it)."""
    v = subprocess.run(["openssl", "cms", "-verify", "-inform", "DER", "-CAfile", ca_pem,
                        "-purpose", "any"], input=der, capture_output=True, timeout=30)
    if v.returncode != 0:
        raise AssertionError("openssl cms -verify: " + v.stderr.decode())
    p = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER"], input=der,
                       capture_output=True, timeout=30, check=True)
    ctype = [l.split(":", 1)[1].strip() for l in p.stdout.decode().splitlines()
             if "eContentType:" in l]
    return v.stdout, ctype


class JsonCase(vtest.VoucherCase):
    """Helpers for requests of either JSON format."""

    def cms_ok(self, body):
        """Both independent CMS checks of a voucher: the openssl CLI against the MASA
        certificate (eContentType id-ct-animaJSONVoucher) and jvouchers; returns leaves."""
        content, ctype = openssl_cms_verify(body, self.inst.path("signing.crt"))
        self.assertEqual(ctype, ["undefined (1.2.840.113549.1.9.16.1.40)"])
        leaves = jvouchers.parse_cms_voucher(body, self.masa_key())
        self.assertEqual(json.loads(content)["ietf-voucher:voucher"]["serial-number"],
                         leaves["serial-number"])
        return leaves


class CmsRequests(JsonCase):
    """CMS voucher-requests as the nqminds/brski registrar sends them."""
    FMT = "cms"

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.start()

    def test_cms_voucher_verifies_with_openssl_cli_and_python(self):
        """A CMS request gets a CMS voucher that `openssl cms -verify` and the Python
        verifier accept, eContentType id-ct-animaJSONVoucher, the MASA certificate in
        `certificates`, stored once, one voucher.issued audit entry."""
        seq = self.audit_seq()
        leaves, _rvr, body = self.issue(self.p, self.r)
        self.assertEqual(self.cms_ok(body)["nonce"], leaves["nonce"])
        self.assertEqual([e[1] for e in self.audit_events(seq)], ["voucher.issued"])

    def test_base64_body_as_nqminds_sends(self):
        """The RVR as base64 text (nqminds/brski registrar_api.cpp post_voucher_request) is
        answered with the CMS voucher as base64 text, which is what its pledge decodes
        (pledge_request.cpp: serialize_base64str2array of the answer); the DER inside is
        the stored voucher. Asked for JWS, the same request gets plain JWS."""
        rvr, nonce = self.make_request(self.p, self.r)
        st, hdr, body = self.post(base64.b64encode(rvr))
        der = base64.b64decode(body, validate=True)
        self.assertEqual(self.assertVoucher((st, hdr, der), self.p.serial, nonce,
                                            self.r)["nonce"], nonce)
        self.cms_ok(der)
        rvr, nonce = self.make_request(self.p, self.r)
        self.assertVoucher(self.post(base64.b64encode(rvr), accept=JWS), self.p.serial, nonce,
                           self.r, content_type=JWS)

    def test_pkcs7_mime_names(self):
        """`application/pkcs7-mime; smime-type=voucher` as request type and in Accept."""
        rvr, nonce = self.make_request(self.p, self.r)
        resp = self.post(rvr, content_type=PKCS7)
        self.assertVoucher(resp, self.p.serial, nonce, self.r, content_type=PKCS7)
        rvr, nonce = self.make_request(self.p, self.r)
        resp = self.post(rvr, accept="application/pkcs7-mime")
        self.assertVoucher(resp, self.p.serial, nonce, self.r, content_type=PKCS7)

    def test_anima_econtent_type_request(self):
        """A request with eContentType id-ct-animaJSONVoucher (not id-data) is answered."""
        self.issue(self.p, self.r, pvr_kw=dict(econtent_type=jvouchers.OID_ANIMA),
                   rvr_kw=dict(econtent_type=jvouchers.OID_ANIMA))

    def test_answer_in_other_formats(self):
        """A CMS request with Accept JWS or COSE gets that format."""
        for accept in (JWS, COSE):
            with self.subTest(accept=accept):
                self.issue(self.p, self.r, accept=accept)

    def test_retry_is_per_format(self):
        """A byte-identical RVR is a retry only for the format it asked before: the CMS
        RVR asked as JWS, then as CMS (a second voucher, a second token), then as JWS and
        as CMS again (each its stored voucher, byte for byte, nothing spent)."""
        rvr, nonce = self.make_request(self.p, self.r)
        first = self.post(rvr, accept=JWS)
        self.assertVoucher(first, self.p.serial, nonce, self.r, content_type=JWS)
        second = self.post(rvr)
        self.assertVoucher(second, self.p.serial, nonce, self.r)
        self.assertEqual(len(self.voucher_rows(self.p.serial)), 2)
        before = self.snapshot()
        for accept, want in ((JWS, first), (None, second)):
            st, _hdr, body = self.post(rvr, accept=accept)
            self.assertEqual((st, body), (200, want[2]))
        self.assertEqual(self.snapshot(), before)

    def test_retry_under_the_other_cms_name(self):
        """A retry asking for CMS by its other name (RFC 8366's and the pre-RFC
        `application/pkcs7-mime` highway honours, masa/http/negotiate.c) gets the stored
        voucher, byte for byte, labelled as asked; nothing spent, one voucher row."""
        _leaves, rvr, first = self.issue(self.p, self.r)
        for accept, label in (("application/pkcs7-mime", PKCS7), (CMS, CMS)):
            self.assertReplayedAs(rvr, accept, label, first, self.p.serial)
        self.assertEqual(len(self.voucher_rows(self.p.serial)), 1)

    def test_pin_cert(self):
        """pinned_domain cert: the CMS voucher pins the registrar certificate."""
        self.server.stop()
        self.start(pinned_domain="cert")
        leaves, _, _ = self.issue(self.p, self.r, pin_cert=True)
        self.assertEqual(leaves["pinned-domain-cert"], self.r.cert)

    def test_auditlog_accepts_cms(self):
        """requestauditlog takes the CMS RVR: 200, the JSON log with the one voucher."""
        _leaves, rvr, _ = self.issue(self.p, self.r)
        st, hdr, body = request(self.inst, self.server.port, "POST", AUDITLOG, rvr,
                                {"Content-Type": CMS})
        self.assertEqual((st, hdr.get("content-type")), (200, "application/json"), body)
        self.assertEqual(len(json.loads(body)["events"]), 1)

    # ---- format-specific defects ---------------------------------------------------

    def test_wrong_econtent_type(self):
        """eContentType id-signedData (neither id-ct-animaJSONVoucher nor id-data): 400."""
        self.assertRefused("MASA_E_CMS_CONTENT_TYPE", lambda: self.post(self.make_request(
            self.p, self.r, rvr_kw=dict(econtent_type="1.2.840.113549.1.7.2"))[0]))

    def test_signer_not_in_certificates(self):
        """The RVR's signer names a certificate that `certificates` does not hold (it
        carries another registrar's): 400 MASA_E_CMS_SIGNER."""
        other = self.registrar(cn="other")
        rvr, _ = self.make_request(self.p, self.r, rvr_kw=dict(x5bag=[other.cert]))
        self.assertRefused("MASA_E_CMS_SIGNER", lambda: self.post(rvr))

    def test_detached_content(self):
        """A SignedData without its content (detached): 400 MASA_E_CMS."""
        rvr, _ = self.make_request(self.p, self.r, rvr_kw=dict(detached=True))
        self.assertRefused("MASA_E_CMS", lambda: self.post(rvr))

    def test_not_cms(self):
        """A body that is neither DER nor base64 of it, and DER with a trailing byte."""
        rvr, _ = self.make_request(self.p, self.r)
        for body in (b"not base64 at all!", rvr + b"\x00"):
            with self.subTest(body=body[:8]):
                self.assertRefused("MASA_E_CMS", lambda: self.post(body))

    def test_duplicate_json_key(self):
        """serial-number twice in the RVR's JSON: 400 MASA_E_DUPLICATE_KEY."""
        rvr, _ = self.make_request(self.p, self.r,
                                   rvr_kw=dict(dup=("serial-number", self.p.serial)))
        self.assertRefused("MASA_E_DUPLICATE_KEY", lambda: self.post(rvr))

    def test_ed25519_cms_is_an_unsupported_algorithm(self):
        """OpenSSL 3.0's CMS verifies no Ed25519 SignerInfo: an Ed25519 registrar's CMS RVR,
        and an Ed25519 pledge's CMS PVR, are 403 MASA_E_ALG (unsupported), not a forgery;
        such peers use JWS or COSE (JwsRequests.test_ed25519_pledge_and_registrar)."""
        ed_registrar, ed_pledge = self.registrar("eddsa"), self.enroll("eddsa")
        self.assertRefused("MASA_E_ALG", lambda: self.post(self.make_request(
            self.p, ed_registrar)[0]))
        self.assertRefused("MASA_E_ALG", lambda: self.post(self.make_request(
            ed_pledge, self.r)[0]), audited=True)

    def test_pvr_signed_by_wrong_cms_key_is_pvr_signature(self):
        """A CMS PVR whose signature has one bit flipped is 403 MASA_E_PVR_SIGNATURE."""
        self.assertRefused("MASA_E_PVR_SIGNATURE", lambda: self.post(self.make_request(
            self.p, self.r, pvr_kw=dict(sign_hook=vtest.flip_last))[0]))


class JwsRequests(JsonCase):
    """JWS voucher-requests built by jwcrypto."""
    FMT = "jws"

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.start()

    def test_jws_voucher_verifies_with_jwcrypto(self):
        """A jwcrypto-built JWS request gets a JWS voucher that jwcrypto verifies
        (protected alg ES256, typ voucher-jws+json, x5c = the MASA certificate)."""
        leaves, _rvr, _body = self.issue(self.p, self.r)
        self.assertEqual(leaves["alg"], "ES256")

    def test_ed25519_pledge_and_registrar(self):
        """EdDSA PVR and RVR."""
        p, r = self.enroll("eddsa"), self.registrar("eddsa")
        self.issue(p, r)

    def test_answer_as_cms(self):
        """A JWS request with Accept CMS gets a CMS voucher that openssl verifies."""
        _leaves, _rvr, body = self.issue(self.p, self.r, accept=CMS)
        self.cms_ok(body)

    def test_auditlog_accepts_jws(self):
        """requestauditlog takes the JWS RVR: 200, the JSON log with the one voucher."""
        _leaves, rvr, _ = self.issue(self.p, self.r)
        st, _hdr, body = request(self.inst, self.server.port, "POST", AUDITLOG, rvr,
                                 {"Content-Type": JWS})
        self.assertEqual(st, 200, body)
        self.assertEqual(len(json.loads(body)["events"]), 1)

    def test_alg_none(self):
        """A JWS with alg "none" and an empty signature: 403 MASA_E_ALG."""
        nonce = new_nonce()
        pvr = self.p.pvr(nonce, self.r)
        payload = jvouchers.vr_json(jvouchers.rvr_leaves(self.p.serial, nonce, pvr))
        body = jvouchers.unsigned_jws(payload, {"alg": "none",
                                                "x5c": [jvouchers.b64(self.r.cert)]})
        self.assertRefused("MASA_E_ALG", lambda: self.post(body))

    def test_alg_eddsa_with_p256_key(self):
        """alg EdDSA in the header of an RVR whose only key is P-256: 403 MASA_E_ALG."""
        rvr, _ = self.make_request(self.p, self.r, rvr_kw=dict(
            header={"alg": "EdDSA", "x5c": [jvouchers.b64(self.r.cert)]}))
        self.assertRefused("MASA_E_ALG", lambda: self.post(rvr))

    def test_mismatched_x5c(self):
        """Signed by the registrar, x5c holding another registrar's certificate (the PVR
        names the x5c key): 403 MASA_E_SIGNATURE."""
        other = self.registrar(cn="other")
        nonce = new_nonce()
        rvr = self.r.rvr(self.p.serial, nonce, self.p.pvr(nonce, other), x5bag=[other.cert])
        self.assertRefused("MASA_E_SIGNATURE", lambda: self.post(rvr))

    def test_not_general_serialization(self):
        """Flattened or compact serialization, two signatures, a crit header: 400."""
        rvr, _ = self.make_request(self.p, self.r)
        obj = json.loads(rvr)
        sig = obj["signatures"][0]
        flat = dict(payload=obj["payload"], **sig)
        two = dict(obj, signatures=[sig, sig])
        crit = dict(obj, signatures=[dict(sig, protected=jvouchers.b64url(json.dumps(
            {"alg": "ES256", "crit": ["x"], "x": 1}).encode()))])
        compact = "%s.%s.%s" % (sig["protected"], obj["payload"], sig["signature"])
        for body in (flat, two, crit, compact):
            with self.subTest(body=str(body)[:40]):
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.assertRefused("MASA_E_JWS", lambda: self.post(data))

    def test_duplicate_json_key(self):
        """nonce twice in the PVR payload: 400 MASA_E_PVR_MALFORMED (the PVR's error)."""
        rvr, _ = self.make_request(self.p, self.r, pvr_kw=dict(dup=("nonce", "AAAAAAAAAAA=")))
        self.assertRefused("MASA_E_PVR_MALFORMED", lambda: self.post(rvr))


class MasaES384(JsonCase):
    """An ES384 MASA key in the JSON formats."""
    alg = "es384"
    FMT = "cms"

    def test_es384(self):
        """CMS (ecdsa-with-SHA384) and JWS (ES384) vouchers verify."""
        p, r = self.enroll(), self.registrar()
        self.start()
        _l, _rvr, body = self.issue(p, r)
        self.cms_ok(body)
        self.assertEqual(self.issue(p, r, accept=JWS)[0]["alg"], "ES384")


class MasaEd25519(JsonCase):
    """An Ed25519 MASA key: JWS vouchers (EdDSA); OpenSSL 3.0's CMS cannot sign with
    Ed25519, so CMS is 406 and spends nothing."""
    alg = "eddsa"
    FMT = "cms"

    def test_eddsa_vouchers(self):
        """A CMS request with Accept JWS: alg EdDSA, verified by jwcrypto; with no
        Accept (CMS): 406 and nothing spent or audited (as any voucher that cannot be
        signed: issue.c stores nothing)."""
        p, r = self.enroll(), self.registrar()
        self.start()
        leaves, _rvr, _body = self.issue(p, r, accept=JWS)
        self.assertEqual(leaves["alg"], "EdDSA")
        self.assertRefused("MASA_E_NOT_ACCEPTABLE",
                           lambda: self.post(self.make_request(p, r)[0]), audited=False)


class ProductFormats(JsonCase):
    """A product names the voucher formats its pledges take (issue 15 item 10): a CMS or
    JWS request for a device whose product lacks the answer's format is 406
    MASA_E_PLEDGE_FORMAT, spends nothing and is audited; the same request asking
    (Accept) for a format the product has is answered and verified."""

    def device_of(self, formats):
        """A new pledge of a new product that takes only `formats`."""
        name = "only-" + formats.replace(",", "-")
        self.cli("product", "add", name, "--formats", formats)
        key = brski.new_key("es256")
        serial = "PF-%s" % os.urandom(4).hex()
        self.cli("device", "add", "--serial", serial, "--pubkey", self.public_pem_file(key),
                 "--product", name)
        return vtest.Pledge(serial, key)

    def refused_then_answered(self, formats, refused, answered):
        """A request of this class's format for a device of a product taking only
        `formats`: 406 when asked for each type of `refused` (None: no Accept, the
        request's own format), then a voucher when asked for `answered`."""
        p, r = self.device_of(formats), self.registrar()
        self.start()
        rvr, _nonce = self.make_request(p, r)
        for accept in refused:
            with self.subTest(accept=accept):
                self.assertRefused("MASA_E_PLEDGE_FORMAT",
                                   lambda: self.post(rvr, accept=accept),
                                   row={"serial": p.serial, "registrar": r})
        _leaves, _rvr, body = self.issue(p, r, accept=answered)
        self.assertEqual(len(self.voucher_rows(p.serial)), 1)
        return body


class ProductFormatsCms(ProductFormats):
    FMT = "cms"

    def test_cms_request_for_a_cose_only_product(self):
        """CMS asked (no Accept, or Accept CMS or JWS): 406; Accept COSE: a voucher."""
        self.refused_then_answered("cose", (None, CMS, JWS), COSE)

    def test_cms_request_for_a_jws_only_product(self):
        """CMS asked: 406; Accept JWS: a voucher jwcrypto verifies."""
        self.refused_then_answered("jws", (None, COSE), JWS)


class ProductFormatsJws(ProductFormats):
    FMT = "jws"

    def test_jws_request_for_a_cms_only_product(self):
        """JWS asked: 406; Accept CMS: a voucher openssl verifies."""
        self.cms_ok(self.refused_then_answered("cms", (None, JWS, COSE), CMS))


class OneBucket(JsonCase):
    """The token bucket is per device, whatever the format (reliability.md §5)."""

    def test_12_cose_and_12_cms_empty_one_bucket(self):
        """Capacity 24: 12 COSE and 12 CMS vouchers, then a JWS request is 429."""
        p, r = self.enroll(), self.registrar()
        self.start()
        global_fmt = vtest.FORMAT
        try:
            for fmt in (None, "cms"):
                vtest.FORMAT = fmt
                self.ctype = jvouchers.FORMATS[fmt]["content_type"] if fmt else COSE
                for _ in range(12):
                    self.issue(p, r)
            self.assertEqual(len(self.voucher_rows(p.serial)), 24)
            self.assertEqual(sorted({row[2] for row in self.voucher_rows(p.serial)}),
                             sorted([CMS, COSE]))
            vtest.FORMAT, self.ctype = "jws", JWS
            st, hdr, _ = self.assertRefused("MASA_E_RATE_LIMITED",
                                            lambda: self.post(self.make_request(p, r)[0]))
            self.assertTrue(3500 <= int(hdr["retry-after"]) <= 3601)
        finally:
            vtest.FORMAT = global_fmt


class AppendixC(JsonCase):
    """The RFC 8995 Appendix C registrar voucher-request (tests/vectors/rfc8995) sent to
    masa as published, at its own time under libfaketime: `masa init` runs today (so the
    TLS certificate the client checks today is valid), `masa serve` in April 2021."""

    SERIAL = "00-D0-E5-F2-00-02"

    def vector(self, name):
        return os.path.join(RFC8995, name)

    def rvr_der(self):
        p = subprocess.run(["openssl", "cms", "-cmsout", "-inform", "PEM", "-outform", "DER",
                            "-in", self.vector("parboiled_vr_00-D0-E5-F2-00-02.pkcs")],
                           capture_output=True, check=True, timeout=30)
        return p.stdout

    def prepare(self):
        self.cli("device", "add", "--idevid", self.vector("idevid_00-D0-E5-F2-00-02.crt"),
                 "--serial", self.SERIAL)
        with open(self.vector("jrc_prime256v1.crt"), "rb") as f:
            self.jrc = x509.load_pem_x509_certificate(f.read())

    def start_at(self, when):
        # masatest.faketime_env: a missing libfaketime fails, never skips.
        self.server = self.serve(admin=False, faketime=when)
        return self.server

    def test_appendix_c_request_at_its_own_time(self):
        """At 2021-04-13T21:43:30Z: a CMS voucher for the vector's serial and nonce
        (-_XE9zK9q8Ll1qylMtLKeg, base64url in the request), created-on that day, pinning
        the registrar (jrc_prime256v1) key; it verifies with `openssl cms -verify` and the
        Python verifier (eContentType id-ct-animaJSONVoucher); the server's log says 2021;
        the same request as base64 text is answered too."""
        self.start_at(APPENDIX_C_TIME)
        st, hdr, body = self.post(self.rvr_der(), content_type=CMS)
        self.assertEqual((st, hdr.get("content-type")), (200, CMS), body)
        leaves = self.cms_ok(body)
        self.assertEqual(leaves["serial-number"], self.SERIAL)
        self.assertEqual(leaves["nonce"], base64.urlsafe_b64decode("-_XE9zK9q8Ll1qylMtLKeg=="))
        self.assertTrue(leaves["created-on"].startswith("2021-04-13T21:43"), leaves)
        self.assertEqual(leaves["pinned-domain-pubk"], brski.spki_der(self.jrc.public_key()))
        self.assertEqual(leaves["assertion"], 2)
        self.assertTrue(any(r.get("time", "").startswith("2021-04-13")
                            for r in self.server.log_records()))
        for path in ("/healthz", "/readyz"):    # the rest of the server at that time
            st, _hdr, body = request(self.inst, self.server.port, "GET", path)
            self.assertEqual(st, 200, body)
        with open(self.vector("parboiled_vr_00-D0-E5-F2-00-02.b64"), "rb") as f:
            st, _hdr, body = self.post(f.read(), content_type=CMS)
        self.assertEqual(st, 200, body)
        self.assertEqual(self.cms_ok(base64.b64decode(body, validate=True))["serial-number"],
                         self.SERIAL)

    def test_appendix_c_request_today_is_refused(self):
        """Today the same request is refused: its registrar certificate
        (jrc_prime256v1.crt) expired on 2022-02-24 (issue 15 item 7), and that is
        checked before its years-old created-on; 403, one audit entry, nothing spent."""
        self.start()
        self.assertRefused("MASA_E_CERT_VALIDITY",
                           lambda: self.post(self.rvr_der(), content_type=CMS))


if __name__ == "__main__":
    unittest.main()
