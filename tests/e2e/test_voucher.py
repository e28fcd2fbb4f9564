"""Voucher issuance end to end: the real `masa serve` over verified HTTPS, requests built
and vouchers verified by the independent brski.py (never by the server's code).

Every refusal is checked for its exact status and one-line body (masa/errors.c), an
unchanged store (token buckets, vouchers, pins, registrars) and exactly one
voucher.refused audit row naming the error.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_voucher
"""
import collections
import datetime
import os
import sqlite3
import time
import unittest

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import brski
import masatest
import test_vectors
import vtest
from masatest import sqlite_only
from vtest import COSE, COSE_OLD, Pledge, Registrar, new_nonce, utc

P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def rsa_ca_der():
    """A self-signed RSA-2048 CA certificate (DER)."""
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "rsa domain ca")])
    now = datetime.datetime.now(datetime.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(k.public_key()).serial_number(1)
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .sign(k, hashes.SHA256()))
    return c.public_bytes(serialization.Encoding.DER)


class HappyPath(vtest.VoucherCase):
    """Issued vouchers for each supported key type, encoding and proximity form."""

    def happy(self, pledge_kind="es256", registrar_kind="es256", cert=True, **kw):
        """Enrolls a pledge, starts the server, requests one voucher (checked by
        assertVoucher) and checks the debit; returns the voucher leaves."""
        p = self.enroll(pledge_kind)
        r = self.registrar(registrar_kind, cert=cert)
        self.start()
        self.assertEqual(self.device(p.serial)["tokens-left"], 24)
        leaves, _rvr, _body = self.issue(p, r, **kw)
        dev = self.device(p.serial)
        self.assertEqual(dev["vouchers-issued"], 1)
        self.assertEqual(dev["tokens-left"], 23, "the bucket was not debited")
        return leaves

    def test_es256_pledge_es256_registrar(self):
        """ES256 pledge + ES256 registrar with a cmcRA certificate: a correct voucher,
        one stored row, a debit, a first-use pin and one voucher.issued audit row."""
        p, r = self.enroll(), self.registrar()
        self.start()
        seq = self.audit_seq()
        leaves, _rvr, _body = self.issue(p, r)
        self.assertNotIn("expires-on", leaves)
        dev = self.device(p.serial)
        self.assertEqual((dev["vouchers-issued"], dev["tokens-left"]), (1, 23),
                         "one stored voucher, one token spent")
        self.assertEqual(self.pinned(p.serial), self.key_id(r))
        self.assertEqual([e[1:4] for e in self.audit_events(seq)],
                         [("voucher.issued", p.serial, leaves["nonce"])])

    def test_ed25519_pledge(self):
        """An Ed25519 pledge's PVR is verified with its enrolled key."""
        self.happy(pledge_kind="eddsa")

    def test_es384_registrar(self):
        """An ES384 (P-384) registrar is accepted and pinned by its SPKI."""
        self.happy(registrar_kind="es384")

    def test_ed25519_registrar(self):
        """An Ed25519 registrar certificate and EdDSA RVR are accepted."""
        self.happy(registrar_kind="eddsa")

    def test_raw_key_registrar(self):
        """With no x5bag the registrar key is the PVR's proximity-registrar-pubk."""
        self.happy(cert=False)

    def test_old_media_type_name(self):
        """A request sent as application/voucher-cose+cbor is answered under that name."""
        self.happy(content_type=COSE_OLD)

    def test_name_keyed_requests(self):
        """PVR and RVR keyed by YANG names instead of SIDs."""
        self.happy(pvr_kw=dict(names=True), rvr_kw=dict(names=True))

    def test_absolute_sid_keys(self):
        """PVR and RVR keyed by tag-47 absolute SIDs."""
        self.happy(pvr_kw=dict(absolute_sids=True), rvr_kw=dict(absolute_sids=True))

    def test_proximity_sha256_form(self):
        """proximity-registrar-pubk-sha256 naming the registrar is accepted."""
        self.happy(form="sha256")

    def test_proximity_cert_form(self):
        """proximity-registrar-cert naming the registrar is accepted."""
        self.happy(form="cert")

    def test_chain_with_rsa_ca_in_x5bag(self):
        """A registrar's x5bag may carry its chain: an RSA domain CA beside its EC cmcRA
        certificate is a certificate masa cannot use, not a reason to refuse (it was a 500
        when certificates first went through the certificate cache)."""
        p = self.enroll()
        r0 = self.registrar()
        r = Registrar(r0.key, r0.cert, bag=[r0.cert, rsa_ca_der()])
        self.start()
        self.issue(p, r)
        self.issue(p, r)    # and again, from the cache

    def test_idevid_enrolled_device(self):
        """A device enrolled by its dev-PKI IDevID; CA-issued registrar with its chain in
        x5bag and idevid-issuer set: issued, and the IDevID is stored."""
        pki = vtest.gen_dev_pki(os.path.join(self.inst.tmp, "pki"))
        f = lambda name: os.path.join(pki, name)
        self.cli("device", "add", "--idevid", f("pledge-es256-SN0001.crt"), "--serial", "SN0001")
        idevid = vtest.pem_cert_der(f("pledge-es256-SN0001.crt"))
        self.assertEqual(self.query("SELECT idevid FROM devices WHERE serial = 'SN0001'"),
                         [(idevid,)])
        p = Pledge("SN0001", brski.load_pem_private(f("pledge-es256-SN0001.key")))
        rcert = vtest.pem_cert_der(f("registrar-es256.crt"))
        r = Registrar(brski.load_pem_private(f("registrar-es256.key")), rcert,
                      bag=[rcert, vtest.pem_cert_der(f("domain-ca.crt"))])
        self.start()
        self.issue(p, r, rvr_kw=dict(idevid_issuer=brski.idevid_issuer_from_cert(idevid)))

    def test_p384_pledge_enrolled_by_cli(self):
        """`masa device add --pubkey` with a P-384 key: its ES384 PVR verifies."""
        self.happy(pledge_kind="es384")

    def test_registrar_known_only_by_the_pvr_certificate(self):
        """No x5bag: the registrar's certificate is only the PVR's
        proximity-registrar-cert, and its key verifies the RVR: issued, pinned to it."""
        p, r0 = self.enroll(), self.registrar()
        r = Registrar(r0.key, r0.cert, bag=[])
        self.start()
        self.issue(p, r, form="cert", rvr_kw=dict(x5bag=None))

    def test_idevid_serial_mismatch_refused_by_cli(self):
        """`device add --idevid` with another --serial: exit 1, one sentence, nothing
        enrolled and nothing audited."""
        pki = vtest.gen_dev_pki(os.path.join(self.inst.tmp, "pki"))
        seq = self.audit_seq()
        p = self.cli("device", "add", "--idevid", os.path.join(pki, "pledge-es256-SN0001.crt"),
                     "--serial", "SN0002", ok=False)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertOneSentence(p.stderr)
        self.assertEqual(self.query("SELECT COUNT(*) FROM devices"), [(0,)])
        self.assertEqual(self.audit_events(seq), [])


