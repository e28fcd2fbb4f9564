"""Shared helpers for the voucher end-to-end tests (test_voucher, test_voucher_load):
enrolled pledges and registrars, requests to POST /.well-known/brski/requestvoucher
over verified HTTPS, independent voucher checks (brski.py) and read-only
observations of the instance's SQLite store.

Only Debian's /usr/bin/python3 (cryptography, cbor2). Environment: MASA_BIN.
"""
import base64
import datetime
import http.client
import json
import os
import secrets
import sqlite3
import subprocess
import time

import cbor2

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

import brski
import jvouchers
from masatest import BACKEND, MASA_SRC, InstanceTest, pg_server, request, run, tls_context

PATH = "/.well-known/brski/requestvoucher"
COSE = "application/voucher+cose"
COSE_OLD = "application/voucher-cose+cbor"
TEXT = "text/plain; charset=utf-8"
HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.environ.get("MASA_VECTORS",
                         os.path.normpath(os.path.join(HERE, "..", "vectors", "cbrski")))
DEV_PKI = os.path.join(MASA_SRC, "keys", "gen-dev-pki.sh")

# The public contract: (status, one-line message) per error name, copied verbatim
# from masa/errors.c. A change to any of these is a change visible to registrars.
ERRORS = {
    "MASA_E_STORE_BUSY": (503, "The store is busy; try again later."),
    "MASA_E_STORE": (503, "The store is unavailable; try again later."),
    "MASA_E_SHUTTING_DOWN": (503, "The server is shutting down; try again shortly."),
    "MASA_E_TOO_LARGE": (413, "Request body is larger than the server accepts."),
    "MASA_E_MEDIA_TYPE": (415, "Unsupported request media type."),
    "MASA_E_NOT_ACCEPTABLE": (406, "No acceptable response format can be produced."),
    "MASA_E_ACCEPT": (415, "The Accept header is not understood."),
    "MASA_E_CBOR": (400, "The request body is not well-formed CBOR, or uses a construct "
                         "that is not accepted."),
    "MASA_E_CBOR_TRAILING": (400, "The request body has bytes after its CBOR item."),
    "MASA_E_DUPLICATE_KEY": (400, "A map in the request repeats a key."),
    "MASA_E_COSE": (400, "The request is not a well-formed COSE_Sign1 message."),
    "MASA_E_CMS": (400, "The request is not a CMS SignedData message with one signer and its "
                        "content attached."),
    "MASA_E_CMS_CONTENT_TYPE": (400, "The CMS content type is not id-ct-animaJSONVoucher or "
                                     "id-data."),
    "MASA_E_CMS_SIGNER": (400, "The CMS signer's certificate is not among the request's "
                               "certificates."),
    "MASA_E_JWS": (400, "The request is not a JWS in General JSON Serialization with one "
                        "signature."),
    "MASA_E_JSON": (400, "The request body is not the JSON this resource expects."),
    "MASA_E_COSE_CRIT": (400, "The request marks a COSE header parameter critical that is "
                              "not understood."),
    "MASA_E_VREQ": (400, "The voucher-request lacks a required leaf or has a leaf of the "
                         "wrong type."),
    "MASA_E_PVR_MALFORMED": (400, "The prior-signed-voucher-request is malformed."),
    "MASA_E_SIGNATURE": (403, "The registrar voucher-request signature does not verify."),
    "MASA_E_ALG": (403, "The signature algorithm is missing, unsupported, not in the "
                        "protected header, or does not match the key."),
    "MASA_E_REGISTRAR_KEYS_DISAGREE": (403, "The registrar keys presented by the request "
                                            "do not agree."),
    "MASA_E_NO_REGISTRAR_KEY": (403, "No registrar key that verifies the request was "
                                     "found."),
    "MASA_E_PVR_SIGNATURE": (403, "The pledge voucher-request does not verify with the "
                                  "enrolled key."),
    "MASA_E_SERIAL_MISMATCH": (403, "The serial-number of the pledge voucher-request "
                                    "differs from the registrar's."),
    "MASA_E_PROXIMITY": (403, "The pledge's proximity registrar is not the registrar that "
                              "signed the request."),
    "MASA_E_NONCE_MISMATCH": (403, "The registrar and pledge nonces differ."),
    "MASA_E_STALE": (403, "The voucher-request created-on is outside the accepted time "
                          "window."),
    "MASA_E_PVR_MISSING": (403, "The request carries no prior-signed-voucher-request."),
    "MASA_E_CERT_VALIDITY": (403, "The registrar certificate or a CA certificate of its "
                             "chain is outside its validity period."),
    "MASA_E_PLEDGE_FORMAT": (406, "This device's product does not take vouchers in the "
                             "format of this answer."),
    "MASA_E_PLEDGE_KEY_TYPE": (406, "This device's product cannot pin a registrar key of "
                               "this type."),
    "MASA_E_PLEDGE_CA_PIN": (406, "This device's product pins a CA certificate, and the "
                             "registrar showed no verified CA certificate."),
    "MASA_E_PLEDGE_NONCELESS": (406, "This device's product does not take nonceless "
                                "vouchers."),
    "MASA_E_NOT_RA": (403, "The registrar certificate lacks the id-kp-cmcRA extended key "
                           "usage."),
    "MASA_E_UNKNOWN_DEVICE": (404, "The serial-number is not a device this MASA can vouch "
                                   "for."),
    "MASA_E_BLOCKED": (403, "The registrar key is blocked."),
    "MASA_E_PINNED_ELSEWHERE": (403, "The device is pinned to another registrar until it "
                                     "is released."),
    "MASA_E_NOT_OWNER": (403, "The registrar is not a registrar of the device's owner."),
    "MASA_E_RATE_LIMITED": (429, "Too many vouchers for this device; retry later."),
    "MASA_E_NONCELESS": (403, "Nonceless vouchers are issued only to the device owner's "
                              "registrar."),
    "MASA_E_NET_PINNED": (403, "The registrar key is pinned to another network."),
    "MASA_E_STORE": (503, "The store is unavailable; try again later."),
    "MASA_E_CBOR_LIMIT": (400, "The request body exceeds a nesting, count or size limit."),
    "MASA_E_METHOD": (405, "Method not allowed for this resource."),
    "MASA_E_NO_ROUTE": (404, "No such resource."),
    "MASA_E_FORWARDED": (400, "The forwarded client address or certificate is malformed or "
                              "ambiguous."),
    # a wrong idevid-issuer is answered exactly as an unknown serial (issue 15)
    "MASA_E_IDEVID_ISSUER": (404, "The serial-number is not a device this MASA can vouch "
                                  "for."),
    "MASA_E_RENEWAL_NOT_OURS": (403, "The voucher in this renewal request was not signed by "
                                     "this MASA."),
    "MASA_E_RENEWAL_SERIAL": (403, "The voucher in this renewal request is for another "
                                   "serial-number."),
    "MASA_E_RENEWAL_REGISTRAR": (403, "The voucher in this renewal request pins another "
                                      "registrar."),
    "MASA_E_RENEWAL_RELEASED": (403, "The device has been released since that voucher; a new "
                                     "voucher needs a pledge voucher-request."),
}

