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
import collections
import hashlib
import http.client
import json
import os
import pty
import re
import secrets
import subprocess
import threading
import time
import unittest
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

import brski
import vtest
from masatest import MASA_BIN, TOKEN_RE, Instance, rss_kib, run, tls_context, wait_for
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
CONFLICT = "The serial-number is already enrolled with a different record"
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


def off_curve_pem(kind):
    """A canonical SPKI PEM of a P-256/P-384 key whose y coordinate is off by one, so
    the point is not on the curve."""
    der = bytearray(brski.spki_der(brski.new_key(kind)))
    der[-1] ^= 0x01
    b64 = base64.encodebytes(bytes(der)).decode().replace("\n", "")
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n" % "\n".join(lines)


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
    """One CSV field, quoted (RFC 4180) when it holds a comma, quote or line end."""
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

    def tearDown(self):
        """Every test also proves that `masa serve` survived it."""
        try:
            server = getattr(self, "server", None)
            if server is not None and server.proc.poll() is not None:
                time.sleep(0.2)     # let the stderr reader catch up
                report = "".join(l for l in server.stderr_lines if not l.startswith('{"rid"'))
                self.fail("masa serve died (exit %s) during the test:\n%s"
                          % (server.proc.returncode, report[-3000:]))
        finally:
            super().tearDown()

    # ---- tokens and requests -----------------------------------------------------------

    def new_token(self, role, name=None):
        """`masa token create`: checks the output is the token alone on one line."""
        p = self.cli("token", "create", "--role", role, "--name",
                     name or "%s-%d" % (role, next(_serials)))
        self.assertRegex(p.stdout, r"\A[0-9a-f]{16}\.[A-Za-z0-9_-]{43}\n\Z")
        return p.stdout.strip()

    def add_products(self, *names):
        """Product records for devices to name (an unknown product is refused)."""
        for name in names:
            self.api_json(201, "POST", "/products", {"name": name})

    def restart(self):
        """A new `masa serve` on the same instance (a fresh, empty throttle)."""
        self.assertEqual(self.server.stop(), 0)
        self.server = self.serve()

    def http(self, port, method, path, body=None, headers=None, source=None, timeout=60):
        """One verified HTTPS request, optionally from another loopback source address;
        returns (status, lower-case headers, body)."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", port, context=tls_context(self.inst), timeout=timeout,
            source_address=(source, 0) if source else None)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def api(self, method, path, body=None, role="admin", token=None, ctype=None,
            authorization=None, source=None, timeout=60):
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
        return self.http(self.server.admin_port, method, V1 + path, body, headers, source,
                         timeout)

    def api_json(self, status, method, path, body=None, **kw):
        """api() expecting `status` with a JSON answer; returns the parsed document."""
        st, hdr, data = self.api(method, path, body, **kw)
        self.assertEqual(st, status, data)
        self.assertEqual(hdr.get("content-type"), "application/json")
        self.assertCommonHeaders(hdr)
        return json.loads(data)

    def device(self, serial, role="auditor"):
        """GET /devices/<serial> (an auditor may read devices): the device document."""
        return self.api_json(200, "GET", "/devices/" + serial, role=role)

    def add(self, key=None, serial=None, role="factory", **extra):
        """Enrolls a public-key record (a new P-256 key unless given) with a factory
        token, expecting 201; returns (pledge, device document)."""
        key = key or brski.new_key("es256")
        serial = serial or new_serial()
        doc = self.api_json(201, "POST", "/devices",
                            {"serial-number": serial, "public-key": pem_public(key), **extra},
                            role=role)
        return Pledge(serial, key), doc

    def log_record(self, rid):
        """The request log line with this request id (waits for it briefly)."""
        deadline = time.time() + 5
        while time.time() < deadline:
            for rec in self.server.log_records():
                if rec.get("rid") == rid:
                    return rec
            time.sleep(0.02)
        self.fail("no request log line for rid %s" % rid)

    # ---- store (read-only) -------------------------------------------------------------

    def devices_table(self):
        """Every device as `masa device list` shows it (the CLI, on every backend)."""
        p = self.cli("device", "list", "--json")
        return [json.loads(l) for l in p.stdout.splitlines() if l]

    def audit_rows(self, after=0):
        """[(seq, event, serial, source, detail)] after seq `after` (`masa audit export`)."""
        return [(e["seq"], e["event"], e["serial"], e["source"], e["detail"])
                for e in self.audit_export() if e["seq"] > after]

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
        """Every kind of bad credential: 401 + Bearer challenge; Argon2 only for a known id."""
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
        """token create/list/revoke work; only an Argon2id hash (19 MiB, t>=2, p=1) is kept."""
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
        self.assertEqual([(e, d) for _s, e, _ser, _src, d in self.audit_rows(seq)],
                         [("token.created", "name=t-%s role=%s id=%s" % (r, r, token_id(t)))
                          for r, t in made.items()] +
                         [("token.revoked", "name=t-factory id=%s" % token_id(made["factory"]))])

    def test_token_changes_are_audited_as_cli(self):
        """token create and revoke are audited with source "cli" like other CLI changes."""
        seq = self.audit_seq()
        self.new_token("auditor", name="t-audit")
        self.cli("token", "revoke", "t-audit")
        self.cli("device", "add", "--serial", new_serial(), "--pubkey",
                 self.public_pem_file(brski.new_key("es256")))
        self.assertEqual([(e, src) for _s, e, _ser, src, _d in self.audit_rows(seq)],
                         [("token.created", "cli"), ("token.revoked", "cli"),
                          ("device.enrolled", "cli")])

    # (what, Authorization for attempt i given the attacked token id, Argon2 per attempt)
    THROTTLE = [
        ("wrong secret", lambda tid, i: "Bearer %s.%s" % (tid, random_secret()), True),
        ("unknown ids", lambda tid, i: "Bearer %s.%s" % (secrets.token_hex(8), random_secret()),
         False),
        ("malformed", lambda tid, i: "Bearer guess-%d" % i, False),
        ("no header", lambda tid, i: None, False),
    ]

    def test_throttle_per_source(self):
        """5 failures from one source: 401s; the 6th of the same kind is 429 (Retry-After
        ~900, no Argon2). Attempts naming no token lock those attempts from that source
        only: the valid admin token still gets in from it. Wrong secrets for the admin
        token lock that token at that source only: it still gets in from another."""
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
                resp = self.api("GET", "/devices", role=None,
                                authorization=header(token_id(admin), 5))
                self.assertApiError(resp, 429, THROTTLED)
                self.assertNotIn("www-authenticate", resp[1])
                self.assertTrue(890 <= int(resp[1]["retry-after"]) <= 900, resp[1])
                rec = self.log_record(resp[1]["x-request-id"])
                self.assertNotIn("argon2", rec, "a throttled attempt ran Argon2")
                self.assertEqual(rec["status"], 429)    # answered without hashing: the
                # log's argon2 flag, not a wall-clock bound, shows it
                resp = self.api("GET", "/devices", role="admin")
                if hashed:      # this token, at this source, is locked
                    self.assertApiError(resp, 429, THROTTLED)
                    self.assertNotIn("argon2", self.log_record(resp[1]["x-request-id"]))
                else:           # the source's failures named no token: it gets in
                    self.assertEqual(resp[0], 200)
                self.assertEqual(self.http(self.server.port, "GET", "/healthz")[:3:2],
                                 (200, b"ok\n"))
                self.assertEqual(self.http(self.server.admin_port, "GET", "/healthz")[0], 200)
                self.assertEqual(self.api("GET", "/devices", role="factory",
                                          source="127.0.0.2")[0], 200)
                self.assertEqual(self.api("GET", "/devices", role="admin",
                                          source="127.0.0.3")[0], 200)

    def test_failures_elsewhere_never_lock_a_token_out(self):
        """Security review F6: wrong secrets for the admin token, 5 from one source and 1
        from each of 5 others, lock it at that one source only: from a sixth source the
        valid token is verified (Argon2) and gets in."""
        admin = self.tokens["admin"]
        wrong = lambda: "Bearer %s.%s" % (token_id(admin), random_secret())  # noqa: E731
        for i in range(5):
            self.assertApiError(self.api("GET", "/key", authorization=wrong(),
                                         source="127.0.0.%d" % (20 + i)), 401, UNAUTHENTICATED)
            self.assertApiError(self.api("GET", "/key", authorization=wrong(),
                                         source="127.0.0.29"), 401, UNAUTHENTICATED)
        resp = self.api("GET", "/key", role="admin", source="127.0.0.30")
        self.assertEqual(resp[0], 200)
        self.assertIs(self.log_record(resp[1]["x-request-id"]).get("argon2"), True)
        resp = self.api("GET", "/key", role="admin", source="127.0.0.29")
        self.assertApiError(resp, 429, THROTTLED)
        self.assertNotIn("argon2", self.log_record(resp[1]["x-request-id"]))
        self.assertEqual(self.api("GET", "/key", role="auditor", source="127.0.0.29")[0], 200)
        self.assertEqual(self.http(self.server.port, "GET", "/healthz")[0], 200)

    def test_concurrent_guesses_are_bounded(self):
        """A burst of 16 concurrent wrong secrets for one token from one source: at most
        one hash per concurrent slot runs past the 5th failure; the rest are 429
        without Argon2."""
        admin, n = self.tokens["admin"], 16
        self.restart()
        start, results = threading.Barrier(n), [None] * n

        def guess(i):
            start.wait()
            results[i] = self.api("GET", "/key", source="127.0.1.1",
                                  authorization="Bearer %s.%s" % (token_id(admin),
                                                                  random_secret()))
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        statuses = sorted(r[0] for r in results)
        hashed = [self.log_record(r[1]["x-request-id"]).get("argon2", False) for r in results]
        self.assertEqual(set(statuses), {401, 429}, statuses)
        self.assertEqual(sum(hashed), statuses.count(401))
        self.assertTrue(5 <= statuses.count(401) <= 5 + 2 - 1, statuses)

    def test_lockout_survives_throttle_table_pressure(self):
        """A lockout survives 40 other sources failing meanwhile (each taking slots)."""
        admin = self.tokens["admin"]
        for what, token_lock in [("source 127.0.0.1", False), ("token at 127.0.0.60", True)]:
            with self.subTest(what):
                self.restart()
                for i in range(5):      # lock the target
                    if not token_lock:
                        resp = self.api("GET", "/key", authorization="Bearer guess-%d" % i)
                    else:
                        resp = self.api("GET", "/key", source="127.0.0.60",
                                        authorization="Bearer %s.%s" % (token_id(admin),
                                                                        random_secret()))
                    self.assertEqual(resp[0], 401)
                probe = (lambda: self.api("GET", "/key", source="127.0.0.60")) if token_lock \
                    else (lambda: self.api("GET", "/key", authorization="Bearer guess-x"))
                self.assertApiError(probe(), 429, THROTTLED)
                for i in range(40):
                    resp = self.api("GET", "/key", source="127.0.%d.%d" % (70, 1 + i),
                                    authorization="Bearer %s.%s" % (secrets.token_hex(8),
                                                                    random_secret()))
                    self.assertEqual(resp[0], 401)
                resp = probe()
                self.assertApiError(resp, 429, THROTTLED)
                self.assertNotIn("argon2", self.log_record(resp[1]["x-request-id"]))

    def test_argon2_flood_does_not_starve_vouchers(self):
        """A flood of Argon2-costing admin requests does not hold up vouchers."""
        pledge, _doc = self.add()
        registrar = self.registrar()
        stop, answered, errors = threading.Event(), [], []

        def flood(i):
            try:
                while not stop.is_set():
                    answered.append(self.api("GET", "/key", role=ROLES[i % 3],
                                             source="127.0.0.%d" % (40 + i))[0])
            except Exception as e:     # reported below
                errors.append(e)
        self.masa_key()         # `masa key show` is not part of the measured request
        threads = [threading.Thread(target=flood, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        try:
            # the flood is on: at least 4 Argon2-checked answers before the voucher
            wait_for(lambda: len(answered) >= 4 or errors, "the flood to start", 60)
            rvr, nonce = self.make_request(pledge, registrar)
            resp = self.post(rvr)
            flood_before = len(answered)
            self.assertVoucher(resp, pledge.serial, nonce, registrar)
            self.assertEqual(self.http(self.server.port, "GET", "/healthz")[0], 200)
            # the server's own time for the voucher request (first byte to answer), so
            # neither the client's Python work nor its TLS handshake is counted
            served_ms = self.log_record(resp[1]["x-request-id"])["ms"]
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        self.assertEqual(errors, [])
        self.assertTrue(answered and set(answered) == {200}, set(answered))
        self.assertGreater(len(answered), flood_before, "the flood went on after the voucher")
        self.assertLess(served_ms, 5000, "voucher traffic waited on the admin flood")


# ---------------------------------------------------------------------------------------
# 2. Roles
# ---------------------------------------------------------------------------------------

class Roles(AdminCase):
    """Which role may use which route (README, the factory and operator API; the roles of
    masa/api/routes_table.c). Every allowed (role, route) pair performs its action and
    its effect is checked (the answer, the store, the audit entry with source
    token:<id>); every denied pair is 403 with its sentence and changes nothing."""

    # (method, route as routes_table.c names it, roles allowed, case): the method
    # `case_<case>` prepares what one request needs (a device to retire, a pinned
    # device to release...) before the store is observed, and returns a Case.
    ROUTES = [
        ("GET", "/metrics", AUDIT, "metrics"),
        ("GET", "/status", AUDIT, "status"),
        ("POST", "/admin/v1/devices", ENROLL, "enroll"),
        ("GET", "/admin/v1/devices", ALL, "list"),
        ("POST", "/admin/v1/devices/import", ENROLL, "import"),
        ("GET", "/admin/v1/devices/*", ALL, "show"),
        ("DELETE", "/admin/v1/devices/*", ADMIN, "retire"),
        ("POST", "/admin/v1/devices/*/release", ADMIN, "release"),
        ("PUT", "/admin/v1/devices/*/owner", ADMIN, "assign"),
        ("POST", "/admin/v1/owners", ADMIN, "owner"),
        ("POST", "/admin/v1/products", ADMIN, "product_add"),
        ("GET", "/admin/v1/products", ALL, "product_list"),
        ("GET", "/admin/v1/products/*", ALL, "product_show"),
        ("PUT", "/admin/v1/products/*", ADMIN, "product_set"),
        ("POST", "/admin/v1/registrars/blocked", ADMIN, "block"),
        ("DELETE", "/admin/v1/registrars/blocked/*", ADMIN, "unblock"),
        ("GET", "/admin/v1/audit", AUDIT, "audit"),
        ("GET", "/admin/v1/key", ALL, "key"),
    ]

    # One request: its path (from the listener's root), JSON body (or bytes with
    # ctype), the status when allowed, the tables an allowed request changes, the
    # audit entries it writes as [(event, serial)], and check(answer body, new audit
    # entries) for the rest.
    Case = collections.namedtuple("Case", "path body ctype status tables events check",
                                  defaults=(None, None, 200, (), (), None))

    def test_routes_are_those_of_the_route_table(self):
        """The matrix names every admin route that needs a token, with its roles, as
        masa/api/routes_table.c declares them: a route added there without a row here
        fails."""
        with open(os.path.join(os.environ["MASA_SRC"], "masa/api/routes_table.c")) as f:
            src = f.read()
        table = src[src.index("admin_routes[]"):]
        table = table[:table.index("};")]
        sets = {"ALL": ALL, "ENROLL": ENROLL, "AUDIT": AUDIT, "ADMIN": ADMIN}
        declared = [(m, p, sets[r]) for m, p, r in re.findall(
            r'\{ "([A-Z]+)", "([^"]+)", \w+, (ALL|ENROLL|AUDIT|ADMIN) \}', table)]
        self.assertEqual(len(declared), len(re.findall(r"\{ \"", table)) - 2)  # + health, ready
        self.assertEqual(declared, [(m, p, roles) for m, p, roles, _c in self.ROUTES])

    def test_roles_matrix(self):
        """Every route x role: denied, 403 with the sentence, every table and the audit
        trail unchanged; allowed, the action done (on the target the denied roles could
        not touch, then on a fresh one for each further role) and its effect checked."""
        for method, route, allowed, case in self.ROUTES:
            name = "%s %s" % (method, route)
            c = getattr(self, "case_" + case)()
            before, seq = self.snapshot(), self.audit_seq()
            denied = [r for r in ROLES if r not in allowed]
            for role in denied:
                with self.subTest(route=name, role=role):
                    self.assertApiError(self.send(method, c, role), 403, FORBIDDEN)
            if denied:
                with self.subTest(route=name, roles=denied):
                    self.assertEqual((self.snapshot(), self.audit_seq()), (before, seq))
            for n, role in enumerate(r for r in ROLES if r in allowed):
                if n:
                    c = getattr(self, "case_" + case)()
                    before, seq = self.snapshot(), self.audit_seq()
                with self.subTest(route=name, role=role):
                    self.assertDone(c, self.send(method, c, role), role, before, seq)

    def send(self, method, c, role):
        """Case c's request with role's token."""
        body, ctype = c.body, c.ctype
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body).encode(), "application/json"
        headers = {"Authorization": "Bearer " + self.tokens[role]}
        if ctype:
            headers["Content-Type"] = ctype
        return self.http(self.server.admin_port, method, c.path, body, headers)

    def assertDone(self, c, resp, role, before, seq):
        """Case c's status, exactly its tables changed, its audit entries with source
        token:<role's id>, and its own check."""
        self.assertEqual(resp[0], c.status, resp[2])
        self.assertCommonHeaders(resp[1])
        after = self.snapshot()
        self.assertEqual({t for t in after if after[t] != before.get(t)}, set(c.tables))
        source = "token:" + token_id(self.tokens[role])
        self.assertEqual([r[1:4] for r in self.audit_rows(seq)],
                         [(ev, serial, source) for ev, serial in c.events])
        if c.check:
            c.check(resp[2], self.audit_entries(seq))

    # ---- the cases: one per route ------------------------------------------------------

    def cli_device(self, serial):
        return json.loads(self.cli("device", "show", "--json", serial).stdout)

    def enrolled(self):
        return self.add(role="admin")[0].serial

    def case_metrics(self):
        def check(body, _entries):
            text = body.decode()
            self.assertRegex(text, r'(?m)^masa_build_info\{version="[^"]+"\} 1$')
            self.assertRegex(text, r'(?m)^masa_ready 1$')
        return self.Case("/metrics", check=check)

    def case_status(self):
        def check(body, _entries):
            doc = json.loads(body)
            self.assertIn("history", doc)
            self.assertRegex(doc["now"], r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
        return self.Case("/status?format=json", check=check)

    def case_enroll(self):
        key, serial = brski.new_key("es256"), new_serial("ROLE")

        def check(body, _entries):
            self.assertEqual(json.loads(body)["serial-number"], serial)
            self.assertEqual(self.cli_device(serial)["public-key-sha256"], spki_sha256(key))
        return self.Case(V1 + "/devices", {"serial-number": serial,
                                           "public-key": pem_public(key)},
                         status=201, tables=("devices",),
                         events=[("device.enrolled", serial)], check=check)

    def case_list(self):
        self.enrolled()

        def check(body, _entries):
            doc = json.loads(body)
            self.assertEqual([d["serial-number"] for d in doc["devices"]],
                             [d["serial-number"] for d in self.devices_table()])
            self.assertIsNone(doc["next"])
        return self.Case(V1 + "/devices?limit=1000", check=check)

    def case_import(self):
        keys = {new_serial("IMP"): brski.new_key("es256") for _ in range(2)}

        def check(body, _entries):
            report = json.loads(body)
            self.assertEqual((report["accepted"], report["unchanged"], report["rejected"]),
                             (2, 0, []))
            for serial, key in keys.items():
                self.assertEqual(self.cli_device(serial)["public-key-sha256"], spki_sha256(key))
        return self.Case(V1 + "/devices/import",
                         ndjson({"serial-number": serial, "public-key": pem_public(key)}
                                for serial, key in keys.items()),
                         NDJSON, tables=("devices",),
                         events=[("device.enrolled", serial) for serial in keys], check=check)

    def case_show(self):
        serial = self.enrolled()
        return self.Case(V1 + "/devices/" + serial,
                         check=lambda body, _e: self.assertEqual(json.loads(body),
                                                             self.cli_device(serial)))

    def case_retire(self):
        serial = self.enrolled()
        return self.Case(V1 + "/devices/" + serial, tables=("devices",),
                         events=[("device.retired", serial)],
                         check=lambda body, _e: self.assertTrue(self.cli_device(serial)["retired"]))

    def case_release(self):
        pledge, _doc = self.add(role="admin")
        self.issue(pledge, self.registrar())
        self.assertIsNotNone(self.cli_device(pledge.serial)["pinned-registrar"])
        return self.Case(V1 + "/devices/%s/release" % pledge.serial, tables=("devices",),
                         events=[("device.released", pledge.serial)],
                         check=lambda body, _e: self.assertIsNone(
                             self.cli_device(pledge.serial)["pinned-registrar"]))

    def case_assign(self):
        serial, owner = self.enrolled(), new_serial("owner")
        self.api_json(201, "POST", "/owners", {"name": owner})
        return self.Case(V1 + "/devices/%s/owner" % serial, {"owner": owner},
                         tables=("devices",), events=[("owner.assigned", serial)],
                         check=lambda body, _e: self.assertEqual(self.cli_device(serial)["owner"],
                                                             owner))

    def case_owner(self):
        owner, reg = new_serial("owner"), self.registrar()

        def check(body, entries):
            self.assertEqual(self.store_rows("SELECT name FROM owners WHERE name = '%s'"
                                             % owner), [(owner,)])
            self.assertEqual(bytes(entries[1]["registrar_sha256"]).hex(), spki_sha256(reg.key))
        return self.Case(V1 + "/owners", {"name": owner, "registrar-keys": [pem_public(reg.key)]},
                         status=201, tables=("owners", "registrar_keys"),
                         events=[("owner.added", None), ("owner.key-added", None)], check=check)

    def product(self, name):
        return json.loads(self.cli("product", "show", "--json", name).stdout)

    def case_product_add(self):
        name = new_serial("prod")
        return self.Case(V1 + "/products", {"name": name, "nonceless": True}, status=201,
                         tables=("products",), events=[("product.added", None)],
                         check=lambda body, _e: self.assertEqual(
                             (self.product(name)["name"], self.product(name)["nonceless"]),
                             (name, True)))

    def case_product_list(self):
        self.add_products(new_serial("prod"))

        def check(body, _entries):
            names = [p["name"] for p in json.loads(body)["products"]]
            listed = [json.loads(l)["name"] for l in
                      self.cli("product", "list", "--json").stdout.splitlines()]
            self.assertEqual(names, listed)
            self.assertTrue(names)
        return self.Case(V1 + "/products", check=check)

    def case_product_show(self):
        name = new_serial("prod")
        self.add_products(name)
        return self.Case(V1 + "/products/" + name,
                         check=lambda body, _e: self.assertEqual(json.loads(body),
                                                                 self.product(name)))

    def case_product_set(self):
        name = new_serial("prod")
        self.add_products(name)
        return self.Case(V1 + "/products/" + name, {"nonceless": True}, tables=("products",),
                         events=[("product.changed", None)],
                         check=lambda body, _e: self.assertTrue(self.product(name)["nonceless"]))

    def blocked(self, sha, blocked):
        """check(): the answer names the key and its state, and so does the audit entry."""
        def check(body, entries):
            self.assertEqual(json.loads(body), {"sha256": sha, "blocked": blocked})
            self.assertEqual(bytes(entries[0]["registrar_sha256"]).hex(), sha)
        return check

    def case_block(self):
        sha = spki_sha256(self.registrar().key)
        return self.Case(V1 + "/registrars/blocked", {"sha256": sha, "reason": "roles"},
                         status=201, tables=("blocked_registrars",),
                         events=[("registrar.blocked", None)], check=self.blocked(sha, True))

    def case_unblock(self):
        sha = spki_sha256(self.registrar().key)
        self.api_json(201, "POST", "/registrars/blocked", {"sha256": sha})
        return self.Case(V1 + "/registrars/blocked/" + sha, tables=("blocked_registrars",),
                         events=[("registrar.unblocked", None)], check=self.blocked(sha, False))

    def case_audit(self):
        self.enrolled()

        def check(body, _entries):
            export = self.cli("audit", "export", "--format", "jsonl").stdout
            self.assertEqual(body.decode(), export)
            self.assertTrue(export)
        return self.Case(V1 + "/audit", check=check)

    def case_key(self):
        shown = self.cli("key", "show").stdout.encode()
        return self.Case(V1 + "/key", check=lambda body, _e: self.assertEqual(body, shown))

    def test_unknown_paths_and_methods(self):
        """Unknown admin paths 404, wrong methods 405 + Allow; health needs no token."""
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
        """A development PKI (keys/gen-dev-pki.sh) for this test, made on first use."""
        if not hasattr(self, "_pki"):
            self._pki = vtest.gen_dev_pki(os.path.join(self.inst.tmp, "pki"))
        return self._pki

    def pki_text(self, name):
        """The text of one file of the development PKI."""
        with open(os.path.join(self.pki(), name)) as f:
            return f.read()

    def test_created_then_unchanged(self):
        """201, then 200 with an identical body for the same record; right fingerprint."""
        key, serial = brski.new_key("es256"), new_serial()
        rec = {"serial-number": serial, "public-key": pem_public(key), "product": "widget"}
        self.add_products("widget")
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
        """The same serial with another key: 409, and the enrolled record is unchanged."""
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
        """P-256, P-384, Ed25519 keys and IDevIDs enroll with the right fingerprint."""
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
        self.add_products("gateway")
        _p, doc = self.add(owner="acme", product="gateway")
        self.assertEqual((doc["owner"], doc["product"]), ("acme", "gateway"))

    def test_serials_are_addressable(self):
        """Any serial the API accepts can be managed at its percent-encoded path; a
        serial with '/' (which no path could name) is refused with its own sentence."""
        self.api_json(201, "POST", "/owners", {"name": "acme"})
        before = (self.devices_table(), self.audit_seq())
        resp = self.api("POST", "/devices", {"serial-number": "SN/0001", "public-key":
                                             pem_public(brski.new_key("es256"))},
                        role="factory")
        self.assertApiError(resp, 400, RECORD)
        self.assertEqual(resp[2], RECORD.encode() + b": serial-number must not contain '/'.\n")
        self.assertEqual((self.devices_table(), self.audit_seq()), before)
        for serial in ["SN 0001", "SN-\u00fc-1", "SN?x=1", "SN%41", "SN#1"]:
            with self.subTest(serial=serial):
                resp = self.api("POST", "/devices", {"serial-number": serial, "public-key":
                                                     pem_public(brski.new_key("es256"))},
                                role="factory")
                self.assertEqual(resp[0], 201, resp[2])
                self.assertEqual(json.loads(resp[2])["serial-number"], serial)
                path = "/devices/" + urllib.parse.quote(serial, safe="")
                self.assertEqual(self.device(path[len("/devices/"):])["serial-number"], serial)
                for method, sub, body in [("PUT", "/owner", {"owner": "acme"}),
                                          ("POST", "/release", None), ("DELETE", "", None)]:
                    doc = self.api_json(200, method, path + sub, body)
                    self.assertEqual(doc["serial-number"], serial)
                self.assertEqual((doc["owner"], doc["retired"]), ("acme", True))

    def test_refusals(self):
        """Every malformed or invalid record is 400 and changes neither devices nor audit."""
        p256 = pem_public(brski.new_key("es256"))
        rsa_pem = pem_public(rsa.generate_private_key(public_exponent=65537, key_size=2048))
        p521 = pem_public(ec.generate_private_key(ec.SECP521R1()))
        sn1 = self.pki_text("pledge-es256-SN0001.crt")
        s = new_serial()
        off256, off384 = (off_curve_pem(kind) for kind in ("es256", "es384"))
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
            ("P-256 point off the curve", {"serial-number": s, "public-key": off256}, RECORD),
            ("P-384 point off the curve", {"serial-number": s, "public-key": off384}, RECORD),
            ("truncated key", {"serial-number": s, "public-key": p256[:60] + p256[-26:]},
             RECORD),
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
        _st, _h, body = self.api("POST", "/devices",
                                 {"serial-number": "SN0002", "idevid": sn1}, role="factory")
        self.assertIn(b"SN0001", body, "the mismatch refusal names the certificate's serial")


# ---------------------------------------------------------------------------------------
# 4. Bulk import
# ---------------------------------------------------------------------------------------

class Import(AdminCase):
    """POST /admin/v1/devices/import and `masa device import`."""

    def prepare(self):
        super().prepare()
        self.add_products("p", "p0", "p1", "p2", "p3", "conflict")

    def records(self, n, prefix="IMP"):
        """n good public-key records (P-256, one Ed25519, one P-384) and their keys."""
        kinds = ["es256"] * n
        if n >= 3:
            kinds[1], kinds[2] = "eddsa", "es384"
        keys = [brski.new_key(k) for k in kinds]
        return [{"serial-number": new_serial(prefix), "public-key": pem_public(k),
                 "product": "p%d" % (i % 4)} for i, k in enumerate(keys)], keys

    def mixed_ndjson(self):
        """An NDJSON body with bad lines in the middle: (body, good records, bad line
        numbers)."""
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

    def import_(self, body, ctype=NDJSON, query="", status=200, role="factory", timeout=60):
        return self.api_json(status, "POST", "/devices/import" + query, body, role=role,
                             ctype=ctype, timeout=timeout)

    def assertReport(self, rep, accepted, unchanged, rejected_lines, committed=True):
        self.assertEqual(set(rep), {"accepted", "unchanged", "rejected", "rejected-count",
                                    "committed"})
        self.assertEqual(rep["rejected-count"], len(rejected_lines), rep)
        self.assertEqual((rep["accepted"], rep["unchanged"], rep["committed"]),
                         (accepted, unchanged, committed), rep)
        self.assertEqual([r["line"] for r in rep["rejected"]], rejected_lines, rep)
        for r in rep["rejected"]:
            self.assertEqual(set(r), {"line", "error"})
            self.assertTrue(isinstance(r["error"], str) and r["error"].strip(), r)

    def enrolled(self):
        return {d["serial-number"] for d in self.devices_table()}

    def cli_import(self, inst_config, path, *flags):
        """`masa device import`: (exit status, parsed report)."""
        p = run("device", "import", "--config", inst_config, *flags, path)
        self.assertIn(p.returncode, (0, 1), p.stderr)
        return p.returncode, json.loads(p.stdout)

    def test_ndjson_bad_lines_in_the_middle(self):
        """NDJSON: the report names exactly the bad lines; a re-run changes nothing."""
        body, good, bad = self.mixed_ndjson()
        seq = self.audit_seq()
        rep = self.import_(body)
        self.assertReport(rep, 5, 0, bad)
        self.assertEqual(self.enrolled(), {g["serial-number"] for g in good})
        for g in good:
            doc = self.device(g["serial-number"])
            self.assertEqual(doc["public-key-sha256"], spki_sha256(
                serialization.load_pem_public_key(g["public-key"].encode())))
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
        """NDJSON with CRLF line ends and no final newline: one record a line."""
        good, _keys = self.records(3)
        body = b"\r\n".join(json.dumps(g).encode() for g in good[:2]) + b"\r\nnot json\r\n" + \
            json.dumps(good[2]).encode()
        self.assertReport(self.import_(body), 3, 0, [3])

    def test_vouchers_flow_during_a_large_import(self):
        """Vouchers are issued while a non-atomic 40,000-record import runs: at least
        three vouchers asked for and answered before the import's report (a lock held
        for the whole import would hold them until its end), and a reader sees the
        import's committed chunks before it ends (it commits every 1,000 records)."""
        pledges = [self.add()[0] for _ in range(3)]
        registrar = self.registrar()
        self.masa_key()         # `masa key show` before, not during, the import
        pems = [pem_public(ec.derive_private_key(secrets.randbelow(1 << 250) + 1,
                                                 ec.SECP256R1())) for _ in range(1000)]
        body = ndjson({"serial-number": new_serial("BULK"), "public-key": pems[i % 1000]}
                      for i in range(40000))
        reports = []
        base = self.device_count()

        def run_import():       # its answer, or what went wrong, for the main thread
            try:
                reports.append(self.import_(body, timeout=600))
            except BaseException as e:
                reports.append(e)
        importer = threading.Thread(target=run_import)
        importer.start()
        during, seen = 0, set()     # vouchers answered, device counts read, mid-import
        try:
            wait_for(lambda: self.device_count() > base
                     or not importer.is_alive(), "the import's first chunk", 120)
            while importer.is_alive() and during < 3:
                self.issue(pledges[during % 3], registrar)
                seen.add(self.device_count() - base)
                if importer.is_alive():     # asked for and answered within the import
                    during += 1
        finally:
            importer.join(600)  # the import's own bound: 40,000 records on a loaded machine
        self.assertFalse(importer.is_alive(), "the import did not end within 600 s")
        self.assertIsInstance(reports[0], dict, "the import failed: %r" % reports[0])
        self.assertEqual(reports[0]["accepted"], 40000)
        self.assertEqual(during, 3, "vouchers waited for the import to end")
        self.assertTrue(any(0 < n < 40000 for n in seen), "no partial import seen: %s" % seen)

    def test_atomic(self):
        """?atomic=true with a bad line (even past a 1000-record chunk) writes nothing."""
        for n, bad_at in [(4, 2), (2500, 2500)]:
            with self.subTest(records=n):
                good, _keys = self.records(n)
                body = ndjson(good[:bad_at] + ["{broken"] + good[bad_at:])
                before = (self.devices_table(), self.audit_seq())
                rep = self.import_(body, query="?atomic=true")
                self.assertReport(rep, 0, 0, [bad_at + 1], committed=False)
                self.assertEqual((self.devices_table(), self.audit_seq()), before)
                self.assertReport(self.import_(ndjson(good), query="?atomic=true"), n, 0, [])
                self.assertTrue({g["serial-number"] for g in good} <= self.enrolled())
                self.assertReport(self.import_(body, query="?atomic=false"), 0, n, [bad_at + 1])
        self.assertApiError(self.api("POST", "/devices/import?atomic=yes", ndjson(good),
                                     role="factory", ctype=NDJSON), 400, MALFORMED)

    def test_rejections_are_reported_within_a_cap(self):
        """Security review F5: 300,000 two-byte bad lines (with one good record) are
        answered 200 with the first 1,000 rejections by line and a count of all, the
        good record committed; the server's RSS grows by less than 64 MiB (bad lines
        cost ~600 bytes each, ~170 MiB here, when every one was kept)."""
        good, _keys = self.records(1)
        body = ndjson(["1"] * 300000 + good)
        before = rss_kib(self.server.proc.pid)
        rep = self.import_(body, query="?atomic=false")
        grown = rss_kib(self.server.proc.pid) - before
        self.assertEqual((rep["accepted"], rep["rejected-count"], rep["committed"]),
                         (1, 300000, True))
        self.assertEqual([r["line"] for r in rep["rejected"]], list(range(1, 1001)))
        self.assertLess(grown, 64 * 1024, "RSS grew by %d KiB" % grown)
        self.assertTrue(good[0]["serial-number"] in self.enrolled())

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
        """CSV with quoted multi-line PEM (LF, CRLF): bad records named by their start line."""
        for nl in ("\n", "\r\n"):
            with self.subTest(newline=repr(nl)):
                body, good, bad = self.csv_case(nl)
                self.assertGreater(bad[-1], 20, "multi-line records must move line numbers")
                self.assertReport(self.import_(body, ctype=CSV), 4, 0, bad)
                self.assertReport(self.import_(body, ctype="text/csv; charset=utf-8"), 0, 4, bad)
                for g in good:
                    self.assertEqual(self.device(g["serial-number"])["product"], g["product"])

    def test_text_must_be_utf8(self):
        """Serial and product must be UTF-8; a message quoting a long serial cuts it
        between characters, so the report stays valid JSON."""
        good, _keys = self.records(3, prefix="U8")
        wide = "x" + "\u00e9" * 40 + new_serial("-")     # the 64-byte cut falls inside an é
        rows = [[good[0]["serial-number"] + "@FF@", good[0]["public-key"], "p"],
                [good[1]["serial-number"], good[1]["public-key"], "p@C3@"],
                [wide, good[2]["public-key"], "p"]]
        body, starts = csv_body(["serial-number", "public-key", "product"], rows)
        body = body.replace(b"@FF@", b"\xff").replace(b"@C3@", b"\xc3")
        rep = self.import_(body, ctype=CSV)
        self.assertReport(rep, 1, 0, starts[:2])
        self.assertIn("UTF-8", rep["rejected"][0]["error"])
        self.assertIn("UTF-8", rep["rejected"][1]["error"])
        self.assertEqual(self.enrolled() & {good[0]["serial-number"], good[1]["serial-number"]},
                         set())
        again = ndjson([{"serial-number": wide, "public-key": pem_public(brski.new_key("es256"))}])
        rep = self.import_(again)
        self.assertReport(rep, 0, 0, [1])
        self.assertIn("serial x" + "\u00e9" * 31 + " is already enrolled", rep["rejected"][0]["error"])

    def test_csv_header_and_media_types(self):
        """A bad CSV header is 400, another Content-Type 415; nothing written."""
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

    def test_cli_progress_on_a_terminal(self):
        """masa device import shows progress on a terminal stderr only."""
        for tty in (True, False):
            with self.subTest(tty=tty):
                keys = [ec.derive_private_key(secrets.randbelow(1 << 250) + 1, ec.SECP256R1())
                        for _ in range(2500)]
                path = self.write(ndjson({"serial-number": new_serial("TTY"),
                                          "public-key": pem_public(k)} for k in keys),
                                  suffix=".jsonl")
                err_r, err_w = pty.openpty() if tty else os.pipe()
                p = subprocess.Popen([MASA_BIN, "device", "import", "--config",
                                      self.inst.config, path], stdout=subprocess.PIPE,
                                     stderr=err_w)
                os.close(err_w)
                out, _ = p.communicate(timeout=120)
                err = b""
                while True:
                    try:
                        chunk = os.read(err_r, 4096)
                    except OSError:     # EIO: the pty's other end is closed
                        break
                    if not chunk:
                        break
                    err += chunk
                os.close(err_r)
                self.assertEqual(p.returncode, 0, err)
                self.assertEqual(json.loads(out)["accepted"], 2500)
                if tty:
                    self.assertIn(b"1000", err)
                    self.assertIn(b"2000", err)
                else:
                    self.assertEqual(err, b"")

    def test_cli_gives_the_same_report(self):
        """masa device import gives the API's report; exit 1 iff a line was rejected."""
        other = Instance()
        try:
            for product in ("p", "p0", "p1", "p2", "p3", "conflict"):
                self.assertEqual(run("product", "add", "--config", other.config,
                                     product).returncode, 0)
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
        """API-enrolled devices get a voucher on the public listener; counters follow."""
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

    def test_owner_keys_added_by_the_api_are_honoured_in_owner_mode(self):
        """owner mode: a key added with POST /admin/v1/owners gets vouchers for the
        owner's device, another key is refused (403, audited). Bad registrar keys are
        400 and change nothing."""
        self.inst.edit_config(policy={"mode": "owner"})
        self.restart()
        pledge, _doc = self.add()
        own, other = self.registrar(), self.registrar()
        before = self.snapshot()
        for keys in (["not a PEM"], [pem_public(own.key)[:60]], "x", [7]):
            with self.subTest(keys=keys):
                st, _h, body = self.api("POST", "/owners", {"name": "acme",
                                                            "registrar-keys": keys})
                self.assertEqual(st, 400, body)
                self.assertEqual(self.snapshot(), before)
        self.api_json(201, "POST", "/owners", {"name": "acme",
                                                "registrar-keys": [pem_public(own.key)]})
        self.api_json(200, "PUT", "/devices/%s/owner" % pledge.serial, {"owner": "acme"})
        self.issue(pledge, own)
        rvr, nonce = self.make_request(pledge, other)
        self.assertRefused("MASA_E_NOT_OWNER", lambda: self.post(rvr),
                           row=dict(serial=pledge.serial, nonce=nonce, registrar=other))

    def test_owner_release_retire(self):
        """PUT /owner, POST /release and DELETE do what they say, and are audited."""
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
        """GET /devices?limit=2 following "next" walks every device exactly once."""
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

    def test_default_page_is_100(self):
        """No `limit`: exactly 100 devices by serial and `next` naming the 100th; the
        next page holds the rest. 101 and 102 devices (one import), so a default of 101
        or more, or a missing cursor, fails."""
        key = pem_public(brski.new_key("es256"))
        serials = ["PG-%03d" % i for i in range(102)]
        report = self.api_json(200, "POST", "/devices/import",
                               ndjson({"serial-number": s, "public-key": key}
                                      for s in serials), role="factory", ctype=NDJSON)
        self.assertEqual((report["accepted"], report["rejected-count"]), (102, 0))
        first = self.api_json(200, "GET", "/devices", role="auditor")
        self.assertEqual([d["serial-number"] for d in first["devices"]], serials[:100])
        self.assertEqual(first["next"], serials[99])
        rest = self.api_json(200, "GET", "/devices?after=" + first["next"], role="auditor")
        self.assertEqual(([d["serial-number"] for d in rest["devices"]], rest["next"]),
                         (serials[100:], None))
        # A full page names its last serial as `next` (the list does not look ahead):
        # the page after it is empty, with no `next`.
        whole = self.api_json(200, "GET", "/devices?limit=102", role="auditor")
        self.assertEqual(([d["serial-number"] for d in whole["devices"]], whole["next"]),
                         (serials, serials[-1]))
        self.assertEqual(self.api_json(200, "GET", "/devices?after=" + serials[-1]),
                         {"devices": [], "next": None})

    def test_cli_shows_what_the_api_shows(self):
        """masa device show and list --json print the same device JSON as the API."""
        self.add_products("x")
        pledge, _doc = self.add(product="x")
        self.add()
        shown = json.loads(self.cli("device", "show", "--json", pledge.serial).stdout)
        self.assertEqual(shown, self.device(pledge.serial))
        listed = [json.loads(l) for l in self.cli("device", "list", "--json").stdout.splitlines()]
        self.assertEqual(listed, self.api_json(200, "GET", "/devices")["devices"])


# ---------------------------------------------------------------------------------------
# 6. Registrar block-list
# ---------------------------------------------------------------------------------------

class BlockList(AdminCase):
    """POST /admin/v1/registrars/blocked and DELETE .../{sha256}."""

    def test_block_and_unblock(self):
        """Block by PEM or SHA-256: 201/200, voucher 403; unblock 200/404, voucher 200."""
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
        """Block-list: factory/auditor 403, bad bodies 400; nothing blocked, no crash."""
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
        """GET /audit: JSON lines = the table; serial/after/limit/since; token:<id> sources."""
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
        for bad in ("?limit=0", "?limit=10001", "?limit=x", "?after=-1", "?after=x", "?since=yesterday"):
            with self.subTest(query=bad):
                self.assertApiError(self.api("GET", "/audit" + bad, role="auditor"), 400,
                                    MALFORMED)
        export = self.cli("audit", "export", "--format", "jsonl").stdout
        self.assertEqual([json.loads(l) for l in export.splitlines()], self.audit())

    def test_key(self):
        """GET /admin/v1/key is byte for byte `masa key show`, for every role."""
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
        """The public listener answers 404 to every /admin/ path, even with a token."""
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
