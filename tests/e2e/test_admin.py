"""The factory and operator API (/admin/v1/ on the admin listener) end to end: the real
`masa serve` over verified HTTPS, with real API tokens from `masa token create`.

Covers the API tokens and the brute-force throttle (proved with the request log's
"argon2" flag), the role of every route, single and bulk enrollment (NDJSON and CSV,
the CLI twin giving the same report), the device lifecycle through to a voucher on
the public listener, the registrar block-list, the audit trail, and the public
listener's refusal of everything under /admin/.

Only Debian's /usr/bin/python3 (cryptography, cbor2). Environment: MASA_BIN, MASA_SRC.
Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_admin
"""
import base64
import hashlib
import http.client
import json
import os
import re
import secrets
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import brski
import vtest
from masatest import TOKEN_RE, Instance, run, tls_context
from vtest import Pledge

V1 = "/admin/v1"
TEXT = "text/plain; charset=utf-8"
NDJSON = "application/x-ndjson"
CSV = "text/csv"
UNAUTHENTICATED = b"A valid API token is required.\n"
FORBIDDEN = b"This API token's role does not allow this request.\n"
THROTTLED = b"Too many failed authentication attempts; retry later.\n"
NOT_FOUND = b"Not found.\n"
NO_ROUTE = b"No such resource.\n"
MEDIA_TYPE = b"Unsupported request media type.\n"
# Refusals that carry a detail: "<message without its dot>: <detail>.\n"
RECORD = "The enrollment record is invalid"
BAD_JSON = "The request body is not the JSON this resource expects"
MALFORMED = "The request body is malformed"
CONFLICT = "The serial-number is already enrolled with another key"
ROLES = ("admin", "factory", "auditor")
ALL, ENROLL, AUDIT, ADMIN = set(ROLES), {"admin", "factory"}, {"admin", "auditor"}, {"admin"}
ZERO_SHA = "00" * 32

_serials = iter(range(1, 1 << 30))


def new_serial(prefix="API"):
    return "%s-%06d" % (prefix, next(_serials))


def pem_public(key):
    """PEM SubjectPublicKeyInfo (text) of a key or certificate."""
    return brski._public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def spki_sha256(key):
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: what the API calls public-key-sha256."""
    return hashlib.sha256(brski.spki_der(key)).hexdigest()


def random_secret():
    """43 base64url characters: the shape of a token secret."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def token_id(token):
    return token.split(".", 1)[0]


def ndjson(records):
    """Records (dicts, or str lines verbatim) as an NDJSON body."""
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                   for r in records).encode()


