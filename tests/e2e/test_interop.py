"""Interoperability with the registrars and pledges that exist (issue 15): requests built
exactly as Fountain/ChariWTs, highway's fixtures and ot-registrar build them, and a
Fountain-style consumer of the answer. Each peer's source is cited where its shape is used.

Only Debian's /usr/bin/python3 (cryptography, cbor2). Environment: MASA_BIN, MASA_SRC.
"""
import base64
import datetime
import http.client
import os
import re
import ssl
import unittest

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

import brski
from masatest import MASA_SRC, run, tls_context
from vtest import COSE_OLD, PATH, VoucherCase, new_nonce
from vtest import Pledge as vtest_pledge

HIGHWAY = os.path.join(MASA_SRC, "tests", "vectors", "highway")
FOUNTAIN_ACCEPT = "*/*, multipart/mixed"   # Net::HTTP's default, then add_field


# ---- a Fountain-style consumer --------------------------------------------------------
# Follows AnimaGUS-minerva/fountain @1dcc39cf, app/models/voucher_request.rb
# process_content_type, app/models/voucher.rb from_parts, app/models/cose_voucher.rb, the
# Mail gem 2.8.1 it uses (lib/mail/body.rb split!/extract_parts, lib/mail/message.rb
# parse_message, lib/mail/encodings) and ChariWTs (lib/chariwt/cose_sign1.rb validate,
# lib/chariwt/voucher_sid.rb yangsid2hash) step by step.

class FountainError(Exception):
    pass


def _mail_params(value):
    """Mail::Parsers::ContentTypeParser: (main, sub, [{name: value}, ...]) in order."""
    fields = [f.strip() for f in value.split(";")]
    main, _, sub = fields[0].partition("/")
    params = []
    for f in fields[1:]:
        if f:
            k, _, v = f.partition("=")
            params.append({k.strip().lower(): v.strip().strip('"')})
    return main.strip().lower(), sub.strip().lower(), params


def _ascii_only(b):
    return all(c < 0x80 for c in b)


def _mail_body_parts(body, boundary):
    """Mail::Body.new(bodystr).split!(boundary).parts as raw part strings."""
    if _ascii_only(body):   # Utilities.to_crlf only where safe_for_line_ending_conversion?
        body = re.sub(rb"\r\n|\r|\n", b"\r\n", body)
    rx = re.compile(rb"(?:\A|\r\n)(--" + re.escape(boundary.encode()) + rb"(?:--)?)(?=\s*$)",
                    re.M)
    pieces = rx.split(body)
    while pieces and pieces[-1] == b"":      # Ruby's String#split drops trailing empties
        pieces.pop()
    pairs = [pieces[i:i + 2] for i in range(0, len(pieces), 2)]
    pairs = [p for i, p in enumerate(pairs) if i == 0 or p[0].strip() != b""]
    if len(pairs) > 1 and (len(pairs[-1]) < 2 or pairs[-1][1] != b"--%s--" % boundary.encode()):
        pairs.append([b""])
    parts = [p[0] for p in pairs]
    return parts[1:-1]


def _mail_part(raw):
    """Mail::Part.new(raw): (mime_type, params dict, decoded body)."""
    src = raw.lstrip()              # Message#parse_message: lstrip, split at /\r?\n\r?\n/
    m = re.search(rb"\r?\n\r?\n", src)
    header, body = (src[:m.start()], src[m.end():]) if m else (src, b"")
    ctype, cte = "text/plain", None
    for line in header.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-type":
            ctype = value.strip()
        elif name.strip().lower() == "content-transfer-encoding":
            cte = value.strip().lower()
    main, sub, params = _mail_params(ctype)
    enc = cte or ("7bit" if _ascii_only(body) else "8bit")
    if enc == "7bit":           # Encodings::SevenBit.decode: binary_unsafe_to_lf
        body = re.sub(rb"\r\n|\r", b"\n", body)
    elif enc not in ("8bit", "binary"):
        raise FountainError("encoding %s" % enc)
    merged = {}
    for p in params:
        merged.update(p)
    return "%s/%s" % (main, sub), merged, body


