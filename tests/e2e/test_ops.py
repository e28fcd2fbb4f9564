"""Operations (issue 7): GET /metrics checked with promtool and by exact counter
deltas, SIGHUP reloading the TLS files and log level without dropping
connections, sd_notify to a NOTIFY_SOCKET, and `masa db backup` while the
service issues vouchers. The real binary over verified HTTPS.

Only Debian's /usr/bin/python3 (cryptography, cbor2) and promtool from Debian's
prometheus package (deploy/install-deps.sh --test).
"""
import datetime
import http.client
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import sqlite3
import ssl
import subprocess
import threading
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

import brski
import masatest
from masatest import BACKEND, Instance, Server, pg_server, request, run, sqlite_only
from vtest import VoucherCase, new_nonce


def vtest_request(inst, port, rvr):
    """POSTs an RVR to the voucher route of inst at port: (status, headers, body)."""
    return request(inst, port, "POST", "/.well-known/brski/requestvoucher", rvr,
                   {"Content-Type": "application/voucher+cose"})

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
                       r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? '
                       r'(-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$')


def parse_metrics(text):
    """{series: value} from exposition text; raises on any line that is not a
    HELP, a TYPE or a well-formed sample of the family last typed."""
    out, family = {}, None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            family = line.split(" ")[2]
            continue
        if line.startswith("# TYPE "):
            assert line.split(" ")[2] == family, line
            continue
        m = SAMPLE_RE.match(line)
        assert m and family and m.group(1).startswith(family), "bad line %r" % line
        key = m.group(1) + (m.group(2) or "")
        assert key not in out, "duplicate series %r" % key
        out[key] = float(m.group(3))
    assert text.endswith("\n")
    return out


def new_tls_files(cn="localhost"):
    """A new P-256 key and self-signed server certificate for localhost and
    127.0.0.1 as (cert PEM, key PEM, cert DER)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (cert.public_bytes(serialization.Encoding.PEM), key_pem,
            cert.public_bytes(serialization.Encoding.DER))


def replace_file(path, data, mode):
    """Writes path through a temporary file and rename, with mode."""
    tmp = path + ".new"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def pem_file_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def peer_der(conn):
    return conn.sock.getpeercert(binary_form=True)


class OpsCase(VoucherCase):
    """Helpers: tokens, scraping, waiting for log lines."""

    def token(self, role):
        p = self.cli("token", "create", "--role", role, "--name", "t-%s-%d" % (role, time.time_ns()))
        return p.stdout.strip()

    def scrape(self, token=None, port=None):
        """GET /metrics on the admin listener: (status, headers, text)."""
        st, hdr, body = request(self.inst, port or self.server.admin_port, "GET", "/metrics",
                                headers={"Authorization": "Bearer " + (token or self.inst.token)})
        return st, hdr, body.decode()

    def metrics(self):
        st, hdr, text = self.scrape()
        self.assertEqual(st, 200, text)
        return parse_metrics(text)

    def wait_log(self, pred, what, timeout=10):
        """The first JSON log record satisfying pred, waiting up to timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for r in self.server.log_records():
                if pred(r):
                    return r
            time.sleep(0.05)
        self.fail("no log line %s; stderr: %s" % (what, "".join(self.server.stderr_lines)))

    def events(self, needle):
        return [r for r in self.server.log_records() if needle in r.get("msg", "")]


