"""deploy/quickstart.sh and `cmake --install` (operator issue 20, findings 1 and 5).

`cmake --install BUILD --prefix DIR` puts a working masa in DIR/bin. The
quickstart is run for real (its own masa init, check, serve and demo) from a
copy of deploy/ in a scratch tree; only the package installation and the
compilation are stand-ins (install-deps.sh prints a line; `cmake -S/--build`
copies the already built binary), while its `cmake --install` runs the real
cmake on this build into MASA_PREFIX. Then: the server stops on its own (the
EXIT trap must not fail under set -e: exit 0, no temp file left), and Ctrl-C
(SIGINT to the process group: exit 0 once the server has drained).

Environment: MASA_BIN (the built binary), MASA_BUILD (its build tree),
MASA_SRC (the source tree).
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import unittest

MASA_BIN = os.environ["MASA_BIN"]
MASA_BUILD = os.environ["MASA_BUILD"]
MASA_SRC = os.environ["MASA_SRC"]
VERSION_LINE_PREFIX = "masa "

CMAKE_STUB = """#!/bin/sh
# Stand-in for cmake: configure copies the built binary, build does
# nothing, install runs the real cmake --install on the real build tree.
case "$1" in
  -S) mkdir -p build/masa && cp "$MASA_BIN" build/masa/masa ;;
  --build) ;;
  --install) shift 2; exec "$REAL_CMAKE" --install "$MASA_BUILD" "$@" ;;
  *) echo "cmake stub: unexpected $*" >&2; exit 2 ;;
esac
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    """Pids whose parent is pid (from /proc)."""
    out = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(stat) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.split("/")[2]))
    return out


class TestInstall(unittest.TestCase):
    def test_cmake_install_prefix(self):
        """cmake --install with --prefix puts masa in PREFIX/bin (GNUInstallDirs), runnable."""
        with tempfile.TemporaryDirectory() as prefix:
            r = subprocess.run(["cmake", "--install", MASA_BUILD, "--prefix", prefix],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            masa = os.path.join(prefix, "bin", "masa")
            self.assertTrue(os.access(masa, os.X_OK), os.listdir(prefix))
            v = subprocess.run([masa, "--version"], capture_output=True, text=True, timeout=30)
            self.assertEqual(v.returncode, 0, v.stderr)
            self.assertTrue(v.stdout.startswith(VERSION_LINE_PREFIX), v.stdout)
            self.assertEqual(v.stdout, subprocess.run([MASA_BIN, "--version"], capture_output=True,
                                                      text=True).stdout)


class TestQuickstart(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="masa-qs-")
        self.repo = os.path.join(self.tmp, "repo")
        self.prefix = os.path.join(self.tmp, "prefix")
        self.tmpdir = os.path.join(self.tmp, "tmpdir")
        stubs = os.path.join(self.tmp, "stubs")
        for d in (self.repo + "/deploy", self.prefix, self.tmpdir, stubs):
            os.makedirs(d)
        shutil.copy(os.path.join(MASA_SRC, "deploy", "quickstart.sh"), self.repo + "/deploy/")
        with open(self.repo + "/deploy/install-deps.sh", "w") as f:
            f.write('echo "install-deps: stand-in"\n')
        with open(stubs + "/cmake", "w") as f:
            f.write(CMAKE_STUB)
        os.chmod(stubs + "/cmake", 0o755)
        # The instance, made beforehand only to give it free ports (the
        # quickstart's own would take 8443 and 8444).
        data = os.path.join(self.repo, "masa-data")
        r = subprocess.run([MASA_BIN, "init", "--dir", data], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(data + "/masa.json") as f:
            cfg = json.load(f)
        cfg["listen"] = "127.0.0.1:%d" % free_port()
        cfg.setdefault("admin", {})["listen"] = "127.0.0.1:%d" % free_port()
        with open(data + "/masa.json", "w") as f:
            json.dump(cfg, f)
        self.env = {"PATH": stubs + ":/usr/bin:/bin", "HOME": self.tmp, "TMPDIR": self.tmpdir,
                    "MASA_PREFIX": self.prefix, "MASA_BIN": MASA_BIN, "MASA_BUILD": MASA_BUILD,
                    "REAL_CMAKE": shutil.which("cmake")}

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self):
        """Runs the quickstart until it says it is serving; returns (process, its output)."""
        p = subprocess.Popen(["bash", self.repo + "/deploy/quickstart.sh"], env=self.env,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        out = []
        for line in p.stdout:
            out.append(line)
            if line.startswith("quickstart: masa is serving"):
                break
        text = "".join(out)
        self.assertIn("quickstart: masa is serving", text)
        return p, text

    def finish(self, p, text):
        """Waits for the quickstart's exit; checks exit 0 and no temp file left."""
        try:
            rest = p.stdout.read()
            rc = p.wait(60)
        finally:
            p.stdout.close()
        self.assertEqual(rc, 0, text + rest)
        # mktemp's file is gone; only the demo's key directory stays (the user's).
        left = sorted(os.listdir(self.tmpdir))
        self.assertEqual([n for n in left if not n.startswith("masa-demo-")], [], left)
        return rest

    def test_installs_masa_and_exits_0_when_the_server_stops(self):
        """The quickstart installs masa (says so, and that PREFIX/bin is not on PATH), runs
        the demo; when the server stops on its own, it exits 0 with no temp file left."""
        p, text = self.start()
        masa = os.path.join(self.prefix, "bin", "masa")
        self.assertIn("quickstart: installed %s\n" % masa, text)
        self.assertIn("%s/bin is not first on your PATH" % self.prefix, text)
        self.assertIn("What next", text)  # the demo ran to its end
        v = subprocess.run([masa, "--version"], capture_output=True, text=True, timeout=30)
        self.assertTrue(v.stdout.startswith(VERSION_LINE_PREFIX), v.stdout + v.stderr)
        servers = children(p.pid)
        self.assertEqual(len(servers), 1, servers)
        os.kill(servers[0], signal.SIGTERM)
        self.finish(p, text)

    def test_ctrl_c_exits_0(self):
        """Ctrl-C (SIGINT to the whole process group): the server drains, exit 0, no temp
        file left."""
        p, text = self.start()
        os.killpg(p.pid, signal.SIGINT)
        self.finish(p, text)

    def test_with_masa_on_path_no_hint(self):
        """With PREFIX/bin first on PATH, no hint about PATH."""
        self.env["PATH"] = os.path.join(self.prefix, "bin") + ":" + self.env["PATH"]
        p, text = self.start()
        self.assertNotIn("not first on your PATH", text)
        os.killpg(p.pid, signal.SIGINT)
        self.finish(p, text)


if __name__ == "__main__":
    unittest.main()
