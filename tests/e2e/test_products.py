"""Products: what the pledges of a product line can take (product.md §4; issue 15 items
5, 7 and 10), against the real `masa serve` over HTTPS, every voucher checked with the
independent verifier (brski.py).

- `masa product add|set|show|list` and /admin/v1/products, each change audited; a device
  enrolled with an unknown product is refused.
- A request its pledge cannot use is 406 with a sentence naming what (format, registrar
  key type, pin form, nonceless), spends nothing and is audited; the product matrix.
- Pins from a verified registrar chain (ca-lowest, ca-highest, ee-cert, pubk), and the
  ot-registrar Pledge's validation rule (item 5).
- The same CA pins from the chain the registrar presents in TLS only (no x5bag).
- Registrar certificates and chains outside their validity period are refused (403);
  a nonceless voucher expires no later than the certificate it pins (item 7).
"""
import datetime
import http.client
import itertools
import json
import os
import re
import ssl
import unittest

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import brski
import vtest
from masatest import request, run
from vtest import Registrar

NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
DAY = datetime.timedelta(days=1)


def ca_chain(kind="es256", depth=1, path_length=None, ca_days=(None, None)):
    """A registrar whose certificate hangs under `depth` CA certificates, the top one
    self-signed: (Registrar with x5bag [EE, lowest CA, ..., top CA], [CA DER lowest
    first]). path_length is the top CA's pathLenConstraint; ca_days = (not_before,
    not_after) of the lowest CA (None: valid now)."""
    keys = [brski.new_key(kind) for _ in range(depth)]
    cas = [brski.make_cert(keys[-1], "top CA", ca=True, server_auth=False,
                           path_length=path_length)]
    for i in range(depth - 2, -1, -1):      # downward: each signed by the one above
        cas.insert(0, brski.make_cert(keys[i], "CA %d" % i, issuer_key=keys[i + 1],
                                      issuer_cert=cas[0], ca=True, server_auth=False))
    if ca_days != (None, None):             # re-issue the lowest CA with that validity
        issuer = (keys[1], cas[1]) if depth > 1 else (None, None)
        cas[0] = brski.make_cert(keys[0], "CA 0" if depth > 1 else "top CA",
                                 issuer_key=issuer[0], issuer_cert=issuer[1], ca=True,
                                 server_auth=False, not_before=ca_days[0],
                                 not_after=ca_days[1])
    key = brski.new_key(kind)
    ee = brski.make_cert(key, "registrar", issuer_key=keys[0], issuer_cert=cas[0],
                         cmc_ra=True)
    return Registrar(key, ee, bag=[ee] + cas), cas


def verify_signed_by(cert, public_key):
    """Raises InvalidSignature unless cert's signature verifies with public_key."""
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        public_key.verify(cert.signature, cert.tbs_certificate_bytes)
    else:
        public_key.verify(cert.signature, cert.tbs_certificate_bytes,
                          ec.ECDSA(cert.signature_hash_algorithm))


def ot_pledge_accepts(leaves, registrar_path):
    """EskoDijk/ot-registrar, src/main/java/com/google/openthread/pledge/Pledge.java:
    requestVoucher takes domainPublicKey from pinned-domain-pubk (an SPKI) or from the
    public key of pinned-domain-cert; validateRegistrar then builds ONE trust anchor,
    TrustAnchor(lastCert.getIssuerX500Principal(), domainPublicKey), lastCert being
    the last certificate of the registrar's (D)TLS certificate path, and validates that
    path with PKIX. Reproduced: each certificate of the path signed by the next, the
    last one signed by domainPublicKey under the anchor's name, all within validity."""
    if "pinned-domain-pubk" in leaves:
        domain_key = serialization.load_der_public_key(leaves["pinned-domain-pubk"])
    else:
        domain_key = x509.load_der_x509_certificate(leaves["pinned-domain-cert"]).public_key()
    path = [x509.load_der_x509_certificate(c) for c in registrar_path]
    try:
        for sub, issuer in zip(path, path[1:]):
            if sub.issuer != issuer.subject:
                return False
            verify_signed_by(sub, issuer.public_key())
        verify_signed_by(path[-1], domain_key)
    except (InvalidSignature, TypeError, ValueError):
        return False
    now = NOW.replace(tzinfo=None)     # this cryptography's validity times are naive UTC
    return all(c.not_valid_before <= now <= c.not_valid_after for c in path)


