"""Voucher-signing keys on a PKCS#11 token (issue 18), end to end: a SoftHSM2 token made
in a temporary directory (SOFTHSM2_CONF), keys generated on it with pkcs11-tool (OpenSC),
the real `masa serve` signing through libp11's engine, and every voucher verified by
brski.py with the public key read back from the token (pkcs11-tool --read-object), never
with anything masa prints.

Needs softhsm2, opensc and libengine-pkcs11-openssl (deploy/install-deps.sh --test).

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_hsm
"""
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import brski
import masatest
import vtest
from masatest import wait_for

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "pin-" + secrets.token_hex(8)    # distinctive: searched for in what masa writes


class Token:
    """A SoftHSM2 token labelled `label` in its own temporary directory."""

    def __init__(self, label="masa"):
        self.tmp = tempfile.mkdtemp(prefix="masa-hsm-")
        self.dir = os.path.join(self.tmp, "tokens")
        os.mkdir(self.dir)
        self.conf = os.path.join(self.tmp, "softhsm2.conf")
        with open(self.conf, "w") as f:
            f.write("directories.tokendir = %s\nobjectstore.backend = file\n"
                    "log.level = ERROR\n" % self.dir)
        self.env = dict(os.environ, SOFTHSM2_CONF=self.conf)
        self.label = label
        self.pin_file = os.path.join(self.tmp, "pin")
        fd = os.open(self.pin_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, PIN.encode())    # no newline: libp11 reads the file whole
        os.close(fd)
        self.run("softhsm2-util", "--init-token", "--free", "--label", label,
                 "--pin", PIN, "--so-pin", "123456")

    def run(self, *args):
        p = subprocess.run(args, capture_output=True, env=self.env, timeout=60)
        if p.returncode != 0:
            raise AssertionError("%s failed: %s" % (args[0], p.stderr.decode()))
        return p.stdout

    def tool(self, *args):
        """pkcs11-tool on this token, logged in with the PIN from its file (the PIN
        goes on pkcs11-tool's command line: test tooling, never masa's)."""
        return self.run("pkcs11-tool", "--module", MODULE, "--token-label", self.label,
                        "--login", "--pin", PIN, *args)

    def keygen(self, curve, key_id, label):
        """An EC key pair generated on the token (curve: prime256v1 or secp384r1)."""
        self.tool("--keypairgen", "--key-type", "EC:" + curve, "--id", key_id,
                  "--label", label)

    def public_key(self, key_id):
        """The public key of id key_id read back from the token: its CKA_EC_PARAMS and
        CKA_EC_POINT as `pkcs11-tool --list-objects` prints them. (`--read-object` of
        OpenSC 0.23 cannot export a P-384 public key under OpenSSL 3: "cannot create
        EVP_PKEY".)"""
        curves = {"06082a8648ce3d030107": ec.SECP256R1(), "06052b81040022": ec.SECP384R1()}
        out = self.run("pkcs11-tool", "--module", MODULE, "--token-label", self.label,
                       "--list-objects", "--type", "pubkey").decode()
        for block in out.split("Public Key Object")[1:]:
            attrs = dict(line.strip().split(":", 1) for line in block.splitlines()[1:]
                         if ":" in line)
            attrs = {k.strip(): v.strip() for k, v in attrs.items()}
            if attrs.get("ID") != key_id:
                continue
            point = bytes.fromhex(attrs["EC_POINT"])
            self_check = point[0] == 0x04 and point[1] == len(point) - 2
            assert self_check, "EC_POINT is not a short DER OCTET STRING"
            return ec.EllipticCurvePublicKey.from_encoded_point(
                curves[attrs["EC_PARAMS"]], point[2:])
        raise AssertionError("no public key with id %s on the token" % key_id)

    def uri(self, label, pin_source=True):
        u = "pkcs11:token=%s;object=%s;type=private" % (self.label, label)
        return u + ("?pin-source=file:" + self.pin_file if pin_source else "")

    def self_signed(self, label, out):
        """A self-signed certificate for the token's key `label`, made by openssl
        through the same engine (the PIN from the file via pin-source)."""
        env = dict(self.env, PKCS11_MODULE_PATH=MODULE)
        p = subprocess.run(["openssl", "req", "-engine", "pkcs11", "-keyform", "engine",
                            "-key", self.uri(label), "-new", "-x509", "-days", "30",
                            "-subj", "/CN=masa " + label, "-out", out],
                           capture_output=True, env=env, timeout=60)
        if p.returncode != 0:
            raise AssertionError("openssl req failed: " + p.stderr.decode())

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class WithToken(vtest.VoucherCase):
    """A voucher test case with a fresh token (self.token)."""

    def readyz(self):
        return vtest.request(self.inst, self.server.port, "GET", "/readyz")

    def token_away(self):
        """The token's files vanish (SoftHSM2 then fails every operation on it)."""
        os.rename(self.token.dir, self.token.dir + ".away")

    def token_back(self):
        """The token's files come back; waits (15 s at most) for /readyz to say 200:
        masa re-initialises the module by itself, at most once a second."""
        os.rename(self.token.dir + ".away", self.token.dir)
        masatest.wait_for(lambda: self.readyz()[0] == 200,
                          "/readyz 200 once the token is back", step=0.05)

    def setUp(self):
        self.token = Token()
        os.environ["SOFTHSM2_CONF"] = self.token.conf    # inherited by masa serve
        super().setUp()

    def assertPinNotWritten(self):
        """README: the PIN is read from its file and never shown. Stops the server,
        then searches all it wrote (stdout, stderr) while the token signed with it."""
        self.assertEqual(self.server.stop(), 0)
        written = self.server.first_line + self.server.proc.stdout.read() + \
            "".join(self.server.stderr_lines)
        self.assertIn('"path":"/.well-known/brski/requestvoucher"', written)
        self.assertNotIn(PIN, written)

    def tearDown(self):
        super().tearDown()
        os.environ.pop("SOFTHSM2_CONF", None)
        self.token.cleanup()