class Metrics(OpsCase):
    def prepare(self):
        self.inst.edit_config(policy={"bucket_capacity": 1})
        self.server = self.serve()

    def test_counters_move_by_the_right_amounts_and_promtool_accepts(self):
        pub = 'listener="public"'
        voucher_200 = ('masa_requests_total{%s,method="POST",route="/.well-known/brski/'
                       'requestvoucher",code="200"}' % pub)
        voucher_429 = voucher_200.replace('code="200"', 'code="429"')
        unmatched = 'masa_requests_total{%s,method="",route="none",code="404"}' % pub
        issued = 'masa_vouchers_issued_total{format="cose",answer="plain",assertion="proximity"}'
        mp = 'masa_vouchers_issued_total{format="cose",answer="multipart",assertion="proximity"}'
        limited = 'masa_rate_limited_total{reason="voucher_bucket"}'
        count = 'masa_request_duration_seconds_count{%s}' % pub
        inf = 'masa_request_duration_seconds_bucket{%s,le="+Inf"}' % pub
        want = {voucher_200: 1, voucher_429: 1, unmatched: 1, issued: 1, mp: 0, limited: 1,
                count: 3, inf: 3}

        before = self.metrics()
        pledge, reg = self.enroll(), self.registrar()
        self.issue(pledge, reg)                                   # 200, proximity
        rvr, _ = self.make_request(pledge, reg)
        self.assertEqual(self.post(rvr)[0], 429)                  # the bucket held one
        self.assertEqual(request(self.inst, self.server.port, "GET", "/nope")[0], 404)
        # A request's completion is counted just after its answer is sent: allow
        # a moment, then the deltas must be exact.
        deadline = time.time() + 5
        while True:
            after = self.metrics()
            got = {k: after.get(k, 0) - before.get(k, 0) for k in want}
            if got == want or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(got, want)

        st, hdr, text = self.scrape(self.token("auditor"))
        self.assertEqual(st, 200)
        self.assertEqual(hdr["content-type"], METRICS_TYPE)
        version = run("--version").stdout.split()[1]
        self.assertEqual(parse_metrics(text)['masa_build_info{version="%s"}' % version], 1)
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool missing: deploy/install-deps.sh --test "
                                       "installs Debian's prometheus package")
        p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        # promtool does reject flawed text (so the check above means something):
        # a counter without the _total suffix, an unquoted label value.
        for bad in (text.replace("masa_rate_limited_total", "masa_rate_limited"),
                    text + "masa_x{a=b} 1\n"):
            p = subprocess.run([promtool, "check", "metrics"], input=bad, capture_output=True,
                               text=True, timeout=30)
            self.assertNotEqual(p.returncode, 0)

    def test_who_may_read_metrics(self):
        """admin and auditor tokens read it; factory 403; none 401; public 404."""
        self.assertEqual(self.scrape(self.token("factory"))[0], 403)
        st, hdr, _ = request(self.inst, self.server.admin_port, "GET", "/metrics")
        self.assertEqual((st, hdr.get("www-authenticate")), (401, "Bearer"))
        self.assertEqual(self.scrape(self.inst.token, port=self.server.port)[0], 404)
        self.assertEqual(self.scrape(self.inst.token)[0], 200)