def csv_field(v):
    if v is None:
        return ""
    if any(c in v for c in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def csv_body(header, rows, nl="\n"):
    """(body bytes, [line each row starts on]) for a CSV with a header row; a row is a
    list of field values (quoted when needed) or a str written verbatim."""
    out, starts = [",".join(header) + nl], []
    for row in rows:
        starts.append(1 + "".join(out).count("\n"))
        line = row if isinstance(row, str) else ",".join(csv_field(v) for v in row)
        out.append(line.replace("\n", nl) + nl)
    return "".join(out).encode(), starts


class AdminCase(vtest.VoucherCase):
    """A fresh instance and `masa serve` (public and admin listeners) per test, with
    API tokens for every role and helpers for the admin API."""

    def prepare(self):
        self.tokens = {"admin": self.inst.token}
        for role in ("factory", "auditor"):
            self.tokens[role] = self.new_token(role)
        self.server = self.serve()

    # ---- tokens and requests -----------------------------------------------------------

    def new_token(self, role, name=None):
        """`masa token create`: checks the output is the token alone on one line."""
        p = self.cli("token", "create", "--role", role, "--name",
                     name or "%s-%d" % (role, next(_serials)))
        self.assertRegex(p.stdout, r"\A[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\n\Z")
        return p.stdout.strip()

    def restart(self):
        """A new `masa serve` on the same instance (a fresh, empty throttle)."""
        self.assertEqual(self.server.stop(), 0)
        self.server = self.serve()

    def http(self, port, method, path, body=None, headers=None, source=None):
        """One verified HTTPS request, optionally from another loopback source address;
        returns (status, lower-case headers, body)."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, context=tls_context(self.inst), timeout=60,
            source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def api(self, method, path, body=None, role="admin", token=None, ctype=None,
            authorization=None, source=None, port=None):
        """A request to the admin listener with role's token (or `token`, or a literal
        Authorization header; role=None sends none). A dict or list body is sent as
        JSON."""
        headers = {}
        if authorization is not None:
            headers["Authorization"] = authorization
        elif token or role:
            headers["Authorization"] = "Bearer " + (token or self.tokens[role])
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            ctype = ctype or "application/json"
        elif isinstance(body, str):
            body = body.encode()
        if ctype:
            headers["Content-Type"] = ctype
        return self.http(port or self.server.admin_port, method, V1 + path, body, headers,
                         source)

    def api_json(self, status, method, path, body=None, **kw):
        """api() expecting `status` with a JSON answer; returns the parsed document."""
        st, hdr, data = self.api(method, path, body, **kw)
        self.assertEqual(st, status, data)
        self.assertEqual(hdr.get("content-type"), "application/json")
        self.assertCommonHeaders(hdr)
        return json.loads(data)

    def device(self, serial, role="auditor"):
        return self.api_json(200, "GET", "/devices/" + serial, role=role)

    def add(self, key=None, serial=None, status=201, role="factory", **extra):
        """POSTs a public-key record (a new P-256 key unless given); returns (pledge,
        device document)."""
        key = key or brski.new_key("es256")
        serial = serial or new_serial()
        doc = self.api_json(status, "POST", "/devices",
                            {"serial-number": serial, "public-key": pem_public(key), **extra},
                            role=role)
        return Pledge(serial, key), doc

    def log_record(self, rid, server=None):
        """The request log line with this request id (waits for it briefly)."""
        deadline = time.time() + 5
        while time.time() < deadline:
            for rec in (server or self.server).log_records():
                if rec.get("rid") == rid:
                    return rec
            time.sleep(0.02)
        self.fail("no request log line for rid %s" % rid)

    # ---- store (read-only) -------------------------------------------------------------

    def devices_table(self):
        return self.query("SELECT * FROM devices ORDER BY id")

    def audit_rows(self, after=0):
        """[(seq, event, serial, source, detail)] after seq `after`."""
        return self.query("SELECT seq, event, serial, source, detail FROM audit WHERE seq > ?"
                          " ORDER BY seq", (after,))

    # ---- assertions --------------------------------------------------------------------

    def assertApiError(self, resp, status, message):
        """Exact status and text/plain one-line body: `message` is the exact body (bytes)
        or the message (str) that must be followed by ': <non-empty detail>.'"""
        st, hdr, body = resp
        if isinstance(message, bytes):
            self.assertEqual((st, body), (status, message))
        else:
            self.assertEqual(st, status, body)
            self.assertRegex(body.decode(), r"\A%s: [^\n]+\.\n\Z" % re.escape(message))
        self.assertEqual(hdr.get("content-type"), TEXT)
        self.assertCommonHeaders(hdr)


# ---------------------------------------------------------------------------------------
# 1. Authentication, tokens and the throttle
# ---------------------------------------------------------------------------------------

class Authentication(AdminCase):
    """Who gets in: the Authorization header, API tokens, the brute-force throttle."""

    def test_bad_credentials_get_401(self):
        """Missing, malformed, non-Bearer, unknown, wrong-secret, truncated and revoked
        tokens all get 401 + WWW-Authenticate: Bearer + the exact body; only a known id
        costs an Argon2 run."""
        admin = self.tokens["admin"]
        revoked = self.new_token("admin", name="soon-revoked")
        self.assertEqual(self.api("GET", "/key", token=revoked)[0], 200)
        self.cli("token", "revoke", "soon-revoked")
        cases = [
            # (what, Authorization header or None, Argon2 verification expected)
            ("no header", None, False),
            ("malformed", "Bearer not-a-token", False),
            ("Basic scheme", "Basic " + base64.b64encode(b"admin:secret").decode(), False),
            ("Basic with the token", "Basic " + admin, False),
            ("no scheme", admin, False),
            ("empty Bearer", "Bearer ", False),
            ("truncated secret", "Bearer " + admin[:-1], False),
            ("upper-case id", "Bearer " + admin.split(".")[0].upper() + "." + random_secret(),
             False),
            ("unknown id", "Bearer %s.%s" % (secrets.token_hex(8), random_secret()), False),
            ("right id, wrong secret",
             "Bearer %s.%s" % (token_id(admin), random_secret()), True),
            ("revoked", "Bearer " + revoked, False),
        ]
        for i, (what, header, hashed) in enumerate(cases):
            with self.subTest(what):
                # each case from its own source: the per-source throttle stays out of it
                resp = self.api("GET", "/key", role=None, authorization=header,
                                source="127.0.0.%d" % (10 + i))
                self.assertApiError(resp, 401, UNAUTHENTICATED)
                self.assertEqual(resp[1].get("www-authenticate"), "Bearer")
                rec = self.log_record(resp[1]["x-request-id"])
                self.assertEqual(rec.get("argon2", False), hashed, rec)
                self.assertEqual(rec["peer"], "127.0.0.%d" % (10 + i))
        self.assertEqual(self.api("GET", "/key")[0], 200, "the real token still works")

    def test_token_commands(self):
        """`masa token create` prints one token per role that works at once; only an
        Argon2id hash (m >= 19 MiB, t >= 2, p = 1, 16-byte salt) is stored; `list`
        names them; `revoke` ends them; both are audited with source "cli"."""
        seq = self.audit_seq()
        made = {role: self.new_token(role, name="t-" + role) for role in ROLES}
        for role, tok in made.items():
            self.assertRegex(tok, TOKEN_RE)
            self.assertEqual(self.api("GET", "/devices", token=tok)[0], 200, role)
        listed = self.cli("token", "list").stdout
        for role, tok in made.items():
            self.assertRegex(listed, r"(?m)^t-%s\t%s\t%s\t" % (role, role, token_id(tok)))
        for tid, secret_hash in self.query("SELECT id, secret_hash FROM api_tokens"):
            m = re.fullmatch(r"\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$"
                             r"[A-Za-z0-9+/]+", secret_hash)
            self.assertTrue(m, secret_hash)
            self.assertGreaterEqual(int(m.group(1)), 19 * 1024)
            self.assertGreaterEqual(int(m.group(2)), 2)
            self.assertEqual(int(m.group(3)), 1)
            self.assertEqual(len(base64.b64decode(m.group(4) + "==")), 16)
        for tok in made.values():
            self.assertNotIn(tok.split(".")[1], repr(self.query("SELECT * FROM api_tokens")))
        self.cli("token", "revoke", "t-factory")
        self.assertNotIn("t-factory", self.cli("token", "list").stdout)
        self.assertApiError(self.api("GET", "/devices", token=made["factory"]), 401,
                            UNAUTHENTICATED)
        self.assertNotEqual(self.cli("token", "revoke", "t-factory", ok=False).returncode, 0)
        self.assertNotEqual(self.cli("token", "create", "--role", "admin", "--name", "t-admin",
                                     ok=False).returncode, 0, "a duplicate name")
        self.assertNotEqual(self.cli("token", "create", "--role", "root", "--name", "x",
                                     ok=False).returncode, 0, "an unknown role")
        events = [(e, src) for _s, e, _ser, src, _d in self.audit_rows(seq)]
        self.assertEqual(events, [("token.created", "cli")] * 3 + [("token.revoked", "cli")])

    # (what, Authorization for attempt i given the attacked token id, Argon2 per attempt)
    THROTTLE = [
        ("wrong secret", lambda tid, i: "Bearer %s.%s" % (tid, random_secret()), True),
        ("unknown ids", lambda tid, i: "Bearer %s.%s" % (secrets.token_hex(8), random_secret()),
         False),
        ("malformed", lambda tid, i: "Bearer guess-%d" % i, False),
        ("no header", lambda tid, i: None, False),
    ]

    def test_throttle_per_source(self):
        """5 failures from 127.0.0.1 get 401 (Argon2 only for a known id); the 6th gets
        429 with Retry-After near 900 s and no Argon2 run, and so does the right token
        from that source; the public listener and other sources are unaffected."""
        admin = self.tokens["admin"]
        for what, header, hashed in self.THROTTLE:
            with self.subTest(what):
                self.restart()      # the throttle lives in the server: start afresh
                for i in range(5):
                    resp = self.api("GET", "/devices", role=None,
                                    authorization=header(token_id(admin), i))
                    self.assertApiError(resp, 401, UNAUTHENTICATED)
                    self.assertEqual(resp[1].get("www-authenticate"), "Bearer")
                    rec = self.log_record(resp[1]["x-request-id"])
                    self.assertEqual(rec.get("argon2", False), hashed, (i, rec))
                t0 = time.monotonic()
                for attempt in (header(token_id(admin), 5), "Bearer " + admin):
                    resp = self.api("GET", "/devices", role=None, authorization=attempt)
                    self.assertApiError(resp, 429, THROTTLED)
                    self.assertNotIn("www-authenticate", resp[1])
                    self.assertTrue(890 <= int(resp[1]["retry-after"]) <= 900, resp[1])
                    rec = self.log_record(resp[1]["x-request-id"])
                    self.assertNotIn("argon2", rec, "a throttled attempt ran Argon2")
                    self.assertEqual(rec["status"], 429)
                self.assertLess(time.monotonic() - t0, 2.0)
                self.assertEqual(self.http(self.server.port, "GET", "/healthz")[:3:2],
                                 (200, b"ok\n"))
                self.assertEqual(self.http(self.server.admin_port, "GET", "/healthz")[0], 200)
                # another source: the factory token gets in; the attacked admin token id
                # is locked too when the failures named it
                self.assertEqual(self.api("GET", "/devices", role="factory",
                                          source="127.0.0.2")[0], 200)
                st = self.api("GET", "/devices", role="admin", source="127.0.0.3")[0]
                self.assertEqual(st, 429 if hashed else 200)

    def test_throttle_per_token_id(self):
        """5 wrong secrets for one token id from 5 different sources lock that id: the
        right secret from a 6th source gets 429 without an Argon2 run, while another
        token from that source still gets in."""
        admin = self.tokens["admin"]
        for i in range(5):
            resp = self.api("GET", "/key", authorization="Bearer %s.%s" % (
                token_id(admin), random_secret()), source="127.0.0.%d" % (20 + i))
            self.assertApiError(resp, 401, UNAUTHENTICATED)
            self.assertIs(self.log_record(resp[1]["x-request-id"]).get("argon2"), True)
        resp = self.api("GET", "/key", role="admin", source="127.0.0.30")
        self.assertApiError(resp, 429, THROTTLED)
        self.assertNotIn("argon2", self.log_record(resp[1]["x-request-id"]))
        self.assertEqual(self.api("GET", "/key", role="auditor", source="127.0.0.30")[0], 200)
        self.assertEqual(self.http(self.server.port, "GET", "/healthz")[0], 200)


# ---------------------------------------------------------------------------------------
# 2. Roles
# ---------------------------------------------------------------------------------------

class Roles(AdminCase):
    """Which role may use which route."""

    # (method, path, body, content type, roles allowed, status when allowed): cheap
    # requests that change nothing.
    ROUTES = [
        ("POST", "/devices", "{}", "application/json", ENROLL, 400),
        ("GET", "/devices?limit=1", None, None, ALL, 200),
        ("POST", "/devices/import", "", NDJSON, ENROLL, 200),
        ("GET", "/devices/NO-SUCH-SERIAL", None, None, ALL, 404),
        ("DELETE", "/devices/NO-SUCH-SERIAL", None, None, ADMIN, 404),
        ("POST", "/devices/NO-SUCH-SERIAL/release", None, None, ADMIN, 404),
        ("PUT", "/devices/NO-SUCH-SERIAL/owner", "{}", "application/json", ADMIN, 400),
        ("POST", "/owners", "{}", "application/json", ADMIN, 400),
        ("POST", "/registrars/blocked", "{}", "application/json", ADMIN, 400),
        ("DELETE", "/registrars/blocked/" + ZERO_SHA, None, None, ADMIN, 404),
        ("GET", "/audit?limit=1", None, None, AUDIT, 200),
        ("GET", "/key", None, None, ALL, 200),
    ]

    def test_roles_matrix(self):
        """Every route with every role: the route's own answer when the role is allowed,
        403 with the exact body when not; nothing is written either way."""
        before = (self.devices_table(), self.audit_seq())
        for method, path, body, ctype, allowed, status in self.ROUTES:
            for role in ROLES:
                with self.subTest(route="%s %s" % (method, path), role=role):
                    resp = self.api(method, path, body, role=role, ctype=ctype)
                    if role in allowed:
                        self.assertEqual(resp[0], status, resp[2])
                    else:
                        self.assertApiError(resp, 403, FORBIDDEN)
        self.assertEqual((self.devices_table(), self.audit_seq()), before)

    def test_unknown_paths_and_methods(self):
        """Paths outside the table are 404 and known paths with another method 405 with
        Allow, before any token is asked for; health checks need no token."""
        for method, path, status in [("GET", "/admin/v1/nothing", 404), ("GET", "/admin/", 404),
                                     ("PATCH", "/admin/v1/devices", 405),
                                     ("PUT", "/admin/v1/key", 405)]:
            with self.subTest("%s %s" % (method, path)):
                st, hdr, _ = self.http(self.server.admin_port, method, path)
                self.assertEqual(st, status)
                if status == 405:
                    self.assertTrue(hdr.get("allow"))
        for path in ("/healthz", "/readyz"):
            self.assertEqual(self.http(self.server.admin_port, "GET", path)[0], 200)


# ---------------------------------------------------------------------------------------
# 3. POST /admin/v1/devices
# ---------------------------------------------------------------------------------------

class Enroll(AdminCase):
    """Enrolling one device: created, unchanged, conflicting, refused."""

    def pki(self):
        if not hasattr(self, "_pki"):
            self._pki = vtest.gen_dev_pki(os.path.join(self.inst.tmp, "pki"))
        return self._pki

    def pki_text(self, name):
        with open(os.path.join(self.pki(), name)) as f:
            return f.read()

    def test_created_then_unchanged(self):
        """201 with the device's view, then 200 with an identical body for the same
        record; the fingerprint is the SHA-256 of the enrolled SPKI; one audit row."""
        key, serial = brski.new_key("es256"), new_serial()
        rec = {"serial-number": serial, "public-key": pem_public(key), "product": "widget"}
        seq = self.audit_seq()
        st1, hdr1, body1 = self.api("POST", "/devices", rec, role="factory")
        self.assertEqual(st1, 201, body1)
        self.assertEqual(hdr1.get("content-type"), "application/json")
        doc = json.loads(body1)
        self.assertEqual(set(doc), {"serial-number", "public-key-sha256", "idevid", "product",
                                    "owner", "pinned-registrar", "tokens-left",
                                    "vouchers-issued", "retired", "enrolled"})
        self.assertEqual(doc["serial-number"], serial)
        self.assertEqual(doc["public-key-sha256"], spki_sha256(key))
        self.assertEqual((doc["idevid"], doc["product"], doc["owner"], doc["pinned-registrar"],
                          doc["tokens-left"], doc["vouchers-issued"], doc["retired"]),
                         (False, "widget", None, None, 24, 0, False))
        brski.parse_rfc3339(doc["enrolled"])
        st2, _hdr2, body2 = self.api("POST", "/devices", rec, role="factory")
        self.assertEqual((st2, body2), (200, body1))
        self.assertEqual(self.device(serial), doc)
        self.assertEqual(self.audit_rows(seq), [(seq + 1, "device.enrolled", serial,
                                                 "token:" + token_id(self.tokens["factory"]),
                                                 "public-key")])

    def test_conflict(self):
        """The same serial with another key: 409, and the enrolled key stays."""
        pledge, doc = self.add()
        before = (self.devices_table(), self.audit_seq())
        for other in (brski.new_key("es256"), brski.new_key("eddsa")):
            resp = self.api("POST", "/devices", {"serial-number": pledge.serial,
                                                 "public-key": pem_public(other)},
                            role="factory")
            self.assertApiError(resp, 409, CONFLICT)
        self.assertEqual((self.devices_table(), self.audit_seq()), before)
        self.assertEqual(self.device(pledge.serial), doc)

    def test_supported_keys(self):
        """P-256, P-384 and Ed25519 public keys and P-256 and Ed25519 IDevIDs are
        enrolled (201) with the right fingerprint and idevid flag."""
        cases = [(kind, brski.new_key(kind), new_serial(), "public-key")
                 for kind in ("es256", "es384", "eddsa")]
        for name, serial in (("pledge-es256-SN0001.crt", "SN0001"),
                             ("pledge-eddsa-SN0003.crt", "SN0003")):
            cert = x509.load_pem_x509_certificate(self.pki_text(name).encode())
            cases.append((name, cert, serial, "idevid"))
        for what, key, serial, field in cases:
            with self.subTest(what):
                value = (key.public_bytes(serialization.Encoding.PEM).decode()
                         if field == "idevid" else pem_public(key))
                doc = self.api_json(201, "POST", "/devices",
                                    {"serial-number": serial, field: value}, role="factory")
                self.assertEqual(doc["public-key-sha256"], spki_sha256(key))
                self.assertEqual(doc["idevid"], field == "idevid")
                stored = self.query("SELECT pubkey, idevid FROM devices WHERE serial = ?",
                                    (serial,))[0]
                self.assertEqual(stored[0], brski.spki_der(key))
                if field == "idevid":
                    self.assertEqual(stored[1], key.public_bytes(serialization.Encoding.DER))

    def test_with_owner(self):
        """An existing owner named in the record is bound at enrollment."""
        self.api_json(201, "POST", "/owners", {"name": "acme"})
        _p, doc = self.add(owner="acme", product="gateway")
        self.assertEqual((doc["owner"], doc["product"]), ("acme", "gateway"))

    def test_refusals(self):
        """400 for malformed or invalid records (each named), and none of them changes
        the devices table or the audit trail."""
        p256 = pem_public(brski.new_key("es256"))
        rsa_pem = pem_public(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        p521 = pem_public(ec.generate_private_key(ec.SECP521R1()))
        sn1 = self.pki_text("pledge-es256-SN0001.crt")
        s = new_serial()
        cases = [
            ("malformed JSON", '{"serial-number": "X", ', BAD_JSON),
            ("not an object", '["serial-number"]', BAD_JSON),
            ("empty body", "", BAD_JSON),
            ("duplicate member", '{"serial-number": "%s", "serial-number": "Y", '
                                 '"public-key": %s}' % (s, json.dumps(p256)), BAD_JSON),
            ("unknown member", {"serial-number": s, "public-key": p256, "colour": "red"},
             BAD_JSON),
            ("non-string serial", {"serial-number": 7, "public-key": p256}, BAD_JSON),
            ("missing serial-number", {"public-key": p256}, RECORD),
            ("empty serial-number", {"serial-number": "", "public-key": p256}, RECORD),
            ("control character in serial", {"serial-number": "A\nB", "public-key": p256},
             RECORD),
            ("serial over 128 bytes", {"serial-number": "S" * 129, "public-key": p256}, RECORD),
            ("both public-key and idevid",
             {"serial-number": "SN0001", "public-key": p256, "idevid": sn1}, RECORD),
            ("neither public-key nor idevid", {"serial-number": s, "product": "p"}, RECORD),
            ("RSA key", {"serial-number": s, "public-key": rsa_pem}, RECORD),
            ("P-521 key", {"serial-number": s, "public-key": p521}, RECORD),
            ("garbage key", {"serial-number": s, "public-key": "-----BEGIN PUBLIC KEY-----\n"
                             "AAAA\n-----END PUBLIC KEY-----\n"}, RECORD),
            ("certificate as public-key", {"serial-number": "SN0001", "public-key": sn1},
             RECORD),
            ("public key as idevid", {"serial-number": s, "idevid": p256}, RECORD),
            ("IDevID serialNumber differs", {"serial-number": "SN0002", "idevid": sn1}, RECORD),
            ("unknown owner", {"serial-number": s, "public-key": p256, "owner": "nobody"},
             RECORD),
        ]
        before = (self.devices_table(), self.audit_seq())
        for what, body, message in cases:
            with self.subTest(what):
                resp = self.api("POST", "/devices", body, role="factory",
                                ctype="application/json")
                self.assertApiError(resp, 400, message)
                self.assertEqual((self.devices_table(), self.audit_seq()), before)
        st, _h, body = self.api("POST", "/devices", {"serial-number": "SN0002", "idevid": sn1},
                                role="factory")
        self.assertIn(b"SN0001", body, "the mismatch refusal names the certificate's serial")


# ---------------------------------------------------------------------------------------
# 4. Bulk import
# ---------------------------------------------------------------------------------------

class Import(AdminCase):
    """POST /admin/v1/devices/import and `masa device import`."""

    def records(self, n, prefix="IMP"):
        """n good public-key records (P-256, one Ed25519, one P-384) and their keys."""
        kinds = ["es256"] * n
        if n >= 3:
            kinds[1], kinds[2] = "eddsa", "es384"
        keys = [brski.new_key(k) for k in kinds]
        return [{"serial-number": new_serial(prefix), "public-key": pem_public(k),
                 "product": "p%d" % i} for i, k in enumerate(keys)], keys

    def mixed_ndjson(self):
        """An NDJSON body with bad lines in the middle: (body, good records, {bad line
        number: what})."""
        good, _keys = self.records(5)
        rsa_pem = pem_public(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        lines = [
            good[0],                                                    # 1
            "this is not JSON",                                         # 2
            good[1],                                                    # 3
            dict(good[2], colour="red"),                                # 4 unknown member
            "",                                                         # 5 blank: skipped
            {"serial-number": new_serial(), "public-key": rsa_pem},     # 6 RSA key
            good[2],                                                    # 7
            {"serial-number": good[0]["serial-number"],                 # 8 conflicting
             "public-key": pem_public(brski.new_key("es256"))},         #   duplicate
            "[1, 2]",                                                   # 9 not an object
            good[3],                                                    # 10
            {"serial-number": new_serial(), "public-key": "nope"},      # 11 bad key
            {"serial-number": 12, "public-key": good[4]["public-key"]},  # 12 wrong type
            good[4],                                                    # 13
        ]
        return ndjson(lines), good, [2, 4, 6, 8, 9, 11, 12]

    def import_(self, body, ctype=NDJSON, query="", status=200, role="factory"):
        return self.api_json(status, "POST", "/devices/import" + query, body, role=role,
                             ctype=ctype)

    def assertReport(self, rep, accepted, unchanged, rejected_lines, committed=True):
        self.assertEqual(set(rep), {"accepted", "unchanged", "rejected", "committed"})
        self.assertEqual((rep["accepted"], rep["unchanged"], rep["committed"]),
                         (accepted, unchanged, committed), rep)
        self.assertEqual([r["line"] for r in rep["rejected"]], rejected_lines, rep)
        for r in rep["rejected"]:
            self.assertEqual(set(r), {"line", "error"})
            self.assertTrue(isinstance(r["error"], str) and r["error"].strip(), r)

    def enrolled(self):
        return {s for (s,) in self.query("SELECT serial FROM devices")}

    def cli_import(self, inst_config, path, *flags):
        """`masa device import`: (exit status, parsed report)."""
        p = run("device", "import", "--config", inst_config, *flags, path)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.returncode, json.loads(p.stdout)

    def test_ndjson_bad_lines_in_the_middle(self):
        """The report names exactly the bad lines (numbered from 1, blank lines counted)
        with an error each; the good lines are enrolled with the token as source; the
        same import again changes nothing and reports them unchanged."""
        body, good, bad = self.mixed_ndjson()
        seq = self.audit_seq()
        rep = self.import_(body)
        self.assertReport(rep, 5, 0, bad)
        self.assertEqual(self.enrolled(), {g["serial-number"] for g in good})
        for g in good:
            doc = self.device(g["serial-number"])
            self.assertEqual(doc["public-key-sha256"], hashlib.sha256(
                brski.spki_der(serialization.load_pem_public_key(
                    g["public-key"].encode()))).hexdigest())
            self.assertEqual(doc["product"], g["product"])
        source = "token:" + token_id(self.tokens["factory"])
        self.assertEqual([(e, s, src) for _q, e, s, src, _d in self.audit_rows(seq)],
                         [("device.enrolled", g["serial-number"], source) for g in good])
        before = (self.devices_table(), self.audit_seq())
        again = self.import_(body)
        self.assertReport(again, 0, 5, bad)
        self.assertEqual(again["rejected"], rep["rejected"])
        self.assertEqual((self.devices_table(), self.audit_seq()), before)

    def test_crlf_and_no_final_newline(self):
        """CRLF line ends and a last line without a newline are one record a line."""
        good, _keys = self.records(3)
        body = b"\r\n".join(json.dumps(g).encode() for g in good[:2]) + b"\r\nnot json\r\n" + \
            json.dumps(good[2]).encode()
        self.assertReport(self.import_(body), 3, 0, [3])

    def test_atomic(self):
        """?atomic=true with one bad line writes nothing (committed false, accepted 0,
        devices table and audit trail unchanged); without bad lines it commits all."""
        good, _keys = self.records(4)
        body = ndjson(good[:2] + ["{broken"] + good[2:])
        before = (self.devices_table(), self.audit_seq())
        rep = self.import_(body, query="?atomic=true")
        self.assertReport(rep, 0, 0, [3], committed=False)
        self.assertEqual((self.devices_table(), self.audit_seq()), before)
        self.assertReport(self.import_(ndjson(good), query="?atomic=true"), 4, 0, [])
        self.assertEqual(self.enrolled(), {g["serial-number"] for g in good})
        self.assertReport(self.import_(ndjson(good), query="?atomic=false"), 0, 4, [])
        self.assertApiError(self.api("POST", "/devices/import?atomic=yes", ndjson(good),
                                     role="factory", ctype=NDJSON), 400, MALFORMED)

    def csv_case(self, nl):
        """A CSV body with multi-line quoted PEM fields and bad records: (body, good
        records, bad record start lines)."""
        good, _keys = self.records(4, prefix="CSV")
        header = ["serial-number", "public-key", "product"]
        row = lambda g: [g["serial-number"], g["public-key"], g["product"]]  # noqa: E731
        rows = [
            row(good[0]),
            [new_serial(), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
             "bad key"],
            row(good[1]),
            [new_serial(), good[2]["public-key"]],                  # too few fields
            row(good[2]),
            '%s,"unterminated"x,p' % new_serial(),                  # malformed quoting
            [good[0]["serial-number"], pem_public(brski.new_key("es256")), "conflict"],
            row(good[3]),
        ]
        body, starts = csv_body(header, rows, nl)
        return body, good, [starts[i] for i in (1, 3, 5, 6)]

    def test_csv(self):
        """CSV (LF and CRLF) with quoted multi-line PEM fields: the bad records are named
        by the line they start on; the good ones are enrolled; again: all unchanged."""
        for nl in ("\n", "\r\n"):
            with self.subTest(newline=repr(nl)):
                body, good, bad = self.csv_case(nl)
                self.assertGreater(bad[-1], 20, "multi-line records must move line numbers")
                self.assertReport(self.import_(body, ctype=CSV), 4, 0, bad)
                self.assertReport(self.import_(body, ctype="text/csv; charset=utf-8"), 0, 4, bad)
                for g in good:
                    self.assertEqual(self.device(g["serial-number"])["product"], g["product"])

    def test_csv_header_and_media_types(self):
        """A CSV header with an unknown or repeated column, or no header, is 400 and
        writes nothing; a JSON or missing Content-Type is 415."""
        good, _keys = self.records(1)
        row = '%s,"%s"\n' % (good[0]["serial-number"], good[0]["public-key"])
        before = (self.devices_table(), self.audit_seq())
        for what, header in [("unknown column", "serial-number,public-key,colour"),
                             ("repeated column", "serial-number,public-key,serial-number"),
                             ("misspelt column", "serial,public-key")]:
            with self.subTest(what):
                resp = self.api("POST", "/devices/import", header + "\n" + row,
                                role="factory", ctype=CSV)
                self.assertApiError(resp, 400, RECORD)
        self.assertApiError(self.api("POST", "/devices/import", "", role="factory", ctype=CSV),
                            400, RECORD)
        for ctype in ("application/json", "text/plain", None):
            with self.subTest(ctype=ctype):
                resp = self.api("POST", "/devices/import", ndjson(good), role="factory",
                                ctype=ctype)
                self.assertApiError(resp, 415, MEDIA_TYPE)
        self.assertEqual((self.devices_table(), self.audit_seq()), before)

    def test_cli_gives_the_same_report(self):
        """`masa device import` on a fresh instance gives the API's report for the same
        NDJSON and CSV files (exit 1 with rejections, 0 without), and the same
        re-run report; --atomic writes nothing."""
        other = Instance()
        try:
            body, _good, _bad = self.mixed_ndjson()
            csv, _cgood, _cbad = self.csv_case("\n")
            clean, _ck = self.records(3)
            for name, data, ctype in [("mixed.jsonl", body, NDJSON), ("mixed.csv", csv, CSV),
                                      ("clean.jsonl", ndjson(clean), NDJSON)]:
                with self.subTest(name):
                    path = self.write(data, suffix="-" + name)
                    first = self.import_(data, ctype=ctype)
                    code, rep = self.cli_import(other.config, path)
                    self.assertEqual(rep, first)
                    self.assertEqual(code, 1 if first["rejected"] else 0)
                    code, rep = self.cli_import(other.config, path)
                    self.assertEqual(rep, self.import_(data, ctype=ctype))
                    self.assertEqual(code, 1 if first["rejected"] else 0)
            fresh, _k = self.records(2)
            path = self.write(ndjson(fresh + ["nope"]), suffix=".jsonl")
            code, rep = self.cli_import(other.config, path, "--atomic")
            self.assertEqual((code, rep["accepted"], rep["committed"]), (1, 0, False))
            self.assertEqual(self.cli_import(self.inst.config, path, "--atomic")[1], rep)
            self.assertFalse({f["serial-number"] for f in fresh} & self.enrolled())
        finally:
            other.cleanup()


# ---------------------------------------------------------------------------------------
# 5. Device lifecycle
# ---------------------------------------------------------------------------------------

class Lifecycle(AdminCase):
    """Owner, voucher, release, retirement and listing of API-enrolled devices."""

    def test_enrolled_over_the_api_then_gets_a_voucher(self):
        """Devices enrolled over the API (P-256, P-384, Ed25519 keys and an IDevID) get a
        verified voucher on the public listener; then tokens-left is one less,
        vouchers-issued 1 and pinned-registrar the registrar's fingerprint."""
        pki = vtest.gen_dev_pki(os.path.join(self.inst.tmp, "pki"))
        with open(os.path.join(pki, "pledge-es256-SN0001.crt")) as f:
            idevid = f.read()
        pledges = [self.add(brski.new_key(kind))[0] for kind in ("es256", "es384", "eddsa")]
        self.api_json(201, "POST", "/devices", {"serial-number": "SN0001", "idevid": idevid},
                      role="factory")
        pledges.append(Pledge("SN0001", brski.load_pem_private(
            os.path.join(pki, "pledge-es256-SN0001.key"))))
        registrar = self.registrar()
        for p in pledges:
            with self.subTest(p.serial):
                before = self.device(p.serial)
                self.issue(p, registrar)
                after = self.device(p.serial)
                self.assertEqual(after["tokens-left"], before["tokens-left"] - 1)
                self.assertEqual((before["vouchers-issued"], after["vouchers-issued"]), (0, 1))
                self.assertIsNone(before["pinned-registrar"])
                self.assertEqual(after["pinned-registrar"], spki_sha256(registrar.key))

    def test_owner_release_retire(self):
        """PUT /owner binds an existing owner (400 for an unknown one, 404 for an unknown
        device); POST /release clears the pin so another registrar can get a voucher;
        DELETE retires (voucher requests then get 404); each is audited with the token."""
        pledge, _doc = self.add()
        reg_a, reg_b = self.registrar(), self.registrar()
        admin_src = "token:" + token_id(self.tokens["admin"])
        self.assertEqual(self.api_json(201, "POST", "/owners",
                                       {"name": "acme", "registrar-keys": [pem_public(reg_a.key)]}),
                         {"name": "acme", "registrar-keys-added": 1})
        self.assertEqual(self.api_json(200, "POST", "/owners", {"name": "acme"})["name"], "acme")
        seq = self.audit_seq()
        doc = self.api_json(200, "PUT", "/devices/%s/owner" % pledge.serial, {"owner": "acme"})
        self.assertEqual(doc["owner"], "acme")
        before = self.devices_table()
        self.assertApiError(self.api("PUT", "/devices/%s/owner" % pledge.serial,
                                     {"owner": "nobody"}), 400, RECORD)
        self.assertApiError(self.api("PUT", "/devices/NO-SUCH/owner", {"owner": "acme"}), 404,
                            NOT_FOUND)
        self.assertApiError(self.api("PUT", "/devices/%s/owner" % pledge.serial,
                                     {"owner": "acme", "x": 1}), 400, BAD_JSON)
        self.assertEqual(self.devices_table(), before)
        self.assertEqual(self.device(pledge.serial)["owner"], "acme")

        self.issue(pledge, reg_a)
        self.assertEqual(self.device(pledge.serial)["pinned-registrar"], spki_sha256(reg_a.key))
        rvr, _n = self.make_request(pledge, reg_b)
        self.assertError(self.post(rvr), "MASA_E_PINNED_ELSEWHERE")
        doc = self.api_json(200, "POST", "/devices/%s/release" % pledge.serial)
        self.assertIsNone(doc["pinned-registrar"])
        self.assertIsNone(self.device(pledge.serial)["pinned-registrar"])
        self.issue(pledge, reg_b)
        self.assertEqual(self.device(pledge.serial)["vouchers-issued"], 2)

        doc = self.api_json(200, "DELETE", "/devices/" + pledge.serial)
        self.assertIs(doc["retired"], True)
        self.assertIs(self.device(pledge.serial)["retired"], True)
        rvr, _n = self.make_request(pledge, reg_b)
        self.assertError(self.post(rvr), "MASA_E_UNKNOWN_DEVICE")
        for method, path in [("DELETE", "/devices/NO-SUCH"),
                             ("POST", "/devices/NO-SUCH/release"),
                             ("GET", "/devices/NO-SUCH")]:
            self.assertApiError(self.api(method, path), 404, NOT_FOUND)
        events = [(e, s, src) for _q, e, s, src, _d in self.audit_rows(seq)
                  if not e.startswith("voucher.")]
        self.assertEqual(events, [("owner.assigned", pledge.serial, admin_src),
                                  ("device.released", pledge.serial, admin_src),
                                  ("device.retired", pledge.serial, admin_src)])

    def test_list_paging(self):
        """GET /devices?limit=2 walks every device exactly once, in serial order, by
        following "next" until it is null (for 4 and 5 devices); bad limits are 400."""
        serials = []
        for n in (4, 5):
            with self.subTest(devices=n):
                while len(serials) < n:
                    serials.append(self.add()[0].serial)
                seen, after, pages = [], None, 0
                while True:
                    q = "/devices?limit=2" + ("&after=" + after if after else "")
                    page = self.api_json(200, "GET", q, role="auditor")
                    self.assertEqual(set(page), {"devices", "next"})
                    self.assertLessEqual(len(page["devices"]), 2)
                    seen += [d["serial-number"] for d in page["devices"]]
                    pages += 1
                    self.assertLess(pages, 10, "paging does not end")
                    if page["next"] is None:
                        break
                    self.assertEqual(page["next"], page["devices"][-1]["serial-number"])
                    after = page["next"]
                self.assertEqual(seen, sorted(serials))
        everything = self.api_json(200, "GET", "/devices", role="factory")
        self.assertEqual([d["serial-number"] for d in everything["devices"]], sorted(serials))
        self.assertIsNone(everything["next"])
        self.assertEqual(everything["devices"][0], self.device(sorted(serials)[0]))
        for bad in ("0", "1001", "-1", "x", ""):
            with self.subTest(limit=bad):
                self.assertApiError(self.api("GET", "/devices?limit=" + bad), 400, MALFORMED)

    def test_cli_shows_what_the_api_shows(self):
        """`masa device show` and `list` print the same device JSON as the API."""
        pledge, _doc = self.add(product="x")
        self.add()
        shown = json.loads(self.cli("device", "show", pledge.serial).stdout)
        self.assertEqual(shown, self.device(pledge.serial))
        listed = [json.loads(l) for l in self.cli("device", "list").stdout.splitlines()]
        self.assertEqual(listed, self.api_json(200, "GET", "/devices")["devices"])