class _MasaAlg:
    """Mixin: a voucher from an instance with another voucher-signing algorithm."""

    def test_voucher_verifies_with_masa_key(self):
        """The voucher verifies with `masa key show` and carries the MASA certificate."""
        p, r = self.enroll(), self.registrar()
        self.start()
        self.issue(p, r)


class MasaES384(_MasaAlg, vtest.VoucherCase):
    alg = "es384"


class MasaEdDSA(_MasaAlg, vtest.VoucherCase):
    alg = "eddsa"


class AcceptNegotiation(vtest.VoucherCase):
    """Response formats chosen from Accept (product.md §3.1)."""

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.start()

    def ask(self, accept, content_type=COSE):
        """Posts a fresh valid request with Accept; returns (response, nonce)."""
        rvr, nonce = self.make_request(self.p, self.r)
        return self.post(rvr, content_type=content_type, accept=accept), nonce

    def test_star_star(self):
        """Accept */* gets the request's own type."""
        for ct in (COSE, COSE_OLD):
            with self.subTest(content_type=ct):
                resp, nonce = self.ask("*/*", ct)
                self.assertVoucher(resp, self.p.serial, nonce, self.r, content_type=ct)

    def test_other_type_name(self):
        """Accept naming the other name of the COSE voucher type gets that name."""
        for ct, accept in ((COSE, COSE_OLD), (COSE_OLD, COSE)):
            with self.subTest(content_type=ct, accept=accept):
                resp, nonce = self.ask(accept, ct)
                self.assertVoucher(resp, self.p.serial, nonce, self.r, content_type=accept)

    def test_multipart(self):
        """multipart/related (boundary= first, then type=): the voucher, the MASA COSE_Key
        (with kid) and DER certificate; multipart/mixed (boundary= only, highway's layout):
        the voucher, the signing chain as PEM certs-only, the COSE_Key. The voucher
        verifies with the key and with the certificate."""
        for mp in ("multipart/related", "multipart/mixed"):
            with self.subTest(accept=mp):
                (st, hdr, body), nonce = self.ask(mp)
                self.assertEqual(st, 200, body)
                mtype, params = brski._ct_params(hdr["content-type"])
                self.assertEqual(mtype, mp)
                self.assertTrue(hdr["content-type"].startswith(mp + "; boundary="))
                self.assertEqual(params.get("type"), COSE if mp == "multipart/related" else None)
                parts = brski.parse_multipart(hdr["content-type"], body)
                if mp == "multipart/related":
                    self.assertEqual([t for t, _ in parts],
                                     [COSE, "application/cose-key", "application/pkix-cert"])
                    voucher, cose_key, cert_der = (d for _, d in parts)
                else:
                    self.assertEqual([t for t, _ in parts],
                                     [COSE, "application/pkcs7-mime; smime-type=certs-only",
                                      "application/cose-key"])
                    voucher, pem, cose_key = (d for _, d in parts)
                    cert_der = x509.load_pem_x509_certificate(pem).public_bytes(
                        serialization.Encoding.DER)
                pub, kid = brski.cose_key_to_public(cose_key)
                # README: kid is the SHA-256 of the MASA key's SubjectPublicKeyInfo
                self.assertEqual(kid, brski.sha256(brski.spki_der(self.masa_key())))
                self.assertEqual(brski.spki_der(pub), brski.spki_der(self.masa_key()))
                self.assertEqual(cert_der, self.masa_cert_der())
                cert = x509.load_der_x509_certificate(cert_der)
                for key in (pub, cert.public_key()):
                    leaves = brski.parse_voucher(voucher, key)
                    self.assertEqual((leaves["nonce"], leaves["serial-number"]),
                                     (nonce, self.p.serial))
                self.assertEqual([r[3] for r in self.voucher_rows() if r[0] == nonce], [voucher])

    def test_unproducible_type_406(self):
        """A type masa cannot produce (text, or the voucher types all with q=0) is 406."""
        for accept in ("text/plain", "application/voucher+cose;q=0",
                       "application/voucher+cose;q=0, application/voucher-cms+json;q=0, "
                       "application/voucher-jws+json;q=0, application/pkcs7-mime;q=0, "
                       "application/voucher-cose+cbor;q=0, text/*"):
            with self.subTest(accept=accept):
                self.assertRefused("MASA_E_NOT_ACCEPTABLE", lambda: self.ask(accept)[0], audited=False)

    def test_unparseable_accept_415(self):
        """An Accept header that does not parse is 415."""
        self.assertRefused("MASA_E_ACCEPT", lambda: self.ask("a/b;q=nonsense")[0])

    def test_q0_range_never_chosen(self):
        """multipart/related;q=0 before the COSE type: the plain voucher."""
        resp, nonce = self.ask("multipart/related;q=0, application/voucher+cose")
        self.assertVoucher(resp, self.p.serial, nonce, self.r)


# ---------------------------------------------------------------------------------------
# The negative matrix (reliability.md §4.2, COSE cases): one generated test per row.
# A row builds the request from the test's enrolled pledge self.p and registrar self.r
# (and whatever else it enrolls first); it returns the body or post() keywords.
# ---------------------------------------------------------------------------------------