class MetricsWiring(OpsCase):
    """The counters the unit test_metrics.c checks as functions, moved end to end by
    the real server by exact deltas: replays, the assertion labels (verified, logged,
    proximity), the multipart answer, and the auth throttle's 429s. (A busy store's
    masa_store_errors_total{kind="busy"}: test_store_busy.py, +1 on each route.)"""

    FAMILIES = ("masa_vouchers_issued_total", "masa_vouchers_replayed_total",
                "masa_rate_limited_total")

    def issued(self, answer, assertion):
        return ('masa_vouchers_issued_total{format="cose",answer="%s",assertion="%s"}'
                % (answer, assertion))

    def assertDeltas(self, before, want):
        """Every series of FAMILIES moved by want's amount (0 for those not named),
        waiting (with a deadline) for the counts of answers still being sent."""
        deadline = time.monotonic() + 10
        while True:
            after = self.metrics()
            keys = {k for k in list(before) + list(after) if k.startswith(self.FAMILIES)}
            got = {k: after.get(k, 0) - before.get(k, 0) for k in keys}
            got = {k: v for k, v in got.items() if v}
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(got, want)
        self.assertTrue(set(want) <= set(after), "a series is missing from /metrics")

    def throttled(self, token, source):
        """Six requests with token from source: five 401 (counted as failures), then
        the throttle's 429."""
        got = [request(self.inst, self.server.admin_port, "GET", "/admin/v1/key",
                       headers={"Authorization": "Bearer " + token}, source=source)[0]
               for _ in range(6)]
        self.assertEqual(got, [401] * 5 + [429])

    def test_replay_logged_multipart_and_throttle(self):
        """open mode, PVR optional: a proximity voucher and its byte-identical retry,
        a nonced request without PVR (logged), a multipart answer; an unknown token id
        and a known id with wrong secrets, each throttled once."""
        self.inst.edit_config(policy={"mode": "open", "require_pvr": False})
        self.server = self.serve()
        auditor = self.token("auditor")
        before = self.metrics()
        reg = self.registrar()
        pledge = self.enroll()
        _leaves, rvr, body = self.issue(pledge, reg)
        st, _h, again = self.post(rvr)
        self.assertEqual((st, again), (200, body))          # the stored voucher, again
        logged = self.enroll()
        nonce = new_nonce()
        self.assertVoucher(self.post(reg.rvr(logged.serial, nonce, None)), logged.serial,
                           nonce, reg, assertion=1)
        mp = self.enroll()
        rvr, nonce = self.make_request(mp, reg)
        st, hdr, out = self.post(rvr, accept="multipart/related")
        self.assertEqual(st, 200, out)
        parts = brski.parse_multipart(hdr["content-type"], out)
        leaves = brski.parse_voucher(parts[0][1], self.masa_key())
        self.assertEqual((leaves["serial-number"], leaves["nonce"]), (mp.serial, nonce))
        self.throttled(secrets.token_hex(8) + "." + secrets.token_urlsafe(32), "127.0.0.9")
        self.throttled(auditor.split(".")[0] + "." + secrets.token_urlsafe(32), "127.0.0.10")
        self.assertDeltas(before, {
            self.issued("plain", "proximity"): 1, self.issued("plain", "logged"): 1,
            self.issued("multipart", "proximity"): 1,
            'masa_vouchers_replayed_total{format="cose"}': 1,
            'masa_rate_limited_total{reason="auth_throttle"}': 2})

    def test_verified_and_voucher_bucket(self):
        """owner mode, PVR optional: the owner's nonced request without PVR (verified),
        then its bucket of one empty (429, voucher_bucket)."""
        pledge, reg = self.enroll(), self.registrar()
        self.cli("owner", "add", "acme", "--registrar-key", self.public_pem_file(reg.key))
        self.cli("owner", "assign", "acme", pledge.serial)
        self.inst.edit_config(policy={"mode": "owner", "require_pvr": False,
                                      "bucket_capacity": 1})
        self.server = self.serve()
        before = self.metrics()
        nonce = new_nonce()
        self.assertVoucher(self.post(reg.rvr(pledge.serial, nonce, None)), pledge.serial,
                           nonce, reg, assertion=0)
        self.assertEqual(self.post(reg.rvr(pledge.serial, new_nonce(), None))[0], 429)
        self.assertDeltas(before, {
            self.issued("plain", "verified"): 1,
            'masa_rate_limited_total{reason="voucher_bucket"}': 1})