# ---------------------------------------------------------------------------------------
# 6. Registrar block-list
# ---------------------------------------------------------------------------------------

class BlockList(AdminCase):
    """POST /admin/v1/registrars/blocked and DELETE .../{sha256}."""

    def test_block_and_unblock(self):
        """Blocking by PEM key or by SHA-256: 201, again 200; the registrar then gets
        403 on the voucher route; DELETE 200, again 404; then it gets a voucher."""
        forms = [("public-key", lambda r: {"public-key": pem_public(r.key), "reason": "abuse"}),
                 ("sha256", lambda r: {"sha256": spki_sha256(r.key)}),
                 ("SHA256 upper case", lambda r: {"sha256": spki_sha256(r.key).upper()})]
        admin_src = "token:" + token_id(self.tokens["admin"])
        for what, body in forms:
            with self.subTest(what):
                pledge, _d = self.add()
                reg = self.registrar()
                sha = spki_sha256(reg.key)
                seq = self.audit_seq()
                self.assertEqual(self.api_json(201, "POST", "/registrars/blocked", body(reg)),
                                 {"sha256": sha, "blocked": True})
                self.assertEqual(self.api_json(200, "POST", "/registrars/blocked", body(reg)),
                                 {"sha256": sha, "blocked": True})
                self.assertEqual(self.api_json(200, "POST", "/registrars/blocked",
                                               {"sha256": sha})["sha256"], sha)
                rvr, _n = self.make_request(pledge, reg)
                self.assertRefused("MASA_E_BLOCKED", lambda: self.post(rvr))
                self.assertEqual(self.api_json(200, "DELETE", "/registrars/blocked/" + sha),
                                 {"sha256": sha, "blocked": False})
                self.assertApiError(self.api("DELETE", "/registrars/blocked/" + sha), 404,
                                    NOT_FOUND)
                self.issue(pledge, reg)
                self.assertEqual(
                    [(e, bytes(r).hex() if r else None, src) for e, r, src in self.query(
                        "SELECT event, registrar_sha256, source FROM audit WHERE seq > ? AND "
                        "event LIKE 'registrar.%' ORDER BY seq", (seq,))],
                    [("registrar.blocked", sha, admin_src),
                     ("registrar.unblocked", sha, admin_src)])

    def test_refusals(self):
        """Factory and auditor tokens get 403; malformed bodies and paths are refused
        and block nothing."""
        reg = self.registrar()
        body = {"sha256": spki_sha256(reg.key)}
        for role in ("factory", "auditor"):
            with self.subTest(role=role):
                self.assertApiError(self.api("POST", "/registrars/blocked", body, role=role),
                                    403, FORBIDDEN)
                self.assertApiError(self.api("DELETE", "/registrars/blocked/" + body["sha256"],
                                             role=role), 403, FORBIDDEN)
        for what, bad, message in [
                ("both", {"sha256": body["sha256"], "public-key": pem_public(reg.key)},
                 BAD_JSON),
                ("neither", {"reason": "x"}, BAD_JSON),
                ("short hex", {"sha256": "ab" * 31}, BAD_JSON),
                ("non-hex", {"sha256": "zz" * 32}, BAD_JSON),
                ("unknown member", {"sha256": body["sha256"], "until": 1}, BAD_JSON),
                ("RSA key", {"public-key": pem_public(rsa.generate_private_key(
                    public_exponent=65537, key_size=2048))}, RECORD),
                ("garbage key", {"public-key": "nope"}, RECORD)]:
            with self.subTest(what):
                self.assertApiError(self.api("POST", "/registrars/blocked", bad), 400, message)
        self.assertApiError(self.api("DELETE", "/registrars/blocked/not-hex"), 404, NOT_FOUND)
        self.assertEqual(self.query("SELECT COUNT(*) FROM blocked_registrars")[0][0], 0)