class ProductCase(vtest.VoucherCase):
    """Helpers: products and devices of a product."""

    def product(self, sub, *args, ok=True):
        """`masa product SUB --config CFG ARGS...`; asserts exit 0 unless ok=False."""
        p = run("product", sub, "--config", self.inst.config, *args)
        if ok:
            self.assertEqual(p.returncode, 0, p.stderr)
        return p

    def enroll_product(self, product, kind="es256"):
        """A new pledge enrolled with --product."""
        key = brski.new_key(kind)
        serial = "PR-%s" % os.urandom(4).hex()
        self.cli("device", "add", "--serial", serial, "--pubkey", self.public_pem_file(key),
                 "--product", product)
        return vtest.Pledge(serial, key)

    def owner(self, name, registrar, serial):
        """`masa owner add NAME --registrar-key` (its public key) and `owner assign`."""
        self.cli("owner", "add", name, "--registrar-key", self.public_pem_file(registrar.key))
        self.cli("owner", "assign", name, serial)

    def voucher(self, pledge, registrar, **kw):
        """POSTs a complete request; (status, headers, body)."""
        rvr, _nonce = self.make_request(pledge, registrar, **kw)
        return self.post(rvr)


class Commands(ProductCase):
    """masa product add|set|show|list and the admin API, audited."""

    def test_add_set_show_list(self):
        p = self.product("add", "thermo", "--formats", "cose", "--registrar-algs", "es256",
                         "--pin", "ca-lowest")
        self.assertEqual(p.stdout, "thermo formats=cose registrar-algs=es256 pin=ca-lowest "
                                   "nonceless=yes signing-key=default\n")
        self.product("set", "thermo", "--nonceless", "no")
        self.product("add", "bulb")
        shown = json.loads(self.product("show", "thermo", "--json").stdout)
        self.assertEqual({k: shown[k] for k in ("name", "formats", "registrar-algs", "pin",
                                                "nonceless", "signing-key")},
                         {"name": "thermo", "formats": ["cose"], "registrar-algs": ["es256"],
                          "pin": "ca-lowest", "nonceless": False, "signing-key": "default"})
        listed = self.product("list", "--json").stdout
        self.assertEqual([json.loads(l)["name"] for l in listed.splitlines()],
                         ["bulb", "thermo"])
        # a new product takes masa.json's defaults: every format and key type, pubk, nonceless
        self.assertEqual(self.product("show", "bulb").stdout,
                         "bulb formats=cose,cms,jws registrar-algs=es256,es384,eddsa pin=pubk "
                         "nonceless=yes signing-key=default\n")
        events = [(e[1], e[4]) for e in self.audit_events(0) if e[1].startswith("product.")]
        self.assertEqual(events, [
            ("product.added", "thermo formats=cose registrar-algs=es256 pin=ca-lowest "
                              "nonceless=yes signing-key=default"),
            ("product.changed", "thermo formats=cose registrar-algs=es256 pin=ca-lowest "
                                "nonceless=no signing-key=default"),
            ("product.added", "bulb formats=cose,cms,jws registrar-algs=es256,es384,eddsa "
                              "pin=pubk nonceless=yes signing-key=default")])

    def test_refusals_are_one_sentence(self):
        self.product("add", "x")
        for args, text in [
                (("add", "x"), 'a product named "x" exists'),
                (("set", "nope", "--pin", "pubk"), 'there is no product named "nope"'),
                (("show", "nope"), 'there is no product named "nope"'),
                (("add", "y", "--formats", "cose,xml"), "formats is a comma-separated list of cose"),
                (("add", "y", "--registrar-algs", "rsa"), "registrar-algs is a comma-separated"),
                (("add", "y", "--pin", "cert"), "pin is one of pubk, ca-lowest"),
                (("add", "y", "--nonceless", "maybe"), "--nonceless takes yes or no"),
                (("set", "x"), "set needs one of --formats"),
                (("add", "y", "--signing-key", "a b"), "signing-key is a key name: 1 to 64"),
                (("add", "y", "--signing-key", "nope"), 'there is no signing key named "nope"'),
                (("set", "x", "--signing-key", "nope"), 'there is no signing key named "nope"'),
                (("add", "a/b"), "NAME must be 1 to 128 bytes of UTF-8 without '/'")]:
            with self.subTest(args=args):
                p = self.product(*args, ok=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(text, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        self.assertEqual(self.store_rows("SELECT name FROM products"), [("x",)])

    def test_unknown_product_at_enrollment_is_refused(self):
        """A misspelt product would silently give the device the defaults: refused,
        nothing enrolled, from the CLI and the API alike."""
        key = brski.new_key("es256")
        p = run("device", "add", "--config", self.inst.config, "--serial", "U1", "--pubkey",
                self.public_pem_file(key), "--product", "thremo")
        self.assertEqual(p.returncode, 1)
        self.assertIn('there is no product named "thremo"', p.stderr)
        self.assertEqual(self.device_count(), 0)

    def test_admin_api(self):
        """POST/PUT need admin; GET is for every role; the API and the CLI agree."""
        server = self.serve()
        status = lambda *a, **k: self.admin(server, *a, **k)[0]   # noqa: E731
        auditor = self.cli("token", "create", "--role", "auditor", "--name", "aud").stdout.strip()
        self.assertEqual(status("POST", "/admin/v1/products", {"name": "a"}, token=auditor), 403)
        st, body = self.admin(server, "POST", "/admin/v1/products",
                              {"name": "a", "registrar-algs": ["es256"], "pin": "ee-cert"})
        self.assertEqual(st, 201, body)
        self.assertEqual(status("POST", "/admin/v1/products", {"name": "a"}), 409)
        st, body = self.admin(server, "PUT", "/admin/v1/products/a", {"nonceless": False})
        self.assertEqual((st, json.loads(body)["nonceless"], json.loads(body)["pin"]),
                         (200, False, "ee-cert"))
        self.assertEqual(status("PUT", "/admin/v1/products/zz", {"pin": "pubk"}), 404)
        self.assertEqual(status("PUT", "/admin/v1/products/a", {"pin": "cert"}), 400)
        self.assertEqual(status("PUT", "/admin/v1/products/a", {"formats": "cose"}), 400)
        self.assertEqual(status("PUT", "/admin/v1/products/a", {}), 400)
        self.assertEqual(status("POST", "/admin/v1/products", {"name": "a/b"}), 400)
        st, body = self.admin(server, "GET", "/admin/v1/products", token=auditor)
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body)["products"],
                         [json.loads(self.product("show", "a", "--json").stdout)])
        st, body = self.admin(server, "POST", "/admin/v1/devices",
                              {"serial-number": "U2", "public-key": pem(brski.new_key("es256")),
                               "product": "b"})
        self.assertEqual(st, 400)
        self.assertIn(b'there is no product named "b"', body)
        rec = json.dumps({"serial-number": "U3", "public-key": pem(brski.new_key("es256")),
                          "product": "b"}).encode() + b"\n"
        st, _hdr, body = request(self.inst, server.admin_port, "POST", "/admin/v1/devices/import",
                                 rec, {"Authorization": "Bearer " + self.inst.token,
                                       "Content-Type": "application/x-ndjson"})
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["rejected"],
                         [{"line": 1, "error": 'there is no product named "b" '
                                               '(masa product add creates one)'}])
        self.assertEqual(self.device_count(), 0)

    def admin(self, server, method, path, body=None, token=None):
        h = {"Authorization": "Bearer " + (token or self.inst.token)}
        if body is not None:
            h["Content-Type"] = "application/json"
            body = json.dumps(body).encode()
        st, _hdr, out = request(self.inst, server.admin_port, method, path, body, h)
        return st, out


def pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Refusals(ProductCase):
    """406 for what the pledge cannot take: spends nothing, audited (item 10)."""

    def test_p256_only_pledge(self):
        """Zero-touch join §6.3: a pledge that can pin only P-256 keys gets no voucher
        pinning a P-384 or Ed25519 registrar key (406), and one for a P-256 key."""
        self.product("add", "p256", "--registrar-algs", "es256")
        p = self.enroll_product("p256")
        self.start(mode="open")
        for kind in ("es384", "eddsa"):
            with self.subTest(kind=kind):
                r = self.registrar(kind)
                self.assertRefused("MASA_E_PLEDGE_KEY_TYPE", lambda: self.voucher(p, r))
        self.issue(p, self.registrar("es256"))

    def test_ca_pin_without_a_verified_ca(self):
        """A product pinning a CA: a self-signed registrar (no CA), or a bag whose CA
        did not sign the registrar certificate, is 406."""
        self.product("add", "thread", "--pin", "ca-lowest")
        p = self.enroll_product("thread")
        self.start(mode="open")
        self.assertRefused("MASA_E_PLEDGE_CA_PIN", lambda: self.voucher(p, self.registrar()))
        good, _cas = ca_chain()
        _other, other_cas = ca_chain()
        forged = Registrar(good.key, good.cert, bag=[good.cert] + other_cas)
        self.assertRefused("MASA_E_PLEDGE_CA_PIN", lambda: self.voucher(p, forged))
        self.assertRefused("MASA_E_PLEDGE_CA_PIN",
                           lambda: self.voucher(p, self.registrar(cert=False)))

    def test_nonceless_not_taken(self):
        """A product without nonceless vouchers: 406 even for the owner's registrar."""
        self.product("add", "strict", "--nonceless", "no")
        p = self.enroll_product("strict")
        own = self.registrar(cn="own")
        self.owner("acme", own, p.serial)
        self.start(mode="owner")
        self.assertRefused("MASA_E_PLEDGE_NONCELESS",
                           lambda: self.post(own.rvr(p.serial, None, None)))

    def test_devices_without_product_take_the_configured_defaults(self):
        """policy.registrar_algs and policy.pinned_domain are the defaults."""
        p = self.enroll()
        self.start(mode="open", registrar_algs="es384", pinned_domain="ee-cert")
        self.assertRefused("MASA_E_PLEDGE_KEY_TYPE", lambda: self.voucher(p, self.registrar()))
        r = self.registrar("es384")
        leaves, _rvr, _body = self.issue(p, r, pin_cert=True)
        self.assertEqual(leaves["pinned-domain-cert"], r.cert)