_serials = iter(range(1, 1 << 30))

# The format requests are built in: None for COSE (brski.py), else a key of
# jvouchers.FORMATS ("cms", "jws"). Set by VoucherCase.setUp from the class's FMT, so
# that Pledge.pvr and Registrar.rvr, however a test made them, build that format.
FORMAT = None


def new_nonce(n=16):
    """A fresh random nonce (8..32 bytes are valid)."""
    return secrets.token_bytes(n)


def utc(delta_s=0):
    """RFC 3339 UTC time now + delta_s seconds."""
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def now_ms():
    return int(time.time() * 1000)


def flip_last(sig):
    """sign_hook: flips one bit of the last signature byte."""
    return sig[:-1] + bytes([sig[-1] ^ 0x01])


def pem_cert_der(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read()).public_bytes(
            serialization.Encoding.DER)


def recertify(cert_der, ca_key, ca_cert_der, days=365):
    """cert_der re-issued by ca_key under ca_cert_der's name: the same subject, key and
    extensions, valid from an hour ago for `days`. For published vectors whose
    registrar certificate has expired: the same key, re-certified with the published
    CA key, keeps every signature the vectors made with it valid (vectors README)."""
    old = x509.load_der_x509_certificate(cert_der)
    ca = x509.load_der_x509_certificate(ca_cert_der)
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    b = (x509.CertificateBuilder().subject_name(old.subject).issuer_name(ca.subject)
         .public_key(old.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=days)))
    for ext in old.extensions:
        b = b.add_extension(ext.value, critical=ext.critical)
    return b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def with_x5bag(cose, bag):
    """The COSE_Sign1 cose with its unprotected x5bag replaced by bag (a list of DER
    certificates): the signature does not cover the unprotected header."""
    obj = cbor2.loads(cose)
    inner = obj.value if isinstance(obj, cbor2.CBORTag) else obj
    inner[1] = {**inner[1], brski.HDR_X5BAG: bag}
    return cbor2.dumps(obj)


