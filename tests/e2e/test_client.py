"""`masa client` against the real server (voucher with --masa-key and with
a multipart answer, refusals, a wrong MASA key, auditlog) and `masa demo`
running to completion."""
import glob
import http.server
import os
import re
import shutil
import socket
import sqlite3
import ssl
import subprocess
import threading
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

import brski
import vtest
from masatest import MASA_BIN, InstanceTest, run
from test_vectors import VEC, vector_private_key


def keygen(path, algorithm="EC", curve="P-256"):
    """A PEM private key file (0600) made with the openssl CLI."""
    args = ["openssl", "genpkey", "-algorithm", algorithm]
    if curve:
        args += ["-pkeyopt", "ec_paramgen_curve:" + curve]
    pem = subprocess.run(args, capture_output=True, check=True).stdout
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return path


def pubkey(key_path, out_path):
    with open(out_path, "wb") as f:
        f.write(subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout"],
                               capture_output=True, check=True).stdout)
    return out_path


def selfsigned(key_path, out_path, cmc_ra=True):
    ext = "extendedKeyUsage=1.3.6.1.5.5.7.3.28,clientAuth" if cmc_ra else "extendedKeyUsage=clientAuth"
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", key_path, "-subj", "/CN=registrar",
                    "-days", "2", "-addext", ext, "-out", out_path], capture_output=True, check=True)
    return out_path


class ClientCase(InstanceTest):
    def setUp(self):
        super().setUp()
        p = self.inst.path
        self.pledge = keygen(p("pledge.key"))
        self.reg = keygen(p("reg.key"))
        self.reg_crt = selfsigned(self.reg, p("reg.crt"))
        self.masa_pub = p("masa.pub")
        with open(self.masa_pub, "w") as f:
            f.write(run("key", "show", "--config", self.inst.config).stdout)
        r = run("device", "add", "--config", self.inst.config, "--serial", "SN1", "--pubkey",
                pubkey(self.pledge, p("pledge.pub")))
        self.assertEqual(r.returncode, 0, r.stderr)

    def client(self, sub="voucher", serial="SN1", pledge=None, reg=None, reg_crt="default",
               masa_key="default", extra=()):
        args = ["client", sub, "--url", "https://127.0.0.1:%d" % self.server.port,
                "--ca", self.inst.path("tls.crt"), "--serial", serial,
                "--pledge-key", pledge or self.pledge, "--registrar-key", reg or self.reg]
        if reg_crt:
            args += ["--registrar-cert", self.reg_crt if reg_crt == "default" else reg_crt]
        if masa_key:
            args += ["--masa-key", self.masa_pub if masa_key == "default" else masa_key]
        return run(*args, *extra)


class TestClientNonceless(ClientCase):
    """`masa client voucher --nonceless` against an owner-mode MASA whose owner holds the
    registrar key: a verified voucher without a nonce (checked independently with
    brski.py), with expires-on; the server stored it with no nonce."""

    def test_nonceless_voucher(self):
        for cmd in (["owner", "add", "--config", self.inst.config, "acme", "--registrar-key",
                     self.reg_crt],
                    ["owner", "assign", "--config", self.inst.config, "acme", "SN1"]):
            r = run(*cmd)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.inst.edit_config(policy={"mode": "owner"})
        self.server = self.serve(admin=False)
        r = self.client(extra=("--nonceless",))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("status: 200 application/voucher+cose", r.stdout)
        self.assertIn("signature: verified with " + self.masa_pub, r.stdout)
        self.assertNotRegex(r.stdout, r"\b7: h'")           # no nonce leaf
        db = sqlite3.connect("file:%s?mode=ro" % self.inst.path("masa.db"), uri=True)
        try:
            (nonce, voucher, expires), = db.execute(
                "SELECT nonce, voucher, expires_ms FROM vouchers").fetchall()
        finally:
            db.close()
        self.assertIsNone(nonce)
        self.assertIsNotNone(expires)
        with open(self.masa_pub, "rb") as f:
            leaves = brski.parse_voucher(voucher, serialization.load_pem_public_key(f.read()))
        self.assertNotIn("nonce", leaves)
        self.assertEqual((leaves["serial-number"], leaves["assertion"]), ("SN1", 0))
        self.assertIn("expires-on", leaves)