class Pins(ProductCase):
    """What the voucher pins, from the registrar's verified chain (item 5)."""

    def test_ot_registrar_pledge_accepts_ca_lowest_not_pubk(self):
        """A Thread pledge (ot-registrar's Pledge.validateRegistrar) accepts a voucher
        pinning the lowest CA of the registrar's chain, and rejects one pinning the
        registrar's own key; the pledge sees the registrar's DTLS path [EE] or
        [EE, CA]."""
        reg, cas = ca_chain()
        self.product("add", "thread", "--pin", "ca-lowest")
        self.product("add", "seed", "--pin", "pubk")
        t, s = self.enroll_product("thread"), self.enroll_product("seed")
        self.start(mode="open")
        leaves, _rvr, _body = self.issue(t, reg, pin_cert=None)
        self.assertEqual(leaves["pinned-domain-cert"], cas[0])
        raw, _rvr, _body = self.issue(s, reg)
        for path in ([reg.cert], [reg.cert, cas[0]]):
            self.assertTrue(ot_pledge_accepts(leaves, path))
            self.assertFalse(ot_pledge_accepts(raw, path))

    def test_published_rvr_with_a_ca_lowest_product(self):
        """The cBRSKI RVR (rvr.hex, its x5bag [registrar, domain CA]) for a ca-lowest
        pledge pins the domain CA certificate, as the published voucher.hex does; the
        registrar key re-certified today by the published domain CA key (registrar.pem
        expired on 2025-12-08)."""
        import test_vectors
        self.product("add", "thread", "--pin", "ca-lowest")
        self.cli("device", "add", "--serial", "JADA123456789", "--idevid",
                 os.path.join(vtest.VECTORS, "pledge.pem"), "--product", "thread")
        rvr = test_vectors.read_hex("rvr.hex")
        bag = brski.cose_decode(rvr)[1][brski.HDR_X5BAG]
        ca_key = test_vectors.vector_private_key("privkey_domain_ca.txt")
        rvr = vtest.with_x5bag(rvr, [vtest.recertify(bag[0], ca_key, bag[1]), bag[1]])
        self.start(created_on_max_age_s=315360000)
        st, _hdr, body = self.post(rvr)
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, self.masa_key())
        published = brski.parse_voucher(test_vectors.read_hex("voucher.hex"),
                                        test_vectors.cert("masa_ca.pem").public_key())
        self.assertEqual(leaves["pinned-domain-cert"], bag[1])
        self.assertEqual(leaves["pinned-domain-cert"], published["pinned-domain-cert"])

    def test_lowest_highest_ee_and_path_length(self):
        """Three levels: ca-lowest pins the intermediate, ca-highest the root, ee-cert
        the registrar's certificate; a root whose pathLenConstraint is 0 cannot sign
        the intermediate, so the verified chain stops there."""
        reg, cas = ca_chain(depth=2)
        short, short_cas = ca_chain(depth=2, path_length=0)
        for pin in ("ca-lowest", "ca-highest", "ee-cert"):
            self.product("add", pin, "--pin", pin)
        devices = {pin: self.enroll_product(pin) for pin in ("ca-lowest", "ca-highest",
                                                             "ee-cert")}
        self.start(mode="open")
        want = {"ca-lowest": cas[0], "ca-highest": cas[1], "ee-cert": reg.cert}
        for pin, device in devices.items():
            leaves, _rvr, _body = self.issue(device, reg, pin_cert=None)
            self.assertEqual(leaves["pinned-domain-cert"], want[pin], pin)
        leaves, _rvr, _body = self.issue(devices["ca-highest"], short, pin_cert=None)
        self.assertEqual(leaves["pinned-domain-cert"], short_cas[0])


