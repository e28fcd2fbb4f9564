"""masa behind the shipped nginx site (deploy/nginx/): a real nginx, run as
the test user from a temporary prefix on a free 127.0.0.1 port, in front of
the real masa serving plain HTTP on loopback (or a Unix socket).

Checks: a voucher through the proxy for a registrar known only by the TLS
client certificate it showed nginx; forged certificate and address headers
sent to nginx never reach masa, on every location; forged headers sent
straight to masa from an address not in proxy.trusted are refused with 400,
the exact sentence and an audit entry, and change nothing else. Clients
connect from 127.0.0.2 so that the forwarded address differs from nginx's.
If nginx is not installed the test fails: it is part of the suite.
"""
import http.client
import json
import os
import re
import socket
import sqlite3
import ssl
import subprocess
import time
import unittest
import urllib.parse

import brski
import masatest
from cryptography.hazmat.primitives import serialization
from masatest import MASA_BIN, MASA_SRC, InstanceTest, run, tls_context

NGINX = os.environ.get("NGINX_BIN", "/usr/sbin/nginx")
SITE = os.path.join(MASA_SRC, "deploy", "nginx", "masa.conf")
HEADERS = os.path.join(MASA_SRC, "deploy", "nginx", "masa-proxy-headers.conf")
VOUCHER = "/.well-known/brski/requestvoucher"
AUDITLOG = "/.well-known/brski/requestauditlog"
CLIENT = "127.0.0.2"   # the registrar's address, as nginx and masa should see it
REFUSED = b"Forwarded client address or certificate headers are accepted only from a trusted proxy.\n"
MALFORMED = b"The forwarded client address or certificate is malformed or ambiguous.\n"
NO_KEY = b"No registrar key that verifies the request was found.\n"


def free_port():
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def escaped_pem(der):
    """A certificate as nginx's $ssl_client_escaped_cert writes it."""
    return urllib.parse.quote(ssl.DER_cert_to_PEM_cert(der), safe="")