class TestClient(ClientCase):
    def setUp(self):
        super().setUp()
        self.server = self.serve(admin=False)

    def test_voucher_verified_with_masa_key(self):
        """A voucher: status, its payload in diagnostic notation, verified; exit 0."""
        r = self.client()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("status: 200 application/voucher+cose", r.stdout)
        self.assertRegex(r.stdout, r'voucher: \{2451: \{1: 2, 2: "\d{4}-[^"]+Z", 3: false, '
                                   r"7: h'[0-9a-f]{16}', 9: h'[0-9a-f]+', 11: \"SN1\"\}\}")
        self.assertIn("signature: verified with " + self.masa_pub, r.stdout)

    def test_formats(self):
        """--format cms and jws: the request in that format, the voucher in it (the
        answer's type), its JSON printed, serial and nonce bound, the signature verified
        with the MASA key; the stored vouchers are the three formats; an unknown --format
        is a usage error."""
        for fmt, ctype in (("cose", "application/voucher+cose"),
                           ("cms", "application/voucher-cms+json"),
                           ("jws", "application/voucher-jws+json")):
            with self.subTest(fmt=fmt):
                r = self.client(extra=("--format", fmt))
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("status: 200 " + ctype, r.stdout)
                self.assertIn("nonce: matches the request", r.stdout)
                self.assertIn("signature: verified with " + self.masa_pub, r.stdout)
                if fmt != "cose":
                    self.assertRegex(r.stdout, r'voucher: \{"ietf-voucher:voucher":\{"assertion":'
                                               r'"proximity",.*"serial-number":"SN1"\}\}')
        db = sqlite3.connect(self.inst.path("masa.db"))
        types = sorted(t for (t,) in db.execute("SELECT media_type FROM vouchers"))
        db.close()
        self.assertEqual(types, ["application/voucher+cose", "application/voucher-cms+json",
                                 "application/voucher-jws+json"])
        r = self.client(extra=("--format", "xml"))
        self.assertEqual(r.returncode, 2)
        self.assertIn("--format must be cose, cms or jws", r.stderr)

    def test_cms_voucher_checked_with_the_wrong_key(self):
        """A CMS voucher with another --masa-key: DOES NOT VERIFY, exit 1."""
        other = pubkey(keygen(self.inst.path("other.key")), self.inst.path("other.pub"))
        r = self.client(masa_key=other, extra=("--format", "cms"))
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("signature: DOES NOT VERIFY", r.stdout)

    def test_multipart_answer_carries_the_key(self):
        """With Accept multipart/related and no --masa-key, the COSE_Key part verifies it."""
        r = self.client(masa_key=None, extra=("--accept", "multipart/related"))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("status: 200 multipart/related", r.stdout)
        self.assertIn("signature: verified with the COSE_Key in the answer", r.stdout)

    def test_no_key_is_not_verified(self):
        """Without any MASA key the voucher is shown but the exit status is 1."""
        r = self.client(masa_key=None)
        self.assertEqual(r.returncode, 1)
        self.assertIn("signature: not checked", r.stdout)

    def test_wrong_masa_key(self):
        """Another key does not verify the voucher: exit 1."""
        other = pubkey(keygen(self.inst.path("other.key")), self.inst.path("other.pub"))
        r = self.client(masa_key=other)
        self.assertEqual(r.returncode, 1)
        self.assertIn("signature: DOES NOT VERIFY", r.stdout)

    def test_refusal_is_reported(self):
        """An unknown serial: the status and the MASA's sentence, exit 1."""
        r = self.client(serial="NOPE")
        self.assertEqual(r.returncode, 1)
        self.assertIn("status: 404", r.stdout)
        self.assertIn("message: The serial-number is not a device this MASA can vouch for.", r.stdout)

    def test_raw_key_registrar_and_ed25519_pledge(self):
        """An Ed25519 pledge and a registrar without a certificate (PVR names it)."""
        pledge = keygen(self.inst.path("ed.key"), "ED25519", None)
        r = run("device", "add", "--config", self.inst.config, "--serial", "ED1", "--pubkey",
                pubkey(pledge, self.inst.path("ed.pub")))
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.client(serial="ED1", pledge=pledge, reg_crt=None)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_auditlog(self):
        """After a voucher, the audit log lists the registrar's event."""
        self.assertEqual(self.client().returncode, 0)
        r = self.client("auditlog")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r'log: \{"version":1,"events":\[\{"date":')

    def test_server_not_trusted_without_ca(self):
        """The server certificate is checked: without --ca the self-signed one fails."""
        r = run("client", "voucher", "--url", "https://127.0.0.1:%d" % self.server.port,
                "--serial", "SN1", "--pledge-key", self.pledge, "--registrar-key", self.reg)
        self.assertEqual(r.returncode, 1)
        self.assertOneSentence(r.stderr)
        self.assertTrue(r.stderr.startswith("masa: cannot POST"), r.stderr)
        self.assertIn("not trusted", r.stderr)
        self.assertIn("--ca FILE", r.stderr)
        self.assertNotIn("error:", r.stdout)

    def test_public_key_as_pledge_key(self):
        """A public key given as --pledge-key is named as such, with the fix,
        not as a file to chmod or an OpenSSL decoder error."""
        pub = self.inst.path("pledge.pub")
        os.chmod(pub, 0o644)
        r = self.client(pledge=pub)
        self.assertEqual(r.returncode, 1)
        self.assertOneSentence(r.stderr)
        self.assertEqual(r.stderr, "masa: %s holds a public key; --pledge-key needs the pledge's "
                                   "private key\n" % pub)

    def test_insecure_only_when_asked(self):
        """--insecure, and only that, skips verifying the server: the voucher still
        has to verify with the MASA key."""
        r = run("client", "voucher", "--url", "https://127.0.0.1:%d" % self.server.port,
                "--serial", "SN1", "--pledge-key", self.pledge, "--registrar-key", self.reg,
                "--masa-key", self.masa_pub, "--insecure")
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("signature: verified", r.stdout)

    def test_usage(self):
        """Missing options are a usage error (exit 2)."""
        self.assertEqual(run("client", "voucher", "--url", "https://x").returncode, 2)
        self.assertEqual(run("client", "--help").returncode, 0)