class Reload(OpsCase):
    def prepare(self):
        self.server = self.serve(admin=False)

    def hup_and_wait(self, needle):
        n = len(self.events(needle))
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_log(lambda r: needle in r.get("msg", "") and len(self.events(needle)) > n,
                      repr(needle))

    def connect(self, cafile):
        ctx = ssl.create_default_context(cafile=cafile)
        c = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=ctx, timeout=10)
        c.request("GET", "/healthz")
        r = c.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"ok\n"))
        return c

    def test_new_certificate_for_new_connections_old_connection_goes_on(self):
        old_der = pem_file_der(self.inst.path("tls.crt"))
        keep = self.connect(self.inst.path("tls.crt"))
        sock = keep.sock
        self.assertEqual(peer_der(keep), old_der)

        cert_pem, key_pem, new_der = new_tls_files()
        new_ca = os.path.join(self.inst.tmp, "new-ca.pem")
        with open(new_ca, "wb") as f:
            f.write(cert_pem)
        replace_file(self.inst.path("tls.key"), key_pem, 0o600)
        replace_file(self.inst.path("tls.crt"), cert_pem, 0o644)
        self.hup_and_wait("reload: TLS certificate")

        # The connection opened before the reload is the same one, still working.
        keep.request("GET", "/readyz")
        r = keep.getresponse()
        self.assertEqual((r.status, r.read()), (200, b"ready\n"))
        self.assertIs(keep.sock, sock)
        self.assertEqual(peer_der(keep), old_der)
        keep.close()
        # New connections get the new certificate, and the old one no longer.
        fresh = self.connect(new_ca)
        self.assertEqual(peer_der(fresh), new_der)
        fresh.close()
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.connect(old_ca_file(self, old_der))

    def test_broken_files_keep_the_current_certificate(self):
        old_der = pem_file_der(self.inst.path("tls.crt"))
        cert_pem, key_pem, _ = new_tls_files()
        cases = [
            ("garbage certificate", "tls.crt", b"-----BEGIN CERTIFICATE-----\nnope\n", 0o644),
            ("key readable by others", "tls.key", key_pem, 0o644),
            ("key of another certificate", "tls.key", key_pem, 0o600),
        ]
        original = {}
        for n in ("tls.crt", "tls.key"):
            with open(self.inst.path(n), "rb") as f:
                original[n] = f.read()
        for what, name, data, mode in cases:
            with self.subTest(what):
                replace_file(self.inst.path(name), data, mode)
                self.hup_and_wait("reload failed")
                c = self.connect(old_ca_file(self, old_der))
                self.assertEqual(peer_der(c), old_der)
                c.close()
                replace_file(self.inst.path(name), original[name], 0o600 if name == "tls.key"
                             else 0o644)
        self.assertEqual(self.server.proc.poll(), None)

    def test_log_level_and_keys_that_need_a_restart(self):
        self.inst.edit_config(limits={"connection_timeout_s": 3}, log={"level": "warn"})
        self.hup_and_wait("reload: TLS certificate")
        warn = self.wait_log(lambda r: "limits.connection_timeout_s" in r.get("msg", ""), "naming the key")
        self.assertEqual(warn["level"], "warn")
        self.inst.edit_config(log={"level": "error"})
        self.hup_and_wait("limits.connection_timeout_s")     # at level warn, before the level changes
        # Info and warn events are gone; request lines and errors stay.
        self.assertEqual(request(self.inst, self.server.port, "GET", "/healthz")[0], 200)
        with open(self.inst.config) as f:
            good = f.read()
        with open(self.inst.config, "w") as f:
            f.write("{not json")
        self.hup_and_wait("reload failed")
        with open(self.inst.config, "w") as f:
            f.write(good)
        seen = len(self.server.stderr_lines)
        self.assertEqual(self.server.stop(), 0)
        tail = self.server.log_records()[seen:]
        self.assertEqual([r for r in tail if r.get("level") in ("info", "warn")], [])
        recs = self.server.log_records()
        self.assertTrue(any(r.get("path") == "/healthz" and r.get("status") == 200 for r in recs))
        self.assertEqual(self.events("stopping"), [])


def old_ca_file(case, der):
    """A CA file holding the certificate der (PEM), in the test's temp dir."""
    path = os.path.join(case.inst.tmp, "old-ca-%d.pem" % time.time_ns())
    with open(path, "w") as f:
        f.write(ssl.DER_cert_to_PEM_cert(der))
    return path