class Pledge:
    """An enrolled (or deliberately not enrolled) device: its serial and private key."""

    def __init__(self, serial, key):
        self.serial, self.key = serial, key

    def proximity(self, registrar, form):
        """The PVR proximity leaf naming registrar: form 'pubk', 'sha256' or 'cert'."""
        if form == "pubk":
            return ("pubk", registrar.spki)
        if form == "sha256":
            return ("sha256", brski.sha256(registrar.spki))
        if form == "cert":
            return ("cert", registrar.cert)
        raise ValueError(form)

    def pvr(self, nonce, registrar, form="pubk", serial=None, key=None, **kw):
        """A PVR signed by this pledge (or `key`) naming `registrar` (a Registrar or None
        for no proximity leaf). Extra keywords go to brski.make_pvr."""
        prox = None if registrar is None else self.proximity(registrar, form)
        make = jvouchers.FORMATS[FORMAT]["pvr"] if FORMAT else brski.make_pvr
        return make(key or self.key, serial or self.serial, nonce, proximity=prox, **kw)


class Registrar:
    """A registrar key with an optional self-signed certificate (DER)."""

    def __init__(self, key, cert=None, bag=None):
        self.key, self.cert = key, cert
        self.spki = brski.spki_der(key)
        self.bag = bag if bag is not None else ([cert] if cert is not None else None)

    def rvr(self, serial, nonce, pvr, **kw):
        """An RVR signed by this registrar with its certificate(s) in x5bag (none for a
        raw-key registrar). Extra keywords go to brski.make_rvr (x5bag overrides)."""
        kw.setdefault("x5bag", self.bag)
        make = jvouchers.FORMATS[FORMAT]["rvr"] if FORMAT else brski.make_rvr
        return make(self.key, serial, nonce, pvr, **kw)


