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

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import brski
from masatest import BACKEND, MASA_SRC, InstanceTest, request, run, tls_context

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
}

_serials = iter(range(1, 1 << 30))


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
        return brski.make_pvr(key or self.key, serial or self.serial, nonce,
                              proximity=prox, **kw)


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
        return brski.make_rvr(self.key, serial, nonce, pvr, **kw)


class VoucherCase(InstanceTest):
    """A fresh instance per test with helpers to enroll, request and observe."""

    def setUp(self):
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

    def start(self, **policy):
        """Applies policy.* settings (if any) and starts `masa serve`."""
        if policy:
            self.inst.edit_config(policy=policy)
        self.server = self.serve(admin=False)
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

    def post(self, body, content_type=COSE, accept=None, headers=None, server=None):
        """POSTs body to the voucher route; returns (status, headers, body)."""
        h = dict(headers or {})
        if content_type is not None:
            h["Content-Type"] = content_type
        if accept is not None:
            h["Accept"] = accept
        return request(self.inst, (server or self.server).port, "POST", PATH, body, h)

    def make_request(self, pledge, registrar, nonce=None, form="pubk", pvr_kw=None,
                     rvr_kw=None):
        """(rvr bytes, nonce) for a complete valid request: PVR by pledge naming
        registrar, wrapped in an RVR by registrar, with a fresh nonce unless given."""
        nonce = nonce or new_nonce()
        pvr = pledge.pvr(nonce, registrar, form, **(pvr_kw or {}))
        return registrar.rvr(pledge.serial, nonce, pvr, **(rvr_kw or {})), nonce

    def issue(self, pledge, registrar, assertion=2, content_type=COSE, pin_cert=False, **kw):
        """Requests a voucher that must be issued (make_request keywords in kw); checks it
        with assertVoucher; returns (leaves, rvr, body)."""
        rvr, nonce = self.make_request(pledge, registrar, **kw)
        st, hdr, body = self.post(rvr, content_type=content_type)
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
        if serial is None:
            return self.query(sql + " ORDER BY v.id")
        return self.query(sql + " WHERE d.serial = ? ORDER BY v.id", (serial,))

    def device(self, serial):
        """The device as `masa device show` prints it (a JSON object)."""
        return json.loads(self.cli("device", "show", serial).stdout)

    def pinned(self, serial):
        """The hex SHA-256 of the SPKI of the registrar a device is pinned to, or
        None (`masa device show`)."""
        return self.device(serial)["pinned-registrar"]

    @staticmethod
    def key_id(registrar):
        """How `masa device show` names registrar's key."""
        return brski.sha256(registrar.spki).hex()

    def snapshot(self):
        """Everything a refusal must leave unchanged (besides the audit trail), as
        `masa device list` shows it: each device's pin, vouchers and retirement (not
        tokens-left, which refills with time); on SQLite also the buckets' stored
        state, read with SQL."""
        p = self.cli("device", "list")
        devices = [json.loads(l) for l in p.stdout.splitlines() if l]
        snap = {d["serial-number"]: (d["pinned-registrar"], d["vouchers-issued"], d["retired"])
                for d in devices}
        if BACKEND == "sqlite":
            snap["buckets"] = self.buckets()
        return snap

    # ---- assertions ------------------------------------------------------------------

    def assertVoucher(self, resp, serial, nonce, registrar, assertion=2,
                      content_type=COSE, pin_cert=False):
        """Checks a 200 voucher response: media type, signature with `masa key show`'s
        key, leaves, x5bag = the MASA certificate, and the stored row. Returns leaves."""
        st, hdr, body = resp
        self.assertEqual(st, 200, body)
        self.assertEqual(hdr.get("content-type"), content_type)
        self.assertCommonHeaders(hdr)
        leaves = brski.parse_voucher(body, self.masa_key())
        self.assertEqual(leaves["assertion"], assertion)
        self.assertEqual(leaves["serial-number"], serial)
        if nonce is None:
            self.assertNotIn("nonce", leaves)
        else:
            self.assertEqual(leaves["nonce"], nonce)
            self.assertNotIn("expires-on", leaves)
        if pin_cert:
            self.assertEqual(leaves["pinned-domain-cert"], registrar.cert)
            self.assertNotIn("pinned-domain-pubk", leaves)
        else:
            self.assertEqual(leaves["pinned-domain-pubk"], registrar.spki)
            self.assertNotIn("pinned-domain-cert", leaves)
        self.assertIs(leaves["domain-cert-revocation-checks"], False)
        created = brski.parse_rfc3339(leaves["created-on"]).timestamp()
        self.assertLess(abs(created - time.time()), 120)
        self.assertEqual(leaves["x5bag"], [self.masa_cert_der()])
        if BACKEND == "sqlite":     # the row itself, with the bytes sent
            stored = [r for r in self.voucher_rows(serial) if r[3] == body]
            self.assertEqual(len(stored), 1, "the voucher sent is not stored exactly once")
            self.assertEqual(stored[0][0], nonce)
            self.assertEqual(stored[0][1], assertion)
            self.assertEqual(stored[0][2], content_type)
        # On every backend: the audit trail records it (with its nonce, once).
        issued = [e for e in self.audit_export(serial) if e["event"] == "voucher.issued"
                  and e["serial"] == serial and e["assertion"] == assertion
                  and e["detail"] == content_type
                  and (nonce is None or e["nonce"] == base64.b64encode(nonce).decode())]
        if nonce is None:
            self.assertTrue(issued, "the voucher sent is not in the audit trail")
        else:
            self.assertEqual(len(issued), 1, "the voucher sent is not audited exactly once")
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
                 "MASA_E_NO_REGISTRAR_KEY", "MASA_E_REGISTRAR_KEYS_DISAGREE", "MASA_E_NOT_RA"}

    def assertRefused(self, name, send, audited=None):
        """Calls send() -> (status, headers, body) and checks the refusal: exact
        status and body; buckets, vouchers, pins and known registrars unchanged; and
        exactly one new audit row, voucher.refused with detail = name, when the
        refusal is attributable (see UNAUDITED), else none."""
        if audited is None:
            audited = name not in self.UNAUDITED
        seq, before = self.audit_seq(), self.snapshot()
        resp = send()
        self.assertError(resp, name)
        self.assertEqual(self.snapshot(), before, "a refusal changed the store")
        events = [(e[1], e[4]) for e in self.audit_events(seq)]
        self.assertEqual(events, [("voucher.refused", name)] if audited else [])
        return resp


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