# ---------------------------------------------------------------------------------------
# 7. Audit trail and key
# ---------------------------------------------------------------------------------------

class AuditAndKey(AdminCase):
    """GET /admin/v1/audit and GET /admin/v1/key."""

    def audit(self, query="", role="auditor"):
        st, hdr, body = self.api("GET", "/audit" + query, role=role)
        self.assertEqual(st, 200, body)
        self.assertEqual(hdr.get("content-type"), NDJSON)
        self.assertTrue(body == b"" or body.endswith(b"\n"))
        return [json.loads(l) for l in body.decode().splitlines()]

    def test_audit_trail(self):
        """JSON lines equal to the audit table; ?serial= filters, ?after= and ?limit=
        page through every row exactly once; admin actions carry "token:<id>" of the
        token used; the body equals `masa audit export --format jsonl`."""
        factory, admin = (token_id(self.tokens[r]) for r in ("factory", "admin"))
        p1, _ = self.add(role="factory")
        p2, _ = self.add(role="admin")
        self.api_json(201, "POST", "/owners", {"name": "acme"})
        self.api_json(200, "PUT", "/devices/%s/owner" % p1.serial, {"owner": "acme"})
        self.api_json(200, "DELETE", "/devices/" + p2.serial)
        self.issue(p1, self.registrar())
        rows = self.audit()
        table = self.query("SELECT seq, event, serial, source FROM audit ORDER BY seq")
        self.assertEqual([(r["seq"], r["event"], r["serial"], r["source"]) for r in rows],
                         [tuple(t) for t in table])
        self.assertEqual([r["seq"] for r in rows], list(range(1, len(rows) + 1)))
        for r in rows[1:]:
            self.assertEqual(r["prev_hash"], rows[r["seq"] - 2]["hash"])
        actions = [(r["event"], r["serial"], r["source"]) for r in rows
                   if r["source"] and r["source"].startswith("token:")]
        self.assertEqual(actions, [
            ("device.enrolled", p1.serial, "token:" + factory),
            ("device.enrolled", p2.serial, "token:" + admin),
            ("owner.added", None, "token:" + admin),
            ("owner.assigned", p1.serial, "token:" + admin),
            ("device.retired", p2.serial, "token:" + admin)])

        p1_rows = self.audit("?serial=" + p1.serial)
        self.assertEqual(p1_rows, [r for r in rows if r["serial"] == p1.serial])
        self.assertEqual([r["event"] for r in p1_rows],
                         ["device.enrolled", "owner.assigned", "voucher.issued"])
        self.assertEqual(self.audit("?serial=NO-SUCH"), [])
        self.assertEqual(self.audit("?after=%d" % rows[2]["seq"]), rows[3:])
        self.assertEqual(self.audit("?limit=2"), rows[:2])
        walked, after = [], 0
        while True:
            page = self.audit("?limit=2&after=%d" % after)
            self.assertLessEqual(len(page), 2)
            if not page:
                break
            walked += page
            after = page[-1]["seq"]
        self.assertEqual(walked, rows)
        self.assertEqual(self.audit("?since=2999-01-01T00:00:00Z"), [])
        self.assertEqual(self.audit("?since=2000-01-01T00:00:00Z", role="admin"), rows)
        for bad in ("?limit=0", "?limit=x", "?after=-1", "?after=x", "?since=yesterday"):
            with self.subTest(query=bad):
                self.assertApiError(self.api("GET", "/audit" + bad, role="auditor"), 400,
                                    MALFORMED)
        export = self.cli("audit", "export", "--format", "jsonl").stdout
        self.assertEqual([json.loads(l) for l in export.splitlines()], self.audit())

    def test_key(self):
        """GET /admin/v1/key (any role) is byte for byte `masa key show`."""
        shown = self.cli("key", "show").stdout.encode()
        for role in ROLES:
            with self.subTest(role=role):
                st, hdr, body = self.api("GET", "/key", role=role)
                self.assertEqual((st, body), (200, shown))
                self.assertTrue(hdr.get("content-type", "").startswith("application/"))
        serialization.load_pem_public_key(shown)