class VoucherCase(InstanceTest):
    """A fresh instance per test with helpers to enroll, request and observe. FMT: the
    format its requests are built in (None: COSE; "cms", "jws")."""

    FMT = None

    def setUp(self):
        global FORMAT
        FORMAT = self.FMT
        self.ctype = jvouchers.FORMATS[self.FMT]["content_type"] if self.FMT else COSE
        super().setUp()
        self.server = None
        self._masa_key = None
        self._files = 0
        try:
            self.prepare()
        except BaseException:
            self.tearDown()     # unittest skips tearDown when setUp raises
            raise

    def prepare(self):
        """Per-class set-up once the instance exists (enroll, start...)."""

    # ---- instance, CLI, server -----------------------------------------------------

    def start(self, faketime=None, **policy):
        """Applies policy.* settings (if any) and starts `masa serve` (with its clock
        at faketime, if given: masatest.faketime_env)."""
        if policy:
            self.inst.edit_config(policy=policy)
        self.server = self.serve(admin=False, faketime=faketime)
        return self.server

    def cli(self, *args, ok=True):
        """Runs `masa ARGS... --config CFG` style commands: args[0:2] are the command
        words, --config is inserted after them. Asserts exit 0 unless ok=False."""
        p = run(*args[:2], "--config", self.inst.config, *args[2:])
        if ok:
            self.assertEqual(p.returncode, 0, "masa %s failed: %s" % (" ".join(args), p.stderr))
        return p

    def write(self, data, suffix=".pem"):
        """Writes data into a new file in the test's temp dir; returns its path."""
        self._files += 1
        path = os.path.join(self.inst.tmp, "f%d%s" % (self._files, suffix))
        with open(path, "wb") as f:
            f.write(data)
        return path

    def public_pem_file(self, key):
        return self.write(brski._public(key).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))

    def enroll(self, kind="es256", serial=None, key=None):
        """Enrolls a new pledge (`masa device add --pubkey`); returns it."""
        key = key or brski.new_key(kind)
        serial = serial or "SN-%06d" % next(_serials)
        self.cli("device", "add", "--serial", serial, "--pubkey", self.public_pem_file(key))
        return Pledge(serial, key)

    def registrar(self, kind="es256", cert=True, cmc_ra=True, cn="registrar"):
        """A new registrar: self-signed certificate (EKU cmcRA unless cmc_ra=False) in
        its x5bag, or a raw-key registrar with cert=False."""
        key = brski.new_key(kind)
        return Registrar(key, brski.self_signed_cert(key, cn, cmc_ra=cmc_ra) if cert else None)

    def masa_key(self):
        """The voucher-signing public key, as `masa key show` prints it."""
        if self._masa_key is None:
            p = run("key", "show", "--config", self.inst.config)
            self.assertEqual(p.returncode, 0, p.stderr)
            self._masa_key = serialization.load_pem_public_key(p.stdout.encode())
        return self._masa_key

    def masa_cert_der(self):
        return pem_cert_der(self.inst.path("signing.crt"))

    # ---- HTTP ------------------------------------------------------------------------

    def post(self, body, content_type="", accept=None, headers=None, server=None,
             source=None):
        """POSTs body to the voucher route (as the class's format unless content_type
        says otherwise; None: no Content-Type), from the local address source if given
        (e.g. "127.0.1.1": all of 127/8 is loopback); returns (status, headers, body)."""
        if content_type == "":
            content_type = self.ctype
        h = dict(headers or {})
        if content_type is not None:
            h["Content-Type"] = content_type
        if accept is not None:
            h["Accept"] = accept
        return request(self.inst, (server or self.server).port, "POST", PATH, body, h,
                       source=source)

    def make_request(self, pledge, registrar, nonce=None, form="pubk", pvr_kw=None,
                     rvr_kw=None):
        """(rvr bytes, nonce) for a complete valid request: PVR by pledge naming
        registrar, wrapped in an RVR by registrar, with a fresh nonce unless given."""
        nonce = nonce or new_nonce()
        pvr = pledge.pvr(nonce, registrar, form, **(pvr_kw or {}))
        return registrar.rvr(pledge.serial, nonce, pvr, **(rvr_kw or {})), nonce

    def issue(self, pledge, registrar, assertion=2, content_type="", pin_cert=False,
              accept=None, **kw):
        """Requests a voucher that must be issued (make_request keywords in kw); checks it
        with assertVoucher (as the Accept type, if one); returns (leaves, rvr, body)."""
        rvr, nonce = self.make_request(pledge, registrar, **kw)
        st, hdr, body = self.post(rvr, content_type=content_type, accept=accept)
        content_type = accept or content_type
        leaves = self.assertVoucher((st, hdr, body), pledge.serial, nonce, registrar,
                                    assertion=assertion, content_type=content_type,
                                    pin_cert=pin_cert)
        return leaves, rvr, body

    # ---- store (read-only) -----------------------------------------------------------

    def query(self, sql, args=()):
        """Runs one read-only query against the instance's masa.db: on PostgreSQL
        the test is skipped (its check looks at SQLite's tables; the observers
        below that go through the CLI work on both backends)."""
        if BACKEND != "sqlite":
            self.skipTest("SQLite-only: reads masa.db with SQL")
        db = sqlite3.connect("file:%s?mode=ro" % self.inst.path("masa.db"), uri=True,
                             timeout=10)
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def bucket(self, serial):
        """The token_buckets row of a device as a tuple, or None (a full bucket)."""
        if BACKEND == "postgresql":
            rows = self.pg_rows("SELECT b.device_id, b.tat_ms FROM token_buckets b JOIN devices d"
                                " ON d.id = b.device_id WHERE d.serial = '%s'"
                                % serial.replace("'", "''"))
            return tuple(int(x) for x in rows[0]) if rows else None
        rows = self.query("SELECT b.device_id, b.tat_ms FROM token_buckets b "
                          "JOIN devices d ON d.id = b.device_id WHERE d.serial = ?", (serial,))
        return rows[0] if rows else None

    def buckets(self):
        return self.query("SELECT device_id, tat_ms FROM token_buckets ORDER BY device_id")

    def audit_export(self, serial=None):
        """The audit trail (or one serial's entries) as `masa audit export` prints it
        (JSON lines)."""
        p = self.cli("audit", "export", *(("--serial", serial) if serial else ()))
        return [json.loads(l) for l in p.stdout.splitlines() if l]

    def audit_events(self, after=0):
        """[(seq, event, serial, nonce, detail)] with seq > after, in order (through
        `masa audit export`)."""
        return [(e["seq"], e["event"], e["serial"],
                 base64.b64decode(e["nonce"]) if e["nonce"] is not None else None,
                 e["detail"]) for e in self.audit_export() if e["seq"] > after]

    def audit_seq(self):
        rows = self.audit_export()
        return rows[-1]["seq"] if rows else 0

    def voucher_rows(self, serial=None):
        """[(nonce, assertion, media_type, voucher, expires_ms)] of a device or of all."""
        sql = ("SELECT v.nonce, v.assertion, v.media_type, v.voucher, v.expires_ms "
               "FROM vouchers v JOIN devices d ON d.id = v.device_id")
        if BACKEND == "postgresql":     # the same, with psql: bytes as hex, numbers as text
            rows = self.pg_rows(
                "SELECT encode(v.nonce, 'hex'), v.assertion, v.media_type,"
                " encode(v.voucher, 'hex'), v.expires_ms FROM vouchers v JOIN devices d"
                " ON d.id = v.device_id%s ORDER BY v.id"
                % ("" if serial is None else " WHERE d.serial = '%s'" % serial.replace("'", "''")))
            return [(bytes.fromhex(n) if n else None, int(a), m, bytes.fromhex(v),
                     int(e) if e else None) for n, a, m, v, e in rows]
        if serial is None:
            return self.query(sql + " ORDER BY v.id")
        return self.query(sql + " WHERE d.serial = ? ORDER BY v.id", (serial,))

    def device(self, serial):
        """The device as `masa device show` prints it (a JSON object)."""
        return json.loads(self.cli("device", "show", "--json", serial).stdout)

    def pinned(self, serial):
        """The hex SHA-256 of the SPKI of the registrar a device is pinned to, or
        None (`masa device show`)."""
        return self.device(serial)["pinned-registrar"]

    @staticmethod
    def key_id(registrar):
        """How `masa device show` names registrar's key."""
        return brski.sha256(registrar.spki).hex()

    def snapshot(self):
        """Everything a refusal must leave unchanged (besides the audit trail): every
        row of every table but `audit` and `store_probe` (the readiness probe's
        counter): buckets, vouchers and their groups, devices and their pins,
        registrar keys with their first-seen network, owners, the block-list,
        tokens, and any table a later migration adds, compared whole. On
        PostgreSQL the same, read with psql from the instance's database (each row as
        PostgreSQL's text form of it)."""
        if BACKEND == "postgresql":
            return self._pg_snapshot()
        db = sqlite3.connect("file:%s?mode=ro" % self.inst.path("masa.db"), uri=True,
                             timeout=10)
        try:
            tables = [t for (t,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN"
                " ('audit', 'store_probe') "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            return {t: db.execute('SELECT * FROM "%s" ORDER BY rowid' % t).fetchall()
                    if self._has_rowid(db, t) else
                    sorted(db.execute('SELECT * FROM "%s"' % t).fetchall(), key=repr)
                    for t in tables}
        finally:
            db.close()

    def pg_rows(self, sql):
        """Runs sql with psql on the instance's PostgreSQL database: its rows, as
        tuples of PostgreSQL's text forms."""
        return pg_server().psql(sql, db=self.inst.database.rsplit("/", 1)[1], rows=True)

    def store_rows(self, sql):
        """sql (no parameters) on the store of either backend: SQLite's values, or
        PostgreSQL's text forms of them."""
        return self.pg_rows(sql) if BACKEND == "postgresql" else self.query(sql)

    def _pg_snapshot(self):
        tables = self.pg_rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema ="
            " current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN"
            " ('audit', 'store_probe')"
            " ORDER BY table_name")
        # One psql for every table (a psql each cost a second a snapshot under load).
        rows = self.pg_rows(" UNION ALL ".join("SELECT '%s', t::text FROM \"%s\" t" % (t, t)
                                               for (t,) in tables) + " ORDER BY 1, 2")
        snap = {t: [] for (t,) in tables}
        for t, *row in rows:    # a row's text may itself hold psql's field separator
            snap[t].append(("\x1f".join(row),))
        return snap

    def device_count(self):
        """How many devices the store holds (SQL on either backend)."""
        if BACKEND == "postgresql":
            return int(self.pg_rows("SELECT count(*) FROM devices")[0][0])
        return self.query("SELECT COUNT(*) FROM devices")[0][0]

    @staticmethod
    def _has_rowid(db, table):
        try:
            db.execute('SELECT rowid FROM "%s" LIMIT 0' % table)
            return True
        except sqlite3.OperationalError:
            return False

    def audit_entries(self, after=0):
        """[{seq, event, serial, registrar_sha256, nonce, assertion, source, detail}] of
        the audit entries with seq > after, in order."""
        cols = ("seq", "event", "serial", "registrar_sha256", "nonce", "assertion", "source",
                "detail")
        if BACKEND == "postgresql":     # the same, read through `masa audit export`
            return [{"seq": e["seq"], "event": e["event"], "serial": e["serial"],
                     "registrar_sha256": bytes.fromhex(e["registrar"]) if e["registrar"]
                     else None,
                     "nonce": base64.b64decode(e["nonce"]) if e["nonce"] is not None else None,
                     "assertion": e["assertion"], "source": e["source"], "detail": e["detail"]}
                    for e in self.audit_export() if e["seq"] > after]
        return [dict(zip(cols, r)) for r in self.query(
            "SELECT %s FROM audit WHERE seq > ? ORDER BY seq" % ", ".join(cols), (after,))]

    # ---- assertions ------------------------------------------------------------------

    def assertVoucher(self, resp, serial, nonce, registrar, assertion=2,
                      content_type="", pin_cert=False):
        """Checks a 200 voucher response: media type, signature with `masa key show`'s
        key (COSE by brski.py, CMS and JWS by jvouchers.py), leaves, x5bag (COSE) or
        certificates/x5c = the MASA certificate, and the stored row. Returns leaves."""
        st, hdr, body = resp
        content_type = content_type or self.ctype
        self.assertEqual(st, 200, body)
        self.assertEqual(hdr.get("content-type"), content_type)
        self.assertCommonHeaders(hdr)
        if content_type in (jvouchers.CMS, jvouchers.PKCS7):
            leaves = jvouchers.parse_cms_voucher(body, self.masa_key())
        elif content_type == jvouchers.JWS:
            leaves = jvouchers.parse_jws_voucher(body, self.masa_key())
        else:
            leaves = brski.parse_voucher(body, self.masa_key())
        self.assertEqual(leaves["assertion"], assertion)
        self.assertEqual(leaves["serial-number"], serial)
        if nonce is None:
            self.assertNotIn("nonce", leaves)
        else:
            self.assertEqual(leaves["nonce"], nonce)
            self.assertNotIn("expires-on", leaves)
        if pin_cert is None:
            pass    # the caller checks what is pinned (a CA of the chain: products)
        elif pin_cert:
            self.assertEqual(leaves["pinned-domain-cert"], registrar.cert)
            self.assertNotIn("pinned-domain-pubk", leaves)
        else:
            self.assertEqual(leaves["pinned-domain-pubk"], registrar.spki)
            self.assertNotIn("pinned-domain-cert", leaves)
        self.assertIs(leaves["domain-cert-revocation-checks"], False)
        created = brski.parse_rfc3339(leaves["created-on"]).timestamp()
        self.assertLess(abs(created - time.time()), 120)
        self.assertEqual(leaves["x5bag"], [self.masa_cert_der()])
        # The row itself, with the bytes sent (either backend: voucher_rows).
        stored = [r for r in self.voucher_rows(serial) if r[3] == body]
        self.assertEqual(len(stored), 1, "the voucher sent is not stored exactly once")
        self.assertEqual(stored[0][0], nonce)
        self.assertEqual(stored[0][1], assertion)
        self.assertEqual(stored[0][2], content_type)
        # And the audit trail records a voucher of its kind (a nonce may be issued
        # again past the retry window: test_replay).
        issued = [e for e in self.audit_export(serial) if e["event"] == "voucher.issued"
                  and e["serial"] == serial and e["assertion"] == assertion
                  and e["detail"] == content_type
                  and (nonce is None or e["nonce"] == base64.b64encode(nonce).decode())]
        self.assertTrue(issued, "the voucher sent is not in the audit trail")
        return leaves

    def assertError(self, resp, name):
        """Exact status, media type and one-line body of error `name`."""
        st, hdr, body = resp
        want_status, message = ERRORS[name]
        self.assertEqual((st, body), (want_status, message.encode() + b"\n"))
        self.assertEqual(hdr.get("content-type"), TEXT)
        self.assertCommonHeaders(hdr)

    def assertCommonHeaders(self, hdr):
        """Every answer: not cacheable, and carries a request id."""
        self.assertEqual(hdr.get("cache-control"), "no-store")
        self.assertTrue(hdr.get("x-request-id"))

    # Refusals decided before the registrar's signature is verified (the HTTP
    # layer, media types, decoding, the RVR signature itself) are not
    # attributable and go to the request log only; every refusal after that
    # is one audit row. A few codes occur on both sides: callers say.
    UNAUDITED = {"MASA_E_TOO_LARGE", "MASA_E_NO_ROUTE", "MASA_E_METHOD", "MASA_E_MEDIA_TYPE",
                 "MASA_E_ACCEPT", "MASA_E_CBOR", "MASA_E_CBOR_LIMIT", "MASA_E_CBOR_TRAILING",
                 "MASA_E_DUPLICATE_KEY", "MASA_E_COSE", "MASA_E_COSE_CRIT", "MASA_E_VREQ",
                 "MASA_E_PVR_MALFORMED", "MASA_E_MALFORMED", "MASA_E_SIGNATURE", "MASA_E_ALG",
                 "MASA_E_NO_REGISTRAR_KEY", "MASA_E_REGISTRAR_KEYS_DISAGREE", "MASA_E_NOT_RA",
                 "MASA_E_CMS", "MASA_E_CMS_CONTENT_TYPE", "MASA_E_CMS_SIGNER", "MASA_E_JWS",
                 "MASA_E_JSON"}

    def assertReplayedAs(self, rvr, accept, label, voucher, serial):
        """rvr resent with Accept: accept is answered with the stored voucher, byte for
        byte, as Content-Type label; every table unchanged, one voucher.replayed row."""
        seq, before = self.audit_seq(), self.snapshot()
        st, hdr, body = self.post(rvr, accept=accept)
        self.assertEqual((st, hdr.get("content-type"), body), (200, label, voucher))
        self.assertCommonHeaders(hdr)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual([e[1:3] for e in self.audit_events(seq)],
                         [("voucher.replayed", serial)])

    def assertRefused(self, name, send, audited=None, row=None, event="voucher.refused"):
        """Calls send() -> (status, headers, body) and checks the refusal: exact
        status and body; every table but the audit trail unchanged (snapshot); and
        exactly one new audit row, `event` with detail = name, when the refusal is
        attributable (see UNAUDITED), else none. The audited row's source must be
        the peer (127.0.0.1 unless row gives "source"); row may also give the
        expected "serial", "nonce" (None: no nonce) and "registrar" (a Registrar, or
        the SHA-256 of its SPKI), each compared when present."""
        if audited is None:
            audited = name not in self.UNAUDITED
        seq, before = self.audit_seq(), self.snapshot()
        resp = send()
        self.assertError(resp, name)
        self.assertEqual(self.snapshot(), before, "a refusal changed the store")
        rows = self.audit_entries(seq)
        self.assertEqual([(r["event"], r["detail"]) for r in rows],
                         [(event, name)] if audited else [])
        if audited:
            self.assertAuditRow(rows[0], **dict({"source": "127.0.0.1"}, **(row or {})))
        return resp

    def assertAuditRow(self, got, **want):
        """Compares the fields named in want with the audit row got (audit_entries()):
        registrar may be a Registrar or the SHA-256 of its SPKI."""
        if "registrar" in want:
            r = want.pop("registrar")
            want["registrar_sha256"] = brski.sha256(r.spki) if isinstance(r, Registrar) else r
        self.assertEqual({k: got[k] for k in want}, want, "audit row %r" % (got,))


def persistent_post(inst, port):
    """A keep-alive HTTPS connection and a function post(body) -> (status, headers, body)
    that reuses it (for load tests: one connection per client)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls_context(inst),
                                       timeout=30)

    def post(body, content_type=COSE):
        conn.request("POST", PATH, body=body, headers={"Content-Type": content_type})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    return conn, post


def gen_dev_pki(outdir):
    """Runs keys/gen-dev-pki.sh OUTDIR; returns OUTDIR."""
    p = subprocess.run(["bash", DEV_PKI, outdir], capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("gen-dev-pki.sh failed: " + p.stderr)
    return outdir