class TokenCase(WithToken):
    """An instance whose signing.key is a key on a fresh token."""

    curve, key_id, label, alg = "prime256v1", "01", "p256", "es256"

    def prepare(self):
        self.token.keygen(self.curve, self.key_id, self.label)
        self.token.self_signed(self.label, self.inst.path("hsm.crt"))
        self.inst.edit_config(signing={"alg": self.alg, "key": self.token.uri(self.label),
                                       "cert": "hsm.crt", "pkcs11_module": MODULE})

    def assertKeyUnavailable(self, resp):
        st, hdr, body = resp
        self.assertEqual((st, body), (503, b"The voucher-signing key is unavailable.\n"))
        self.assertEqual(hdr.get("content-type"), vtest.TEXT)

    def masa_key(self):
        return self.token.public_key(self.key_id)

    def masa_cert_der(self):
        return vtest.pem_cert_der(self.inst.path("hsm.crt"))


class TokenP256(TokenCase):
    def test_voucher_verifies_with_token_key(self):
        """A voucher signed on the token verifies with the key read back from it."""
        p = self.enroll()
        r = self.registrar()
        self.start()
        self.issue(p, r)
        self.assertPinNotWritten()

    def test_check_names_the_token_key(self):
        """masa check opens the key on the token and names it by its URI."""
        p = vtest.run("check", "--config", self.inst.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("voucher-signing key " + self.token.uri(self.label), p.stdout)

    def test_wrong_pin_at_start(self):
        """A wrong PIN: serve says so in one sentence and binds no socket."""
        bad = os.path.join(self.token.tmp, "badpin")
        fd = os.open(bad, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"0000\n")
        os.close(fd)
        self.inst.edit_config(signing={"key": self.token.uri(self.label, pin_source=False),
                                       "pin_file": bad})
        rc, out, err = self.serve_fails()
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "", "serve bound a socket")
        self.assertOneSentence(err)
        self.assertIn("the token refused the PIN from " + bad, err)
        self.assertNotIn("0000", err.replace(bad, ""))

    def test_pin_source_percent_escaped(self):
        """pin-source is a URI reference: %20 in it is a space of the file name."""
        spaced = os.path.join(self.token.tmp, "the pin")
        shutil.copy(self.token.pin_file, spaced)
        os.chmod(spaced, 0o600)
        uri = (self.token.uri(self.label, pin_source=False) + "?pin-source=file:"
               + spaced.replace(" ", "%20"))
        self.inst.edit_config(signing={"key": uri})
        p = vtest.run("check", "--config", self.inst.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("voucher-signing key " + uri + " (es256)", p.stdout)

    def test_pin_value_refused(self):
        """A URI that carries its PIN is refused, and the PIN is not echoed."""
        self.inst.edit_config(signing={"key": self.token.uri(self.label, pin_source=False)
                                       + "?pin-value=" + PIN})
        rc, out, err = self.serve_fails()
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertOneSentence(err)
        self.assertIn("must not carry its PIN", err)
        self.assertNotIn(PIN, err)

    def test_no_such_key(self):
        self.inst.edit_config(signing={"key": self.token.uri("absent")})
        rc, out, err = self.serve_fails()
        self.assertNotEqual(rc, 0)
        self.assertEqual(out, "")
        self.assertOneSentence(err)
        self.assertIn("no such key on a present token", err)


class SlowToken(TokenCase):
    """A token whose signatures wait while a flag file exists (SoftHSM2 behind
    tests/e2e/slow_pkcs11.c, at most 60 s): vouchers are signed on the workers, so while
    both workers wait for the token the event loops still answer at once; and what
    changes while a voucher is being signed is seen before it is sent."""

    def prepare(self):
        super().prepare()
        self.flag = os.path.join(self.token.tmp, "slow")
        os.environ.update(SLOW_PKCS11_MODULE=MODULE, SLOW_PKCS11_FLAG=self.flag,
                          SLOW_PKCS11_MS="60000")
        self.inst.edit_config(signing={"pkcs11_module": os.environ["MASA_SLOW_PKCS11"]})

    def tearDown(self):
        for k in ("SLOW_PKCS11_MODULE", "SLOW_PKCS11_FLAG", "SLOW_PKCS11_MS"):
            os.environ.pop(k, None)
        super().tearDown()

    def slow_signatures(self):
        try:
            with open(self.flag + ".log") as f:
                return len(f.readlines())
        except FileNotFoundError:
            return 0

    def wait_slow_signatures(self, n):
        """Waits (20 s at most) until n slow signatures have started."""
        deadline = time.monotonic() + 20
        while self.slow_signatures() < n and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(self.slow_signatures(), n, "the vouchers are being signed")

    def test_slow_token_never_holds_the_loop(self):
        pledges = [self.enroll() for _ in range(3)]
        r = self.registrar()
        self.start()
        self.issue(pledges[0], r)       # fast: the flag is not there yet
        reqs = [self.make_request(p, r) for p in pledges[1:]]
        open(self.flag, "w").close()
        answers = {}
        threads = [threading.Thread(target=lambda i=i: answers.__setitem__(
            i, self.post(reqs[i][0]))) for i in range(2)]
        for t in threads:
            t.start()
        self.wait_slow_signatures(2)
        # both workers wait at the token's gate until the test opens it (60 s at
        # most): an answer now, with both still waiting, came from a free event loop
        st, _h, body = vtest.request(self.inst, self.server.port, "GET", "/healthz")
        self.assertEqual((st, body), (200, b"ok\n"))
        self.assertTrue(all(t.is_alive() for t in threads), "a signature passed the gate")
        os.unlink(self.flag)
        for t in threads:
            t.join(30)
        for i, p in enumerate(pledges[1:]):
            self.assertVoucher(answers[i], p.serial, reqs[i][1], r)


    def test_product_changed_while_signing(self):
        """The device's product changes its pin form while the device's voucher is being
        signed: the voucher signed on the old terms is not sent. The answer is 503 (the
        store is busy: the registrar retries), nothing is stored or audited, and the
        retry gets a voucher on the new terms (issue.c decide_and_record)."""
        self.cli("product", "add", "line", "--pin", "pubk")
        key = brski.new_key("es256")
        p = vtest.Pledge("SN-LINE-1", key)
        self.cli("device", "add", "--serial", p.serial, "--pubkey", self.public_pem_file(key),
                 "--product", "line")
        r = self.registrar()
        self.start()
        rvr, _nonce = self.make_request(p, r)
        open(self.flag, "w").close()
        answer = []
        t = threading.Thread(target=lambda: answer.append(self.post(rvr)))
        t.start()
        self.wait_slow_signatures(1)
        self.cli("product", "set", "line", "--pin", "ee-cert")
        seq, before = self.audit_seq(), self.snapshot()
        os.unlink(self.flag)
        t.join(30)
        st, _h, body = answer[0]
        self.assertEqual((st, body), (503, b"The store is busy; try again later.\n"))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.audit_entries(seq), [])
        leaves, _rvr, _body = self.issue(p, r, pin_cert=True)
        self.assertEqual(leaves["pinned-domain-cert"], r.cert)

    def test_sigterm_does_not_wait_past_the_grace_for_the_token(self):
        """README `masa serve`: the drain lasts at most limits.shutdown_grace_s. A
        signature that takes 30 s on the token is abandoned when the grace (1 s) ends:
        serve exits 0 within the grace and a margin, by the test's clock; the client gets
        no answer and nothing is stored or audited."""
        grace, margin = 1, 5
        os.environ["SLOW_PKCS11_MS"] = "30000"
        self.inst.edit_config(limits={"shutdown_grace_s": grace})
        p, r = self.enroll(), self.registrar()
        self.start()
        rvr, _nonce = self.make_request(p, r)
        before, seq = self.snapshot(), self.audit_seq()
        open(self.flag, "w").close()
        answers = []

        def post():
            try:
                answers.append(self.post(rvr))
            except OSError as e:        # the connection dropped at the exit: expected
                answers.append(e)
        t = threading.Thread(target=post)
        t.start()
        try:
            wait_for(lambda: self.slow_signatures() == 1, "the signature to start", 20)
            t0 = time.monotonic()
            self.server.proc.send_signal(signal.SIGTERM)
            rc = self.server.proc.wait(60)
            elapsed = time.monotonic() - t0
        finally:
            os.unlink(self.flag)
            t.join(60)
        self.assertEqual(rc, 0)
        self.assertGreaterEqual(elapsed, grace)
        self.assertLess(elapsed, grace + margin, "the drain waited for the token")
        self.assertEqual(len(answers), 1)
        self.assertIsInstance(answers[0], OSError, "answered: %r" % (answers[0],))
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.audit_seq(), seq)


