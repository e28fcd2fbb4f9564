"""Known-answer tests of brski.py against the published constrained-BRSKI vectors
(anima-wg/constrained-voucher, examples/cose-examples; copied to
tests/vectors/cbrski, a copy of the published files), plus round trips and negative tests of the library's
own builders and verifiers.

Run:  cd tests/e2e && /usr/bin/python3 -m unittest -v test_vectors
"""
import datetime
import os
import re
import tempfile
import unittest

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

import brski

HERE = os.path.dirname(os.path.abspath(__file__))
VEC = os.environ.get("MASA_VECTORS",
                     os.path.normpath(os.path.join(HERE, "..", "vectors", "cbrski")))

SERIAL = "JADA123456789"
NONCE = bytes.fromhex("23BFBBC9C2BCF213")
VOUCHER_NONCE = bytes.fromhex("57EED786AD404907")
IDEVID_ISSUER = bytes.fromhex("041830168014CB8D98CA74C51B58DDE7ACEF869A9443A8D666A6")
RVR_CREATED_ON = "2022-12-06T20:04:15.754Z"
VOUCHER_CREATED_ON = "2022-12-06T20:23:30.708Z"

KINDS = {"es256": (brski.ALG_ES256, bytes.fromhex("A10126"), 64),
         "es384": (brski.ALG_ES384, bytes.fromhex("A1013822"), 96),
         "eddsa": (brski.ALG_EDDSA, bytes.fromhex("A10127"), 64)}


def vec_path(name):
    return os.path.join(VEC, name)


def read_hex(name):
    with open(vec_path(name)) as f:
        return bytes.fromhex("".join(f.read().split()))


def read_bin(name):
    with open(vec_path(name), "rb") as f:
        return f.read()


