"""Helpers for end-to-end tests: make a MASA instance with the real
`masa init`, run the real `masa serve`, talk to it over verified HTTPS.

Environment: MASA_BIN (path to the masa binary), MASA_SRC (source tree),
MASA_TEST_DB: "sqlite" (the default: DIR/masa.db) or "postgresql": every
instance gets a new database on a PostgreSQL server the tests start
(pgserver.py), named by `masa init --database`. Suites registered twice in
tests/CMakeLists.txt (the second time as NAME_pg) run once per backend.
"""
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

MASA_BIN = os.environ.get("MASA_BIN", "masa")
MASA_SRC = os.environ.get("MASA_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
# The schema version a fresh or migrated store has: one per migration file.
SCHEMA_LATEST = len([f for f in os.listdir(os.path.join(MASA_SRC, "schema", "sqlite"))
                     if f.endswith(".sql")])
LISTEN_RE = re.compile(r"^listening on https?://(127\.0\.0\.1|\[::1\]):(\d+)$")
ADMIN_RE = re.compile(r"^admin listening on https://(127\.0\.0\.1):(\d+)$")
TOKEN_RE = re.compile(r"^[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$")
BACKEND = os.environ.get("MASA_TEST_DB", "sqlite")
if BACKEND not in ("sqlite", "postgresql"):
    raise RuntimeError("MASA_TEST_DB must be sqlite or postgresql, not %r" % BACKEND)


def sqlite_only(why):
    """Marks a test that looks at the SQLite file itself (its SQL, its pages, a
    copy of it): skipped, with why, when the suite runs on PostgreSQL."""
    return unittest.skipIf(BACKEND != "sqlite", "SQLite-only: " + why)


def pg_server():
    """The PostgreSQL server of this test process (started on first use)."""
    import pgserver
    return pgserver.PgServer.shared()


LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def faketime_env(at):
    """The environment that runs masa with its clock starting at `at` ("YYYY-MM-DD
    HH:MM:SS" UTC) under Debian's libfaketime (package faketime), for published
    vectors whose certificates have expired since."""
    if not os.path.exists(LIBFAKETIME):
        raise AssertionError("libfaketime is missing: install the faketime package "
                             "(deploy/install-deps.sh --test)")
    return dict(os.environ, FAKETIME="@" + at, LD_PRELOAD=LIBFAKETIME, TZ="UTC",
                # the sanitizer's runtime need not come first when libfaketime does
                ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")


def run(*args, timeout=60):
    """Runs `masa ARGS...`; returns the CompletedProcess (text mode)."""
    return subprocess.run([MASA_BIN, *args], capture_output=True, text=True, timeout=timeout)


class Instance:
    """A fresh `masa init` directory inside a temporary directory."""

    def __init__(self, alg="es256", hostname="localhost", database=None):
        self.tmp = tempfile.mkdtemp(prefix="masa-e2e-")
        self.dir = os.path.join(self.tmp, "inst")
        args = ["init", "--dir", self.dir, "--alg", alg]
        if hostname:
            args += ["--hostname", hostname]
        # database: a postgresql:// URL, else a new database on the test
        # server when the suite runs on PostgreSQL, else DIR/masa.db.
        if database is None and BACKEND == "postgresql":
            database = pg_server().new_database()
        self.database = database
        if database:
            args += ["--database", database]
        self.init = run(*args)
        if self.init.returncode != 0:
            raise AssertionError("masa init failed: " + self.init.stderr)
        self.token = self.init.stdout.strip()
        self.config = os.path.join(self.dir, "masa.json")

    @classmethod
    def existing(cls, directory, tmp):
        """An Instance for a directory masa init made before (e.g. a restored copy);
        tmp is the temporary directory cleanup() would remove."""
        inst = cls.__new__(cls)
        inst.tmp, inst.dir, inst.token = tmp, directory, None
        inst.config = os.path.join(directory, "masa.json")
        return inst

    def path(self, name):
        return os.path.join(self.dir, name)

    def edit_config(self, **sections):
        """Merges {section: {key: value}} (or {key: value}) into masa.json."""
        with open(self.config) as f:
            cfg = json.load(f)
        for k, v in sections.items():
            if isinstance(v, dict):
                cfg.setdefault(k, {}).update(v)
            else:
                cfg[k] = v
        with open(self.config, "w") as f:
            json.dump(cfg, f)

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


class Server:
    """`masa serve` on free loopback ports; stop() sends SIGTERM. listen may
    be "http://127.0.0.1:0" (plain HTTP, behind a proxy) or "unix:PATH"
    (then port is None)."""

    def __init__(self, inst, admin=True, extra=(), listen="127.0.0.1:0", env=None,
                 faketime=None, restore_signals=True):
        self.inst = inst
        if not admin:
            # The configured admin port (8444) may be taken by a parallel test.
            inst.edit_config(admin={"listen": None})
        args = [MASA_BIN, "serve", "--config", inst.config, "--listen", listen]
        if admin:
            args += ["--admin-listen", "127.0.0.1:0"]
        self.proc = subprocess.Popen([*args, *extra], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     env=faketime_env(faketime) if faketime else
                                     None if env is None else {**os.environ, **env},
                                     # False: keeps SIGXFSZ ignored as in Python, so that a
                                     # file size limit fails a write instead of killing masa
                                     restore_signals=restore_signals)
        self.stderr_lines = []
        self._t = threading.Thread(target=self._drain_stderr, daemon=True)
        self._t.start()
        self.first_line = self._readline(30)    # migrations and ASan start-up under load
        m = LISTEN_RE.match(self.first_line)
        if listen.startswith("unix:") and self.first_line == "listening on " + listen:
            self.port = None
        elif m:
            self.port = int(m.group(2))
        else:
            self.proc.kill()
            raise AssertionError("unexpected first line %r; stderr: %s"
                                 % (self.first_line, "".join(self.stderr_lines)))
        self.admin_port = None
        if admin:
            m = ADMIN_RE.match(self._readline(30))
            assert m, "no admin listening line"
            self.admin_port = int(m.group(2))

    def _readline(self, timeout):
        box = []
        t = threading.Thread(target=lambda: box.append(self.proc.stdout.readline()))
        t.start()
        t.join(timeout)
        if not box:
            self.proc.kill()
            raise AssertionError("masa serve printed nothing in %ss" % timeout)
        return box[0].rstrip("\n")

    def _drain_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line)

    def log_records(self):
        """The JSON log lines written so far."""
        return [json.loads(l) for l in list(self.stderr_lines)]

    def wait_log(self, text, timeout=15):
        """Waits until a log line's "msg" contains text; returns that record."""
        rec = [None]

        def found():
            for r in self.log_records():
                if text in r.get("msg", ""):
                    rec[0] = r
                    return True
            return False
        wait_for(found, "log line %r; stderr: %s" % (text, "".join(self.stderr_lines[-5:])),
                 timeout)
        return rec[0]

    def wait_stopping(self, timeout=15):
        """After SIGTERM: waits for the log line `signal 15: stopping` and then for the
        listener to refuse new connections (it is quiesced after the line is written)."""
        self.wait_log("signal 15: stopping", timeout)
        wait_for(lambda: not port_open(self.port), "the listener to close", timeout)

    def stop(self, timeout=15):
        """SIGTERM; returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        self._t.join(5)
        return rc


def wait_for(cond, what, timeout=15, step=0.01):
    """Polls cond() until it is true; fails naming what after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
        time.sleep(step)


def port_open(port, host="127.0.0.1"):
    """Whether a TCP connection to host:port is accepted now."""
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def _tcp_socket(local_port, remote_port):
    """(state, receive queue) of the TCP socket local_port <- remote_port from
    /proc/net/tcp (state 01 ESTABLISHED, 08 CLOSE_WAIT...), or None if there is none."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, remote, state, queues = fields[1], fields[2], fields[3], fields[4]
            if (int(local.split(":")[1], 16), int(remote.split(":")[1], 16)) == \
                    (local_port, remote_port):
                return state, int(queues.split(":")[1], 16)
    return None


def _tcp_rx_queue(local_port, remote_port):
    sk = _tcp_socket(local_port, remote_port)
    return sk[1] if sk else None


def wait_closed_by_server(client_ports, server_port, timeout=15):
    """Waits until the server has closed its end of every connection from client_ports
    (no server socket left ESTABLISHED or CLOSE_WAIT)."""
    wait_for(lambda: all((_tcp_socket(server_port, p) or ("07",))[0] not in ("01", "08")
                         for p in client_ports),
             "the server to close the connections", timeout)


def healthz_on(sock):
    """GET /healthz on an open TLS connection; returns the answer's status line."""
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    got = b""
    while not got.endswith(b"\r\n\r\nok\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError("no /healthz answer: %r" % got)
        got += chunk
    return got.split(b"\r\n", 1)[0]


def warm_tls_socket(inst, port, timeout=10):
    """tls_socket after one complete GET /healthz on it: the handshake is over on both
    sides, so what is sent next arrives in records of its own (see
    wait_read_by_server)."""
    s = tls_socket(inst, port, timeout)
    healthz_on(s)
    return s


@contextlib.contextmanager
def notify_socket(timeout):
    """A NOTIFY_SOCKET receiver for sd_notify's datagrams, in a temporary directory:
    yields (the bound socket, with timeout; its path); both gone afterwards."""
    sock_dir = tempfile.mkdtemp(prefix="masa-notify-")
    path = os.path.join(sock_dir, "notify")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        rx.bind(path)
        rx.settimeout(timeout)
        yield rx, path
    finally:
        rx.close()
        shutil.rmtree(sock_dir, ignore_errors=True)


def wait_read_by_server(sock, server_port, timeout=15):
    """Waits until the server has read everything sock sent it (its socket's receive
    queue is empty): a condition, not a sleep, for "the server has the headers". Use a
    warm_tls_socket: right after a handshake the TLS library may hold the request in
    its own buffer, out of the kernel's sight."""
    mine = sock.getsockname()[1]
    wait_for(lambda: _tcp_rx_queue(server_port, mine) == 0,
             "the server to read what was sent", timeout)


def rss_kib(pid):
    """The resident set size of process pid, in KiB."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def tls_context(inst):
    """Verifies the server against the instance's self-signed certificate."""
    ctx = ssl.create_default_context(cafile=inst.path("tls.crt"))
    ctx.check_hostname = True
    return ctx


def request(inst, port, method, path, body=None, headers=None, chunked=False, source=None):
    """One HTTPS request (from the local address source, e.g. "127.0.1.1", if given);
    returns (status, headers dict lower-case, body bytes)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls_context(inst), timeout=10,
                                       source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def tls_socket(inst, port, timeout=10):
    """A raw verified TLS socket, for tests that need to control timing."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context(inst).wrap_socket(raw, server_hostname="127.0.0.1")


class InstanceTest(unittest.TestCase):
    """A test case with a fresh instance per test, cleaned up after."""

    alg = "es256"

    def database(self):
        """The database for this test's instance (None: the suite's backend)."""
        return None

    def setUp(self):
        self.inst = Instance(alg=self.alg, database=self.database())
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
            s._t.join(5)
            s.proc.stdout.close()
            s.proc.stderr.close()
        self.inst.cleanup()

    def serve(self, **kw):
        s = Server(self.inst, **kw)
        self.servers.append(s)
        return s

    def serve_fails(self, timeout=10):
        """Runs serve expecting refusal: returns (returncode, stdout, stderr)."""
        p = subprocess.run([MASA_BIN, "serve", "--config", self.inst.config, "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def assertOneSentence(self, text):
        lines = text.strip("\n").split("\n")
        self.assertEqual(len(lines), 1, "expected one line, got %r" % text)
        self.assertTrue(lines[0].strip(), "empty message")