class Notify(OpsCase):
    def prepare(self):
        pass

    def test_ready_reloading_stopping(self):
        with masatest.notify_socket(10) as (rx, path):
            self.server = self.serve(admin=False, env={"NOTIFY_SOCKET": path})
            msg = rx.recv(4096).decode()
            self.assertIn("READY=1", msg.split("\n"))
            self.assertIn("STATUS=listening on https://127.0.0.1:%d" % self.server.port, msg)
            # Ready means the listener answers.
            self.assertEqual(request(self.inst, self.server.port, "GET", "/healthz")[0], 200)
            self.server.proc.send_signal(signal.SIGHUP)
            self.assertEqual(rx.recv(4096).decode(), "RELOADING=1")
            self.assertEqual(rx.recv(4096).decode(), "READY=1")
            self.server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(rx.recv(4096).decode(), "STOPPING=1")
            self.assertEqual(self.server.proc.wait(15), 0)

    def test_no_notify_socket_is_fine(self):
        os.environ.pop("NOTIFY_SOCKET", None)
        self.server = self.serve(admin=False)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_log(lambda r: "reload: TLS" in r.get("msg", ""), "reload")
        self.assertEqual(self.server.stop(), 0)


class ProcessHygiene(OpsCase):
    """README Security: the process runs with umask 077 and core dumps off; metric labels
    never carry a serial, an address or a token."""

    def prepare(self):
        self.server = self.serve()

    def test_umask_and_core_dumps(self):
        with open("/proc/%d/status" % self.server.proc.pid) as f:
            umask = [l.split()[1] for l in f if l.startswith("Umask:")]
        self.assertEqual(umask, ["0077"])
        with open("/proc/%d/limits" % self.server.proc.pid) as f:
            core = [l.split() for l in f if l.startswith("Max core file size")]
        self.assertEqual(core[0][4:6], ["0", "0"], core)    # soft and hard limits

    def test_metric_labels_carry_no_serial_address_or_token(self):
        p, r = self.enroll(), self.registrar()
        self.issue(p, r)
        self.post(self.make_request(self.enroll(), r)[0], source="127.0.0.7")
        token = self.token("auditor")
        request(self.inst, self.server.admin_port, "GET", "/admin/v1/devices",
                headers={"Authorization": "Bearer " + token.split(".")[0] + ".wrong"})
        st, _h, text = self.scrape(token)
        self.assertEqual(st, 200)
        for secret in (p.serial, "127.0.0.1", "127.0.0.7", token.split(".")[0],
                       token.split(".")[1]):
            self.assertNotIn(secret, text)


def pem_body_lines(path):
    """The base64 lines of a PEM file (its key material), without the armour."""
    with open(path) as f:
        return [l for l in f.read().splitlines() if l and not l.startswith("-----")]