class TlsChain(ProductCase):
    """A registrar known by its TLS client certificate only, its RVR without x5bag (as
    Fountain sends it: tests/e2e/test_interop.py FountainRegistrar, after
    AnimaGUS-minerva/fountain app/models/voucher_request.rb http_handler and
    app/models/cose_voucher_request.rb), presenting its domain CA in the TLS
    handshake after its own certificate: the CA certificates of that chain are the
    candidates for the registrar's verified path (issue 15, "Pins from a verified
    chain")."""

    def post_tls(self, body, key, chain):
        """POSTs body over a connection whose client certificate chain is `chain`
        (DER, the registrar's own first) with private key `key`."""
        key_path = self.write(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        chain_path = self.write("".join(ssl.DER_cert_to_PEM_cert(c) for c in chain).encode())
        ctx = vtest.tls_context(self.inst)
        ctx.load_cert_chain(chain_path, key_path)
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx,
                                           timeout=10)
        try:
            conn.request("POST", vtest.PATH, body=body, headers={"Content-Type": vtest.COSE})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def bare_rvr(self, pledge, reg):
        """An RVR without x5bag whose PVR names the registrar by its key's hash only."""
        nonce = os.urandom(8)
        pvr = brski.make_pvr(pledge.key, pledge.serial, nonce,
                             ("sha256", brski.sha256(reg.spki)))
        return brski.make_rvr(reg.key, pledge.serial, nonce, pvr)

    def test_ca_lowest_from_the_tls_chain(self):
        """TLS chain [registrar, domain CA]: 200, the voucher (verified independently)
        pins the domain CA; the same RVR with only the registrar's certificate in TLS
        is 406 (no verified CA to pin)."""
        reg, cas = ca_chain()
        self.product("add", "thread", "--pin", "ca-lowest")
        p = self.enroll_product("thread")
        self.start(mode="open")
        self.assertRefused("MASA_E_PLEDGE_CA_PIN",
                           lambda: self.post_tls(self.bare_rvr(p, reg), reg.key, [reg.cert]))
        st, _hdr, body = self.post_tls(self.bare_rvr(p, reg), reg.key, [reg.cert] + cas)
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, self.masa_key())
        self.assertEqual(leaves["pinned-domain-cert"], cas[0])
        self.assertEqual(leaves["serial-number"], p.serial)

    def test_ca_highest_from_the_tls_chain(self):
        """TLS chain [registrar, intermediate, root]: ca-highest pins the root."""
        reg, cas = ca_chain(depth=2)
        self.product("add", "top", "--pin", "ca-highest")
        p = self.enroll_product("top")
        self.start(mode="open")
        st, _hdr, body = self.post_tls(self.bare_rvr(p, reg), reg.key, [reg.cert] + cas)
        self.assertEqual(st, 200, body)
        self.assertEqual(brski.parse_voucher(body, self.masa_key())["pinned-domain-cert"],
                         cas[1])

    def test_expired_ca_in_the_tls_chain(self):
        """A domain CA in the TLS chain that expired yesterday: 403, as in an x5bag."""
        reg, cas = ca_chain(ca_days=(NOW - 10 * DAY, NOW - DAY))
        self.product("add", "thread", "--pin", "ca-lowest")
        p = self.enroll_product("thread")
        self.start(mode="open")
        self.assertRefused("MASA_E_CERT_VALIDITY",
                           lambda: self.post_tls(self.bare_rvr(p, reg), reg.key,
                                                 [reg.cert] + cas))


