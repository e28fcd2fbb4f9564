"""The masa command line: init, check, key show, --help, and refusals."""
import hashlib
import json
import os
import resource
import socket
import sqlite3
import stat
import subprocess
import tempfile
import unittest

import brski
import vtest
import masatest
from masatest import TOKEN_RE, Instance, InstanceTest, run


class TestHelp(unittest.TestCase):
    def test_every_command_has_help(self):
        for args in (["--help"], ["init", "--help"], ["serve", "--help"],
                     ["key", "--help"], ["check", "--help"], ["device", "--help"],
                     ["owner", "--help"], ["registrar", "--help"], ["token", "--help"],
                     ["audit", "--help"], ["db", "--help"], ["demo", "--help"],
                     ["client", "--help"]):
            r = run(*args)
            self.assertEqual(r.returncode, 0, args)
            word = "" if args[0] == "--help" else " " + args[0]
            self.assertTrue(r.stdout.startswith("usage: masa" + word), (args, r.stdout))

    def test_unknown_command_and_option(self):
        r = run("frobnicate")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown command", r.stderr)
        r = run("check", "--bogus")
        self.assertEqual(r.returncode, 2)
        r = run("init")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--dir", r.stderr)
        with tempfile.TemporaryDirectory(prefix="masa-e2e-") as tmp:
            never = os.path.join(tmp, "never-made")
            r = run("init", "--dir", never, "--alg", "rs256")
            self.assertEqual(r.returncode, 2)
            self.assertFalse(os.path.exists(never))

    def assertUsage(self, r, text):
        """Exit 2 and one line on stderr that says text."""
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(text, lines[0])

    def test_usage_errors_name_the_problem(self):
        """An extra operand is named (not "--config is required"); a typo'd
        option gives one line naming it (no getopt line); device lists all
        its subcommands."""
        self.assertUsage(run("serve", "--config", "/nonexistent.json", "extra"),
                         "unexpected argument extra")
        self.assertUsage(run("serve", "--confg", "x"), "unknown option --confg")
        self.assertUsage(run("serve", "--config"), "option --config needs a value")
        self.assertUsage(run("check", "--bogus"), "unknown option --bogus")
        self.assertUsage(run("device", "list"),
                         "(add, import, show, list, release, retire)")