def cert(name):
    with open(vec_path(name), "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def openssl_text_key(name):
    """Parses `openssl ec -text` output: returns (private scalar int, pub point bytes,
    curve name) or raises ValueError when the format is not that."""
    with open(vec_path(name)) as f:
        text = f.read()
    m_priv = re.search(r"^priv:\s*\n((?:\s+[0-9a-fA-F:]+\n)+)", text, re.M)
    m_pub = re.search(r"^pub:\s*\n((?:\s+[0-9a-fA-F:]+\n)+)", text, re.M)
    m_oid = re.search(r"ASN1 OID:\s*(\S+)", text)
    if not (m_priv and m_pub and m_oid):
        raise ValueError("not openssl EC text format")
    hx = lambda s: bytes.fromhex(re.sub(r"[\s:]", "", s))
    return int.from_bytes(hx(m_priv.group(1)), "big"), hx(m_pub.group(1)), m_oid.group(1)


def flip(data, index, mask=0x01):
    b = bytearray(data)
    b[index] ^= mask
    return bytes(b)


def vector_private_key(name):
    """ec private key from an openssl-text privkey_*.txt (P-256 only in these vectors)."""
    d, _pub, oid = openssl_text_key(name)
    if oid != "prime256v1":     # a failure, not a skip: ctest would report a pass
        raise AssertionError("unexpected curve %s in %s" % (oid, name))
    return ec.derive_private_key(d, ec.SECP256R1())


class PublishedVectors(unittest.TestCase):
    """cBRSKI Appendix C PVR, RVR and voucher. A missing vectors directory fails (it
    is committed; a silent skip would read as a pass)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.isdir(VEC):
            raise AssertionError("vectors directory %s not found" % VEC)
        cls.pvr = read_hex("pvr.hex")
        cls.rvr = read_hex("rvr.hex")
        cls.voucher = read_hex("voucher.hex")
        cls.pledge = cert("pledge.pem")
        cls.registrar = cert("registrar.pem")
        cls.domain_ca = cert("domain_ca.pem")
        cls.masa_ca = cert("masa_ca.pem")
        cls.masa = cert("masa.pem")

    # ---- PVR -----------------------------------------------------------------------
    def test_pvr_size_and_layout(self):
        self.assertEqual(len(self.pvr), 201)
        self.assertTrue(brski.is_tagged_sign1(self.pvr))
        prot, unprot, payload, sig, prot_raw = brski.cose_decode(self.pvr)
        self.assertEqual(prot_raw, bytes.fromhex("A10126"))
        self.assertEqual(prot, {1: -7})
        self.assertEqual(unprot, {})
        self.assertEqual(len(sig), 64)
        self.assertEqual(payload, read_hex("pvr-nonsigned.hex"))

    def test_pvr_verifies_with_pledge_key(self):
        payload = brski.cose_verify(self.pvr, self.pledge.public_key())
        data = cbor2.loads(payload)
        self.assertEqual(list(data.keys()), [2501])
        inner = data[2501]
        self.assertEqual(sorted(inner.keys()), [1, 7, 12, 13])
        self.assertEqual(inner[1], 2)
        self.assertEqual(inner[7], NONCE)
        self.assertEqual(inner[12], brski.spki_der(self.registrar.public_key()))
        self.assertEqual(inner[13], SERIAL)

    def test_pvr_fails_with_other_keys(self):
        for c in (self.registrar, self.masa_ca, self.domain_ca):
            with self.subTest(cert=c.subject.rfc4514_string()):
                with self.assertRaisesRegex(ValueError, "does not verify"):
                    brski.cose_verify(self.pvr, c.public_key())

    def test_pvr_decodes_as_voucher_request(self):
        vr = brski.decode_voucher_request(brski.cose_verify(self.pvr, self.pledge))
        self.assertEqual(vr, {"assertion": 2, "nonce": NONCE,
                              "proximity-registrar-pubk": brski.spki_der(self.registrar),
                              "serial-number": SERIAL})

    # ---- RVR -----------------------------------------------------------------------
    def test_rvr_verifies_with_registrar_key(self):
        self.assertEqual(len(self.rvr), 1604)
        payload = brski.cose_verify(self.rvr, self.registrar.public_key())
        self.assertEqual(payload, read_hex("rvr-nonsigned.hex"))
        data = cbor2.loads(payload)
        self.assertEqual(list(data.keys()), [2501])
        inner = data[2501]
        self.assertEqual(sorted(inner.keys()), [1, 2, 5, 7, 9, 13])
        self.assertEqual(inner[1], 2)
        self.assertEqual(inner[2], RVR_CREATED_ON)
        self.assertEqual(inner[5], IDEVID_ISSUER)
        self.assertEqual(inner[7], NONCE)
        self.assertEqual(inner[9], self.pvr)
        self.assertEqual(inner[13], SERIAL)

    def test_rvr_fails_with_pledge_key(self):
        with self.assertRaisesRegex(ValueError, "does not verify"):
            brski.cose_verify(self.rvr, self.pledge.public_key())

    def test_rvr_header(self):
        prot, unprot, _payload, sig, prot_raw = brski.cose_decode(self.rvr)
        self.assertEqual(prot_raw, bytes.fromhex("A10126"))
        self.assertEqual(list(unprot.keys()), [32])
        bag = unprot[32]
        self.assertIsInstance(bag, list)
        self.assertEqual([len(c) for c in bag], [644, 583])
        ee = x509.load_der_x509_certificate(bag[0])
        ca = x509.load_der_x509_certificate(bag[1])
        # The x5bag holds the registrar EE and the domain CA: same keys as the published
        # registrar.pem / domain_ca.pem ...
        self.assertEqual(brski.spki_der(ee), brski.spki_der(self.registrar))
        self.assertEqual(brski.spki_der(ca), brski.spki_der(self.domain_ca))
        # ... the EE is issued by the CA and carries id-kp-cmcRA ...
        self.assertEqual(ee.issuer, ca.subject)
        ca.public_key().verify(ee.signature, ee.tbs_certificate_bytes,
                               ec.ECDSA(ee.signature_hash_algorithm))
        self.assertIn(brski.OID_CMC_RA,
                      ee.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
        # ... but they are NOT the byte-identical certificate files (known defect of the
        # vectors: the certificates were re-issued on 2022-12-09, after the RVR was made
        # with the 2022-12-06 ones). If this starts failing, the vectors were fixed.
        self.assertNotEqual(bag[0], read_bin("registrar.der"))
        self.assertNotEqual(bag[1], read_bin("domain_ca.der"))

    def test_rvr_proximity_matches_signer(self):
        """PVR key 12 equals the SPKI of the RVR x5bag registrar EE (the proximity check)."""
        pvr_inner = cbor2.loads(brski.cose_verify(self.pvr, self.pledge))[2501]
        bag = brski.cose_decode(self.rvr)[1][32]
        ee = x509.load_der_x509_certificate(bag[0])
        self.assertEqual(pvr_inner[12], brski.spki_der(ee))
        brski.cose_verify(self.rvr, ee)   # signer is the x5bag EE

    def test_idevid_issuer_derived_from_pledge_cert(self):
        self.assertEqual(brski.idevid_issuer_from_cert(read_bin("pledge.der")), IDEVID_ISSUER)

    # ---- voucher -------------------------------------------------------------------
    def test_voucher_verifies_with_masa_ca_key(self):
        self.assertEqual(len(self.voucher), 724)
        payload = brski.cose_verify(self.voucher, self.masa_ca.public_key())
        self.assertEqual(payload, read_hex("voucher-nonsigned.hex"))

    def test_voucher_not_signed_by_masa_server_key(self):
        with self.assertRaisesRegex(ValueError, "does not verify"):
            brski.cose_verify(self.voucher, self.masa.public_key())
        with self.assertRaises(ValueError):
            brski.parse_voucher(self.voucher, self.masa.public_key())

    def test_parse_voucher(self):
        v = brski.parse_voucher(self.voucher, self.masa_ca.public_key())
        bag = brski.cose_decode(self.rvr)[1][32]
        self.assertEqual(sorted(v.keys()), sorted([
            "assertion", "created-on", "domain-cert-revocation-checks", "nonce",
            "pinned-domain-cert", "serial-number", "x5bag"]))
        self.assertEqual(v["assertion"], 2)
        self.assertEqual(v["created-on"], VOUCHER_CREATED_ON)
        self.assertIs(v["domain-cert-revocation-checks"], False)
        # Known defect: the voucher comes from another run than pvr/rvr.
        self.assertEqual(v["nonce"], VOUCHER_NONCE)
        self.assertNotEqual(v["nonce"], NONCE)
        self.assertEqual(v["serial-number"], SERIAL)
        # pins the domain CA as carried in the RVR x5bag (key of domain_ca.pem)
        self.assertEqual(v["pinned-domain-cert"], bag[1])
        pinned = x509.load_der_x509_certificate(v["pinned-domain-cert"])
        self.assertEqual(brski.spki_der(pinned), brski.spki_der(self.domain_ca))
        # the example voucher has no x5bag (digest §5.6 note)
        self.assertEqual(v["x5bag"], [])

    # ---- private keys --------------------------------------------------------------
    def test_privkey_pledge_matches_pledge_cert(self):
        d, pub, oid = openssl_text_key("privkey_pledge.txt")   # unusable format: fails
        self.assertEqual(oid, "prime256v1")
        key = ec.derive_private_key(d, ec.SECP256R1())
        self.assertEqual(brski.spki_der(key), brski.spki_der(self.pledge))
        self.assertEqual(key.public_key().public_numbers(),
                         self.pledge.public_key().public_numbers())
        # the pub: block printed in the file is the same point
        self.assertEqual(pub, ec.EllipticCurvePublicKey.from_encoded_point(
            ec.SECP256R1(), pub).public_bytes(
                brski.serialization.Encoding.X962,
                brski.serialization.PublicFormat.UncompressedPoint))
        self.assertEqual(ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), pub)
                         .public_numbers(), self.pledge.public_key().public_numbers())

    def test_other_privkeys_match_their_certs(self):
        for keyfile, c in (("privkey_registrar.txt", self.registrar),
                           ("privkey_masa_ca.txt", self.masa_ca),
                           ("privkey_domain_ca.txt", self.domain_ca)):
            with self.subTest(keyfile=keyfile):
                key = vector_private_key(keyfile)
                self.assertEqual(brski.spki_der(key), brski.spki_der(c))

    # ---- our builders reproduce the vectors (all but the ECDSA signature) -------------
    def test_make_pvr_reproduces_vector(self):
        key = vector_private_key("privkey_pledge.txt")
        mine = brski.make_pvr(key, SERIAL, NONCE, ("pubk", brski.spki_der(self.registrar)))
        self.assertEqual(len(mine), len(self.pvr))
        self.assertEqual(mine[:-64], self.pvr[:-64])
        self.assertEqual(brski.cose_verify(mine, self.pledge), read_hex("pvr-nonsigned.hex"))

    def test_make_rvr_reproduces_vector(self):
        key = vector_private_key("privkey_registrar.txt")
        bag = brski.cose_decode(self.rvr)[1][32]
        mine = brski.make_rvr(key, SERIAL, NONCE, self.pvr, x5bag=bag,
                              created_on=RVR_CREATED_ON, idevid_issuer=IDEVID_ISSUER)
        self.assertEqual(len(mine), len(self.rvr))
        self.assertEqual(mine[:-64], self.rvr[:-64])
        self.assertEqual(brski.cose_verify(mine, self.registrar), read_hex("rvr-nonsigned.hex"))

    def test_make_voucher_reproduces_vector(self):
        key = vector_private_key("privkey_masa_ca.txt")
        v = brski.parse_voucher(self.voucher, self.masa_ca)
        leaves = {k: v[k] for k in ("assertion", "created-on", "domain-cert-revocation-checks",
                                    "nonce", "pinned-domain-cert", "serial-number")}
        mine = brski.make_voucher(key, leaves)
        self.assertEqual(mine[:-64], self.voucher[:-64])
        self.assertEqual(brski.parse_voucher(mine, self.masa_ca), v)


class RoundTrips(unittest.TestCase):
    """make_pvr / make_rvr / cose_sign1 with fresh ES256, ES384 and Ed25519 keys."""

    @classmethod
    def setUpClass(cls):
        cls.keys = {k: brski.new_key(k) for k in KINDS}
        cls.reg_key = brski.new_key("es256")
        cls.reg_cert = brski.self_signed_cert(cls.reg_key, "registrar.test")

    def build(self, kind):
        key = self.keys[kind]
        pvr = brski.make_pvr(key, "SN-" + kind, NONCE, ("pubk", brski.spki_der(self.reg_key)),
                             created_on="now")
        rvr = brski.make_rvr(key, "SN-" + kind, NONCE, pvr, x5bag=[self.reg_cert],
                             idevid_issuer=IDEVID_ISSUER)
        return key, pvr, rvr

    def test_alg_and_protected_bytes(self):
        for kind, (alg, prot_raw, siglen) in KINDS.items():
            with self.subTest(kind=kind):
                key, pvr, rvr = self.build(kind)
                self.assertEqual(brski.alg_for_key(key), alg)
                for obj in (pvr, rvr):
                    prot, _u, _p, sig, raw = brski.cose_decode(obj)
                    self.assertEqual(raw, prot_raw)
                    self.assertEqual(prot, {1: alg})
                    self.assertEqual(len(sig), siglen)

    def test_pvr_round_trip(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                key, pvr, _rvr = self.build(kind)
                inner = cbor2.loads(brski.cose_verify(pvr, key.public_key()))[2501]
                self.assertEqual(sorted(inner), [1, 2, 7, 12, 13])
                self.assertEqual(inner[1], 2)
                self.assertEqual(inner[7], NONCE)
                self.assertEqual(inner[12], brski.spki_der(self.reg_key))
                self.assertEqual(inner[13], "SN-" + kind)
                created = brski.parse_rfc3339(inner[2])
                now = datetime.datetime.now(datetime.timezone.utc)
                self.assertLess(abs((now - created).total_seconds()), 120)
                self.assertRegex(inner[2], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_rvr_round_trip(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                key, pvr, rvr = self.build(kind)
                inner = cbor2.loads(brski.cose_verify(rvr, key.public_key()))[2501]
                self.assertEqual(list(inner), [1, 2, 5, 7, 9, 13])
                self.assertEqual(inner[9], pvr)
                self.assertEqual(inner[5], IDEVID_ISSUER)
                unprot = brski.cose_decode(rvr)[1]
                self.assertEqual(unprot, {32: self.reg_cert})   # one cert -> single bstr

    def assert_mutations_fail(self, obj, pub):
        brski.cose_verify(obj, pub)   # control: the unmodified object verifies
        _prot, _unprot, payload, sig, prot_raw = brski.cose_decode(obj)
        # signature: last len(sig) bytes of the encoding; flip first, middle and last byte
        for i in (0, len(sig) // 2, len(sig) - 1):
            with self.subTest(part="signature", index=i):
                with self.assertRaisesRegex(ValueError, "does not verify"):
                    brski.cose_verify(flip(obj, len(obj) - len(sig) + i), pub)
        # payload: flip a byte inside a text/byte string so the CBOR stays well-formed
        off = obj.index(payload)
        serial_off = payload.rindex(b"SN-") + 1
        with self.subTest(part="payload"):
            with self.assertRaisesRegex(ValueError, "does not verify"):
                brski.cose_verify(flip(obj, off + serial_off), pub)
        # any byte of the payload: must never verify
        for i in range(0, len(payload), max(1, len(payload) // 16)):
            with self.subTest(part="payload-any", index=i):
                with self.assertRaises(ValueError):
                    brski.cose_verify(flip(obj, off + i), pub)
        # protected header: every byte
        poff = obj.index(prot_raw)
        for i in range(len(prot_raw)):
            with self.subTest(part="protected", index=i):
                with self.assertRaises(ValueError):
                    brski.cose_verify(flip(obj, poff + i), pub)

    def test_mutations_fail(self):
        for kind in KINDS:
            key, pvr, rvr = self.build(kind)
            for name, obj in (("pvr", pvr), ("rvr", rvr)):
                with self.subTest(kind=kind, obj=name):
                    self.assert_mutations_fail(obj, key.public_key())

    def test_protected_header_is_signed(self):
        """A protected header that stays valid (same alg, other kid) must break the signature."""
        for kind, (alg, _raw, _n) in KINDS.items():
            with self.subTest(kind=kind):
                key = self.keys[kind]
                raw = cbor2.dumps({1: alg, 4: b"\x01"})
                obj = brski.make_pvr(key, "SN-x", NONCE, None, protected_raw=raw)
                brski.cose_verify(obj, key)
                with self.assertRaisesRegex(ValueError, "does not verify"):
                    brski.cose_verify(flip(obj, obj.index(raw) + len(raw) - 1), key)

    def test_der_signature_rejected(self):
        for kind in ("es256", "es384"):
            with self.subTest(kind=kind):
                key = self.keys[kind]
                size = KINDS[kind][2] // 2
                seen = []

                def to_der(sig):
                    seen.append(sig)
                    return brski.raw_to_der(sig)
                obj = brski.make_pvr(key, "SN-x", NONCE, None, sign_hook=to_der)
                der = brski.cose_decode(obj)[3]
                self.assertEqual(der[0], 0x30)
                self.assertEqual(brski.der_to_raw(der, size), seen[0])
                with self.assertRaisesRegex(ValueError, "length"):
                    brski.cose_verify(obj, key.public_key())
                # the same signature converted back to raw r||s verifies
                good = brski.make_pvr(key, "SN-x", NONCE, None,
                                      sign_hook=lambda s: brski.der_to_raw(
                                          brski.raw_to_der(s), size))
                brski.cose_verify(good, key.public_key())

    def test_wrong_key_type(self):
        pairs = [("es256", "es384"), ("es256", "eddsa"), ("es384", "es256"),
                 ("eddsa", "es256"), ("es384", "eddsa"), ("eddsa", "es384")]
        for signer, verifier in pairs:
            with self.subTest(signer=signer, verifier=verifier):
                obj = brski.make_pvr(self.keys[signer], "SN-x", NONCE, None)
                with self.assertRaisesRegex(ValueError, "does not match alg"):
                    brski.cose_verify(obj, self.keys[verifier].public_key())

    def test_same_type_other_key(self):
        for kind in KINDS:
            with self.subTest(kind=kind):
                obj = brski.make_pvr(self.keys[kind], "SN-x", NONCE, None)
                with self.assertRaisesRegex(ValueError, "does not verify"):
                    brski.cose_verify(obj, brski.new_key(kind).public_key())

    def test_forced_alg(self):
        key = self.keys["es256"]
        obj = brski.make_pvr(key, "SN-x", NONCE, None, alg=brski.ALG_ES384)
        self.assertEqual(brski.cose_decode(obj)[0], {1: -35})
        with self.assertRaisesRegex(ValueError, "does not match alg"):
            brski.cose_verify(obj, key.public_key())
        # a P-384 key accepts the header, but the 64-byte P-256 signature is too short
        with self.assertRaisesRegex(ValueError, "length 64 != 96"):
            brski.cose_verify(obj, self.keys["es384"].public_key())
        with self.assertRaisesRegex(ValueError, "unsupported alg"):
            brski.cose_verify(brski.make_pvr(key, "SN-x", NONCE, None, alg=-999), key)

    def test_alg_missing_or_misplaced(self):
        key = self.keys["es256"]
        for raw in (b"", b"\xa0"):
            with self.subTest(protected=raw.hex()):
                with self.assertRaisesRegex(ValueError, "no alg"):
                    brski.cose_verify(brski.make_pvr(key, "S", NONCE, None, protected_raw=raw),
                                      key)
        obj = brski.make_pvr(key, "S", NONCE, None, protected={}, unprotected={1: -7})
        with self.assertRaisesRegex(ValueError, "no alg"):
            brski.cose_verify(obj, key)
        obj = brski.make_pvr(key, "S", NONCE, None, unprotected={1: -7})
        with self.assertRaisesRegex(ValueError, "both protected and unprotected"):
            brski.cose_verify(obj, key)

    def test_tagged_and_untagged(self):
        key = self.keys["eddsa"]
        tagged = brski.make_pvr(key, "S", NONCE, None)
        untagged = brski.make_pvr(key, "S", NONCE, None, tag=False)
        self.assertEqual(tagged[0], 0xD2)
        self.assertEqual(untagged[0], 0x84)
        self.assertEqual(tagged[1:], untagged)   # Ed25519 is deterministic
        self.assertEqual(brski.cose_verify(untagged, key), brski.cose_verify(tagged, key))
        with self.assertRaisesRegex(ValueError, "tag"):
            brski.cose_verify(b"\xd1" + untagged, key)

    def test_strict_cbor(self):
        key = self.keys["es256"]
        obj = brski.make_pvr(key, "S", NONCE, None)
        with self.assertRaisesRegex(ValueError, "trailing"):
            brski.cose_verify(obj + b"\x00", key)
        dup = bytes.fromhex("A201260126")
        with self.assertRaisesRegex(ValueError, "duplicate"):
            brski.cose_verify(brski.make_pvr(key, "S", NONCE, None, protected_raw=dup), key)
        with self.assertRaisesRegex(ValueError, "duplicate"):
            brski.strict_loads(brski.encode_map_pairs([(1, 1), (1, 2)]))
        with self.assertRaisesRegex(ValueError, "indefinite"):
            brski.strict_loads(bytes.fromhex("9F01FF"))
        self.assertEqual(brski.strict_loads(bytes.fromhex("9F01FF"), allow_indefinite=True), [1])
        with self.assertRaises(ValueError):
            brski.strict_loads(obj[:-1])

    def test_proximity_forms_and_options(self):
        key = self.keys["es256"]
        spki = brski.spki_der(self.reg_key)
        for prox, k in ((("pubk", spki), 12), (("sha256", brski.sha256(spki)), 11),
                        (("cert", self.reg_cert), 10)):
            with self.subTest(form=prox[0]):
                inner = cbor2.loads(brski.cose_verify(
                    brski.make_pvr(key, "S", NONCE, prox), key))[2501]
                self.assertEqual(inner[k], prox[1])
                self.assertEqual(sorted(inner), sorted([1, 7, k, 13]))
        inner = cbor2.loads(brski.cose_verify(brski.make_pvr(
            key, "S", NONCE, None, assertion=0,
            extra={13: brski.OMIT, 7: "text-nonce", 99: True}), key))[2501]
        self.assertEqual(inner, {1: 0, 7: "text-nonce", 99: True})
        # true duplicate keys through a list of pairs
        raw = brski.cose_decode(brski.make_pvr(key, "S", NONCE, None,
                                               extra=[(13, "OTHER")]))[2]
        with self.assertRaisesRegex(ValueError, "duplicate"):
            brski.strict_loads(raw)

    def test_names_and_absolute_sids(self):
        key = self.keys["es256"]
        spki = brski.spki_der(self.reg_key)
        named = cbor2.loads(brski.cose_verify(
            brski.make_pvr(key, "S", NONCE, ("pubk", spki), names=True), key))
        self.assertEqual(named, {"ietf-voucher-request:voucher": {
            "assertion": 2, "nonce": NONCE, "proximity-registrar-pubk": spki,
            "serial-number": "S"}})
        rvr = brski.make_rvr(key, "S", NONCE, b"pvr", absolute_sids=True, created_on=None,
                             x5bag=[self.reg_cert, self.reg_cert])
        inner = cbor2.loads(brski.cose_verify(rvr, key))[2501]
        self.assertEqual(inner, {cbor2.CBORTag(47, 2502): 2, cbor2.CBORTag(47, 2508): NONCE,
                                 cbor2.CBORTag(47, 2510): b"pvr",
                                 cbor2.CBORTag(47, 2514): "S"})
        self.assertEqual(brski.cose_decode(rvr)[1], {32: [self.reg_cert, self.reg_cert]})
        self.assertEqual(brski.decode_voucher_request(brski.cose_verify(rvr, key)), {
            "assertion": 2, "nonce": NONCE, "prior-signed-voucher-request": b"pvr",
            "serial-number": "S"})
        nameless = brski.make_rvr(key, "S", None, None, names=True, created_on="2020-01-01T00:00:00Z")
        self.assertEqual(cbor2.loads(brski.cose_verify(nameless, key)), {
            "ietf-voucher-request:voucher": {"assertion": 2, "created-on": "2020-01-01T00:00:00Z",
                                             "serial-number": "S"}})


class VoucherParsing(unittest.TestCase):
    """parse_voucher's acceptance rules on vouchers built here."""

    @classmethod
    def setUpClass(cls):
        cls.key = brski.new_key("es256")
        cls.ca = brski.make_cert(brski.new_key("es256"), "domain ca", ca=True)
        cls.good = {"assertion": 2, "created-on": "2026-01-01T00:00:00Z",
                    "domain-cert-revocation-checks": False, "nonce": NONCE,
                    "pinned-domain-cert": cls.ca, "serial-number": SERIAL}

    def parse(self, leaves=None, key=None, **kw):
        obj = brski.make_voucher(key or self.key, self.good if leaves is None else leaves, **kw)
        return brski.parse_voucher(obj, self.key)

    def test_good(self):
        v = self.parse(x5bag=[self.ca])
        self.assertEqual(v, dict(self.good, x5bag=[self.ca]))
        for kind in ("es384", "eddsa"):
            with self.subTest(kind=kind):
                k = brski.new_key(kind)
                self.assertEqual(brski.parse_voucher(brski.make_voucher(k, self.good), k)["nonce"],
                                 NONCE)

    def test_rejections(self):
        bad = {
            "unknown key": {**self.good, 12: b"x"},
            "assertion text": dict(self.good, assertion="proximity"),
            "assertion bool": dict(self.good, assertion=True),
            "assertion 4": dict(self.good, assertion=4),
            "created-on epoch": {**self.good, "created-on": 1700000000},
            "created-on bad": {**self.good, "created-on": "2026-01-01 00:00:00"},
            "revocation-checks int": {**self.good, "domain-cert-revocation-checks": 0},
            "nonce text": dict(self.good, nonce="abcdefgh"),
            "nonce short": dict(self.good, nonce=b"1234567"),
            "pinned cert garbage": {**self.good, "pinned-domain-cert": b"\x30\x00"},
            "pubk-sha256 length": {**self.good, "pinned-domain-pubk-sha256": b"\x00" * 31},
            "serial bytes": {**self.good, "serial-number": SERIAL.encode()},
            "no serial": {k: v for k, v in self.good.items() if k != "serial-number"},
            "no pin": {k: v for k, v in self.good.items() if k != "pinned-domain-cert"},
        }
        self.assertEqual(self.parse()["serial-number"], SERIAL)   # control
        for name, leaves in bad.items():
            with self.subTest(case=name):
                with self.assertRaises(ValueError):
                    self.parse(leaves)

    def test_header_rules(self):
        with self.assertRaisesRegex(ValueError, "tagged"):
            self.parse(tag=False)
        with self.assertRaisesRegex(ValueError, "exactly"):
            self.parse(protected={1: -7, 4: b"k"})
        with self.assertRaisesRegex(ValueError, "unprotected"):
            self.parse(unprotected={4: b"k"})
        with self.assertRaisesRegex(ValueError, "does not verify"):
            self.parse(key=brski.new_key("es256"))
        with self.assertRaisesRegex(ValueError, "x5bag"):
            self.parse(unprotected={32: [self.ca]})     # one cert must be a bare bstr
        with self.assertRaisesRegex(ValueError, "x5bag"):
            self.parse(unprotected={32: b"not a cert"})

    def test_payload_shape(self):
        for payload in (cbor2.dumps({"ietf-voucher:voucher": {11: SERIAL}}),
                        cbor2.dumps({2501: {11: SERIAL}}),
                        cbor2.dumps({2451: {11: SERIAL}, 2452: 1}),
                        cbor2.dumps([2451]),
                        cbor2.dumps({2451: {cbor2.CBORTag(47, 2462): SERIAL, 8: self.ca}}),
                        brski.encode_map_pairs([(2451, {11: SERIAL, 8: self.ca})]) + b"\x00",
                        bytes.fromhex("A1190993") + brski.encode_map_pairs(
                            [(11, SERIAL), (8, self.ca), (11, SERIAL)])):
            with self.subTest(payload=payload[:12].hex()):
                with self.assertRaises(ValueError):
                    brski.parse_voucher(brski.cose_sign1(payload, self.key), self.key)


class Helpers(unittest.TestCase):
    def test_multipart(self):
        body = (b"preamble\r\n--b1\r\nContent-Type: application/voucher+cose\r\n\r\n"
                b"\xd2\x84\r\n--b1\r\ncontent-type: application/pkcs7-mime; smime-type=certs-only"
                b"\r\n\r\n-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n"
                b"\r\n--b1--\r\nepilogue")
        parts = brski.parse_multipart('multipart/mixed; boundary="b1"', body)
        self.assertEqual(parts, [
            ("application/voucher+cose", b"\xd2\x84"),
            ("application/pkcs7-mime; smime-type=certs-only",
             b"-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n")])
        ct, body2 = brski.make_multipart([("application/voucher-cose+cbor", b"\x01\r\n\x02"),
                                          ("text/plain", b"")], subtype="related")
        self.assertEqual(brski.parse_multipart(ct, body2),
                         [("application/voucher-cose+cbor", b"\x01\r\n\x02"), ("text/plain", b"")])
        with self.assertRaisesRegex(ValueError, "close delimiter"):
            brski.parse_multipart(ct, body2[:-8])
        with self.assertRaises(ValueError):
            brski.parse_multipart("application/json", body2)
        with self.assertRaises(ValueError):
            brski.parse_multipart("multipart/mixed", body2)

    def test_cose_key(self):
        for kind in ("es256", "es384", "eddsa"):
            with self.subTest(kind=kind):
                k = brski.new_key(kind)
                pub, kid = brski.cose_key_to_public(brski.public_to_cose_key(k, kid=b"k1"))
                self.assertEqual(kid, b"k1")
                self.assertEqual(brski.spki_der(pub), brski.spki_der(k))
                _p, kid = brski.cose_key_to_public(brski.public_to_cose_key(k))
                self.assertIsNone(kid)
        k = brski.new_key("es256")
        m = cbor2.loads(brski.public_to_cose_key(k))
        with self.assertRaisesRegex(ValueError, "private"):
            brski.cose_key_to_public(cbor2.dumps({**m, -4: b"\x00" * 32}))
        with self.assertRaises(ValueError):
            brski.cose_key_to_public(cbor2.dumps({**m, -1: 2}))       # P-384 label, 32-byte x
        with self.assertRaises(ValueError):
            brski.cose_key_to_public(cbor2.dumps({**m, -3: bytes(32)}))  # off curve
        y_odd = bool(k.public_key().public_numbers().y & 1)
        pub, _ = brski.cose_key_to_public(cbor2.dumps({**m, -3: y_odd}))
        self.assertEqual(brski.spki_der(pub), brski.spki_der(k))

    def test_certs_and_pem(self):
        for kind in ("es256", "es384", "eddsa"):
            with self.subTest(kind=kind):
                k = brski.new_key(kind)
                der = brski.self_signed_cert(k, "reg-" + kind)
                c = x509.load_der_x509_certificate(der)
                self.assertEqual(brski.spki_der(c), brski.spki_der(k))
                eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                self.assertIn(brski.OID_CMC_RA, eku)
                c2 = x509.load_der_x509_certificate(brski.self_signed_cert(k, "x", cmc_ra=False))
                eku2 = c2.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
                self.assertNotIn(brski.OID_CMC_RA, eku2)
                with tempfile.TemporaryDirectory() as d:
                    brski.write_pem_private(k, os.path.join(d, "k.pem"))
                    brski.write_pem_public(k, os.path.join(d, "p.pem"))
                    with open(os.path.join(d, "c.pem"), "wb") as f:
                        f.write(c.public_bytes(brski.serialization.Encoding.PEM))
                    k2 = brski.load_pem_private(os.path.join(d, "k.pem"))
                    self.assertEqual(brski.spki_der(k2), brski.spki_der(k))
                    for name in ("p.pem", "c.pem"):
                        self.assertEqual(brski.spki_der(brski.load_pem_public(
                            os.path.join(d, name))), brski.spki_der(k))
        ca_key = brski.new_key("es256")
        ca = brski.make_cert(ca_key, "ca", ca=True)
        ee_key = brski.new_key("es384")
        ee = x509.load_der_x509_certificate(brski.make_cert(
            ee_key, "ee", issuer_key=ca_key, issuer_cert=ca, cmc_ra=True, serial_number="SN1"))
        self.assertEqual(ee.issuer, x509.load_der_x509_certificate(ca).subject)
        self.assertEqual(len(brski.idevid_issuer_from_cert(ee)), 26)

    def test_rfc3339(self):
        self.assertEqual(brski.parse_rfc3339("2022-12-06T20:04:15.754Z"),
                         datetime.datetime(2022, 12, 6, 20, 4, 15, 754000,
                                           datetime.timezone.utc))
        self.assertEqual(brski.parse_rfc3339("2022-12-06T21:04:15+01:00"),
                         datetime.datetime(2022, 12, 6, 20, 4, 15, tzinfo=datetime.timezone.utc))
        for bad in ("2022-13-06T20:04:15Z", "2022-12-06T20:04:15", "2022-12-06", 5):
            with self.subTest(bad=bad):
                with self.assertRaises(ValueError):
                    brski.parse_rfc3339(bad)
        self.assertRegex(brski.now_rfc3339(), r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


if __name__ == "__main__":
    unittest.main()