def request(t, nonce=None, pvr_nonce=None, pvr_kw=None, rvr_kw=None, pledge=None,
            registrar=None, pvr=None):
    """A request that is valid except for what the arguments change. Remembers in
    t.last what its refusal's audit row must name: serial, RVR nonce and registrar."""
    pledge, registrar = pledge or t.p, registrar or t.r
    nonce = nonce or new_nonce()
    t.last = dict(serial=pledge.serial, nonce=nonce, registrar=registrar)
    if pvr is None:
        pvr = pledge.pvr(pvr_nonce or nonce, registrar, **(pvr_kw or {}))
    return registrar.rvr(pledge.serial, nonce, pvr, **(rvr_kw or {}))


def signed_as(sig_hook=None, **cose):
    """Row builder: the RVR signed by self.r with cose_sign1 overrides."""
    if sig_hook is not None:
        cose["sign_hook"] = sig_hook
    return lambda t: request(t, rvr_kw=cose)


def by_registrar(make, **cose):
    """Row builder: the request through the registrar make(t) returns."""
    return lambda t: request(t, registrar=make(t), rvr_kw=cose)


def mangled(f):
    """Row builder: f(valid RVR bytes) as the body; the RVR is tag 18 + a 4-array."""
    def build(t):
        rvr = request(t)
        assert rvr[:2] == b"\xd2\x84", rvr[:2]
        return f(rvr)
    return build


def impostor(pvr_names_signer):
    """RVR signed by a key X that is not the key of the x5bag certificate (self.r's);
    the PVR names the certificate's key, or X."""
    def build(t):
        x = Registrar(brski.new_key(), bag=[t.r.cert])
        return request(t, registrar=x, pvr=t.p.pvr(
            t.nonce, x if pvr_names_signer else t.r), nonce=t.nonce)
    return build


def other_registrar_named(form):
    """PVR naming a new registrar A (in `form`); the RVR by self.r with its certificate."""
    def build(t):
        a = t.registrar(cn="A")
        return request(t, pvr=t.p.pvr(t.nonce, a, form), nonce=t.nonce)
    return build


def serial_mismatch(t):
    """A PVR signed by self.p's key but naming another enrolled serial."""
    other = t.enroll()
    return request(t, pvr_kw=dict(serial=other.serial))


def foreign_pvr(t):
    """The genuine PVR of another enrolled pledge, in an RVR for self.p's serial."""
    other = t.enroll()
    return request(t, pvr=other.pvr(t.nonce, t.r), nonce=t.nonce)


def blocked(how):
    """Blocks self.r (`registrar block --key` or `--sha256`), then a valid request."""
    def build(t):
        if how == "key":
            t.cli("registrar", "block", "--key", t.public_pem_file(t.r.key))
        else:
            t.cli("registrar", "block", "--sha256", brski.sha256(t.r.spki).hex())
        return request(t)
    return build


def raw_registrar_sha256_only(t):
    """A raw-key registrar (no x5bag) named only by proximity-registrar-pubk-sha256."""
    r = t.registrar(cert=False)
    return request(t, registrar=r, pvr_kw=dict(form="sha256"))


def nonce_in_pvr_only(t):
    """A nonceless RVR (no nonce leaf) carrying a nonced PVR."""
    t.last = dict(serial=t.p.serial, nonce=None, registrar=t.r)
    return t.r.rvr(t.p.serial, None, t.p.pvr(t.nonce, t.r))


def nonceless_unknown_serial(t):
    """A nonceless RVR for a serial that is not enrolled."""
    t.last = dict(serial="SN-NOT-ENROLLED", nonce=None, registrar=t.r)
    return t.r.rvr("SN-NOT-ENROLLED", None, None)


def garbage_proximity_pubk(t):
    """A raw-key registrar (no x5bag) whose PVR's proximity-registrar-pubk, where the
    registrar key is looked for, is not a key."""
    r = t.registrar(cert=False)
    pvr = brski.make_pvr(t.p.key, t.p.serial, t.nonce, proximity=("pubk", b"garbage"))
    return request(t, registrar=r, pvr=pvr, nonce=t.nonce)


def nested_arrays(depth):
    """CBOR: depth nested one-element arrays around 0."""
    return b"\x81" * depth + b"\x00"


# formats: the request formats a row applies to (None: every format; the rows that
# change COSE headers or CBOR bytes are COSE's); errors: a different refusal per format
# (a CMS signer named by a certificate it did not send is refused before the core sees
# it, MASA_E_CMS_SIGNER).
Row = collections.namedtuple("Row", "id error build doc audited formats errors",
                             defaults=(None, None, None))
COSE_ONLY = ("cose",)
CMS_SIGNER = {"cms": "MASA_E_CMS_SIGNER"}