class TokenP384(TokenCase):
    curve, key_id, label, alg = "secp384r1", "02", "p384", "es384"

    def test_voucher_verifies_with_token_key(self):
        """An ES384 voucher signed on the token verifies with its key read back."""
        p = self.enroll()
        r = self.registrar()
        self.start()
        self.issue(p, r)
        self.assertPinNotWritten()


class TokenAway(TokenCase):
    def test_token_away(self):
        """The token's files vanish mid-run: vouchers and /readyz answer 503 with the
        key's sentence and nothing is stored (not even a voucher signed otherwise).
        When they come back, service resumes without a restart: /readyz 200 and a
        voucher that verifies with the key read back from the token."""
        p = self.enroll()
        r = self.registrar()
        self.start()
        self.issue(p, r)
        self.token_away()
        rvr, _nonce = self.make_request(p, r)
        before = self.snapshot()
        self.assertKeyUnavailable(self.post(rvr))
        self.assertEqual(self.snapshot(), before)
        self.assertKeyUnavailable(self.readyz())
        st, _h, body = vtest.request(self.inst, self.server.port, "GET", "/healthz")
        self.assertEqual((st, body), (200, b"ok\n"))
        self.token_back()
        self.issue(p, r)

    def test_away_and_back_under_load(self):
        """Four clients keep asking for vouchers while the token goes away and comes
        back: every answer is a voucher that verifies with the key read back from the
        token, or the key's 503; vouchers flow again once it is back without a restart;
        and masa stops cleanly (exit 0: under ASan, no use-after-free nor leak from
        re-initialising the module while signatures were in flight)."""
        p = self.enroll()
        r = self.registrar()
        # as many vouchers as the clients manage: however fast the machine, the
        # device's bucket must not run dry (a 429 is not what this test is about)
        self.start(bucket_capacity=100000)
        done, seen, errors, phase = threading.Event(), [], [], ["up"]

        def client():
            try:
                while not done.is_set():
                    rvr, nonce = self.make_request(p, r)
                    st, hdr, body = self.post(rvr)
                    seen.append((phase[0], (st, hdr, body), nonce))
            except BaseException as e:      # reported below, in the test's thread
                errors.append(e)

        def answered(status, since_phase):
            return any(resp[0] == status for ph, resp, _n in list(seen) if ph == since_phase)

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            masatest.wait_for(lambda: answered(200, "up"), "a voucher before", 60)
            phase[0] = "away"
            self.token_away()
            masatest.wait_for(lambda: answered(503, "away"), "a 503 while away", 60)
            phase[0] = "back"
            self.token_back()
            phase[0] = "ready"
            masatest.wait_for(lambda: answered(200, "ready"), "a voucher once back", 60)
        finally:
            done.set()
            for t in threads:
                t.join(60)
        self.assertEqual(errors, [])
        for _ph, resp, nonce in seen:
            if resp[0] == 200:
                self.assertVoucher(resp, p.serial, nonce, r)
            else:
                self.assertKeyUnavailable(resp)
        self.assertEqual(self.server.stop(), 0)