class Logs(OpsCase):
    """README: the request log and service events never carry a body, a token or a key.
    A server (with a PIN file configured) gets requests with right and wrong bearer
    tokens and bodies carrying distinctive markers; then everything it wrote (stdout,
    stderr; it writes no log file) is searched for each."""

    def prepare(self):
        self.pin = "PIN" + secrets.token_hex(12)
        pin_file = self.write(self.pin.encode(), ".pin")
        os.chmod(pin_file, 0o600)
        self.inst.edit_config(signing={"pin_file": pin_file})
        self.server = self.serve()

    def admin_call(self, method, path, token, body=None, ctype=None):
        h = {"Authorization": "Bearer " + token}
        if ctype:
            h["Content-Type"] = ctype
        return request(self.inst, self.server.admin_port, method, path, body, h)

    def test_no_body_token_or_key_in_the_logs(self):
        mark = "MK" + secrets.token_hex(7)      # 16 ASCII characters: a valid nonce
        admin, factory, auditor = self.inst.token, self.token("factory"), self.token("auditor")
        wrong = [admin.split(".")[0] + "." + secrets.token_urlsafe(32),
                 secrets.token_hex(8) + "." + secrets.token_urlsafe(32)]
        pledge, reg = self.enroll(), self.registrar(cn="CN" + mark)
        dev_key = brski.new_key("es256")
        dev_pem = dev_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        imp_pem = brski.new_key("es256").public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        sent = []   # (status wanted, (status, headers, body), path logged)

        def admin_req(want, method, path, token, body=None, ctype=None):
            sent.append((want, self.admin_call(method, path, token, body, ctype),
                         path.split("?")[0]))

        rvr, _ = self.make_request(pledge, reg, nonce=mark.encode())
        sent.append((200, self.post(rvr), "/.well-known/brski/requestvoucher"))
        sent.append((200, self.post(rvr), "/.well-known/brski/requestvoucher"))  # replay
        admin_req(201, "POST", "/admin/v1/devices", factory, json.dumps(
            {"serial-number": "SN-LOG-1", "public-key": dev_pem}).encode(), "application/json")
        admin_req(400, "POST", "/admin/v1/devices", admin, json.dumps(
            {"serial-number": "SN-LOG-2", "public-key": "BODY" + mark}).encode(),
            "application/json")
        admin_req(200, "POST", "/admin/v1/devices/import", admin,
                  (json.dumps({"serial-number": "SN-LOG-3", "public-key": imp_pem}) + "\n" +
                   json.dumps({"serial-number": "SN-LOG-4", "public-key": "IMP" + mark}) +
                   "\n").encode(), "application/x-ndjson")
        for token in wrong:
            admin_req(401, "GET", "/admin/v1/devices", token)
        admin_req(403, "DELETE", "/admin/v1/devices/SN-LOG-1", factory)
        admin_req(200, "GET", "/admin/v1/key", auditor)
        admin_req(200, "GET", "/metrics?token=" + admin, auditor)
        self.assertEqual([(w, r[0]) for w, r, _p in sent], [(w, w) for w, _r, _p in sent])
        # Every request has its line, with the path and status (so the logs searched
        # below are the ones that saw the requests).
        for want, (_st, hdr, _b), path in sent:
            rec = self.wait_log(lambda r: r.get("rid") == hdr["x-request-id"],
                                "for request %s" % hdr["x-request-id"])
            self.assertEqual((rec["path"], rec["status"]), (path, want))
        self.assertEqual(self.server.stop(), 0)
        written = self.server.first_line + "\n" + self.server.proc.stdout.read() + \
            "".join(self.server.stderr_lines)
        self.assertTrue(written.startswith("listening on "), written[:200])
        for n in range(len(sent)):
            self.assertIn(sent[n][1][1]["x-request-id"], written)
        secrets_ = {"marker": mark, "PIN": self.pin, "private key": "PRIVATE KEY"}
        for name, token in (("admin", admin), ("factory", factory), ("auditor", auditor),
                            ("wrong 1", wrong[0]), ("wrong 2", wrong[1])):
            secrets_["%s token" % name] = token
            secrets_["%s secret" % name] = token.split(".")[1]
        for name, pem in (("enrolled key", dev_pem), ("imported key", imp_pem)):
            secrets_[name] = "".join(l for l in pem.splitlines() if not l.startswith("-"))[24:64]
        for f in ("signing.key", "tls.key"):
            for n, line in enumerate(pem_body_lines(self.inst.path(f))):
                secrets_["%s line %d" % (f, n)] = line
            with open(self.inst.path(f), "rb") as fh:
                scalar = serialization.load_pem_private_key(fh.read(), None) \
                    .private_numbers().private_value
            secrets_["%s scalar" % f] = "%064x" % scalar
        for name, needle in secrets_.items():
            with self.subTest(name):
                self.assertGreaterEqual(len(needle), 11)
                self.assertNotIn(needle, written)