MATRIX = [
    Row("bad_rvr_signature", "MASA_E_SIGNATURE", signed_as(vtest.flip_last),
        "An RVR whose signature has one bit flipped is 403."),
    Row("rvr_signed_by_key_other_than_x5bag_cert", "MASA_E_SIGNATURE", impostor(False),
        "An RVR signed by a key other than its x5bag certificate's (PVR naming the "
        "certificate's key) is 403.", errors=CMS_SIGNER),
    Row("rvr_signer_named_by_pvr_but_not_in_x5bag", "MASA_E_REGISTRAR_KEYS_DISAGREE",
        impostor(True),
        "An RVR signed by the key the PVR names, with another key's certificate as its "
        "x5bag, is 403.", errors=CMS_SIGNER),
    Row("registrar_cert_without_cmc_ra", "MASA_E_NOT_RA",
        by_registrar(lambda t: t.registrar(cmc_ra=False)),
        "A registrar certificate without id-kp-cmcRA is 403."),
    Row("raw_key_registrar_without_pubk", "MASA_E_NO_REGISTRAR_KEY", raw_registrar_sha256_only,
        "No x5bag and only a sha256 proximity leaf: no key to verify the RVR, 403.", errors=CMS_SIGNER),
    Row("pvr_signed_by_other_key", "MASA_E_PVR_SIGNATURE",
        lambda t: request(t, pvr_kw=dict(key=brski.new_key())),
        "A PVR signed by a key other than the enrolled one is 403."),
    Row("pvr_of_another_enrolled_pledge", "MASA_E_PVR_SIGNATURE", foreign_pvr,
        "Another enrolled pledge's genuine PVR inside an RVR for this serial is 403."),
    Row("rvr_serial_differs_from_pvr_serial", "MASA_E_SERIAL_MISMATCH", serial_mismatch,
        "A PVR by this pledge's key naming another enrolled serial is 403."),
    Row("unknown_serial", "MASA_E_UNKNOWN_DEVICE",
        lambda t: request(t, pledge=Pledge("SN-NOT-ENROLLED", brski.new_key())),
        "A serial that is not enrolled is 404."),
    Row("proximity_pubk_names_other_registrar", "MASA_E_PROXIMITY",
        other_registrar_named("pubk"),
        "A PVR whose proximity-registrar-pubk names registrar A, RVR by B with B's "
        "certificate: 403."),
    Row("proximity_sha256_names_other_registrar", "MASA_E_PROXIMITY",
        other_registrar_named("sha256"),
        "The same with proximity-registrar-pubk-sha256: 403."),
    Row("proximity_cert_names_other_registrar", "MASA_E_PROXIMITY",
        other_registrar_named("cert"),
        "The same with proximity-registrar-cert: 403."),
    Row("nonce_mismatch", "MASA_E_NONCE_MISMATCH",
        lambda t: request(t, pvr_nonce=new_nonce()),
        "RVR nonce different from the PVR nonce is 403."),
    Row("nonceless_first_use", "MASA_E_NONCELESS",
        lambda t: t.r.rvr(t.p.serial, None, None),
        "A nonceless RVR (no nonce, no PVR) in first-use mode is 403."),
    Row("alg_only_unprotected", "MASA_E_ALG",
        signed_as(protected={}, unprotected={brski.HDR_ALG: brski.ALG_ES256}),
        "alg only in the unprotected header is 403.", formats=COSE_ONLY),
    Row("no_alg_empty_protected_bstr", "MASA_E_ALG", signed_as(protected_raw=b""),
        "No alg, protected header h'' is 403.", formats=COSE_ONLY),
    Row("no_alg_empty_protected_map", "MASA_E_ALG", signed_as(protected_raw=b"\xa0"),
        "No alg, protected header h'A0' is 403.", formats=COSE_ONLY),
    Row("eddsa_alg_with_p256_key", "MASA_E_ALG", signed_as(alg=brski.ALG_EDDSA),
        "alg EdDSA on an RVR from a P-256 registrar is 403.", formats=COSE_ONLY),
    Row("es256_alg_with_ed25519_key", "MASA_E_ALG",
        by_registrar(lambda t: t.registrar("eddsa"), alg=brski.ALG_ES256),
        "alg ES256 on an RVR from an Ed25519 registrar is 403.", formats=COSE_ONLY),
    Row("alg_minus_65535", "MASA_E_ALG", signed_as(alg=-65535),
        "An unknown alg (-65535) is 403.", formats=COSE_ONLY),
    Row("alg_hmac", "MASA_E_ALG", signed_as(alg=5),
        "An HMAC alg (5, HMAC 256/256) is 403.", formats=COSE_ONLY),
    Row("mac0_tag_17", "MASA_E_COSE", mangled(lambda b: b"\xd1" + b[1:]),
        "Tag 17 (COSE_Mac0) instead of 18 is 400.", formats=COSE_ONLY),
    Row("label_in_both_headers", "MASA_E_COSE",
        signed_as(unprotected={brski.HDR_ALG: brski.ALG_ES256}),
        "The alg label in both the protected and unprotected header is 400.", formats=COSE_ONLY),
    Row("unknown_critical_label", "MASA_E_COSE_CRIT",
        signed_as(protected={brski.HDR_ALG: brski.ALG_ES256, 2: [99], 99: 0}),
        "crit [99] with label 99 in the protected header is 400.", formats=COSE_ONLY),
    Row("duplicate_payload_key", "MASA_E_DUPLICATE_KEY",
        lambda t: request(t, rvr_kw=dict(extra=[(13, t.p.serial)])),
        "serial-number twice in the RVR's inner map is 400.", formats=COSE_ONLY),
    Row("delta_and_absolute_sid_twin", "MASA_E_DUPLICATE_KEY",
        lambda t: request(t, rvr_kw=dict(extra=[(cbor2.CBORTag(47, 2514), t.p.serial)])),
        "A delta key and its tag-47 absolute twin naming one leaf is 400.", formats=COSE_ONLY),
    Row("es256_signature_63_bytes", "MASA_E_SIGNATURE", signed_as(lambda s: s[:63]),
        "An ES256 signature of 63 bytes is 403.", formats=COSE_ONLY),
    Row("es256_signature_65_bytes", "MASA_E_SIGNATURE", signed_as(lambda s: s + b"\x00"),
        "An ES256 signature of 65 bytes is 403.", formats=COSE_ONLY),
    Row("es256_signature_der", "MASA_E_SIGNATURE", signed_as(brski.raw_to_der),
        "A DER (70-72 byte) ES256 signature is 403.", formats=COSE_ONLY),
    Row("es256_r_zero", "MASA_E_SIGNATURE", signed_as(lambda s: bytes(32) + s[32:]),
        "r = 0 is 403.", formats=COSE_ONLY),
    Row("es256_s_zero", "MASA_E_SIGNATURE", signed_as(lambda s: s[:32] + bytes(32)),
        "s = 0 is 403.", formats=COSE_ONLY),
    Row("es256_r_equals_n", "MASA_E_SIGNATURE",
        signed_as(lambda s: P256_N.to_bytes(32, "big") + s[32:]),
        "r = n (the P-256 order) is 403.", formats=COSE_ONLY),
    Row("es256_s_equals_n", "MASA_E_SIGNATURE",
        signed_as(lambda s: s[:32] + P256_N.to_bytes(32, "big")),
        "s = n (the P-256 order) is 403.", formats=COSE_ONLY),
    Row("trailing_byte", "MASA_E_CBOR_TRAILING", mangled(lambda b: b + b"\x00"),
        "A byte after the COSE message is 400.", formats=COSE_ONLY),
    Row("truncated", "MASA_E_CBOR", mangled(lambda b: b[:-1]),
        "A message missing its last byte is 400.", formats=COSE_ONLY),
    Row("indefinite_length_array", "MASA_E_CBOR",
        mangled(lambda b: b[:1] + b"\x9f" + b[2:] + b"\xff"),
        "The COSE array as an indefinite-length array (0x9f ... 0xff) is 400.", formats=COSE_ONLY),
    Row("wrong_content_type", "MASA_E_MEDIA_TYPE",
        lambda t: dict(body=request(t), content_type="application/cbor"),
        "Content-Type application/cbor is 415."),
    Row("no_content_type", "MASA_E_MEDIA_TYPE",
        lambda t: dict(body=request(t), content_type=None),
        "No Content-Type is 415."),
    Row("body_over_cap", "MASA_E_TOO_LARGE", lambda t: b"\x00" * (64 * 1024 + 1),
        "A body of 64 KiB + 1 is 413."),
    Row("blocked_registrar_by_key", "MASA_E_BLOCKED", blocked("key"),
        "A registrar blocked with `registrar block --key` is 403."),
    Row("blocked_registrar_by_sha256", "MASA_E_BLOCKED", blocked("sha256"),
        "A registrar blocked with `registrar block --sha256` is 403."),
    Row("created_on_2h_old", "MASA_E_STALE",
        lambda t: request(t, rvr_kw=dict(created_on=utc(-7200))),
        "RVR created-on 2 h ago is 403."),
    Row("created_on_10min_ahead", "MASA_E_STALE",
        lambda t: request(t, rvr_kw=dict(created_on=utc(600))),
        "RVR created-on 10 min ahead is 403."),
    Row("created_on_unparseable", "MASA_E_VREQ",
        lambda t: request(t, rvr_kw=dict(created_on="yesterday")),
        "An RVR created-on that is not a date-and-time is 400 (found after verification).",
        audited=True),
    Row("nonce_7_bytes", "MASA_E_VREQ", lambda t: request(t, nonce=new_nonce(7)),
        "A 7-byte nonce is 400."),
    Row("nonce_33_bytes", "MASA_E_VREQ", lambda t: request(t, nonce=new_nonce(33)),
        "A 33-byte nonce is 400."),
    Row("missing_serial", "MASA_E_VREQ",
        lambda t: t.r.rvr(None, t.nonce, t.p.pvr(t.nonce, t.r)),
        "An RVR without serial-number is 400."),
    Row("pvr_not_cbor", "MASA_E_PVR_MALFORMED",
        lambda t: request(t, pvr=b"\xff not CBOR"),
        "A PVR that is not CBOR inside a well-formed, signed RVR is 400."),
    Row("nonce_in_rvr_only", "MASA_E_NONCE_MISMATCH",
        lambda t: request(t, nonce=t.nonce, pvr=t.p.pvr(None, t.r)),
        "A nonced RVR whose PVR has no nonce is 403.", formats=COSE_ONLY),
    Row("nonce_in_pvr_only", "MASA_E_NONCE_MISMATCH", nonce_in_pvr_only,
        "A nonceless RVR whose PVR has a nonce is 403.", formats=COSE_ONLY),
    Row("pvr_without_proximity_leaf", "MASA_E_PROXIMITY",
        lambda t: request(t, nonce=t.nonce, pvr=t.p.pvr(t.nonce, None)),
        "A PVR naming no proximity registrar at all is 403.", formats=COSE_ONLY),
    Row("pvr_key_type_not_enrolled", "MASA_E_ALG",
        lambda t: request(t, pvr_kw=dict(key=brski.new_key("eddsa"))),
        "A PVR signed with an Ed25519 key for a P-256-enrolled pledge is 403, audited "
        "(the registrar is verified by then).", audited=True, formats=COSE_ONLY),
    Row("nonceless_unknown_serial", "MASA_E_UNKNOWN_DEVICE", nonceless_unknown_serial,
        "A nonceless RVR for a serial that is not enrolled is 404, audited.", formats=COSE_ONLY),
    Row("proximity_pubk_not_a_key", "MASA_E_PVR_MALFORMED", garbage_proximity_pubk,
        "A raw-key registrar's PVR whose proximity-registrar-pubk is not a key is 400.", formats=COSE_ONLY),
    Row("serial_as_integer", "MASA_E_VREQ",
        lambda t: request(t, rvr_kw=dict(extra={13: 7})),
        "An RVR serial-number as an integer is 400, not audited (a decoding error, found "
        "before the signature is verified; unit: test_cose.test_vreq_leaf_table).",
        formats=COSE_ONLY),
    Row("created_on_integer", "MASA_E_VREQ",
        lambda t: request(t, rvr_kw=dict(extra={2: 1700000000})),
        "An RVR created-on as an integer is 400, not audited (unlike an unparseable date "
        "text, which is found after verification).", formats=COSE_ONLY),
    Row("cbor_depth_9", "MASA_E_CBOR_LIMIT", lambda t: nested_arrays(9),
        "CBOR nested 9 deep (the limit is 8) is 400.", formats=COSE_ONLY),
    Row("cbor_513_items", "MASA_E_CBOR_LIMIT",
        lambda t: b"\x99\x02\x01" + b"\x00" * 513,
        "An array of 513 items (the limit is 512) is 400.", formats=COSE_ONLY),
    Row("cbor_map_65_entries", "MASA_E_CBOR_LIMIT",
        lambda t: b"\xb8\x41" + b"".join(bytes([0x18, i, 0]) for i in range(24, 89)),
        "A map of 65 entries (the limit is 64) is 400.", formats=COSE_ONLY),
]