class TestInit(InstanceTest):
    def test_files_and_modes(self):
        d = self.inst.dir
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
        modes = {n: stat.S_IMODE(os.stat(os.path.join(d, n)).st_mode) for n in os.listdir(d)}
        for secret in ("signing.key", "tls.key", "masa.db"):
            self.assertEqual(modes[secret], 0o600, secret)
        for public in ("signing.crt", "tls.crt", "masa.json"):
            self.assertIn(public, modes)

    def test_prints_one_token_and_stores_only_its_hash(self):
        lines = self.inst.init.stdout.splitlines()
        self.assertEqual(len(lines), 1)
        self.assertRegex(lines[0], TOKEN_RE)
        tid, secret = lines[0].split(".")
        db = sqlite3.connect(self.inst.path("masa.db"))
        rows = db.execute("SELECT id, name, role, secret_hash FROM api_tokens").fetchall()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][:3], (tid, "admin", "admin"))
        self.assertTrue(rows[0][3].startswith("$argon2id$v=19$m=19456,t=2,p=1$"))
        self.assertNotIn(secret, rows[0][3])
        events = db.execute("SELECT seq, event FROM audit").fetchall()
        self.assertEqual(events, [(1, "token.created")])
        self.assertEqual(db.execute("PRAGMA user_version").fetchone()[0], masatest.SCHEMA_LATEST)
        db.close()
        with open(self.inst.path("masa.db"), "rb") as f:
            self.assertNotIn(secret.encode(), f.read())

    def test_second_init_refuses_and_changes_nothing(self):
        before = {n: os.stat(self.inst.path(n)).st_mtime_ns for n in os.listdir(self.inst.dir)}
        r = run("init", "--dir", self.inst.dir)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        self.assertIn("already exists", r.stderr)
        self.assertOneSentence(r.stderr)
        after = {n: os.stat(self.inst.path(n)).st_mtime_ns for n in os.listdir(self.inst.dir)}
        self.assertEqual(before, after)

    def test_init_refuses_existing_empty_dir(self):
        d = os.path.join(self.inst.tmp, "empty")
        os.mkdir(d)
        r = run("init", "--dir", d)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertOneSentence(r.stderr)
        self.assertIn(d, r.stderr)
        self.assertEqual(os.listdir(d), [])

    def init_fails(self, *args, fsize=None):
        """masa init into a new directory that fails: exit 1, nothing on stdout, one
        sentence on stderr, and neither the directory nor anything in it is left
        (README: "On failure nothing is left behind"). fsize: the init process's
        RLIMIT_FSIZE, so that a file write past it fails as on a full disk (SIGXFSZ
        left ignored: the write fails with EFBIG instead of killing masa)."""
        parent = tempfile.mkdtemp(dir=self.inst.tmp)
        d = os.path.join(parent, "new")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
                 ) if fsize else None
        r = subprocess.run([masatest.MASA_BIN, "init", "--dir", d, *args], capture_output=True,
                           text=True, timeout=60, preexec_fn=limit, restore_signals=False)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertOneSentence(r.stderr)
        self.assertTrue(r.stderr.startswith("masa: "), r.stderr)
        self.assertEqual(os.listdir(parent), [], "init left something behind")
        return r.stderr

    def test_failure_after_files_were_written_leaves_nothing(self):
        """The database step fails after masa.json, the keys and the certificates are
        written (cmd_init.c writes them first): files of 64 KiB at most, so the first
        migration cannot commit; 8 KiB, so SQLite cannot grow the WAL index; a
        PostgreSQL URL where nothing listens (port 1)."""
        self.assertIn("cannot commit migration", self.init_fails(fsize=65536))
        self.assertEqual(self.init_fails(fsize=8192),
                         "masa: The store is unavailable; try again later.\n")
        self.assertIn("cannot connect to the PostgreSQL database",
                      self.init_fails("--database", "postgresql://masa@127.0.0.1:1/none"))

    def test_check_passes_on_fresh_init(self):
        r = run("check", "--config", self.inst.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("schema version %d of %d" % ((masatest.SCHEMA_LATEST,) * 2), r.stdout)

    def test_tls_certificate_names_the_host(self):
        out = subprocess.run(["openssl", "x509", "-in", self.inst.path("tls.crt"), "-noout",
                              "-ext", "subjectAltName"], capture_output=True, text=True).stdout
        self.assertIn("DNS:localhost", out)
        self.assertIn("IP Address:127.0.0.1", out)

    def san(self, hostname):
        """The TLS certificate's subjectAltName text of a new instance (openssl)."""
        inst = Instance(hostname=hostname)
        self.addCleanup(inst.cleanup)
        return subprocess.run(["openssl", "x509", "-in", inst.path("tls.crt"), "-noout",
                               "-ext", "subjectAltName"], capture_output=True, text=True).stdout

    def test_hostname_default_and_another(self):
        """Without --hostname the certificate names localhost; with --hostname
        masa.example.test it names that host."""
        self.assertIn("DNS:localhost", self.san(None))
        out = self.san("masa.example.test")
        self.assertIn("DNS:masa.example.test", out)
        self.assertNotIn("DNS:localhost", out)


class TestKeyShow(unittest.TestCase):
    """`masa key show` prints the public half of the signing key, per alg,
    as the openssl CLI derives it independently."""

    def test_matches_openssl_for_each_alg(self):
        for alg, marker in (("es256", "prime256v1"), ("es384", "secp384r1"), ("eddsa", "ED25519")):
            with self.subTest(alg=alg):
                inst = Instance(alg=alg)
                try:
                    r = run("key", "show", "--config", inst.config)
                    self.assertEqual(r.returncode, 0, r.stderr)
                    ref = subprocess.run(["openssl", "pkey", "-in", inst.path("signing.key"),
                                          "-pubout"], capture_output=True, text=True, check=True)
                    self.assertEqual(r.stdout, ref.stdout)
                    self.assertTrue(r.stdout.startswith("-----BEGIN PUBLIC KEY-----"))
                    text = subprocess.run(["openssl", "pkey", "-pubin", "-noout", "-text"],
                                          input=r.stdout, capture_output=True, text=True).stdout
                    self.assertIn(marker, text)
                    cert = subprocess.run(["openssl", "x509", "-in", inst.path("signing.crt"),
                                           "-pubkey", "-noout"], capture_output=True, text=True)
                    self.assertEqual(cert.stdout, r.stdout)
                    self.assertEqual(run("check", "--config", inst.config).returncode, 0)
                finally:
                    inst.cleanup()

    def test_requires_subcommand_and_config(self):
        self.assertEqual(run("key").returncode, 2)
        self.assertEqual(run("key", "rotate", "--config", "x").returncode, 2)
        self.assertEqual(run("key", "retire", "--config", "x").returncode, 2)   # no NAME
        self.assertEqual(run("key", "show").returncode, 2)


class TestCheckFindsProblems(InstanceTest):
    """Each problem: exit 1 and one sentence that points at it."""

    def check_fails(self, *expect):
        r = run("check", "--config", self.inst.config)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertOneSentence(r.stderr)
        for e in expect:
            self.assertIn(e, r.stderr)
        return r.stderr

    def test_database_not_in_wal_mode(self):
        """A database in rollback-journal mode that masa cannot put in WAL mode (another
        process holds it): check exits 1 with one sentence naming WAL, nothing on
        stdout. Once it is free, check puts it in WAL mode as serve would and reports
        the settings it read back."""
        self.inst.edit_config(database={"busy_timeout_ms": 200})
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None)
        self.assertEqual(db.execute("PRAGMA journal_mode=DELETE").fetchone()[0], "delete")
        db.execute("BEGIN EXCLUSIVE")
        try:
            r = run("check", "--config", self.inst.config)
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertOneSentence(r.stderr)
        self.assertRegex(r.stderr, r"^masa: cannot put \S+masa\.db in WAL journal mode \(")
        r = run("check", "--config", self.inst.config)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("(WAL, synchronous=FULL, schema version", r.stdout)
        db = sqlite3.connect(self.inst.path("masa.db"))
        self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        db.close()

    def test_world_readable_key(self):
        os.chmod(self.inst.path("signing.key"), 0o644)
        self.check_fails("signing.key", "0644")

    def test_group_readable_tls_key(self):
        os.chmod(self.inst.path("tls.key"), 0o640)
        self.check_fails("tls.key", "0640")

    def test_key_owned_by_another_user(self):
        os.chown(self.inst.path("signing.key"), 65534, 65534)
        self.check_fails("owned by uid 65534")

    def test_symlinked_key(self):
        os.rename(self.inst.path("signing.key"), self.inst.path("real.key"))
        os.symlink(self.inst.path("real.key"), self.inst.path("signing.key"))
        self.check_fails("symbolic link")

    def test_group_writable_config_is_refused(self):
        """Security review F11: a masa.json writable by group or others, or a directory
        above it (or above the keys and database) that is, is refused by check (and
        serve); restoring the modes makes it pass again."""
        cfg, home = self.inst.config, os.path.dirname(self.inst.config)
        os.chmod(cfg, 0o664)
        self.check_fails("masa.json", "0664", "chmod go-w")
        os.chmod(cfg, 0o644)
        mode = os.stat(home).st_mode & 0o7777
        os.chmod(home, 0o777)
        try:
            self.check_fails(home, "0777")
            code, _out, err = self.serve_fails()
            self.assertEqual(code, 1, err)
            self.assertIn("0777", err)
        finally:
            os.chmod(home, mode)
        self.assertEqual(run("check", "--config", cfg).returncode, 0)

    def test_world_readable_database(self):
        os.chmod(self.inst.path("masa.db"), 0o644)
        self.check_fails("masa.db", "0644")

    def test_unknown_key(self):
        self.inst.edit_config(limits={"body_max": 1})
        self.check_fails('"limits.body_max"')

    def test_wrong_type(self):
        self.inst.edit_config(limits={"shutdown_grace_s": "two"})
        self.check_fails('"limits.shutdown_grace_s"')

    def test_alg_does_not_match_key(self):
        self.inst.edit_config(signing={"alg": "eddsa"})
        self.check_fails("not a key for algorithm eddsa")

    def test_cert_does_not_match_key(self):
        self.inst.edit_config(signing={"cert": "tls.crt"})
        self.check_fails("does not certify")

    def test_missing_database(self):
        os.unlink(self.inst.path("masa.db"))
        self.check_fails("does not exist")

    def test_newer_schema(self):
        db = sqlite3.connect(self.inst.path("masa.db"))
        db.execute("PRAGMA user_version=42")
        db.close()
        self.check_fails("newer than this masa")
        # serve refuses it too: one sentence, exit 1, no listener
        rc, out, err = self.serve_fails()
        self.assertEqual((rc, out), (1, ""), err)
        self.assertOneSentence(err)
        self.assertIn("newer than this masa", err)

    def test_tls_certificate_does_not_match_key(self):
        self.inst.edit_config(tls={"cert": "signing.crt"})
        self.check_fails("TLS certificate", "does not match the key", "tls.key")

    def test_key_show_refuses_a_symlinked_key(self):
        os.rename(self.inst.path("signing.key"), self.inst.path("real.key"))
        os.symlink(self.inst.path("real.key"), self.inst.path("signing.key"))
        r = run("key", "show", "--config", self.inst.config)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertOneSentence(r.stderr)
        self.assertIn("symbolic link", r.stderr)

    def test_config_not_json(self):
        with open(self.inst.config, "w") as f:
            f.write("{ listen: ")
        self.check_fails("not valid JSON")