@sqlite_only("masa db backup copies the SQLite file (PostgreSQL: BackupPostgreSQL)")
class Backup(OpsCase):
    def prepare(self):
        # room for every voucher the issuing clients ask for while backups run
        self.inst.edit_config(policy={"bucket_capacity": 100000})
        self.server = self.serve(admin=False)

    def backup(self, out, *extra):
        return run("db", "backup", "--config", self.inst.config, *extra, out)

    def test_backup_while_issuing_then_restore(self):
        """`masa db backup` while three clients keep asking for vouchers: issuance goes
        on during the backup (at least one voucher is asked for and answered 200, and
        so committed, entirely between the backup's start and its exit; tried up to ten
        backups), every answer verifies, and the backup is a consistent snapshot: every
        voucher answered before it started, none asked for after it ended."""
        pledges = [self.enroll() for _ in range(4)]
        reg = self.registrar()
        masa_key = self.masa_key()          # before any timed window
        log, stop, errors = [], threading.Event(), []

        def issue_forever(k):
            i = k
            try:
                while not stop.is_set():
                    p = pledges[i % len(pledges)]
                    rvr, nonce = self.make_request(p, reg)
                    t0 = time.monotonic()
                    st, _h, body = self.post(rvr)
                    t1 = time.monotonic()
                    if st != 200:
                        errors.append((st, body))
                        return
                    leaves = brski.parse_voucher(body, masa_key)
                    if (leaves["nonce"], leaves["serial-number"]) != (nonce, p.serial):
                        errors.append(("wrong voucher", leaves))
                    log.append((t0, t1))
                    i += 1
            except BaseException as e:      # a failure, never just a printed traceback
                errors.append(repr(e))

        threads = [threading.Thread(target=issue_forever, args=(k,)) for k in range(3)]
        for t in threads:
            t.start()
        out = os.path.join(self.inst.tmp, "backup.db")
        try:
            while len(log) < 3 and not errors and all(t.is_alive() for t in threads):
                time.sleep(0.02)
            for attempt in range(10):
                b0 = time.monotonic()
                p = self.backup(out, *(["--force"] if attempt else []))
                b1 = time.monotonic()
                self.assertEqual(p.returncode, 0, p.stderr)
                if any(b0 < t0 and t1 < b1 for t0, t1 in list(log)):
                    break
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(errors, [])
        within = [(t0, t1) for t0, t1 in log if b0 < t0 and t1 < b1]
        self.assertTrue(within, "no voucher was issued during any of 10 backups")
        self.assertEqual(p.stdout, "backup written to %s (schema version %d, integrity ok)\n"
                         % (out, masatest.SCHEMA_LATEST))
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)
        self.assertEqual([f for f in os.listdir(self.inst.tmp) if "backup" in f], ["backup.db"])

        db = sqlite3.connect("file:%s?mode=ro" % out, uri=True)
        try:
            self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "delete")
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
            self.assertEqual(db.execute("SELECT COUNT(*) FROM devices").fetchone()[0], 4)
            vouchers = db.execute("SELECT COUNT(*) FROM vouchers").fetchone()[0]
            audit = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
        finally:
            db.close()
        # A snapshot: every voucher answered before the backup began, none asked for
        # after it ended.
        self.assertGreaterEqual(vouchers, sum(1 for _t0, t1 in log if t1 < b0))
        self.assertLessEqual(vouchers, sum(1 for t0, _t1 in log if t0 < b1))

        # Restore drill: a copy of the instance with the backup as its database.
        restored = os.path.join(self.inst.tmp, "restored")
        shutil.copytree(self.inst.dir, restored,
                        ignore=shutil.ignore_patterns("masa.db", "masa.db-*"))
        shutil.copy2(out, os.path.join(restored, "masa.db"))
        cfg = os.path.join(restored, "masa.json")
        p = run("check", "--config", cfg)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("audit", "verify", "--config", cfg)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("ok: %d entries, head " % audit), p.stdout)
        p = run("device", "show", "--config", cfg, pledges[0].serial)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(pledges[0].serial, p.stdout)
        # ... and the restored instance serves: a new voucher for a device of the backup
        restored_inst = Instance.existing(restored, self.inst.tmp)
        srv = Server(restored_inst, admin=False)
        self.servers.append(srv)
        rvr, nonce = self.make_request(pledges[1], reg)
        st, _h, body = vtest_request(restored_inst, srv.port, rvr)
        self.assertEqual(st, 200, body)
        leaves = brski.parse_voucher(body, masa_key)
        self.assertEqual((leaves["nonce"], leaves["serial-number"]), (nonce, pledges[1].serial))
        self.assertEqual(srv.stop(), 0)

    def test_backup_applies_no_migrations(self):
        """A store at schema 1: the backup is a copy at schema 1 (no migration run on it
        or on the source), integrity ok."""
        self.assertEqual(self.server.stop(), 0)
        db = sqlite3.connect(self.inst.path("masa.db"))
        with db:
            db.execute("DROP INDEX vouchers_lookup")
            db.execute("CREATE INDEX vouchers_by_device ON vouchers (device_id, id)")
            db.execute("PRAGMA user_version=1")
        db.close()
        out = os.path.join(self.inst.tmp, "backup.db")
        p = self.backup(out)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("schema version 1", p.stdout)
        for path in (out, self.inst.path("masa.db")):
            db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
            try:
                self.assertEqual(db.execute("PRAGMA user_version").fetchone(), (1,), path)
                self.assertEqual(db.execute("SELECT name FROM sqlite_master WHERE type = "
                                            "'index' AND tbl_name = 'vouchers'").fetchall(),
                                 [("vouchers_by_device",)], path)
            finally:
                db.close()

    def test_existing_file_is_kept_unless_forced(self):
        out = os.path.join(self.inst.tmp, "backup.db")
        with open(out, "wb") as f:
            f.write(b"precious")
        p = self.backup(out)
        self.assertEqual(p.returncode, 1)
        self.assertOneSentence(p.stderr)
        self.assertIn("already exists", p.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"precious")
        p = self.backup(out, "--force")
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, "rb") as f:
            self.assertEqual(f.read(16), b"SQLite format 3\0")
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o600)

    def test_failures_are_one_sentence_and_leave_nothing(self):
        missing_dir = os.path.join(self.inst.tmp, "no-such-dir", "backup.db")
        p = self.backup(missing_dir)
        self.assertEqual(p.returncode, 1)
        self.assertOneSentence(p.stderr)
        self.assertFalse(os.path.exists(os.path.dirname(missing_dir)))
        p = run("db", "backup", "--config", self.inst.config)
        self.assertEqual(p.returncode, 2)
        p = run("db", "restore", "--config", self.inst.config, "x.db")
        self.assertEqual(p.returncode, 2)