def _first_pem_cert(text):
    """OpenSSL::X509::Certificate.new(string): DER, else the first PEM certificate."""
    try:
        return x509.load_der_x509_certificate(text)
    except ValueError:
        m = re.search(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", text, re.S)
        if not m:
            raise FountainError("no certificate in the certs-only part")
        return x509.load_pem_x509_certificate(m.group(0))


def _chariwt_validate(token, cert):
    """Chariwt::Voucher.from_cbor_cose(token, pubkey): tag 18, ES256 over the
    Sig_structure with r = bytes 0..31 and s = 32..63; then yangsid2hash (SID 2451)."""
    thing = cbor2.loads(token)
    if not isinstance(thing, cbor2.CBORTag) or thing.tag != 18 or len(thing.value) != 4:
        raise FountainError("Chariwt::MalformedCBOR")
    protected, _unprotected, contents, sig = thing.value
    tbs = cbor2.dumps(["Signature1", protected, b"", contents])
    der = encode_dss_signature(int.from_bytes(sig[0:32], "big"), int.from_bytes(sig[32:64], "big"))
    try:
        cert.public_key().verify(der, tbs, ec.ECDSA(hashes.SHA256()))
    except Exception:
        raise FountainError("RequestFailedValidation")
    names = {2452: "assertion", 2453: "created-on", 2454: "domain-cert-revocation-checks",
             2455: "expires-on", 2456: "idevid-issuer", 2457: "last-renewal-date",
             2458: "nonce", 2459: "pinned-domain-cert",
             2460: "pinned-domain-subject-public-key-info", 2462: "serial-number"}
    out = {}
    for base, inner in cbor2.loads(contents).items():
        for rel, v in inner.items():
            key = names.get(base + rel) if isinstance(rel, int) else rel
            if base + rel == 2452:
                v = {0: "verified", 1: "logged", 2: "proximity"}.get(v, v)
            out[key or ("unknown", base + rel)] = v
    return out


def fountain_read_voucher(content_type, body):
    """What Fountain makes of a MASA's 200 answer to a COSE request: the voucher's leaves,
    verified with the certificate taken as Fountain takes it, or FountainError."""
    main, sub, params = _mail_params(content_type)
    parameters = params[0] if params else None          # ct.parameters.first
    if (main, sub) != ("multipart", "mixed"):
        raise FountainError("expected multipart/mixed, got %s/%s" % (main, sub))
    if not parameters or "boundary" not in parameters:
        raise FountainError("mis-formed multipart/mixed, no boundary parameter")
    pubkey = contents = None
    for raw in _mail_body_parts(body, parameters["boundary"]):
        mime, cparams, decoded = _mail_part(raw)
        if mime == "application/voucher-cose+cbor":
            contents = decoded
        elif mime == "application/voucher-cms+json":
            pubkey = decoded
        elif mime == "application/pkcs7-mime" and cparams.get("smime-type") == "certs-only":
            pubkey = decoded
    if not pubkey:
        raise FountainError("MissingPublicKey")
    if not contents:
        raise FountainError("InvalidVoucher")
    return _chariwt_validate(contents, _first_pem_cert(pubkey))


# ---- requests as the peers build them ------------------------------------------------

def _tag1_now():
    return cbor2.CBORTag(1, int(datetime.datetime.now(datetime.timezone.utc).timestamp()))


def fountain_pair(pledge_key, reg_cert_der, serial, nonce_text, created=None, legacy=None):
    """(PVR, RVR payload pairs) shaped as highway's spec/files/parboiled_vr_00-D0-E5-F2-00-02.vrq
    (made by Fountain through ChariWTs): SID 2501, leaves in the order 1, 2, 13, 7, 9|10,
    text assertion "proximity", created-on as tag 1, serial-number as a byte string, nonce as
    text; the PVR names the registrar by proximity-registrar-cert (10). `legacy` limits the
    older encodings to one of 'assertion', 'created-on', 'serial', 'nonce' (others modern);
    'none' makes every leaf modern (to test the answer alone)."""
    def leaf(kind, modern, old):
        return old if legacy in (None, kind) else modern
    created = created or _tag1_now()

    def payload(prior_key, prior_value):
        pairs = [(1, leaf("assertion", 2, "proximity")),
                 (2, leaf("created-on", brski.now_rfc3339(), created)),
                 (13, leaf("serial", serial, serial.encode())),
                 (7, leaf("nonce", nonce_text.encode(), nonce_text)),
                 (prior_key, prior_value)]
        return brski._enc_head(5, 1) + cbor2.dumps(2501) + brski.encode_map_pairs(pairs)
    pvr = brski.cose_sign1(payload(10, reg_cert_der), pledge_key, unprotected={})
    return pvr, lambda reg_key: brski.cose_sign1(payload(9, pvr), reg_key, unprotected={})


class FountainRegistrar:
    """Fountain: a P-256 registrar known by its TLS client certificate only (no x5bag),
    AnimaGUS-minerva/fountain app/models/voucher_request.rb http_handler (cert/key) and
    app/models/cose_voucher_request.rb (cose_sign without x5bag)."""

    def __init__(self, case):
        self.key = brski.new_key("es256")
        self.cert = brski.self_signed_cert(self.key, "fountain-test.example.com", cmc_ra=False)
        self.spki = brski.spki_der(self.key)
        self.key_path = case.write(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.cert_path = case.write(ssl.DER_cert_to_PEM_cert(self.cert).encode())

    def post(self, case, body, accept=FOUNTAIN_ACCEPT, server=None):
        ctx = tls_context(case.inst)
        ctx.load_cert_chain(self.cert_path, self.key_path)
        conn = http.client.HTTPSConnection("127.0.0.1", (server or case.server).port,
                                           context=ctx, timeout=10)
        try:
            conn.request("POST", PATH, body=body, headers={"Content-Type": COSE_OLD,
                                                           "Accept": accept})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()


class FountainTest(VoucherCase):
    """Fountain's requests and Fountain's reading of the answer."""

    def prepare(self):
        self.start()
        self.reg = FountainRegistrar(self)

    def fountain_request(self, legacy=None):
        p = self.enroll()
        nonce = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
        pvr, rvr = fountain_pair(p.key, self.reg.cert, p.serial, nonce, legacy=legacy)
        return p, nonce, rvr(self.reg.key)

    def test_accept_wildcard_then_multipart_mixed(self):
        """Item 1: Fountain's Accept `*/*, multipart/mixed` gets multipart/mixed, as highway
        answers (it skips */*: AnimaGUS-minerva/highway app/controllers/est_controller.rb),
        for Fountain's request and for one with today's leaf encodings."""
        for legacy in (None, "none"):
            with self.subTest(legacy=legacy):
                p, nonce, rvr = self.fountain_request(legacy=legacy)
                st, hdr, body = self.reg.post(self, rvr)
                self.assertEqual(st, 200, body)
                self.assertTrue(hdr["content-type"].startswith("multipart/mixed; boundary="),
                                hdr["content-type"])

    def test_fountain_reads_and_verifies_the_voucher(self):
        """Item 2: the multipart/mixed answer read exactly as Fountain reads it (first
        Content-Type parameter only, the MASA certificate from the certs-only part as PEM)
        verifies, and names the pledge's serial and nonce; highway's layout in order. (The
        request has today's leaf encodings and asks for multipart/mixed alone, so that only
        the answer is tested here.)"""
        p, nonce, rvr = self.fountain_request(legacy="none")
        st, hdr, body = self.reg.post(self, rvr, accept="multipart/mixed")
        self.assertEqual(st, 200, body)
        leaves = fountain_read_voucher(hdr["content-type"], body)
        self.assertEqual(leaves["serial-number"], p.serial)
        self.assertEqual(leaves["nonce"], nonce.encode())
        self.assertEqual(leaves["assertion"], "proximity")
        self.assertEqual(leaves["pinned-domain-subject-public-key-info"], self.reg.spki)
        parts = brski.parse_multipart(hdr["content-type"], body)
        self.assertEqual([t for t, _ in parts],
                         [COSE_OLD, "application/pkcs7-mime; smime-type=certs-only",
                          "application/cose-key"])
        pem = ssl.DER_cert_to_PEM_cert(self.masa_cert_der()).encode()
        self.assertEqual(parts[1][1], pem)

    def test_fountain_rejects_type_first(self):
        """The consumer is strict where Fountain is: a boundary not first is refused."""
        ctype, body = brski.make_multipart([(COSE_OLD, b"x")], boundary="b1")
        with self.assertRaisesRegex(FountainError, "no boundary"):
            fountain_read_voucher('multipart/mixed; type="a/b"; boundary=b1', body)

    def test_related_keeps_its_parts(self):
        """multipart/related: boundary= first, then type=; voucher, COSE_Key, DER cert."""
        p, nonce, rvr = self.fountain_request(legacy="none")
        st, hdr, body = self.reg.post(self, rvr, accept="multipart/related")
        self.assertEqual(st, 200, body)
        self.assertRegex(hdr["content-type"],
                         r'^multipart/related; boundary=[0-9a-f]+; type="%s"$' % re.escape(COSE_OLD))
        parts = brski.parse_multipart(hdr["content-type"], body)
        self.assertEqual([t for t, _ in parts],
                         [COSE_OLD, "application/cose-key", "application/pkix-cert"])
        self.assertEqual(parts[2][1], self.masa_cert_der())

    def test_legacy_leaf_encodings(self):
        """Item 3: each older encoding alone (text assertion, created-on tag 1, byte-string
        serial, text nonce), then all together as Fountain sends them: 200."""
        for legacy in ("assertion", "created-on", "serial", "nonce", None):
            with self.subTest(legacy=legacy):
                p, nonce, rvr = self.fountain_request(legacy=legacy)
                st, hdr, body = self.reg.post(self, rvr, accept=COSE_OLD)
                self.assertEqual(st, 200, body)
                leaves = brski.parse_voucher(body, self.masa_key())
                self.assertEqual(leaves["serial-number"], p.serial)
                self.assertEqual(leaves["nonce"], nonce.encode())

    def test_created_on_forms(self):
        """created-on as tag 0 text is read; a stale tag-1 date is 403 stale; a tag 1
        holding text, and a tag other than 0/1, are 400."""
        p = self.enroll()
        old = cbor2.CBORTag(1, int(datetime.datetime.now(datetime.timezone.utc).timestamp())
                            - 7200)
        cases = [(cbor2.CBORTag(0, brski.now_rfc3339()), 200, None),
                 (old, 403, "MASA_E_STALE"),
                 (cbor2.CBORTag(1, "2022-05-23T00:51:11Z"), 400, "MASA_E_VREQ"),
                 (cbor2.CBORTag(2, b"\x01"), 400, "MASA_E_VREQ")]
        for created, status, name in cases:
            with self.subTest(created=created):
                nonce = new_nonce()
                pvr = brski.make_pvr(p.key, p.serial, nonce, proximity=("cert", self.reg.cert))
                body = brski.make_rvr(self.reg.key, p.serial, nonce, pvr, created_on=None,
                                      extra={2: created})
                resp = self.reg.post(self, body, accept=COSE_OLD)
                if name is None:
                    self.assertEqual(resp[0], 200, resp[2])
                else:
                    self.assertError(resp, name)


class LegacyNamesTest(VoucherCase):
    """Item 4: the voucher-request container under the names deployed peers use."""

    def prepare(self):
        self.start()

    def test_legacy_top_level_names(self):
        """ietf-request-voucher:voucher (an OpenThread-based registrar's typo),
        ietf-cwt-voucher-request[:voucher] (AnimaGUS-minerva/ChariWTs,
        lib/chariwt/voucher_sid.rb VoucherRequestSID), ietf-voucher-request-constrained:voucher
        (EskoDijk/ot-registrar, src/main/java/com/google/openthread/brski/VoucherRequest.java):
        each with name-keyed leaves, in the RVR and in the PVR: 200. Another name: 400."""
        names = ["ietf-request-voucher:voucher", "ietf-cwt-voucher-request",
                 "ietf-cwt-voucher-request:voucher", "ietf-voucher-request-constrained:voucher"]
        r = self.registrar()
        for name in names:
            with self.subTest(name=name):
                p = self.enroll()
                rvr, nonce = self.request_named(p, r, name)
                self.assertVoucher(self.post(rvr), p.serial, nonce, r)
        p = self.enroll()
        rvr, _ = self.request_named(p, r, "ietf-voucher-request:vouchers")
        self.assertRefused("MASA_E_VREQ", lambda: self.post(rvr))

    def request_named(self, p, r, name):
        orig = brski.VR_NAME
        brski.VR_NAME = name
        try:
            return self.make_request(p, r, pvr_kw={"names": True, "created_on": "now"},
                                     rvr_kw={"names": True})
        finally:
            brski.VR_NAME = orig


class SigningChainTest(VoucherCase):
    """Item 6: every certificate of signing.cert in the voucher's x5bag; masa check reports
    the chain and refuses one that does not link."""

    def make_chain(self):
        """A MASA CA and the signing certificate it issues for signing.key."""
        with open(self.inst.path("signing.key"), "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
        ca_key = brski.new_key("es256")
        ca = brski.make_cert(ca_key, "masa test CA", ca=True, server_auth=False)
        leaf = brski.make_cert(key, "masa signing", issuer_key=ca_key, issuer_cert=ca,
                               server_auth=False)
        return leaf, ca

    def write_chain(self, ders):
        path = self.inst.path("signing.crt")
        with open(path, "w") as f:
            f.write("".join(ssl.DER_cert_to_PEM_cert(d) for d in ders))

    def test_x5bag_carries_the_chain(self):
        leaf, ca = self.make_chain()
        self.write_chain([leaf, ca])
        out = run("check", "--config", self.inst.config)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("ok: signing chain 1: CN=masa signing (certified by the next)", out.stdout)
        self.assertIn("ok: signing chain 2: CN=masa test CA\n", out.stdout)
        self.start()
        p, r = self.enroll(), self.registrar()
        rvr, nonce = self.make_request(p, r)
        st, hdr, body = self.post(rvr)
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, x509.load_der_x509_certificate(leaf).public_key())
        self.assertEqual(leaves["x5bag"], [leaf, ca])
        # and the multipart/mixed certs-only part is the same chain, PEM, leaf first
        st, hdr, body = self.post(self.make_request(p, r)[0], accept="multipart/mixed")
        parts = brski.parse_multipart(hdr["content-type"], body)
        self.assertEqual(parts[1][1], (ssl.DER_cert_to_PEM_cert(leaf) +
                                       ssl.DER_cert_to_PEM_cert(ca)).encode())

    def test_chain_that_does_not_link_is_refused(self):
        leaf, ca = self.make_chain()
        other = brski.make_cert(brski.new_key("es256"), "masa test CA", ca=True,
                                server_auth=False)   # same name, another key
        for chain, bad in (([leaf, other], "certificate 1 is not issued and signed by "
                                            "certificate 2"),
                           ([leaf, ca, other], "certificate 2 is not issued and signed by "
                                               "certificate 3")):
            with self.subTest(n=len(chain)):
                self.write_chain(chain)
                p = run("check", "--config", self.inst.config)
                self.assertEqual(p.returncode, 1)
                self.assertIn(bad, p.stderr)
                self.assertOneSentence(p.stderr)
                rc, _, err = self.serve_fails()
                self.assertEqual(rc, 1)
                self.assertIn(bad, err)


class IdevidIssuerTest(VoucherCase):
    """Item 8: idevid-issuer compared with the enrolled IDevID's authority key identifier."""

    def prepare(self):
        self.start()
        self.ca_key = brski.new_key("es256")
        self.ca = brski.make_cert(self.ca_key, "vendor IDevID CA", ca=True, server_auth=False)
        self.r = self.registrar()

    def enroll_idevid(self):
        """A pledge enrolled with an IDevID issued by the vendor CA (AKI = CA's SKI)."""
        key = brski.new_key("es256")
        serial = "IDEV-%s" % os.urandom(4).hex()
        cert = brski.make_cert(key, "pledge", issuer_key=self.ca_key, issuer_cert=self.ca,
                               server_auth=False, serial_number=serial)
        self.cli("device", "add", "--serial", serial, "--idevid",
                 self.write(ssl.DER_cert_to_PEM_cert(cert).encode()))
        return vtest_pledge(serial, key), cert

    def test_matching_forms_are_issued(self):
        """The 8366bis OCTET STRING form (what ot-registrar sends: Registrar.java
        req.setIdevidIssuer(getExtensionValue(AKI))) and the bare keyIdentifier: 200."""
        p, cert = self.enroll_idevid()
        aki = x509.load_der_x509_certificate(cert).extensions.get_extension_for_class(
            x509.AuthorityKeyIdentifier).value.key_identifier
        for form in (brski.idevid_issuer_from_cert(cert), aki):
            with self.subTest(form=form.hex()):
                rvr, nonce = self.make_request(p, self.r, rvr_kw={"idevid_issuer": form})
                self.assertVoucher(self.post(rvr), p.serial, nonce, self.r)

    def test_mismatch_is_answered_as_unknown_device(self):
        """Another CA's AKI, in the RVR or in the PVR: exactly the unknown-serial answer
        (same status and sentence), audited as MASA_E_IDEVID_ISSUER, nothing spent."""
        p, cert = self.enroll_idevid()
        other_ca = brski.make_cert(brski.new_key("es256"), "other CA", ca=True,
                                   server_auth=False)
        other = brski.make_cert(brski.new_key("es256"), "x", issuer_key=brski.new_key("es256"),
                                issuer_cert=other_ca, server_auth=False)
        wrong = brski.idevid_issuer_from_cert(other)
        unknown = self.post(self.make_request(vtest_pledge("NO-SUCH-DEVICE", p.key),
                                              self.r)[0])
        for where in ("rvr", "pvr"):
            with self.subTest(where=where):
                kw = ({"rvr_kw": {"idevid_issuer": wrong}} if where == "rvr" else
                      {"pvr_kw": {"extra": {5: wrong}}})
                rvr, _ = self.make_request(p, self.r, **kw)
                resp = self.assertRefused("MASA_E_IDEVID_ISSUER", lambda: self.post(rvr))
                self.assertEqual((resp[0], resp[2]), (unknown[0], unknown[2]))

    def test_device_enrolled_by_public_key_only(self):
        """No IDevID enrolled: nothing to compare with, so idevid-issuer is not checked
        (issue.c check_idevid_issuer says why): 200."""
        p = self.enroll()
        rvr, nonce = self.make_request(p, self.r,
                                       rvr_kw={"idevid_issuer": b"\x04\x02\x30\x00"})
        self.assertVoucher(self.post(rvr), p.serial, nonce, self.r)


class OtRegistrarTest(VoucherCase):
    """A request shaped as EskoDijk/ot-registrar makes it for a Thread pledge."""

    def prepare(self):
        self.start()

    def test_ot_registrar_request(self):
        """PVR as its Pledge builds it (src/main/java/com/google/openthread/pledge/Pledge.java:
        constrained, assertion proximity, serial, nonce, proximity-registrar-pubk, no
        created-on); RVR as its Registrar builds it (registrar/Registrar.java: SID 2501 with
        delta keys, text created-on, idevid-issuer = getExtensionValue(AKI), the PVR, x5bag =
        the registrar's chain then the pledge's IDevID chain), posted as
        application/voucher-cose+cbor asking for the same: 200, verified."""
        vendor_key = brski.new_key("es256")
        vendor = brski.make_cert(vendor_key, "vendor CA", ca=True, server_auth=False)
        pledge_key = brski.new_key("es256")
        serial = "OT-%s" % os.urandom(4).hex()
        idevid = brski.make_cert(pledge_key, "pledge", issuer_key=vendor_key, issuer_cert=vendor,
                                 server_auth=False, serial_number=serial)
        self.cli("device", "add", "--serial", serial, "--idevid",
                 self.write(ssl.DER_cert_to_PEM_cert(idevid).encode()))
        domain_key = brski.new_key("es256")
        domain = brski.make_cert(domain_key, "domain CA", ca=True, server_auth=False)
        reg_key = brski.new_key("es256")
        reg_cert = brski.make_cert(reg_key, "registrar", issuer_key=domain_key,
                                   issuer_cert=domain, cmc_ra=True)
        nonce = new_nonce()
        pvr = brski.make_pvr(pledge_key, serial, nonce, ("pubk", brski.spki_der(reg_key)))
        rvr = brski.make_rvr(reg_key, serial, nonce, pvr, x5bag=[reg_cert, domain, idevid, vendor],
                             idevid_issuer=brski.idevid_issuer_from_cert(idevid))
        st, hdr, body = self.post(rvr, content_type=COSE_OLD, accept=COSE_OLD)
        self.assertEqual(st, 200, body)
        self.assertEqual(hdr["content-type"], COSE_OLD)
        leaves = brski.parse_voucher(body, self.masa_key())
        self.assertEqual((leaves["serial-number"], leaves["nonce"], leaves["assertion"]),
                         (serial, nonce, 2))


class RenewalTest(VoucherCase):
    """Item 9: RFC 8366bis renewals, an earlier voucher of this MASA in
    prior-signed-voucher-request."""

    def prepare(self):
        self.start()
        self.p, self.r = self.enroll(), self.registrar()
        _, _, self.voucher = self.issue(self.p, self.r)

    def renewal(self, registrar, voucher, serial=None):
        nonce = new_nonce()
        return registrar.rvr(serial or self.p.serial, nonce, voucher), nonce

    def test_renewal_is_issued_and_spends_a_token(self):
        """Same serial, from the registrar the voucher pinned: a new voucher pinning the
        same key, one token spent, the device's pin unchanged."""
        before = self.bucket(self.p.serial)
        rvr, nonce = self.renewal(self.r, self.voucher)
        leaves = self.assertVoucher(self.post(rvr), self.p.serial, nonce, self.r,
                                    assertion=1)
        self.assertEqual(leaves["pinned-domain-pubk"], self.r.spki)
        self.assertGreater(self.bucket(self.p.serial)[1], before[1])
        self.assertEqual(self.pinned(self.p.serial), self.key_id(self.r))
        self.assertEqual(len(self.voucher_rows(self.p.serial)), 2)

    def test_refusals(self):
        """A voucher not signed by this MASA, one for another serial, one pinning another
        registrar, and a renewal after the device was released: each refused with its
        sentence and audited; nothing spent."""
        forged = brski.make_voucher(brski.new_key("es256"), {
            "assertion": 2, "created-on": brski.now_rfc3339(), "nonce": b"12345678",
            "pinned-domain-pubk": self.r.spki, "serial-number": self.p.serial})
        p2 = self.enroll()
        _, _, other_serial = self.issue(p2, self.r)
        r2 = self.registrar(cn="registrar2")
        cases = [("MASA_E_RENEWAL_NOT_OURS", self.r, forged),
                 ("MASA_E_RENEWAL_SERIAL", self.r, other_serial),
                 ("MASA_E_RENEWAL_REGISTRAR", r2, self.voucher)]
        for name, reg, voucher in cases:
            with self.subTest(name=name):
                rvr, _ = self.renewal(reg, voucher)
                self.assertRefused(name, lambda: self.post(rvr))
        self.cli("device", "release", self.p.serial)
        rvr, _ = self.renewal(self.r, self.voucher)
        self.assertRefused("MASA_E_RENEWAL_RELEASED", lambda: self.post(rvr))

    def test_other_signed_object_is_still_a_pvr(self):
        """A PVR there is checked as a PVR (a wrong one: 403 PVR signature); a voucher
        that is neither: 400 malformed PVR, as before."""
        rvr, _ = self.make_request(self.p, self.r, pvr_kw={"key": brski.new_key("es256")})
        self.assertRefused("MASA_E_PVR_SIGNATURE", lambda: self.post(rvr))
        junk = brski.cose_sign1(cbor2.dumps({2452: {}}), brski.new_key("es256"))
        rvr, _ = self.renewal(self.r, junk)
        self.assertRefused("MASA_E_PVR_MALFORMED", lambda: self.post(rvr))


class HighwayFixtureTest(VoucherCase):
    """Item 3 with the peer's own bytes: highway's spec/files/parboiled_vr_00-D0-E5-F2-00-02.vrq
    (made by Fountain, 2022-05-23) answered by masa running at that time (libfaketime), as
    highway's spec/requests/brski_spec.rb answers it (200)."""

    def prepare(self):
        self.cli("device", "add", "--serial", "00-D0-E5-F2-00-02", "--idevid",
                 os.path.join(HIGHWAY, "device_00-D0-E5-F2-00-02.crt"))

    def test_replay_at_its_own_time(self):
        with open(os.path.join(HIGHWAY, "parboiled_vr_00-D0-E5-F2-00-02.vrq"), "rb") as f:
            rvr = f.read()
        # masatest.faketime_env: a missing libfaketime fails, never skips.
        self.server = self.serve(admin=False, faketime="2022-05-23 00:55:00")
        st, hdr, body = self.post(rvr, content_type=COSE_OLD, accept=FOUNTAIN_ACCEPT)
        self.assertEqual(st, 200, body)
        leaves = fountain_read_voucher(hdr["content-type"], body)
        self.assertEqual(leaves["serial-number"], "00-D0-E5-F2-00-02")
        self.assertEqual(leaves["nonce"], b"ABCW--Q9pCn1HaQzstZXXg")
        self.assertEqual(leaves["assertion"], "proximity")
        self.assertEqual(leaves["created-on"][:16], "2022-05-23T00:55")


if __name__ == "__main__":
    unittest.main()