class TestServeBind(InstanceTest):
    """A listener that cannot bind: one sentence naming the address and the
    cause, no libmicrohttpd log line."""

    def serve_on(self, listen):
        self.inst.edit_config(admin={"listen": None})
        return run("serve", "--config", self.inst.config, "--listen", listen, timeout=20)

    def test_port_in_use(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            r = self.serve_on("127.0.0.1:%d" % port)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "masa: 127.0.0.1:%d is already in use (another masa serve?)\n"
                         % port)

    def test_address_not_of_this_host(self):
        r = self.serve_on("192.0.2.1:8443")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "masa: 192.0.2.1:8443 is not an address of this host\n")


class TestEnrollmentCommands(InstanceTest):
    """device add/release, owner add/assign, registrar block: results in the
    store, refusals as one sentence with nothing changed, audit entries."""

    def setUp(self):
        super().setUp()
        self.keys = {}
        for name in ("k1", "k2", "reg"):
            path = self.inst.path(name + ".pem")
            key = subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                                  "ec_paramgen_curve:P-256"], capture_output=True, check=True).stdout
            pub = subprocess.run(["openssl", "pkey", "-pubout"], input=key,
                                 capture_output=True, check=True).stdout
            with open(path, "wb") as f:
                f.write(pub)
            self.keys[name] = path

    def masa(self, *args):
        return run(args[0], "--config", self.inst.config, *args[1:])

    def rows(self, sql):
        db = sqlite3.connect(self.inst.path("masa.db"))
        try:
            return db.execute(sql).fetchall()
        finally:
            db.close()

    # --- --json on the read commands (operator issue 20) --------------------------------

    def spki_sha256(self, pub_path):
        der = subprocess.run(["openssl", "pkey", "-pubin", "-in", pub_path, "-outform", "DER"],
                             capture_output=True, check=True).stdout
        return hashlib.sha256(der).hexdigest()

    def test_device_show_and_list_json(self):
        """device show/list --json: one JSON object a device, with the store's values;
        without --json, fields and a table for people."""
        self.assertEqual(self.masa("owner", "add", "acme", "--registrar-key",
                                   self.keys["reg"]).returncode, 0)
        self.assertEqual(self.masa("device", "add", "--serial", "SN2", "--pubkey", self.keys["k2"],
                                   "--owner", "acme").returncode, 0)
        self.assertEqual(self.masa("product", "add", "widget").returncode, 0)
        self.assertEqual(self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"],
                                   "--product", "widget").returncode, 0)
        self.assertEqual(self.masa("device", "retire", "SN2").returncode, 0)
        r = self.masa("device", "show", "--json", "SN1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 1, r.stdout)
        d = json.loads(r.stdout)
        self.assertEqual(d["serial-number"], "SN1")
        self.assertEqual(d["public-key-sha256"], self.spki_sha256(self.keys["k1"]))
        self.assertEqual((d["product"], d["owner"], d["pinned-registrar"]), ("widget", None, None))
        self.assertEqual((d["idevid"], d["retired"], d["tokens-left"], d["vouchers-issued"]),
                         (False, False, 24, 0))
        r = self.masa("device", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual([x["serial-number"] for x in listed], ["SN1", "SN2"])
        self.assertEqual(listed[0], d)
        self.assertEqual((listed[1]["owner"], listed[1]["retired"]), ("acme", True))
        self.assertEqual(listed[1]["public-key-sha256"], self.spki_sha256(self.keys["k2"]))
        # For people: "field value" lines and a table with a header row.
        shown = self.masa("device", "show", "SN1").stdout.splitlines()
        self.assertIn("product            widget", shown)
        self.assertIn("owner              -", shown)
        table = self.masa("device", "list").stdout.splitlines()
        self.assertEqual(len(table), 3, table)
        self.assertEqual(table[0].split(), ["SERIAL", "PRODUCT", "OWNER", "PINNED", "TOKENS",
                                            "VOUCHERS", "RETIRED"])
        self.assertEqual(table[2].split(), ["SN2", "-", "acme", "-", "24", "0", "yes"])

    def test_token_list_json(self):
        """token list --json: name, role, id (the token's prefix) and creation time; no secret."""
        r = self.masa("token", "create", "--role", "auditor", "--name", "ci")
        self.assertEqual(r.returncode, 0, r.stderr)
        token_id = r.stdout.strip().split(".")[0]
        r = self.masa("token", "list", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = {t["name"]: t for t in map(json.loads, r.stdout.splitlines())}
        self.assertEqual(sorted(rows), ["admin", "ci"])
        self.assertEqual(rows["ci"]["role"], "auditor")
        self.assertEqual(rows["ci"]["id"], token_id)
        self.assertEqual(rows["admin"]["id"], self.inst.token.split(".")[0])
        for t in rows.values():
            self.assertEqual(sorted(t), ["created", "id", "name", "role"])
            self.assertRegex(t["created"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_audit_verify_json(self):
        """audit verify --json: entries and head as the database has them; a broken chain
        gives ok false, the entry and exit 1."""
        self.assertEqual(self.masa("device", "add", "--serial", "SN1", "--pubkey",
                                   self.keys["k1"]).returncode, 0)
        r = self.masa("audit", "verify", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        v = json.loads(r.stdout)
        (count, head), = self.rows("SELECT count(*), (SELECT hex(hash) FROM audit "
                                   "ORDER BY seq DESC LIMIT 1) FROM audit")
        self.assertEqual(v, {"ok": True, "entries": count, "head": head.lower()})
        self.assertGreaterEqual(count, 2)
        c = sqlite3.connect(self.inst.path("masa.db"))
        c.execute("DROP TRIGGER audit_no_update")
        c.execute("UPDATE audit SET detail = detail || 'x' WHERE seq = 1")
        c.commit()
        c.close()
        r = self.masa("audit", "verify", "--json")
        self.assertEqual(r.returncode, 1, r.stdout)
        v = json.loads(r.stdout)
        self.assertEqual((v["ok"], v["broken-entry"]), (False, 1))
        self.assertTrue(v["why"])

    def test_device_add_is_idempotent_and_refuses_another_key(self):
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"])
        self.assertEqual((r.returncode, r.stdout), (0, "enrolled SN1\n"))
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"])
        self.assertEqual((r.returncode, r.stdout), (0, "unchanged SN1\n"))
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k2"])
        self.assertEqual(r.returncode, 1)
        self.assertOneSentence(r.stderr)
        self.assertIn("already enrolled with another key", r.stderr)
        self.assertEqual(self.rows("SELECT count(*) FROM devices"), [(1,)])
        self.assertEqual(self.rows("SELECT event, serial FROM audit WHERE event LIKE 'device.%'"),
                         [("device.enrolled", "SN1")])

    def test_readding_with_other_product_is_a_conflict(self):
        """Same serial and key but another product: refused (not silently kept);
        without a product it is unchanged; a serial with '/' is refused."""
        for product in ("A", "B"):
            self.assertEqual(self.masa("product", "add", product).returncode, 0)
        self.assertEqual(self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"],
                                   "--product", "A").returncode, 0)
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"],
                      "--product", "B")
        self.assertEqual(r.returncode, 1)
        self.assertIn("another product or owner", r.stderr)
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"])
        self.assertEqual((r.returncode, r.stdout), (0, "unchanged SN1\n"))
        self.assertEqual(self.rows("SELECT product FROM devices"), [("A",)])
        r = self.masa("device", "add", "--serial", "SN/2", "--pubkey", self.keys["k2"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("must not contain '/'", r.stderr)

    def test_device_add_refusals(self):
        cases = [
            (["--serial", "SN1"], 2),                                   # no key
            (["--serial", "SN1", "--pubkey", self.keys["k1"], "--idevid", "x"], 2),
            (["--serial", "", "--pubkey", self.keys["k1"]], 2),          # empty serial
            (["--serial", "a\tb", "--pubkey", self.keys["k1"]], 2),     # control character
            (["--serial", "SN1", "--pubkey", self.inst.path("nope.pem")], 1),
            (["--serial", "SN1", "--pubkey", self.inst.config], 1),      # not a key
            (["--serial", "SN1", "--idevid", self.keys["k1"]], 1),       # a key, not a cert
            (["--serial", "SN1", "--pubkey", self.keys["k1"], "--owner", "nobody"], 1),
        ]
        for extra, code in cases:
            with self.subTest(extra=extra):
                r = self.masa("device", "add", *extra)
                self.assertEqual(r.returncode, code, r.stderr)
                self.assertOneSentence(r.stderr)
        self.assertEqual(self.rows("SELECT count(*) FROM devices"), [(0,)])

    def test_private_key_as_pubkey(self):
        """A private key given to --pubkey is named as one, with the command
        that makes the public key."""
        key = self.inst.path("priv.pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-out", key], check=True)
        r = self.masa("device", "add", "--serial", "SN1", "--pubkey", key)
        self.assertEqual(r.returncode, 1)
        self.assertOneSentence(r.stderr)
        self.assertIn("masa: %s holds a private key; --pubkey takes the device's public key"
                      % key, r.stderr)
        self.assertIn("openssl pkey -in %s -pubout" % key, r.stderr)
        self.assertEqual(self.rows("SELECT count(*) FROM devices"), [(0,)])

    def test_idevid_serial_must_match(self):
        pki = os.path.join(self.inst.tmp, "pki")
        subprocess.run(["bash", os.path.join(os.environ.get("MASA_SRC", "../.."), "keys",
                                             "gen-dev-pki.sh"), pki], check=True,
                       capture_output=True)
        cert = os.path.join(pki, "pledge-es256-SN0001.crt")
        r = self.masa("device", "add", "--serial", "SN0002", "--idevid", cert)
        self.assertEqual(r.returncode, 1)
        self.assertIn('serialNumber is "SN0001"', r.stderr)
        r = self.masa("device", "add", "--serial", "SN0001", "--idevid", cert)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows("SELECT serial, idevid IS NOT NULL FROM devices"),
                         [("SN0001", 1)])

    def test_release_unknown_serial(self):
        r = self.masa("device", "release", "NOPE")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no device with serial NOPE", r.stderr)

    def test_owner_assign_is_all_or_nothing(self):
        self.masa("device", "add", "--serial", "SN1", "--pubkey", self.keys["k1"])
        r = self.masa("owner", "add", "acme", "--registrar-key", self.keys["reg"])
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.masa("owner", "assign", "acme", "SN1", "MISSING")
        self.assertEqual(r.returncode, 1)
        self.assertIn("MISSING", r.stderr)
        self.assertEqual(self.rows("SELECT owner_id FROM devices"), [(None,)])
        r = self.masa("owner", "assign", "acme", "SN1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.rows("SELECT o.name FROM devices d JOIN owners o ON o.id = d.owner_id"),
                         [("acme",)])
        self.assertEqual(self.rows("SELECT count(*) FROM registrar_keys WHERE owner_id IS NOT NULL"),
                         [(1,)])

    def test_registrar_block(self):
        r = self.masa("registrar", "block", "--sha256", "zz")
        self.assertEqual(r.returncode, 2)
        r = self.masa("registrar", "block", "--key", self.keys["reg"], "--reason", "abuse")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.masa("registrar", "block", "--key", self.keys["reg"])
        self.assertEqual(r.returncode, 0, r.stderr)     # blocking twice changes nothing
        self.assertEqual(self.rows("SELECT reason FROM blocked_registrars"), [("abuse",)])
        self.assertEqual(self.rows("SELECT count(*) FROM audit WHERE event = 'registrar.blocked'"),
                         [(1,)])


if __name__ == "__main__":
    unittest.main()


class TestCliAuditTrail(vtest.VoucherCase):
    """README: "Every change made by these commands is written to the audit trail":
    each store-changing command writes exactly its entries (source `cli`, the event, the
    serial, the registrar key's hash, the detail), and a refused command writes none."""

    def run_audited(self, want, *args, ok=True):
        """Runs masa ARGS (exit 0, or 1 when not ok) and checks that its new audit rows
        are exactly want: [(event, serial, registrar or None, detail)]."""
        seq = self.audit_seq()
        p = self.cli(*args, ok=ok)
        if not ok:
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertOneSentence(p.stderr)
        rows = self.audit_entries(seq)
        self.assertEqual([(r["event"], r["serial"], r["registrar_sha256"], r["detail"])
                          for r in rows],
                         [(e, s, brski.sha256(r.spki) if r else None, d) for e, s, r, d in want],
                         " ".join(args))
        self.assertTrue(all(r["source"] == "cli" and r["nonce"] is None for r in rows), rows)

    def test_every_change_is_audited(self):
        r = self.registrar()
        key = self.public_pem_file(r.key)
        seq = self.audit_seq()
        p, q = self.enroll(), self.enroll()
        self.assertEqual([(x["event"], x["serial"], x["source"]) for x in self.audit_entries(seq)],
                         [("device.enrolled", p.serial, "cli"), ("device.enrolled", q.serial,
                                                                 "cli")])
        self.run_audited([("owner.added", None, None, "acme"),
                          ("owner.key-added", None, r, "acme")],
                         "owner", "add", "acme", "--registrar-key", key)
        self.run_audited([], "owner", "add", "acme", "--registrar-key", key)  # nothing new
        self.run_audited([("owner.assigned", p.serial, None, "acme"),
                          ("owner.assigned", q.serial, None, "acme")],
                         "owner", "assign", "acme", p.serial, q.serial)
        self.run_audited([("device.released", p.serial, None, "")],
                         "device", "release", p.serial)
        self.run_audited([("device.retired", p.serial, None, "")],
                         "device", "retire", p.serial)
        self.run_audited([("registrar.blocked", None, r, "compromised")],
                         "registrar", "block", "--key", key, "--reason", "compromised")
        self.assertEqual(self.query("SELECT reason FROM blocked_registrars"),
                         [("compromised",)])
        self.run_audited([("registrar.unblocked", None, r, "")],
                         "registrar", "unblock", "--key", key)
        self.assertEqual(self.query("SELECT COUNT(*) FROM blocked_registrars"), [(0,)])
        pem = brski._public(brski.new_key()).public_bytes(
            brski.serialization.Encoding.PEM,
            brski.serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        path = self.write(('{"serial-number": "IMP1", "public-key": %s}\n'
                           % json.dumps(pem)).encode(), ".jsonl")
        self.run_audited([("device.enrolled", "IMP1", None, "public-key")],
                         "device", "import", path)

    def test_refused_commands_write_nothing(self):
        r = self.registrar()
        key = self.public_pem_file(r.key)
        before = self.snapshot()
        self.run_audited([], "registrar", "unblock", "--key", key, ok=False)
        self.run_audited([], "device", "retire", "NOPE", ok=False)
        self.run_audited([], "device", "release", "NOPE", ok=False)
        self.run_audited([], "owner", "assign", "nobody", "NOPE", ok=False)
        self.assertEqual(self.snapshot(), before)