@unittest.skipIf(BACKEND != "postgresql", "PostgreSQL only (SQLite: Backup)")
class BackupPostgreSQL(OpsCase):
    """On PostgreSQL, `masa db backup` names pg_dump; the pg_dump it names, restored
    into a new database, is a working store; `masa check` describes the server."""

    def test_backup_names_pg_dump_and_a_restore_works(self):
        pledges = [self.enroll() for _ in range(3)]
        reg = self.registrar()
        self.start()
        for p in pledges:
            self.issue(p, reg)
        out = os.path.join(self.inst.tmp, "backup.db")
        p = run("db", "backup", "--config", self.inst.config, out)
        self.assertEqual(p.returncode, 1)
        self.assertOneSentence(p.stderr)
        self.assertIn("pg_dump", p.stderr)
        self.assertFalse(os.path.exists(out))
        # The documented procedure: pg_dump --format=custom while masa serves,
        # pg_restore into a new database, point a config at it.
        srv = pg_server()
        dump = os.path.join(srv.tmp, "masa.dump")
        srv._run(os.path.join(pgserver_bin(), "pg_dump"), "--format=custom", "--file", dump,
                 self.inst.database)
        target = srv.new_database()
        srv._run(os.path.join(pgserver_bin(), "pg_restore"), "--dbname", target, dump)
        self.inst.edit_config(database={"url": target})
        check = run("check", "--config", self.inst.config)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertRegex(check.stdout, (r"ok: database postgresql://\S+ \(PostgreSQL 15\.\d+.*"
                                        r"sslmode=\w+\), fsync=on, synchronous_commit=on,"
                                        r" schema version %d of %d\)")
                         % ((masatest.SCHEMA_LATEST,) * 2))
        verify = run("audit", "verify", "--config", self.inst.config)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        for p in pledges:
            shown = json.loads(run("device", "show", "--json", "--config", self.inst.config,
                                   p.serial).stdout)
            self.assertEqual(shown["vouchers-issued"], 1)


def pgserver_bin():
    import pgserver
    return pgserver.PG_BIN