class TestClientUsage(unittest.TestCase):
    def test_unknown_subcommand_and_plain_http(self):
        """A misspelt subcommand is named; an http:// URL is told to be https://."""
        r = run("client", "vouchr", "--url", "https://x", "--serial", "S", "--nonceless",
                "--registrar-key", "k")
        self.assertEqual(r.returncode, 2)
        self.assertEqual(len(r.stderr.strip().split("\n")), 1, r.stderr)
        self.assertIn('unknown subcommand "vouchr"', r.stderr)
        r = run("client", "voucher", "--url", "http://127.0.0.1:8443", "--serial", "S",
                "--nonceless", "--registrar-key", "k")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--url must start with https://", r.stderr)


class TestClientWithVectorKeys(ClientCase):
    """The client signs with the published cBRSKI vectors' keys (the pledge's IDevID
    key, the registrar's key and certificate) and the server accepts what it sends."""

    def setUp(self):
        super().setUp()
        self.server = self.serve(admin=False)

    def vector_keys(self):
        """The vector pledge and registrar private keys as PEM files, the pledge
        enrolled by the vector IDevID: (pledge key path, registrar key path)."""
        pledge, reg = self.inst.path("vec-pledge.key"), self.inst.path("vec-registrar.key")
        brski.write_pem_private(vector_private_key("privkey_pledge.txt"), pledge)
        brski.write_pem_private(vector_private_key("privkey_registrar.txt"), reg)
        r = run("device", "add", "--config", self.inst.config, "--serial", "JADA123456789",
                "--idevid", os.path.join(VEC, "pledge.pem"))
        self.assertEqual(r.returncode, 0, r.stderr)
        return pledge, reg

    def test_expired_vector_registrar_certificate(self):
        """registrar.pem expired on 2025-12-08: today its voucher-request is refused
        (403, the certificate outside its validity period)."""
        pledge, reg = self.vector_keys()
        r = self.client(serial="JADA123456789", pledge=pledge, reg=reg,
                        reg_crt=os.path.join(VEC, "registrar.pem"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("status: 403", r.stdout + r.stderr)

    def test_vector_pledge_and_registrar(self):
        """Enrolled by the vector IDevID (serial JADA123456789), the vector pledge and
        registrar keys get a verified voucher pinning the vector registrar's key (its
        certificate re-issued today by the published domain CA key: registrar.pem has
        expired)."""
        pledge, reg = self.vector_keys()
        crt = self.inst.path("vec-registrar-today.pem")
        with open(crt, "wb") as f:
            f.write(x509.load_der_x509_certificate(vtest.recertify(
                vtest.pem_cert_der(os.path.join(VEC, "registrar.pem")),
                vector_private_key("privkey_domain_ca.txt"),
                vtest.pem_cert_der(os.path.join(VEC, "domain_ca.pem")))).public_bytes(
                    serialization.Encoding.PEM))
        r = self.client(serial="JADA123456789", pledge=pledge, reg=reg, reg_crt=crt)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("serial-number: matches the request", r.stdout)
        self.assertIn("nonce: matches the request", r.stdout)
        self.assertIn("signature: verified with " + self.masa_pub, r.stdout)
        with open(os.path.join(VEC, "registrar.der"), "rb") as f:
            spki = brski.spki_der(x509.load_der_x509_certificate(f.read()).public_key())
        self.assertIn("9: h'%s'" % spki.hex(), r.stdout, "the pinned-domain-pubk")


class FakeMasa:
    """An HTTPS server (the instance's TLS key) that answers every voucher-request
    with a voucher signed by `key` (Python cryptography, not masa) whose leaves come
    from answer(request leaves), as application/voucher+cose or, with `cose_key`, as
    multipart/related with a quoted boundary and the key's COSE_Key."""

    def __init__(self, inst, key, answer, cose_key=False, check=None):
        errors = self.errors = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if check is not None:
                    try:
                        check(body)
                    except Exception as e:      # reported by the test, not swallowed
                        errors.append(repr(e))
                req = brski.decode_voucher_request(brski.cose_decode(body)[2])
                voucher = brski.make_voucher(key, answer(req))
                ctype, out = "application/voucher+cose", voucher
                if cose_key:
                    ctype, out = brski.make_multipart(
                        [("application/voucher+cose", voucher),
                         ("application/cose-key", brski.public_to_cose_key(key))],
                        subtype="related", boundary="b=1; x")
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(inst.path("tls.crt"), inst.path("tls.key"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class TestClientChecksTheVoucher(ClientCase):
    """Against a MASA that answers with the wrong voucher, the client says so."""

    def fake(self, answer, cose_key=False):
        key = brski.new_key("es256")
        brski.write_pem_public(key, self.masa_pub + ".fake")
        self.server = FakeMasa(self.inst, key, answer, cose_key, check=self.check_request)
        self.addCleanup(self.server.stop)
        self.addCleanup(lambda s=self.server: self.assertEqual(s.errors, [],
                                                               "the client's request"))
        return self.masa_pub + ".fake"

    def check_request(self, body):
        """What masa client sent, judged by brski.py rather than by masa's server: the
        RVR verifies with the registrar key and carries its certificate; the PVR inside
        verifies with the pledge key, names the registrar, and has the RVR's serial and
        nonce."""
        reg = brski.load_pem_private(self.reg)
        pledge = brski.load_pem_private(self.pledge)
        rvr = brski.decode_voucher_request(brski.cose_verify(body, reg))
        _prot, unprot, *_rest = brski.cose_decode(body)
        bag = unprot.get(brski.HDR_X5BAG)
        certs = bag if isinstance(bag, list) else [bag]
        if brski.spki_der(x509.load_der_x509_certificate(certs[0])) != brski.spki_der(reg):
            raise AssertionError("x5bag does not carry the registrar's certificate")
        pvr = brski.decode_voucher_request(
            brski.cose_verify(rvr["prior-signed-voucher-request"], pledge))
        if (pvr["serial-number"], pvr["nonce"]) != (rvr["serial-number"], rvr["nonce"]):
            raise AssertionError("PVR serial or nonce differs from the RVR's")
        prox = pvr.get("proximity-registrar-cert") or pvr.get("proximity-registrar-pubk")
        named = (brski.spki_der(x509.load_der_x509_certificate(prox))
                 if "proximity-registrar-cert" in pvr else prox)
        if named != brski.spki_der(reg):
            raise AssertionError("the PVR does not name the registrar")

    @staticmethod
    def leaves(req, **over):
        v = {"assertion": 0, "created-on": brski.now_rfc3339(),
             "domain-cert-revocation-checks": False, "pinned-domain-pubk": b"\x01" * 8,
             "serial-number": req["serial-number"], "nonce": req.get("nonce")}
        v.update(over)
        return {k: x for k, x in v.items() if x is not None}

    def test_matching_voucher_from_another_signer(self):
        """A faithful answer signed by another implementation verifies: exit 0."""
        r = self.client(masa_key=self.fake(self.leaves))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("serial-number: matches the request", r.stdout)
        self.assertIn("nonce: matches the request", r.stdout)

    def test_wrong_serial_or_nonce(self):
        """A voucher for another serial, with another nonce or none: exit 1."""
        for what, answer, line in [
                ("serial", lambda q: self.leaves(q, **{"serial-number": "OTHER"}),
                 "serial-number: DOES NOT MATCH the request"),
                ("nonce", lambda q: self.leaves(q, nonce=b"\x00" * 8),
                 "nonce: DOES NOT MATCH the request"),
                ("no nonce", lambda q: self.leaves(q, nonce=None),
                 "nonce: MISSING from the voucher")]:
            with self.subTest(what):
                r = self.client(masa_key=self.fake(answer))
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn(line, r.stdout)
                self.assertIn("signature: verified", r.stdout)

    def test_multipart_key_is_self_asserted(self):
        """A multipart answer with a quoted boundary: its COSE_Key verifies the voucher,
        and the output says that proves integrity only."""
        self.fake(self.leaves, cose_key=True)
        r = self.client(masa_key=None, extra=("--accept", "multipart/related"))
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("signature: verified with the COSE_Key in the answer (self-asserted", r.stdout)


class TestDemo(InstanceTest):
    def test_demo_runs_to_completion(self):
        """masa demo against a running server walks all its steps and exits 0."""
        # the server binds a port of its choice (no port guessed free and reused); the
        # demo finds it in masa.json, written once the server listens
        self.inst.edit_config(admin={"listen": None})
        server = subprocess.Popen([MASA_BIN, "serve", "--config", self.inst.config,
                                   "--listen", "127.0.0.1:0"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            m = re.match(r"^listening on https://127\.0\.0\.1:(\d+)$",
                         server.stdout.readline().strip())
            self.assertIsNotNone(m)
            self.inst.edit_config(listen="127.0.0.1:%s" % m.group(1))
            # Its keys go under $TMPDIR: the instance's temp directory, removed
            # with it, so that the test leaves no /tmp/masa-demo-* behind.
            before = set(glob.glob("/tmp/masa-demo-*"))
            r = subprocess.run([MASA_BIN, "demo", "--config", self.inst.config],
                               capture_output=True, text=True, timeout=120,
                               env=dict(os.environ, TMPDIR=self.inst.tmp))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("1. Demo keys in %s/masa-demo-" % self.inst.tmp, r.stdout)
            self.assertEqual(len(glob.glob(self.inst.tmp + "/masa-demo-*")), 1)
            self.assertEqual(set(glob.glob("/tmp/masa-demo-*")) - before, set())
            for step in ("1. Demo keys", "2. Enrolled the pledge as DEMO-", "3. The registrar asks",
                         "4. It asks again", "5. The same in the two JSON formats",
                         "6. Another registrar", "7. The first registrar", "What next"):
                self.assertIn(step, r.stdout)
            self.assertEqual(len(re.findall(r"signature: verified", r.stdout)), 4)
            for ctype in ("voucher+cose", "voucher-cms+json", "voucher-jws+json"):
                self.assertIn("status: 200 application/" + ctype, r.stdout)
            self.assertIn("status: 403", r.stdout)
            self.assertIn("tokens left: 22 of 24", r.stdout)
            self.assertIn("tokens left: 20 of 24", r.stdout)
            # The command it suggests works as printed.
            tail = r.stdout.split("Try it yourself with:\n", 1)[1].strip().split("\n")
            self.assertEqual(len(tail), 1, tail)
            argv = tail[0].split()
            self.assertEqual(argv[:3], ["masa", "client", "voucher"])
            self.assertIn("--masa-key", argv)
            again = run(*argv[1:])
            self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
            self.assertIn("signature: verified", again.stdout)
        finally:
            server.terminate()
            server.wait(10)
            server.stdout.close()

    def test_demo_without_server_changes_nothing(self):
        """No server: one sentence saying to start masa serve, nothing enrolled."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.inst.edit_config(listen="127.0.0.1:%d" % port, admin={"listen": None})
        r = run("demo", "--config", self.inst.config, timeout=60)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertOneSentence(r.stderr)
        self.assertTrue(r.stderr.startswith("masa: no masa serve answers at https://127.0.0.1:%d"
                                            % port), r.stderr)
        self.assertIn("start masa serve", r.stderr)
        self.assertEqual(r.stdout, "")
        db = sqlite3.connect(self.inst.path("masa.db"))
        try:
            self.assertEqual(db.execute("SELECT count(*) FROM devices").fetchone(), (0,))
            self.assertEqual(db.execute("SELECT count(*) FROM audit WHERE event LIKE 'device.%'")
                             .fetchone(), (0,))
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main()