class _Matrix:
    """reliability.md §4.2: each row a separate test on a fresh instance, for requests
    in the format of the class (NegativeMatrix: COSE; NegativeMatrixCMS, -JWS)."""

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.nonce = new_nonce()
        self.start()

    def test_retired_serial(self):
        """A retired serial (`masa device retire`) is 404 like an unknown one."""
        self.cli("device", "retire", self.p.serial)
        self.assertRefused("MASA_E_UNKNOWN_DEVICE",
                           lambda: self.post(request(self, nonce=self.nonce)))

    def test_get_is_405_with_allow_post(self):
        """GET on the voucher route: 405, Allow: POST, the sentence, nothing stored or
        audited."""
        resp = self.assertRefused("MASA_E_METHOD", lambda: vtest.request(
            self.inst, self.server.port, "GET", vtest.PATH))
        self.assertEqual(resp[1].get("allow"), "POST")

    def test_nonceless_in_open_mode(self):
        """Open mode issues to any verified registrar, but a nonceless RVR still only to
        an owner's registrar (there is none in open mode): 403, audited."""
        self.server.stop()
        self.start(mode="open")
        self.assertRefused("MASA_E_NONCELESS",
                           lambda: self.post(self.r.rvr(self.p.serial, None, None)),
                           row=dict(serial=self.p.serial, nonce=None, registrar=self.r))

    def test_control_unmodified_request_is_issued(self):
        """The rows' base request, unmodified, gets a voucher (so each row's refusal is
        caused by its one change)."""
        st, hdr, body = self.post(request(self, nonce=self.nonce))
        self.assertVoucher((st, hdr, body), self.p.serial, self.nonce, self.r)


