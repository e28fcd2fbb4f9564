"""deploy/container/Containerfile, built and run for real with podman (issue 21, A11 row 17).

No registry is reached: the base image `debian:bookworm-slim` is made here by debootstrap
(minbase) from the machine's configured Debian mirror and imported under that name, and the
build runs with --pull=never. Everything podman stores (images, containers, the volume) lives
in a temporary directory that is removed at the end.

Then exactly what README "Container" says: `masa init` in the image into the volume, `podman
run -d --read-only -v VOLUME:/var/lib/masa -p 127.0.0.1:P:8443 -p 127.0.0.1:A:8444`, and from
the host, over HTTPS verified against the instance's tls.crt for the name given to init:
/healthz and /readyz on both listeners, a COSE voucher for a pledge enrolled with `masa device
add` in the image (request built and voucher verified by tests/e2e/brski.py), the service
process's user (masa, 10001:10001) and its read-only root file system as the host's /proc sees
them, SIGHUP through `podman kill`, and a clean stop (exit 0) on `podman stop`.

How podman is run, and why (this machine: root without CAP_SYS_RESOURCE, cgroup v1 with a v2
hierarchy beside it, no systemd as PID 1):
- --runtime runc: crun 1.8 refuses the hybrid cgroup layout ("cgroups in hybrid mode not
  supported, drop all controllers from cgroupv2"); runc takes v1, hybrid and v2 alike.
- build --isolation chroot: the RUN steps need no OCI runtime (nor its cgroups).
- --ulimit nofile/nproc: podman's defaults for root (nofile 1048576) are above the hard limits
  here, which the container runtime may not raise ("setrlimit RLIMIT_NOFILE: Operation not
  permitted").
- --cgroup-manager cgroupfs, --events-backend file: no systemd, no journal.
- --network-backend netavark: with only netavark installed, containers-common's CNI file
  /etc/cni/net.d/87-podman-bridge.conflist would otherwise have podman try CNI plugins.

A build or a run that fails makes the test fail (setUpClass raises), never skip.
Environment: MASA_SRC (the source tree, the build context). MASA_DEBIAN_MIRROR overrides the
mirror read from /etc/apt/sources.list*. Needs root, podman, runc, debootstrap.
"""
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

from cryptography import x509
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import brski  # noqa: E402  (the independent registrar/pledge/verifier of the e2e tests)

MASA_SRC = os.environ["MASA_SRC"]
IMAGE = "localhost/masa:ctest"
BASE = "docker.io/library/debian:bookworm-slim"
HOSTNAME = "masa.example.com"
INSTANCE = "/var/lib/masa/instance"
CONFIG = INSTANCE + "/masa.json"
COSE = "application/voucher+cose"
MASA_UID = 10001


def debian_mirror():
    """The Debian archive URI apt is configured with (deb822 or one-line sources)."""
    if os.environ.get("MASA_DEBIAN_MIRROR"):
        return os.environ["MASA_DEBIAN_MIRROR"]
    paths = ["/etc/apt/sources.list"]
    d = "/etc/apt/sources.list.d"
    if os.path.isdir(d):
        paths += sorted(os.path.join(d, n) for n in os.listdir(d))
    for path in paths:
        try:
            with open(path) as f:
                text = f.read()
        except OSError:
            continue
        for uri in re.findall(r"^URIs:\s*(\S+)", text, re.M) + \
                re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M):
            if uri.rstrip("/").endswith("/debian"):
                return uri
    raise AssertionError("no Debian mirror in /etc/apt/sources.list*: set MASA_DEBIAN_MIRROR")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Podman:
    """podman with its whole storage under one directory."""

    def __init__(self, top):
        self.top = top
        self.base = ["podman", "--root", top + "/root", "--runroot", top + "/run",
                     "--tmpdir", top + "/libpod", "--storage-driver", "overlay",
                     "--cgroup-manager", "cgroupfs", "--events-backend", "file",
                     "--runtime", "runc", "--network-backend", "netavark"]
        self.env = dict(os.environ, TMPDIR=top + "/tmp")
        os.makedirs(top + "/tmp")

    def __call__(self, *args, timeout=120, ok=True, **kw):
        """Runs podman ARGS; asserts exit 0 unless ok=False; returns the CompletedProcess."""
        r = subprocess.run(self.base + list(args), capture_output=True, text=True,
                           timeout=timeout, env=self.env, **kw)
        if ok and r.returncode != 0:
            raise AssertionError("podman %s: exit %d\n%s%s" % (" ".join(args[:3]), r.returncode,
                                                             r.stdout[-3000:], r.stderr[-3000:]))
        return r


def ulimits():
    """--ulimit options within this process's hard limits (see the module comment)."""
    nofile = min(resource.getrlimit(resource.RLIMIT_NOFILE)[1], 4096)
    return ["--ulimit", "nofile=%d:%d" % (nofile, nofile), "--ulimit", "nproc=1024:1024"]