class TokenAwayCMS(TokenAway):
    """The same over CMS vouchers: signed through the engine's EVP_PKEY (the
    signer's pkey path, held for the whole CMS message), not a raw signature."""
    FMT = "cms"


class SeveralKeys(WithToken):
    """Several signing keys: masa.json's file key ("default") and keys on a token added
    with `masa key add --uri`; each device records its key at enrollment, and every
    voucher for it verifies with that key (read back from the token) and not with any
    other."""

    expect = None   # the key the next voucher must verify with

    def prepare(self):
        self.inst.edit_config(signing={"pkcs11_module": MODULE,
                                       "pin_file": self.token.pin_file})
        for curve, key_id, label in (("prime256v1", "01", "p256"), ("secp384r1", "02", "p384")):
            self.token.keygen(curve, key_id, label)
            self.token.self_signed(label, self.inst.path(label + ".crt"))
        self.file_key = super().masa_key()      # `masa key show`: the default key
        self.keys = {"default": (self.file_key, self.inst.path("signing.crt")),
                     "p256": (self.token.public_key("01"), self.inst.path("p256.crt")),
                     "p384": (self.token.public_key("02"), self.inst.path("p384.crt"))}

    def add_key(self, label):
        p = self.cli("key", "add", label, "--uri",
                     self.token.uri(label, pin_source=False), "--cert",
                     self.inst.path(label + ".crt"))
        self.assertIn("added signing key " + label, p.stdout)

    def enroll_with(self, key):
        pledge = vtest.brski.new_key("es256")
        serial = "SN-%s-%s" % (key, vtest.new_nonce(4).hex())
        args = ["device", "add", "--serial", serial, "--pubkey", self.public_pem_file(pledge)]
        if key != "default":
            args += ["--signing-key", key]
        self.cli(*args)
        return vtest.Pledge(serial, pledge)

    def masa_key(self):
        return self.keys[self.expect][0]

    def masa_cert_der(self):
        return vtest.pem_cert_der(self.keys[self.expect][1])

    def issue_with(self, pledge, registrar, key):
        """A voucher for pledge: verified with key's public key and certificate,
        refused by every other key's."""
        self.expect = key
        _leaves, _rvr, body = self.issue(pledge, registrar)
        for other, (pub, _cert) in self.keys.items():
            if other != key:
                with self.assertRaises(ValueError, msg="verified with " + other):
                    vtest.brski.parse_voucher(body, pub)
        return body

    def test_two_devices_two_token_keys(self):
        """Devices enrolled with p256, p384 (on the token) and none (the file key)
        each get vouchers signed with their own key."""
        self.add_key("p256")
        self.add_key("p384")
        a, b, c = self.enroll_with("p256"), self.enroll_with("p384"), self.enroll_with("default")
        r = self.registrar()
        self.server = self.serve()      # with the admin listener, for /metrics
        self.issue_with(a, r, "p256")
        self.issue_with(b, r, "p384")
        self.issue_with(b, r, "p384")
        self.issue_with(c, r, "default")
        st, _h, text = vtest.request(self.inst, self.server.admin_port, "GET", "/metrics",
                                     headers={"Authorization": "Bearer " + self.inst.token})
        self.assertEqual(st, 200)
        series = dict(line.rsplit(" ", 1) for line in text.decode().splitlines()
                      if line.startswith("masa_key_"))
        self.assertEqual(series, {
            'masa_key_signatures_total{key="default"}': "1",
            'masa_key_signatures_total{key="p256"}': "1",
            'masa_key_signatures_total{key="p384"}': "2",
            'masa_key_signature_failures_total{key="default"}': "0",
            'masa_key_signature_failures_total{key="p256"}': "0",
            'masa_key_signature_failures_total{key="p384"}': "0"})
        out = self.cli("check").stdout
        self.assertIn("ok: signing key p256: %s (es256), test signature verified, 1 in the chain\n"
                      % self.token.uri("p256", False), out)
        self.assertIn("ok: signing key p384: %s (es384), test signature verified, 1 in the chain\n"
                      % self.token.uri("p384", False), out)
        p = self.cli("key", "list", "--json")
        listed = {k["name"]: k for k in json.loads(p.stdout)}
        self.assertEqual({n: (k["algorithm"], k["devices"], k["retired"])
                          for n, k in listed.items()},
                         {"default": ("es256", 1, None), "p256": ("es256", 1, None),
                          "p384": ("es384", 1, None)})
        self.assertEqual(listed["p384"]["where"], self.token.uri("p384", pin_source=False))
        enrolled = {e[2]: e[4] for e in self.audit_events() if e[1] == "device.enrolled"}
        self.assertEqual(enrolled, {a.serial: "public-key key=p256",
                                    b.serial: "public-key key=p384", c.serial: "public-key"})
        self.assertPinNotWritten()     # signing.pin_file's PIN

    def test_rotation(self):
        """A device enrolled before a new key keeps the old one; one enrolled after
        names the new one; each is verified with its key and refused with the other."""
        self.add_key("p256")
        old = self.enroll_with("p256")
        self.add_key("p384")
        new = self.enroll_with("p384")
        r = self.registrar()
        self.start()
        self.issue_with(old, r, "p256")
        self.issue_with(new, r, "p384")
        self.issue_with(old, r, "p256")

    def test_retired_key(self):
        """Retiring a key that devices trust is refused without --force; once retired
        (audited), its devices get 503 and nothing is stored, the others are served,
        and it cannot be named at enrollment."""
        self.add_key("p256")
        self.add_key("p384")
        a, b = self.enroll_with("p256"), self.enroll_with("p384")
        p = self.cli("key", "retire", "p256", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertOneSentence(p.stderr)
        self.assertIn("1 devices trust signing key \"p256\"", p.stderr)
        self.cli("key", "retire", "p256", "--force")
        events = [(e[1], e[4]) for e in self.audit_events()]
        self.assertIn(("key.retired", "name=p256 devices=1 forced"), events)
        self.assertEqual([d for ev, d in events if ev == "key.added"],
                         ["name=p256 alg=es256 where=" + self.token.uri("p256", False),
                          "name=p384 alg=es384 where=" + self.token.uri("p384", False)])
        r = self.registrar()
        self.start()
        rvr, _nonce = self.make_request(a, r)
        before = self.snapshot()
        st, hdr, body = self.post(rvr)
        self.assertEqual((st, body), (503, b"The voucher-signing key that this device trusts "
                                           b"is retired or not held by this server.\n"))
        self.assertEqual(self.snapshot(), before)
        self.issue_with(b, r, "p384")
        p = run_device_add(self, "p256")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("signing key \"p256\" is retired", p.stderr)

    def test_token_key_away(self):
        """The token of two keys goes away: a device of either gets 503 (the key is
        unavailable), nothing is stored, /readyz says 503; a device of the file key
        is still served. When the token is back (the module re-initialised, both keys
        opened again), /readyz says 200 and each device's voucher verifies with its
        key again (and with no other)."""
        self.add_key("p256")
        self.add_key("p384")
        a, b = self.enroll_with("p256"), self.enroll_with("p384")
        c = self.enroll_with("default")
        r = self.registrar()
        self.start()
        self.issue_with(a, r, "p256")
        self.assertEqual(self.readyz()[0], 200)
        self.token_away()
        rvr, _nonce = self.make_request(a, r)
        before = self.snapshot()
        st, _h, body = self.post(rvr)
        self.assertEqual((st, body), (503, b"The voucher-signing key is unavailable.\n"))
        self.assertEqual(self.snapshot(), before)
        st, _h, body = self.readyz()
        self.assertEqual((st, body), (503, b"The voucher-signing key is unavailable.\n"))
        st, _h, body = self.post(self.make_request(b, r)[0])
        self.assertEqual((st, body), (503, b"The voucher-signing key is unavailable.\n"))
        self.issue_with(c, r, "default")
        self.token_back()
        self.issue_with(a, r, "p256")
        self.issue_with(b, r, "p384")
        self.issue_with(c, r, "default")

    def test_enrollment_record_names_the_key(self):
        """"signing-key" in an enrollment record (admin API, import) records the key;
        an unknown one is refused and enrolls nothing."""
        self.add_key("p384")
        self.server = self.serve()
        pledge = vtest.brski.new_key("es256")
        rec = {"serial-number": "SN-api", "public-key": brski_pem(pledge), "signing-key": "p384"}
        st, _h, body = vtest.request(self.inst, self.server.admin_port, "POST",
                                     "/admin/v1/devices", json.dumps(rec).encode(),
                                     {"Authorization": "Bearer " + self.inst.token,
                                      "Content-Type": "application/json"})
        self.assertEqual(st, 201, body)
        rec = dict(rec, **{"serial-number": "SN-api-2", "signing-key": "nope"})
        st, _h, body = vtest.request(self.inst, self.server.admin_port, "POST",
                                     "/admin/v1/devices", json.dumps(rec).encode(),
                                     {"Authorization": "Bearer " + self.inst.token,
                                      "Content-Type": "application/json"})
        self.assertEqual(st, 400, body)
        self.assertIn(b'signing key \"nope\" does not exist', body)
        imported = vtest.brski.new_key("es256")
        line = {"serial-number": "SN-import", "public-key": brski_pem(imported),
                "signing-key": "p384"}
        self.cli("device", "import", self.write(json.dumps(line).encode() + b"\n", ".jsonl"))
        self.assertEqual(self.store_rows("SELECT serial, signing_key FROM devices"
                                         " ORDER BY serial"),
                         [("SN-api", "p384"), ("SN-import", "p384")])
        r = self.registrar()
        self.issue_with(vtest.Pledge("SN-api", pledge), r, "p384")
        self.issue_with(vtest.Pledge("SN-import", imported), r, "p384")

    # ---- keys per product (issue 18: "per product, pinned per device") ----------------

    def add_file_key(self, name, alg="es384"):
        """`masa key add NAME --generate ALG`: a file key in keys/ beside masa.json,
        its public key read from the key file masa wrote (with Python's cryptography,
        never from anything masa prints)."""
        p = self.cli("key", "add", name, "--generate", alg)
        self.assertIn("added signing key " + name, p.stdout)
        keys = os.path.join(os.path.dirname(self.inst.config), "keys")
        with open(os.path.join(keys, name + ".key"), "rb") as f:
            pub = serialization.load_pem_private_key(f.read(), None).public_key()
        self.keys[name] = (pub, os.path.join(keys, name + ".crt"))

    def enroll_product(self, product, key=None):
        """A new pledge enrolled with --product (and --signing-key key, if given)."""
        pledge = vtest.brski.new_key("es256")
        serial = "SN-%s-%s" % (product, vtest.new_nonce(4).hex())
        self.cli("device", "add", "--serial", serial, "--pubkey", self.public_pem_file(pledge),
                 "--product", product, *(("--signing-key", key) if key else ()))
        return vtest.Pledge(serial, pledge)

    def admin(self, method, path, body=None):
        st, _h, out = vtest.request(self.inst, self.server.admin_port, method, path,
                                    json.dumps(body).encode() if body is not None else None,
                                    {"Authorization": "Bearer " + self.inst.token,
                                     "Content-Type": "application/json"})
        return st, out

    def device_keys(self):
        return dict(self.store_rows("SELECT serial, signing_key FROM devices"))

    def test_two_products_two_keys(self):
        """A product of a file key (`masa key add --generate`, set with the CLI) and one
        of a token key (set with the admin API): each device records its product's key,
        an explicit "signing-key" wins over the product's, a device without a product
        keeps "default"; every voucher verifies with its device's key and with no
        other."""
        self.add_file_key("filekey")
        self.add_key("p256")
        self.add_key("p384")
        p = self.cli("product", "add", "thermo", "--signing-key", "filekey")
        self.assertTrue(p.stdout.endswith(" signing-key=filekey\n"), p.stdout)
        self.server = self.serve()
        st, body = self.admin("POST", "/admin/v1/products", {"name": "bulb", "signing-key": "p256"})
        self.assertEqual((st, json.loads(body)["signing-key"]), (201, "p256"), body)
        t, b = self.enroll_product("thermo"), self.enroll_product("bulb")
        x, d = self.enroll_product("bulb", key="p384"), self.enroll_with("default")
        self.assertEqual(self.device_keys(), {t.serial: "filekey", b.serial: "p256",
                                              x.serial: "p384", d.serial: "default"})
        r = self.registrar()
        self.issue_with(t, r, "filekey")
        self.issue_with(b, r, "p256")
        self.issue_with(x, r, "p384")
        self.issue_with(d, r, "default")
        self.assertIn(" signing-key=p256\n", self.cli("product", "show", "bulb").stdout)
        listed = [json.loads(l) for l in self.cli("product", "list", "--json").stdout.splitlines()]
        self.assertEqual([(j["name"], j["signing-key"]) for j in listed],
                         [("bulb", "p256"), ("thermo", "filekey")])
        st, body = self.admin("GET", "/admin/v1/products/thermo")
        self.assertEqual((st, json.loads(body)["signing-key"]), (200, "filekey"))
        enrolled = {e[2]: e[4] for e in self.audit_events() if e[1] == "device.enrolled"}
        self.assertEqual(enrolled[t.serial], "public-key key=filekey")
        self.assertEqual(enrolled[b.serial], "public-key key=p256")

    def test_product_rotation(self):
        """Rotating a product's key (CLI, then the admin API) changes only the devices
        enrolled after: the first device keeps the token key, the second gets the file
        key, the third the other token key; each verifies with its key and is refused
        by the others, before and after a later rotation. Each change is audited
        naming the old and the new key."""
        self.add_key("p256")
        self.add_file_key("filekey")
        self.add_key("p384")
        self.cli("product", "add", "thermo", "--signing-key", "p256")
        old = self.enroll_product("thermo")
        self.cli("product", "set", "thermo", "--signing-key", "filekey")
        new = self.enroll_product("thermo")
        self.server = self.serve()
        r = self.registrar()
        self.issue_with(old, r, "p256")
        self.issue_with(new, r, "filekey")
        st, body = self.admin("PUT", "/admin/v1/products/thermo", {"signing-key": "p384"})
        self.assertEqual((st, json.loads(body)["signing-key"]), (200, "p384"), body)
        newest = self.enroll_product("thermo")
        self.issue_with(newest, r, "p384")
        self.issue_with(old, r, "p256")
        self.issue_with(new, r, "filekey")
        self.assertEqual(self.device_keys(), {old.serial: "p256", new.serial: "filekey",
                                              newest.serial: "p384"})
        events = [(e[1], e[4]) for e in self.audit_events() if e[1].startswith("product.")]
        self.assertEqual([ev for ev in events if ev[0] == "product.key-changed"],
                         [("product.key-changed", "product=thermo from=p256 to=filekey"),
                          ("product.key-changed", "product=thermo from=filekey to=p384")])
        self.assertEqual(events[0], ("product.added", "thermo formats=cose,cms,jws "
                                     "registrar-algs=es256,es384,eddsa pin=pubk nonceless=yes "
                                     "signing-key=p256"))
        # a change that keeps the key (here: the pin form) is no key change
        self.cli("product", "set", "thermo", "--pin", "pubk")
        self.assertEqual(len([e for e in self.audit_events() if e[1] == "product.key-changed"]),
                         2)

    def test_retire_refused_while_a_product_names_the_key(self):
        """`masa key retire` is refused, even with --force, while a product names the
        key (its new devices could not be enrolled), and changes nothing; once the
        product names another key the retirement goes through."""
        self.add_key("p256")
        self.cli("product", "add", "thermo", "--signing-key", "p256")
        self.assertIn("\nproducts: 1\n", self.cli("key", "show", "p256").stdout)
        before = self.snapshot()
        for force in ((), ("--force",)):
            with self.subTest(force=force):
                p = self.cli("key", "retire", "p256", *force, ok=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertOneSentence(p.stderr)
                self.assertIn('1 products name signing key "p256" for their new devices: give '
                              'them another key first (masa product set NAME --signing-key KEY)',
                              p.stderr)
                self.assertEqual(self.snapshot(), before)
        self.cli("product", "set", "thermo", "--signing-key", "default")
        listed = {k["name"]: k["products"] for k in json.loads(self.cli("key", "list", "--json")
                                                                .stdout)}
        self.assertEqual(listed, {"default": 1, "p256": 0})
        self.cli("key", "retire", "p256")
        self.assertIn(("key.retired", "name=p256 devices=0"),
                      [(e[1], e[4]) for e in self.audit_events()])

    def test_product_key_refusals(self):
        """add/set with an unknown, retired or ill-formed key (CLI and admin API) are
        refused with one sentence and change nothing."""
        self.add_key("p256")
        self.cli("key", "retire", "p256")
        self.cli("product", "add", "thermo")
        self.server = self.serve()
        before = self.snapshot()
        for args, text in [
                (("add", "bulb", "--signing-key", "nope"),
                 'there is no signing key named "nope" (masa key add adds one)'),
                (("set", "thermo", "--signing-key", "nope"), 'there is no signing key named "nope"'),
                (("add", "bulb", "--signing-key", "p256"),
                 'signing key "p256" is retired: new devices of the product could not be enrolled'),
                (("set", "thermo", "--signing-key", "p256"), 'signing key "p256" is retired'),
                (("set", "thermo", "--signing-key", "x" * 65), "signing-key is a key name")]:
            with self.subTest(args=args):
                p = self.cli("product", *args, ok=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertOneSentence(p.stderr)
                self.assertIn(text, p.stderr)
        for method, path, body, text in [
                ("POST", "/admin/v1/products", {"name": "bulb", "signing-key": "nope"},
                 b'there is no signing key named \"nope\"'),
                ("PUT", "/admin/v1/products/thermo", {"signing-key": "p256"},
                 b'signing key \"p256\" is retired'),
                ("PUT", "/admin/v1/products/thermo", {"signing-key": 7},
                 b'"signing-key" must be a string'),
                ("PUT", "/admin/v1/products/thermo", {"signing-key": "p2\u000056"},
                 b"not the JSON this resource expects"),     # jansson refuses \u0000
                ("PUT", "/admin/v1/products/thermo", {"signing-key": "x" * 65},
                 b"signing-key is a key name: 1 to 64")]:
            with self.subTest(path=path, body=body):
                st, out = self.admin(method, path, body)
                self.assertEqual(st, 400, out)
                self.assertIn(text, out)
                self.assertOneSentence(out.decode())
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.store_rows("SELECT name, signing_key FROM products"),
                         [("thermo", "default")])

    def test_new_product_refused_while_default_is_retired(self):
        """A new product names "default" unless told otherwise: with "default"
        retired, `product add` without --signing-key is refused (one sentence, nothing
        changed), and with a key in service it is added."""
        self.add_key("p256")
        self.cli("key", "retire", "default")
        before = self.snapshot()
        p = self.cli("product", "add", "thermo", ok=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertOneSentence(p.stderr)
        self.assertIn('signing key "default" is retired', p.stderr)
        self.assertEqual(self.snapshot(), before)
        p = self.cli("product", "add", "thermo", "--signing-key", "p256")
        self.assertTrue(p.stdout.endswith(" signing-key=p256\n"), p.stdout)

    def test_enrolment_refused_when_the_products_key_is_retired(self):
        """A product that names a retired key (the commands never leave one so, but a
        store restored from a backup may) enrolls no device: one sentence, nothing
        stored; an explicit "signing-key" in service still enrolls."""
        self.add_key("p256")
        self.add_key("p384")
        self.cli("product", "add", "thermo")
        self.cli("key", "retire", "p256")
        store_edit(self, "UPDATE products SET signing_key = 'p256' WHERE name = 'thermo'")
        before = self.snapshot()
        p = run_device_add(self, None, product="thermo")
        self.assertNotEqual(p.returncode, 0)
        self.assertOneSentence(p.stderr)
        self.assertIn('signing key "p256" of the device\'s product is retired', p.stderr)
        self.assertEqual(self.snapshot(), before)
        late = self.enroll_product("thermo", key="p384")
        self.start()
        self.issue_with(late, self.registrar(), "p384")

    def test_show(self):
        """key show NAME: algorithm, where, status, the public key read back from the
        token and the certificate; --json the same."""
        self.add_key("p384")
        p = self.cli("key", "show", "p384")
        self.assertIn("algorithm: es384\n", p.stdout)
        self.assertIn("where: " + self.token.uri("p384", False) + "\n", p.stdout)
        self.assertIn("status: in service\n", p.stdout)
        pub = serialization.load_pem_public_key(p.stdout[p.stdout.index("-----BEGIN"):]
                                                .encode())
        self.assertEqual(pub.public_numbers(), self.keys["p384"][0].public_numbers())
        j = json.loads(self.cli("key", "show", "p384", "--json").stdout)
        self.assertEqual(serialization.load_pem_public_key(j["public_key"].encode())
                         .public_numbers(), self.keys["p384"][0].public_numbers())
        with open(self.inst.path("p384.crt")) as f:
            self.assertEqual(j["chain"], f.read())


def brski_pem(key):
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def run_device_add(case, key, product=None):
    pledge = vtest.brski.new_key("es256")
    return vtest.run("device", "add", "--config", case.inst.config, "--serial", "SN-late",
                     "--pubkey", case.public_pem_file(pledge),
                     *(("--signing-key", key) if key else ()),
                     *(("--product", product) if product else ()))


def store_edit(case, sql):
    """Runs one statement that writes the instance's store behind masa's back (SQLite
    file or PostgreSQL database), for a state the commands never make."""
    if vtest.BACKEND == "postgresql":
        vtest.pg_server().psql(sql, db=case.inst.database.rsplit("/", 1)[1])
        return
    db = sqlite3.connect(case.inst.path("masa.db"), timeout=10)
    try:
        with db:
            db.execute(sql)
    finally:
        db.close()