class NegativeMatrix(_Matrix, vtest.VoucherCase):
    """The matrix with COSE requests (brski.py)."""

    def test_untagged_rvr_is_issued(self):
        """A COSE_Sign1 without tag 18 (README: "tag 18 or untagged") gets a voucher."""
        rvr = request(self, nonce=self.nonce)
        self.assertEqual(rvr[:1], b"\xd2")
        self.assertVoucher(self.post(rvr[1:]), self.p.serial, self.nonce, self.r)

    def test_registrar_certificate_in_x5chain(self):
        """The registrar certificate in x5chain (label 33) instead of x5bag: a voucher
        pinning its key."""
        rvr = request(self, nonce=self.nonce, rvr_kw=dict(
            x5bag=None, unprotected={brski.HDR_X5CHAIN: self.r.cert}))
        self.assertVoucher(self.post(rvr), self.p.serial, self.nonce, self.r)


class NegativeMatrixCMS(_Matrix, vtest.VoucherCase):
    """The matrix with CMS requests (jvouchers.py, as nqminds/brski builds them)."""
    FMT = "cms"


class NegativeMatrixJWS(_Matrix, vtest.VoucherCase):
    """The matrix with JWS requests (built by jwcrypto)."""
    FMT = "jws"


def _matrix_test(row, fmt):
    error = (row.errors or {}).get(fmt, row.error)

    def test(self):
        self.last = None
        req = row.build(self)
        req = req if isinstance(req, dict) else dict(body=req)
        # rows that sign their RVR without request() are nonceless ones by self.r
        want = self.last or dict(serial=self.p.serial, nonce=None, registrar=self.r)
        self.assertRefused(error, lambda: self.post(**req), audited=row.audited, row=want)
    test.__doc__ = row.doc if error == row.error else "%s (%s: %s)" % (row.doc, fmt, error)
    return test


for _cls, _fmt in ((NegativeMatrix, "cose"), (NegativeMatrixCMS, "cms"),
                   (NegativeMatrixJWS, "jws")):
    for _row in MATRIX:
        if _row.formats is None or _fmt in _row.formats:
            setattr(_cls, "test_" + _row.id, _matrix_test(_row, _fmt))


class Precedence(vtest.VoucherCase):
    """README "Checks, in order", end to end: a request with several faults gets the
    answer of the earliest (each fault alone is a NegativeMatrix or Policy row)."""

    def prepare(self):
        self.p, self.r = self.enroll(), self.registrar()
        self.nonce = new_nonce()
        self.start()

    def refused(self, name, body, **row):
        self.assertRefused(name, lambda: self.post(body), row=row or None)

    def block(self, r):
        self.cli("registrar", "block", "--sha256", brski.sha256(r.spki).hex())

    def test_unknown_serial_with_bad_signature_is_a_signature_refusal(self):
        """The RVR signature is checked before the serial: 403 MASA_E_SIGNATURE, not
        audited (no registrar verified), rather than 404."""
        self.refused("MASA_E_SIGNATURE", request(
            self, pledge=Pledge("SN-NOT-ENROLLED", brski.new_key()),
            rvr_kw=dict(sign_hook=vtest.flip_last)))

    def test_bad_pvr_signature_before_freshness(self):
        """A PVR signed by another key in a 2-hour-old RVR: MASA_E_PVR_SIGNATURE."""
        self.refused("MASA_E_PVR_SIGNATURE", request(
            self, nonce=self.nonce, pvr_kw=dict(key=brski.new_key()),
            rvr_kw=dict(created_on=utc(-7200))),
            serial=self.p.serial, nonce=self.nonce, registrar=self.r)

    def test_stale_before_blocked(self):
        """A blocked registrar's 2-hour-old RVR: MASA_E_STALE."""
        self.block(self.r)
        self.refused("MASA_E_STALE", request(self, nonce=self.nonce,
                                             rvr_kw=dict(created_on=utc(-7200))),
                     serial=self.p.serial, nonce=self.nonce, registrar=self.r)

    def test_blocked_before_pinned_elsewhere(self):
        """A blocked registrar asking for a device pinned to another: MASA_E_BLOCKED."""
        self.issue(self.p, self.registrar(cn="holder"))
        self.block(self.r)
        self.refused("MASA_E_BLOCKED", request(self, nonce=self.nonce),
                     serial=self.p.serial, nonce=self.nonce, registrar=self.r)

    def test_pinned_elsewhere_before_rate_limit(self):
        """A device pinned to another registrar whose bucket is empty: the pin's 403,
        not 429."""
        holder = self.registrar(cn="holder")
        self.server.stop()
        self.start(bucket_capacity=1)
        self.issue(self.p, holder)
        self.refused("MASA_E_PINNED_ELSEWHERE", request(self, nonce=self.nonce),
                     serial=self.p.serial, nonce=self.nonce, registrar=self.r)