class Container(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="masa-ctr-")
        cls.podman = Podman(cls.tmp)
        cls.name = "masa-ctest-%s" % secrets.token_hex(4)
        cls.volume = cls.name + "-data"
        cls.times = {}
        try:
            cls.build()
            cls.start()
        except BaseException:
            cls.cleanup()
            raise

    @classmethod
    def timed(cls, what, fn):
        t = time.monotonic()
        fn()
        cls.times[what] = time.monotonic() - t
        print("container: %s took %.0f s" % (what, cls.times[what]), file=sys.stderr)

    @classmethod
    def build(cls):
        """The base image by debootstrap (no registry), then the Containerfile."""
        rootfs = cls.tmp + "/rootfs"

        def debootstrap():
            r = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs,
                                debian_mirror()], capture_output=True, text=True, timeout=900)
            if r.returncode != 0:
                raise AssertionError("debootstrap: exit %d\n%s" % (r.returncode, r.stdout[-3000:]
                                                                    + r.stderr[-3000:]))

        def import_base():
            tar = subprocess.Popen(["tar", "-C", rootfs, "-c", "."], stdout=subprocess.PIPE)
            try:
                cls.podman("import", "-", BASE, stdin=tar.stdout, timeout=300)
            finally:
                tar.stdout.close()
                if tar.wait() != 0:
                    raise AssertionError("tar of the debootstrap tree failed")
            shutil.rmtree(rootfs)

        def build():
            cls.podman("build", "--pull=never", "--isolation", "chroot", "--network", "host",
                       "-f", os.path.join(MASA_SRC, "deploy", "container", "Containerfile"),
                       "-t", IMAGE, MASA_SRC, timeout=2400)

        cls.timed("debootstrap", debootstrap)
        cls.timed("import", import_base)
        cls.timed("build", build)

    @classmethod
    def start(cls):
        """README "Container": masa init into the volume, a pledge enrolled, then serve."""
        vol = ["-v", cls.volume + ":/var/lib/masa"]
        r = cls.podman("run", "--rm", *ulimits(), *vol, "--entrypoint", "masa", IMAGE,
                       "init", "--dir", INSTANCE, "--hostname", HOSTNAME)
        cls.token = r.stdout.strip()
        cls.data = cls.podman("volume", "inspect", cls.volume, "--format",
                              "{{.Mountpoint}}").stdout.strip() + "/instance"
        # One pledge, enrolled by its public key from a read-only mount.
        cls.pledge_key = brski.new_key("es256")
        cls.serial = "SN-CTR-%s" % secrets.token_hex(3)
        inbox = cls.tmp + "/in"
        os.makedirs(inbox)
        os.chmod(inbox, 0o755)
        brski.write_pem_public(cls.pledge_key, inbox + "/pledge.pem")
        os.chmod(inbox + "/pledge.pem", 0o644)
        cls.podman("run", "--rm", *ulimits(), *vol, "-v", inbox + ":/in:ro", "--entrypoint",
                   "masa", IMAGE, "device", "add", "--config", CONFIG, "--serial", cls.serial,
                   "--pubkey", "/in/pledge.pem")
        cls.port, cls.admin_port = free_port(), free_port()
        cls.podman("run", "-d", "--name", cls.name, "--read-only", *ulimits(), *vol,
                   "-p", "127.0.0.1:%d:8443" % cls.port, "-p", "127.0.0.1:%d:8444" % cls.admin_port,
                   IMAGE)
        deadline = time.monotonic() + 60
        while True:
            try:
                if cls.get(cls.port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                logs = cls.podman("logs", cls.name, ok=False)
                raise AssertionError("the container does not answer /healthz within 60 s:\n"
                                     + logs.stdout + logs.stderr)
            time.sleep(0.2)

    @classmethod
    def tearDownClass(cls):
        try:
            # `podman stop`: SIGTERM (the image's STOPSIGNAL), masa drains and exits 0.
            cls.podman("stop", "-t", "30", cls.name, timeout=60)
            code = cls.podman("inspect", cls.name, "--format", "{{.State.ExitCode}}").stdout
            logs = cls.logs()
            if code.strip() != "0" or '"msg":"stopped"' not in logs:
                raise AssertionError("podman stop: exit code %s\n%s" % (code.strip(), logs[-2000:]))
        finally:
            cls.cleanup()

    @classmethod
    def cleanup(cls):
        """Everything podman stored, then the directory; fails if a mount stays behind."""
        cls.podman("system", "reset", "--force", timeout=300, ok=False)
        with open("/proc/self/mountinfo") as f:
            left = [line.split()[4] for line in f if cls.tmp in line.split()[4]]
        for m in sorted(left, reverse=True):
            subprocess.run(["umount", "-l", m], capture_output=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if left:
            raise AssertionError("podman left mounts behind: %s" % left)

    # ---- the host's view -------------------------------------------------------------

    @classmethod
    def connection(cls, port):
        """HTTPS to 127.0.0.1:port, verified against the instance's tls.crt for HOSTNAME
        (the name given to masa init), as a client resolving that name would."""
        ctx = ssl.create_default_context(cafile=cls.data + "/tls.crt")
        conn = http.client.HTTPSConnection(HOSTNAME, port, context=ctx, timeout=10)
        conn._create_connection = lambda addr, *a, **kw: socket.create_connection(
            ("127.0.0.1", addr[1]), *a, **kw)
        return conn

    @classmethod
    def get(cls, port, path, method="GET", body=None, headers=None):
        conn = cls.connection(port)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            conn.close()

    @classmethod
    def logs(cls):
        """The container's output so far (stdout and stderr)."""
        r = cls.podman("logs", cls.name)
        return r.stdout + r.stderr

    def pid(self):
        """The service process's pid as the host sees it."""
        return int(self.podman("inspect", self.name, "--format", "{{.State.Pid}}").stdout)

    def exec(self, *args, ok=True):
        return self.podman("exec", self.name, *args, ok=ok)

    # ---- tests -----------------------------------------------------------------------

    def test_healthz_and_readyz_on_both_listeners(self):
        """/healthz 200 ok and /readyz 200 ready, on the published public and admin ports."""
        for port in (self.port, self.admin_port):
            st, _, body = self.get(port, "/healthz")
            self.assertEqual((st, body.strip()), (200, b"ok"))
            st, _, body = self.get(port, "/readyz")
            self.assertEqual((st, body.strip()), (200, b"ready"))

    def test_voucher_issued_and_verified(self):
        """A registrar's request for the enrolled pledge gets a COSE voucher signed by the
        key `masa key show` prints in the container, with the MASA certificate of the volume
        in its x5bag (brski.py checks signature, leaves and structure)."""
        registrar_key = brski.new_key("es256")
        registrar_cert = brski.self_signed_cert(registrar_key, "registrar")
        nonce = secrets.token_bytes(16)
        spki = brski.spki_der(registrar_key)
        pvr = brski.make_pvr(self.pledge_key, self.serial, nonce, proximity=("pubk", spki))
        rvr = brski.make_rvr(registrar_key, self.serial, nonce, pvr, x5bag=[registrar_cert])
        st, ctype, body = self.get(self.port, "/.well-known/brski/requestvoucher", "POST", rvr,
                                   {"Content-Type": COSE})
        self.assertEqual(st, 200, body)
        self.assertEqual(ctype, COSE)
        shown = self.exec("masa", "key", "show", "--config", CONFIG).stdout
        masa_key = serialization.load_pem_public_key(shown.encode())
        with open(self.data + "/signing.crt", "rb") as f:
            cert = x509.load_pem_x509_certificate(f.read())
        self.assertEqual(brski.spki_der(cert), brski.spki_der(masa_key))
        leaves = brski.parse_voucher(body, masa_key)
        self.assertEqual(leaves["serial-number"], self.serial)
        self.assertEqual(leaves["nonce"], nonce)
        self.assertEqual(leaves["assertion"], 2)
        self.assertEqual(leaves["pinned-domain-pubk"], spki)
        self.assertEqual(leaves["x5bag"], [cert.public_bytes(serialization.Encoding.DER)])

    def test_runs_as_masa_not_root(self):
        """The service process (PID 1 of the container) is uid and gid 10001, user masa."""
        with open("/proc/%d/status" % self.pid()) as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        self.assertEqual(status["Uid"].split(), [str(MASA_UID)] * 4)
        self.assertEqual(status["Gid"].split(), [str(MASA_UID)] * 4)
        self.assertEqual(self.exec("id", "-un").stdout.strip(), "masa")
        with open("/proc/%d/cmdline" % self.pid(), "rb") as f:
            self.assertEqual(f.read().split(b"\0")[:2], [b"/usr/local/bin/masa", b"serve"])

    def test_root_filesystem_read_only_volume_writable(self):
        """The process's / is mounted ro; writing there fails, in the volume it works."""
        with open("/proc/%d/mountinfo" % self.pid()) as f:
            root = [line.split() for line in f if line.split()[4] == "/"]
        self.assertEqual(len(root), 1, root)
        self.assertIn("ro", root[0][5].split(","))
        r = self.exec("touch", "/usr/local/bin/probe", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Read-only file system", r.stderr)
        self.exec("touch", "/var/lib/masa/probe")
        self.assertEqual(os.stat(os.path.dirname(self.data) + "/probe").st_uid, MASA_UID)
        self.exec("rm", "/var/lib/masa/probe")

    def test_sighup_through_podman_kill_reloads(self):
        """`podman kill --signal HUP` reaches masa: it reloads TLS and keeps serving."""
        self.podman("kill", "--signal", "HUP", self.name)
        deadline = time.monotonic() + 15
        while "reload: TLS certificate and key read again" not in self.logs():
            self.assertLess(time.monotonic(), deadline, "no reload logged after SIGHUP")
            time.sleep(0.1)
        self.assertEqual(self.get(self.port, "/healthz")[0], 200)


if __name__ == "__main__":
    unittest.main()