class Nginx:
    """The shipped site with only its addresses and file paths replaced."""

    def __init__(self, tmp, upstream, cert, key):
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(os.path.join(self.dir, "logs"))
        self.port = free_port()
        with open(SITE) as f:
            site = f.read()
        for old, new in [
            ("server unix:/run/masa/http.sock;", "server %s;" % upstream),
            ("listen 443 ssl;", "listen 127.0.0.1:%d ssl;" % self.port),
            ("listen [::]:443 ssl;", ""),
            ("/etc/masa/tls.crt", cert),
            ("/etc/masa/tls.key", key),
            ("/etc/nginx/snippets/masa-proxy-headers.conf", HEADERS),
        ]:
            assert old in site, "deploy/nginx/masa.conf no longer has %r" % old
            site = site.replace(old, new)
        with open(os.path.join(self.dir, "site.conf"), "w") as f:
            f.write(site)
        d = self.dir
        user = "user root;" if os.geteuid() == 0 else ""   # else workers would be nobody
        main = """
daemon off;
{user}
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/logs/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/logs/access.log;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/site.conf;
}}
""".format(user=user, d=d)
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write(main)
        self.proc = subprocess.Popen([NGINX, "-p", d + "/", "-c", d + "/nginx.conf", "-e", "stderr"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited: " + self.proc.stderr.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("nginx did not listen on port %d" % self.port)
                time.sleep(0.05)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


class NginxCases:
    """Set-up, helpers and the checks through nginx, shared by the TCP and
    the Unix-socket deployments (a mixin: not collected by itself)."""

    listen = "http://127.0.0.1:0"
    trusted = ["127.0.0.1"]

    def setUp(self):
        super().setUp()
        try:
            self.start()
        except BaseException:
            self.tearDown()   # unittest skips it when setUp fails: stop what started
            raise

    def start(self):
        self.assertTrue(os.access(NGINX, os.X_OK),
                        "%s is missing: deploy/install-deps.sh --test installs nginx" % NGINX)
        self.pledge = brski.new_key("es256")
        brski.write_pem_public(self.pledge.public_key(), self.inst.path("pledge.pub"))
        for serial in ("SN1", "SN2"):
            subprocess.run([MASA_BIN, "device", "add", "--config", self.inst.config, "--serial",
                            serial, "--pubkey", self.inst.path("pledge.pub")], check=True,
                           capture_output=True)
        self.reg = brski.new_key("es256")
        self.reg_der = brski.self_signed_cert(self.reg, "registrar")
        brski.write_pem_private(self.reg, self.inst.path("reg.key"))
        with open(self.inst.path("reg.crt"), "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(self.reg_der))
        self.inst.edit_config(proxy={"trusted": self.trusted})
        self.server = self.serve(admin=False, listen=self.listen_arg())
        upstream = (self.listen_arg() if self.server.port is None
                    else "127.0.0.1:%d" % self.server.port)
        self.nginx = Nginx(self.inst.tmp, upstream, self.inst.path("tls.crt"),
                           self.inst.path("tls.key"))
        self.addCleanup(self.nginx.stop)
        out = subprocess.run([MASA_BIN, "key", "show", "--config", self.inst.config],
                             capture_output=True, check=True).stdout
        self.masa_key = serialization.load_pem_public_key(out)

    def listen_arg(self):
        return self.listen

    # --- helpers -----------------------------------------------------------

    def via_nginx(self, method, path, body=None, headers=None, client_cert=False,
                  source=CLIENT):
        """One HTTPS request to nginx from source: (status, headers, body)."""
        ctx = tls_context(self.inst)
        if client_cert:
            ctx.load_cert_chain(self.inst.path("reg.crt"), self.inst.path("reg.key"))
        conn = http.client.HTTPSConnection("127.0.0.1", self.nginx.port, context=ctx, timeout=10,
                                           source_address=(source, 0))
        return self._exchange(conn, method, path, body, headers)

    def direct(self, method, path, body=None, headers=None, source=CLIENT):
        """One plain HTTP request straight to masa, from source."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10,
                                          source_address=(source, 0))
        return self._exchange(conn, method, path, body, headers)

    @staticmethod
    def _exchange(conn, method, path, body, headers):
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in headers or []:   # a list: names may repeat
                conn.putheader(name, value)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def rvr_known_only_by_tls(self, serial="SN1", key=None):
        """An RVR with no x5bag whose PVR names the registrar by hash only:
        masa can verify it only with the registrar's TLS certificate."""
        key = key or self.reg
        nonce = os.urandom(8)
        spki = brski.spki_der(key.public_key())
        pvr = brski.make_pvr(self.pledge, serial, nonce, ("sha256", brski.sha256(spki)))
        return brski.make_rvr(key, serial, nonce, pvr), nonce, spki

    def peer_logged(self, rid):
        """The peer masa's request log line with this request id names."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            for rec in self.server.log_records():
                if rec.get("rid") == rid:
                    return rec["peer"]
            time.sleep(0.02)
        self.fail("no masa log line for request %s" % rid)

    def audit(self):
        r = run("audit", "export", "--config", self.inst.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(l) for l in r.stdout.splitlines()]

    def device(self, serial):
        r = run("device", "show", "--config", self.inst.config, serial)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    # --- through nginx -----------------------------------------------------

    def test_voucher_for_registrar_known_by_forwarded_certificate(self):
        """The registrar's key is only in the TLS certificate it showed nginx:
        200, a verified voucher pinning that key, audited from its address."""
        rvr, nonce, spki = self.rvr_known_only_by_tls()
        status, headers, body = self.via_nginx(
            "POST", VOUCHER, rvr, [("Content-Type", "application/voucher+cose")],
            client_cert=True)
        self.assertEqual(status, 200, body)
        v = brski.parse_voucher(body, self.masa_key)
        self.assertEqual(v["nonce"], nonce)
        self.assertEqual(v["pinned-domain-pubk"], spki)
        self.assertEqual(self.peer_logged(headers["x-request-id"]), CLIENT)
        issued = [e for e in self.audit() if e["event"] == "voucher.issued"]
        self.assertEqual(len(issued), 1)
        self.assertEqual(issued[0]["source"], CLIENT)
        self.assertEqual(issued[0]["registrar"], brski.sha256(spki).hex())

    def test_without_client_certificate_no_key_is_found(self):
        """The same request without a certificate at nginx: 403, no key."""
        rvr, _, _ = self.rvr_known_only_by_tls()
        status, _, body = self.via_nginx("POST", VOUCHER, rvr,
                                         [("Content-Type", "application/voucher+cose")])
        self.assertEqual((status, body), (403, NO_KEY))

    def test_forged_certificate_header_does_not_reach_masa(self):
        """A client without a certificate claims another registrar's in
        every header form and letter case: nginx drops them all, so masa
        finds no key (403), issues nothing and pins nothing."""
        other = brski.new_key("es256")
        other_der = brski.self_signed_cert(other, "other")
        rvr, _, _ = self.rvr_known_only_by_tls(key=other)
        before = self.device("SN1")
        forged = escaped_pem(other_der)
        for name in ("X-SSL-Client-Cert", "x-ssl-client-cert", "X-SSL-CLIENT-CERT"):
            for extra in ([], [("Client-Cert", ":%s:" % _b64(other_der))]):
                hdrs = [("Content-Type", "application/voucher+cose"), (name, forged)] + extra
                status, _, body = self.via_nginx("POST", VOUCHER, rvr, hdrs)
                self.assertEqual((status, body), (403, NO_KEY), name)
        status, _, body = self.via_nginx(
            "POST", VOUCHER, rvr, [("Content-Type", "application/voucher+cose"),
                                   ("Client-Cert", ":%s:" % _b64(other_der))])
        self.assertEqual((status, body), (403, NO_KEY))
        self.assertEqual(self.device("SN1"), before)

    def test_forged_header_beside_a_real_certificate(self):
        """A registrar with a real certificate who adds a forged header (and
        repeats it): masa sees nginx's one value, the real certificate."""
        other = brski.new_key("es256")
        forged = escaped_pem(brski.self_signed_cert(other, "other"))
        rvr, _, spki = self.rvr_known_only_by_tls()
        status, _, body = self.via_nginx(
            "POST", VOUCHER, rvr, [("Content-Type", "application/voucher+cose"),
                                   ("X-SSL-Client-Cert", forged), ("X-SSL-Client-Cert", "x")],
            client_cert=True)
        self.assertEqual(status, 200, body)
        self.assertEqual(brski.parse_voucher(body, self.masa_key)["pinned-domain-pubk"], spki)

    def test_every_location_sanitises(self):
        """Every location nginx proxies gets the header set: garbage in each
        identity header (which masa would answer 400 if it saw it) and a
        spoofed X-Forwarded-For never arrive; masa logs the client's real
        address. Run from 127.0.0.1 too, nginx's own trusted address, where
        an appended X-Forwarded-For would let the spoofed entry win."""
        junk = [("X-SSL-Client-Cert", "garbage"), ("Client-Cert", "garbage"),
                ("Client-Cert-Chain", "garbage"), ("X-Forwarded-For", "203.0.113.77"),
                ("X_SSL_Client_Cert", "garbage"), ("X-Forwarded-For", "203.0.113.78")]
        cases = [("GET", "/healthz", None, 200),
                 ("POST", VOUCHER, b"\xa0", 400),
                 ("POST", AUDITLOG, b"\xa0", 400)]
        for source in (CLIENT, "127.0.0.1"):
            for method, path, body, want in cases:
                hdrs = list(junk)
                if body is not None:
                    hdrs.append(("Content-Type", "application/voucher+cose"))
                status, headers, answer = self.via_nginx(method, path, body, hdrs, source=source)
                self.assertEqual(status, want, (path, answer))
                self.assertNotEqual(answer, MALFORMED, path)
                self.assertEqual(self.peer_logged(headers["x-request-id"]), source, path)

    def test_admin_and_metrics_not_exposed(self):
        for path in ("/admin/v1/key", "/admin/", "/metrics", "/readyz", "/"):
            status, headers, _ = self.via_nginx("GET", path)
            self.assertEqual(status, 404, path)
            self.assertNotIn("x-request-id", headers, path)   # answered by nginx, not masa

    def test_body_size_capped_at_nginx(self):
        status, headers, _ = self.via_nginx(
            "POST", VOUCHER, b"\0" * (65 * 1024), [("Content-Type", "application/voucher+cose")])
        self.assertEqual(status, 413)
        self.assertNotIn("x-request-id", headers)


class ProxyTest(NginxCases, InstanceTest):
    """masa on http://127.0.0.1 trusting 127.0.0.1 (nginx), nginx in front;
    and requests straight to masa's plain-HTTP port."""

    def test_forged_headers_from_untrusted_address_refused(self):
        """Each identity header sent straight to masa from 127.0.0.2 (not in
        proxy.trusted), with a request that would otherwise get a voucher:
        400, the sentence, one audit entry naming the header and the
        address, and nothing else in the store changes."""
        rvr, _, _ = self.rvr_known_only_by_tls()
        cert = escaped_pem(self.reg_der)
        forged = [("X-SSL-Client-Cert", cert), ("Client-Cert", ":%s:" % _b64(self.reg_der)),
                  ("X-Forwarded-For", "127.0.0.1"), ("Client-Cert-Chain", ":AAAA:"),
                  ("x-forwarded-for", "")]
        before_dev, before_audit = self.device("SN1"), self.audit()
        for name, value in forged:
            status, _, body = self.direct("POST", VOUCHER, rvr,
                                          [("Content-Type", "application/voucher+cose"),
                                           (name, value)])
            self.assertEqual((status, body), (400, REFUSED), name)
            entry = self.audit()[-1]
            self.assertEqual(entry["event"], "proxy.header_refused")
            self.assertEqual(entry["source"], CLIENT)
            self.assertEqual(entry["detail"], "MASA_E_PROXY_HEADER: " + _canonical(name))
            self.assertIsNone(entry["serial"])
        self.assertEqual(self.device("SN1"), before_dev)
        after = self.audit()
        self.assertEqual(after[:len(before_audit)], before_audit)
        self.assertEqual([e["event"] for e in after[len(before_audit):]],
                         ["proxy.header_refused"] * len(forged))
        self.assertEqual(run("audit", "verify", "--config", self.inst.config).returncode, 0)

    def test_forwarded_chain_gives_a_ca_pin(self):
        """RFC 9440 Client-Cert with Client-Cert-Chain [domain CA] from the trusted
        address, the RVR without x5bag: a ca-lowest product's voucher (verified)
        pins the CA; without the chain 406 (no verified CA); a malformed chain 400.
        (nginx forwards no chain: $ssl_client_escaped_cert is the leaf only.)"""
        ca_key = brski.new_key("es256")
        ca = brski.make_cert(ca_key, "domain CA", ca=True, server_auth=False)
        reg_der = brski.make_cert(self.reg, "registrar", issuer_key=ca_key, issuer_cert=ca,
                                  cmc_ra=True)
        for args in (("product", "add", "thread", "--pin", "ca-lowest"),
                     ("device", "add", "--serial", "SN3", "--pubkey",
                      self.inst.path("pledge.pub"), "--product", "thread")):
            p = run(*args[:2], "--config", self.inst.config, *args[2:])
            self.assertEqual(p.returncode, 0, p.stderr)
        cert = [("Content-Type", "application/voucher+cose"),
                ("Client-Cert", ":%s:" % _b64(reg_der))]
        rvr, _, _ = self.rvr_known_only_by_tls(serial="SN3")
        status, _, body = self.direct("POST", VOUCHER, rvr, cert, source="127.0.0.1")
        self.assertEqual(status, 406, body)
        for chain in ("garbage", ":%s:," % _b64(ca)):
            rvr, _, _ = self.rvr_known_only_by_tls(serial="SN3")
            status, _, body = self.direct("POST", VOUCHER, rvr,
                                          cert + [("Client-Cert-Chain", chain)],
                                          source="127.0.0.1")
            self.assertEqual((status, body), (400, MALFORMED), chain)
        rvr, _, _ = self.rvr_known_only_by_tls(serial="SN3")
        status, _, body = self.direct("POST", VOUCHER, rvr,
                                      cert + [("Client-Cert-Chain", ":%s:" % _b64(ca))],
                                      source="127.0.0.1")
        self.assertEqual(status, 200, body)
        self.assertEqual(brski.parse_voucher(body, self.masa_key)["pinned-domain-cert"], ca)

    def test_trusted_peer_malformed_certificate(self):
        """From the trusted address itself, a malformed forwarded certificate
        is 400 with its own sentence, not a guess."""
        rvr, _, _ = self.rvr_known_only_by_tls()
        before_dev, before_audit = self.device("SN1"), self.audit()
        for name, value in [("X-SSL-Client-Cert", "%ZZ"), ("Client-Cert", "AAAA"),
                            ("X-Forwarded-For", "unknown")]:
            status, hdr, body = self.direct("POST", VOUCHER, rvr,
                                            [("Content-Type", "application/voucher+cose"),
                                             (name, value)], source="127.0.0.1")
            self.assertEqual((status, body), (400, MALFORMED), name)
            self.assertEqual(hdr.get("content-type"), "text/plain; charset=utf-8")
            self.assertEqual(hdr.get("cache-control"), "no-store")
            self.assertTrue(hdr.get("x-request-id"))
        # nothing issued or pinned, and (no registrar identified) nothing audited
        self.assertEqual(self.device("SN1"), before_dev)
        self.assertEqual(self.audit(), before_audit)
        db = sqlite3.connect("file:%s?mode=ro" % self.inst.path("masa.db"), uri=True)
        try:
            self.assertEqual(db.execute("SELECT COUNT(*) FROM vouchers").fetchone(), (0,))
        finally:
            db.close()


class ProxyUnixSocketTest(NginxCases, InstanceTest):
    """What the README recommends: masa on a Unix socket trusting "unix";
    every check through nginx again."""

    trusted = ["unix"]

    def listen_arg(self):
        return "unix:" + self.inst.path("http.sock")

    def test_socket_mode_and_removal(self):
        """The socket is 0660 and removed when masa stops."""
        path = self.inst.path("http.sock")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o660)
        self.assertEqual(self.server.stop(), 0)
        self.assertFalse(os.path.exists(path))


class PlainHttpRefusedTest(InstanceTest):
    """Plain HTTP is for a proxy on the same host: masa check and masa serve
    refuse it on any address that is not loopback, naming the key."""

    def test_check_refuses_non_loopback_http(self):
        for key, value in (("listen", "http://0.0.0.0:8080"),
                           ("admin", {"listen": "http://192.0.2.1:8444"})):
            self.inst.edit_config(**{key: value})
            r = run("check", "--config", self.inst.config)
            self.assertEqual(r.returncode, 1, r.stdout)
            self.assertOneSentence(r.stderr)
            self.assertIn('"%s"' % ("listen" if key == "listen" else "admin.listen"), r.stderr)
            self.assertIn("loopback", r.stderr)
            self.inst.edit_config(listen="127.0.0.1:8443", admin={"listen": "127.0.0.1:8444"})

    def test_serve_refuses_non_loopback_http(self):
        p = subprocess.run([MASA_BIN, "serve", "--config", self.inst.config, "--listen",
                            "http://192.0.2.1:8080"], capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertOneSentence(p.stderr)
        self.assertIn("loopback", p.stderr)

    def test_bad_proxy_trusted_refused(self):
        self.inst.edit_config(proxy={"trusted": ["127.0.0.1", "10.0.0.1/8"]})
        r = run("check", "--config", self.inst.config)
        self.assertEqual(r.returncode, 1)
        self.assertIn('"proxy.trusted": entry 2', r.stderr)


class HeaderRefusedAuditLimit(InstanceTest):
    """README "Security": proxy.header_refused entries are limited to a burst of 20,
    then one a second, and the next entry says how many were not audited. Driven
    end to end: forged X-Forwarded-For headers sent straight to masa from 127.0.0.2
    (not in proxy.trusted), masa's wall clock frozen and moved by the test
    (libfaketime reading a timestamp file on every call; the monotonic clock left
    real), the audit trail counted exactly."""

    def set_clock(self, t):
        with open(self.clock, "w") as f:
            f.write(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)))

    def setUp(self):
        super().setUp()
        self.assertTrue(os.path.exists(masatest.LIBFAKETIME),
                        "libfaketime is missing: deploy/install-deps.sh --test installs it")
        self.clock = os.path.join(self.inst.tmp, "clock")
        self.t0 = int(time.time())
        self.set_clock(self.t0)
        self.inst.edit_config(proxy={"trusted": ["127.0.0.1"]})
        env = {"LD_PRELOAD": masatest.LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": self.clock,
               "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1", "TZ": "UTC",
               "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
               ":verify_asan_link_order=0"}
        self.server = self.serve(admin=False, listen="http://127.0.0.1:0", env=env)

    def forged(self, n):
        """n requests with a forged X-Forwarded-For from 127.0.0.2: each the 400."""
        for i in range(n):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10,
                                              source_address=(CLIENT, 0))
            st, _hdr, body = NginxCases._exchange(
                conn, "POST", VOUCHER, b"", [("Content-Type", "application/voucher+cose"),
                                             ("X-Forwarded-For", "198.51.100.%d" % i)])
            self.assertEqual((st, body), (400, REFUSED))

    def refused_details(self):
        r = run("audit", "export", "--config", self.inst.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        entries = [json.loads(l) for l in r.stdout.splitlines()]
        return [e["detail"] for e in entries if e["event"] == "proxy.header_refused"]

    def test_burst_then_one_a_second_then_the_count(self):
        plain = "MASA_E_PROXY_HEADER: X-Forwarded-For"
        self.forged(25)                       # the clock stands still: 20, then none
        self.assertEqual(self.refused_details(), [plain] * 20)
        self.set_clock(self.t0 + 1)           # one token back
        self.forged(2)
        self.assertEqual(self.refused_details()[20:], [plain + " (+5 not audited)"])
        self.set_clock(self.t0 + 4)           # three tokens back
        self.forged(4)
        self.assertEqual(self.refused_details()[21:],
                         [plain + " (+1 not audited)", plain, plain])
        self.set_clock(self.t0 + 3600)        # an hour: the burst again, no more
        self.forged(21)
        self.assertEqual(self.refused_details()[24:],
                         [plain + " (+1 not audited)"] + [plain] * 19)
        self.assertEqual(run("audit", "verify", "--config", self.inst.config).returncode, 0)
        # every refusal, audited or not, is in the request log
        logged = lambda: [r for r in self.server.log_records()
                          if r.get("path") == VOUCHER and r.get("status") == 400]
        masatest.wait_for(lambda: len(logged()) >= 52, "52 request log lines")
        self.assertEqual(len(logged()), 52)


def _b64(der):
    import base64
    return base64.b64encode(der).decode()


def _canonical(name):
    return {"x-forwarded-for": "X-Forwarded-For"}.get(name, name)


if __name__ == "__main__":
    unittest.main()