class Validity(ProductCase):
    """Registrar certificates and chains outside their validity period (item 7)."""

    def test_expired_or_not_yet_valid_registrar_certificate(self):
        p = self.enroll()
        self.start(mode="open")
        for nb, na in ((NOW - 10 * DAY, NOW - DAY), (NOW + DAY, NOW + 10 * DAY)):
            key = brski.new_key("es256")
            r = Registrar(key, brski.make_cert(key, "registrar", cmc_ra=True, not_before=nb,
                                               not_after=na))
            with self.subTest(not_after=na):
                self.assertRefused("MASA_E_CERT_VALIDITY", lambda: self.voucher(p, r))

    def test_expired_ca_in_the_chain(self):
        p = self.enroll()
        self.start(mode="open")
        reg, _cas = ca_chain(ca_days=(NOW - 10 * DAY, NOW - DAY))
        self.assertRefused("MASA_E_CERT_VALIDITY", lambda: self.voucher(p, reg))

    def test_nonceless_expires_on_clamped_to_the_pinned_certificate(self):
        """RFC 8366bis: a nonceless voucher's expires-on MUST NOT be later than the
        pinned certificate's notAfter (here 5 min away; the lifetime is 20 min). The
        device has no product: policy.pinned_domain's older "cert" is the ee-cert pin."""
        p = self.enroll()
        key = brski.new_key("es256")
        # from this test's start, not the module's: a loaded machine runs the whole
        # suite for longer than the five minutes
        not_after = (datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
                     + datetime.timedelta(minutes=5))
        own = Registrar(key, brski.make_cert(key, "own", cmc_ra=True, not_after=not_after))
        self.owner("acme", own, p.serial)
        self.start(mode="owner", nonceless_lifetime_s=1200, pinned_domain="cert")
        st, _hdr, body = self.post(own.rvr(p.serial, None, None))
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, self.masa_key())
        self.assertEqual(leaves["pinned-domain-cert"], own.cert)
        self.assertEqual(brski.parse_rfc3339(leaves["expires-on"]), not_after)


class Matrix(ProductCase):
    """format x registrar key type x pin form -> 200 or 406, every voucher verified."""

    KINDS = ("es256", "es384", "eddsa")
    PINS = ("pubk", "ee-cert", "ca-lowest", "ca-highest")
    ALG_SETS = ("es256", "es384,eddsa")

    def formats(self):
        """The voucher formats this build speaks, as `masa product --help` names them."""
        m = re.search(r"voucher formats \(([a-z,]+)\)", run("product", "--help").stdout)
        self.assertIsNotNone(m)
        return m.group(1).split(",")

    def test_matrix(self):
        registrars = {k: ca_chain(k, depth=2) for k in self.KINDS}
        raw = {k: Registrar(brski.new_key(k)) for k in self.KINDS}
        cases = []
        for fmt, algs, pin in itertools.product(self.formats(), self.ALG_SETS, self.PINS):
            name = "%s-%s-%s" % (fmt, algs.replace(",", "+"), pin)
            self.product("add", name, "--formats", fmt, "--registrar-algs", algs, "--pin", pin)
            cases.append((fmt, algs, pin, self.enroll_product(name)))
        # every refusal is to be audited: the rates per registrar key must not skip any
        self.inst.edit_config(limits={"refusal_audit_burst": 100000, "refusal_audit_per_s": 1000,
                                      "refusal_audit_per_hour": 3600000})
        self.start(mode="open")
        for (fmt, algs, pin, device), kind in itertools.product(cases, self.KINDS):
            for shown_chain in (True, False):
                reg, cas = registrars[kind] if shown_chain else (raw[kind], [])
                takes_key = kind in algs.split(",")
                takes_pin = pin == "pubk" or (pin == "ee-cert" and shown_chain) or bool(cas)
                # a COSE request's answer is COSE: a product without cose cannot take it
                want = ("MASA_E_PLEDGE_FORMAT" if fmt != "cose" else
                        "MASA_E_PLEDGE_KEY_TYPE" if not takes_key else
                        None if takes_pin else
                        "MASA_E_NOT_ACCEPTABLE" if pin == "ee-cert" else
                        "MASA_E_PLEDGE_CA_PIN")
                with self.subTest(fmt=fmt, algs=algs, pin=pin, kind=kind, chain=shown_chain):
                    if want is not None:
                        self.assertRefused(want, lambda: self.voucher(device, reg))
                        continue
                    leaves, _rvr, _body = self.issue(device, reg, pin_cert=None)
                    pinned = {"pubk": ("pinned-domain-pubk", reg.spki),
                              "ee-cert": ("pinned-domain-cert", reg.cert),
                              "ca-lowest": ("pinned-domain-cert", cas and cas[0]),
                              "ca-highest": ("pinned-domain-cert", cas and cas[-1])}[pin]
                    self.assertEqual(leaves[pinned[0]], pinned[1])


if __name__ == "__main__":
    unittest.main()