class Policy(vtest.VoucherCase):
    """policy.mode, require_pvr and pinned_domain (product.md §4)."""

    def owner(self, name, registrar, *serials, as_cert=True):
        """`masa owner add NAME --registrar-key` (certificate or public key PEM) and
        `owner assign NAME SERIALS`."""
        pem = (x509.load_der_x509_certificate(registrar.cert).public_bytes(
            serialization.Encoding.PEM) if as_cert else None)
        path = self.write(pem) if pem else self.public_pem_file(registrar.key)
        self.cli("owner", "add", name, "--registrar-key", path)
        if serials:
            self.cli("owner", "assign", name, *serials)

    def test_first_use_pins_until_release(self):
        """first-use: registrar B is refused while A holds the pin (A keeps getting
        vouchers); after `device release` B gets one and then holds the pin."""
        p, a, b = self.enroll(), self.registrar(cn="A"), self.registrar(cn="B")
        self.start()
        self.issue(p, a)
        self.assertEqual(self.pinned(p.serial), self.key_id(a))
        self.assertRefused("MASA_E_PINNED_ELSEWHERE",
                           lambda: self.post(self.make_request(p, b)[0]))
        self.issue(p, a)
        self.cli("device", "release", p.serial)
        self.assertIsNone(self.pinned(p.serial))
        self.issue(p, b)
        self.assertEqual(self.pinned(p.serial), self.key_id(b))
        self.issue(p, b)
        self.assertRefused("MASA_E_PINNED_ELSEWHERE",
                           lambda: self.post(self.make_request(p, a)[0]))

    def test_owner_mode(self):
        """owner: the owner's registrar gets a proximity voucher, another registrar 403."""
        p, own, other = self.enroll(), self.registrar(cn="own"), self.registrar(cn="other")
        self.owner("acme", own, p.serial)
        self.start(mode="owner")
        self.issue(p, own, assertion=2)
        self.assertRefused("MASA_E_NOT_OWNER",
                           lambda: self.post(self.make_request(p, other)[0]))

    def test_owner_mode_nonceless(self):
        """owner: a nonceless request (no nonce, no PVR) from the owner's registrar gets a
        'verified' voucher without nonce that expires after nonceless_lifetime_s; from
        another registrar it is 403."""
        p, own, other = self.enroll(), self.registrar(cn="own"), self.registrar(cn="other")
        self.owner("acme", own, p.serial, as_cert=False)
        self.start(mode="owner", nonceless_lifetime_s=1800)
        resp = self.post(own.rvr(p.serial, None, None))
        leaves = self.assertVoucher(resp, p.serial, None, own, assertion=0)
        expires = brski.parse_rfc3339(leaves["expires-on"]).timestamp()
        self.assertLess(abs(expires - (time.time() + 1800)), 120)
        self.assertIsNotNone(self.voucher_rows(p.serial)[0][4])
        self.assertRefused("MASA_E_NONCELESS",
                           lambda: self.post(other.rvr(p.serial, None, None)))

    def test_open_mode_any_registrar(self):
        """open: several verified registrars (certificate and raw key) all get vouchers."""
        p = self.enroll()
        self.start(mode="open")
        for r in (self.registrar(cn="A"), self.registrar("eddsa", cn="B"),
                  self.registrar(cert=False)):
            self.issue(p, r)
        self.assertEqual(self.device(p.serial)["vouchers-issued"], 3)

    def test_require_pvr_default(self):
        """By default a nonced RVR without a PVR is 403."""
        p, r = self.enroll(), self.registrar()
        self.start(mode="open")
        self.assertRefused("MASA_E_PVR_MISSING",
                           lambda: self.post(r.rvr(p.serial, new_nonce(), None)))

    def test_require_pvr_false_owner_mode(self):
        """require_pvr false in owner mode: the owner's nonced RVR without PVR gets
        'verified'."""
        p, r = self.enroll(), self.registrar()
        self.owner("acme", r, p.serial)
        self.start(mode="owner", require_pvr=False)
        nonce = new_nonce()
        self.assertVoucher(self.post(r.rvr(p.serial, nonce, None)), p.serial, nonce, r,
                           assertion=0)

    def test_retired_serial_nonceless(self):
        """owner mode: the owner's nonceless RVR for a retired device is 404, audited."""
        p, r = self.enroll(), self.registrar()
        self.owner("acme", r, p.serial)
        self.cli("device", "retire", p.serial)
        self.start(mode="owner")
        self.assertRefused("MASA_E_UNKNOWN_DEVICE", lambda: self.post(r.rvr(p.serial, None, None)),
                           row=dict(serial=p.serial, nonce=None, registrar=r))

    def test_created_on_max_future_s(self):
        """created_on_max_future_s 0: an RVR dated 60 s ahead is stale; one dated now is
        issued."""
        p, r = self.enroll(), self.registrar()
        self.start(created_on_max_future_s=0)
        nonce = new_nonce()
        self.assertRefused("MASA_E_STALE", lambda: self.post(
            self.make_request(p, r, nonce=nonce, rvr_kw=dict(created_on=utc(60)))[0]),
            row=dict(serial=p.serial, nonce=nonce, registrar=r))
        self.issue(p, r)

    def test_require_pvr_false_open_mode(self):
        """require_pvr false in open mode: a nonced RVR without PVR gets 'logged'."""
        p, r = self.enroll(), self.registrar()
        self.start(mode="open", require_pvr=False)
        nonce = new_nonce()
        self.assertVoucher(self.post(r.rvr(p.serial, nonce, None)), p.serial, nonce, r,
                           assertion=1)

    def test_pinned_domain_cert(self):
        """pinned_domain cert: the voucher pins the registrar certificate (DER)."""
        p, r = self.enroll(), self.registrar()
        self.start(pinned_domain="cert")
        self.issue(p, r, pin_cert=True)

    def test_pinned_domain_cert_raw_key_registrar(self):
        """pinned_domain cert with a raw-key registrar (no certificate to pin) is 406."""
        p, r = self.enroll(), self.registrar(cert=False)
        self.start(pinned_domain="cert")
        self.assertRefused("MASA_E_NOT_ACCEPTABLE",
                           lambda: self.post(self.make_request(p, r)[0]))