# ---------------------------------------------------------------------------------------
# 8. The public listener
# ---------------------------------------------------------------------------------------

class PublicListener(AdminCase):
    """The public listener never serves /admin/."""

    PATHS = [("GET", "/admin/v1/devices"), ("POST", "/admin/v1/devices"),
             ("POST", "/admin/v1/devices/import"), ("GET", "/admin/v1/devices/X"),
             ("DELETE", "/admin/v1/devices/X"), ("POST", "/admin/v1/devices/X/release"),
             ("PUT", "/admin/v1/devices/X/owner"), ("POST", "/admin/v1/owners"),
             ("POST", "/admin/v1/registrars/blocked"),
             ("DELETE", "/admin/v1/registrars/blocked/" + ZERO_SHA),
             ("GET", "/admin/v1/audit"), ("GET", "/admin/v1/key"), ("GET", "/admin/"),
             ("GET", "/admin"), ("GET", "/admin/v1/")]

    def test_admin_paths_are_404(self):
        """Every /admin/ path and method on the public listener is 404 "No such
        resource." even with a valid admin token, runs no Argon2 and changes nothing."""
        pledge, _d = self.add()
        body = json.dumps({"serial-number": pledge.serial,
                           "public-key": pem_public(brski.new_key("es256"))}).encode()
        before = (self.devices_table(), self.audit_seq())
        for method, path in self.PATHS:
            with self.subTest("%s %s" % (method, path)):
                resp = self.http(self.server.port, method, path,
                                 body if method in ("POST", "PUT") else None,
                                 {"Authorization": "Bearer " + self.tokens["admin"],
                                  "Content-Type": "application/json"})
                self.assertApiError(resp, 404, NO_ROUTE)
                rec = self.log_record(resp[1]["x-request-id"])
                self.assertEqual(rec["listener"], "public")
                self.assertNotIn("argon2", rec)
        self.assertEqual((self.devices_table(), self.audit_seq()), before)


if __name__ == "__main__":
    unittest.main()