class TokenBucket(vtest.VoucherCase):
    """Per-pledge token bucket and byte-identical retries (reliability.md §5)."""

    def assertReplay(self, rvr, voucher, serial):
        """A resent RVR gets `voucher` back: bucket and vouchers unchanged, one
        voucher.replayed audit row."""
        seq, before = self.audit_seq(), self.snapshot()
        st, hdr, body = self.post(rvr)
        self.assertEqual((st, hdr.get("content-type")), (200, COSE))
        self.assertEqual(body, voucher)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual([e[1:3] for e in self.audit_events(seq)],
                         [("voucher.replayed", serial)])

    def test_capacity_24_then_429(self):
        """24 distinct vouchers, then 429 with Retry-After ~1 h and the exact body; the
        first RVR resent even then gets its stored voucher."""
        p, r = self.enroll(), self.registrar()
        self.start()
        issued = [self.issue(p, r) for _ in range(24)]
        self.assertEqual(len({leaves["nonce"] for leaves, _, _ in issued}), 24)
        self.assertEqual(self.device(p.serial)["vouchers-issued"], 24)
        st, hdr, _ = self.assertRefused("MASA_E_RATE_LIMITED",
                                        lambda: self.post(self.make_request(p, r)[0]))
        self.assertTrue(3500 <= int(hdr["retry-after"]) <= 3601, hdr.get("retry-after"))
        _leaves, rvr, voucher = issued[0]
        self.assertReplay(rvr, voucher, p.serial)

    def test_identical_retry_returns_stored_voucher(self):
        """A byte-identical RVR resent after issuance returns the same voucher bytes and
        spends no token."""
        p, r = self.enroll(), self.registrar()
        self.start()
        _leaves, rvr, voucher = self.issue(p, r)
        self.assertReplay(rvr, voucher, p.serial)
        self.assertReplay(rvr, voucher, p.serial)

    @sqlite_only("rewinds masa.db to schema 1 with SQL")
    def test_retry_after_upgrade_from_schema_1(self):
        """A store written by schema 1 (three voucher indexes) is migrated to 2 when
        serve starts: one vouchers_lookup index, and an RVR issued before the upgrade
        still gets its stored voucher back."""
        p, r = self.enroll(), self.registrar()
        self.start()
        _leaves, rvr, voucher = self.issue(p, r)
        self.server.stop()
        db = sqlite3.connect(self.inst.path("masa.db"))
        with db:    # back to what schema 1 left
            db.execute("DROP INDEX vouchers_lookup")
            db.execute("CREATE INDEX vouchers_by_device ON vouchers (device_id, id)")
            db.execute("CREATE INDEX vouchers_by_device_registrar ON vouchers"
                       " (device_id, registrar_id)")
            db.execute("CREATE INDEX vouchers_by_request ON vouchers (request_sha256)")
            # and without what 0004_keys.sql adds
            db.execute("DROP INDEX devices_by_signing_key")
            db.execute("ALTER TABLE devices DROP COLUMN signing_key")
            db.execute("DROP TABLE signing_keys")
            db.execute("DROP TABLE products")   # and what 0003_products.sql adds
            db.execute("DROP TABLE store_probe")    # and 0006_store_probe.sql
            db.execute("PRAGMA user_version=1")
        db.close()
        self.start()
        self.assertEqual(self.query("PRAGMA user_version"), [(masatest.SCHEMA_LATEST,)])
        self.assertEqual(self.query("SELECT name FROM sqlite_master WHERE type = 'index'"
                                    " AND tbl_name = 'vouchers'"), [("vouchers_lookup",)])
        self.assertReplay(rvr, voucher, p.serial)

    def test_no_replay_once_pinned_elsewhere(self):
        """A retry is subject to policy: after a release and another registrar's
        voucher, the first registrar's identical RVR is refused, not replayed."""
        p, a, b = self.enroll(), self.registrar(cn="A"), self.registrar(cn="B")
        self.start()
        _leaves, rvr, _voucher = self.issue(p, a)
        self.cli("device", "release", p.serial)
        self.issue(p, b)
        self.assertRefused("MASA_E_PINNED_ELSEWHERE", lambda: self.post(rvr))

    # The window's expiry, nonceless and multipart replays and the refill: test_replay.


class PublishedVector(vtest.VoucherCase):
    """cBRSKI Appendix C RVR sent to a real MASA (a missing vectors directory fails)."""

    SERIAL = "JADA123456789"

    def enroll_and_read(self):
        """Enrolls the vector pledge; returns rvr.hex's bytes."""
        self.assertTrue(os.path.isdir(vtest.VECTORS), "vectors not found: " + vtest.VECTORS)
        with open(os.path.join(vtest.VECTORS, "pledge.pem"), "rb") as f:
            pledge = x509.load_pem_x509_certificate(f.read())
        self.cli("device", "add", "--serial", self.SERIAL,
                 "--pubkey", self.public_pem_file(pledge.public_key()))
        with open(os.path.join(vtest.VECTORS, "rvr.hex")) as f:
            return bytes.fromhex("".join(f.read().split()))

    def assertVectorVoucher(self, rvr):
        """rvr gets a proximity voucher for its nonce and serial, pinning the x5bag
        registrar key."""
        st, _hdr, body = self.post(rvr)
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, self.masa_key())
        registrar = x509.load_der_x509_certificate(brski.cose_decode(rvr)[1][brski.HDR_X5BAG][0])
        self.assertEqual(leaves["nonce"], bytes.fromhex("23BFBBC9C2BCF213"))
        self.assertEqual(leaves["serial-number"], self.SERIAL)
        self.assertEqual(leaves["pinned-domain-pubk"], brski.spki_der(registrar))
        self.assertEqual(leaves["assertion"], 2)

    def test_published_rvr_at_its_time(self):
        """With masa's clock at 2024-06-01 (libfaketime), inside registrar.pem's
        validity: the 2022 RVR is stale by default (403); with a 10-year window it gets
        a proximity voucher."""
        rvr = self.enroll_and_read()
        self.start(faketime="2024-06-01 12:00:00")
        self.assertRefused("MASA_E_STALE", lambda: self.post(rvr))
        self.assertEqual(self.server.stop(), 0)
        self.start(faketime="2024-06-01 12:00:00", created_on_max_age_s=315360000)
        self.assertVectorVoucher(rvr)

    def test_published_rvr_today(self):
        """Today registrar.pem has expired (2025-12-08): refused (403) whatever the
        created-on window. The same registrar key re-certified by the published domain
        CA key (privkey_domain_ca.txt) in the x5bag, which the signature does not
        cover, gets the voucher."""
        rvr = self.enroll_and_read()
        self.start(created_on_max_age_s=315360000)
        self.assertRefused("MASA_E_CERT_VALIDITY", lambda: self.post(rvr))
        bag = brski.cose_decode(rvr)[1][brski.HDR_X5BAG]
        ca_key = test_vectors.vector_private_key("privkey_domain_ca.txt")
        self.assertVectorVoucher(vtest.with_x5bag(rvr, [vtest.recertify(bag[0], ca_key, bag[1]),
                                                         bag[1]]))

if __name__ == "__main__":
    unittest.main()
