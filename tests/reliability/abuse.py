"""Resource limits under abuse (issue 19), each with its figure:

- ABUSE_CONNS (10,000) TCP connections attempted at once from 400 loopback
  addresses against the public listener (limit 256): those past the limit are
  closed by the server, it does not crash, and a request is served meanwhile
  and after;
- a 1 GiB chunked upload to the admin import (and one announced with
  Content-Length): refused at admin.body_max_bytes, the server's memory flat;
- 1 MB of request headers: refused, the server unharmed;
- a body that trickles in a byte a second: dropped at limits.body_timeout_s.

Prints one line per case. ctest runs it as `security_abuse` with ABUSE_CONNS
2000 and ABUSE_MEMORY_BOUND empty (no memory bound) under ASan; run it alone on
a Release build for the README's figures:

    cd tests/reliability && MASA_BIN=/path/to/masa MASA_SRC=/path/to/tree \\
        /usr/bin/python3 abuse.py
"""
import os
import resource
import select
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from masatest import request, rss_kib, tls_context  # noqa: E402
from test_ops import OpsCase  # noqa: E402

CONNS = int(os.environ.get("ABUSE_CONNS", "10000"))
# The memory bound of the upload case: off (empty) under ASan, whose quarantine
# keeps freed blocks (hundreds of MB) resident.
MEMORY_BOUND = os.environ.get("ABUSE_MEMORY_BOUND", "1")
ADMIN_CAP = 64 * 1024 * 1024     # admin.body_max_bytes' default
GIB = 1 << 30


def open_tls(inst, port, timeout=30):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return tls_context(inst).wrap_socket(raw, server_hostname="127.0.0.1")


def read_status(s):
    """The status code of the answer on s, or None if the server closed first."""
    buf = b""
    try:
        while b"\r\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                return None
            buf += chunk
    except (ConnectionError, OSError):
        return None if not buf else int(buf.split(b" ")[1])
    return int(buf.split(b" ")[1])


class Abuse(OpsCase):

    def setUp(self):
        super().setUp()
        self.inst.edit_config(limits={"body_timeout_s": 5})
        self.server = self.serve(admin=True)
        self.pid = self.server.proc.pid

    def tearDown(self):
        # A clean stop after the abuse: exit 0 (under valgrind, with
        # --error-exitcode, also no leak and no memory error).
        self.assertEqual(self.server.stop(60), 0, "".join(self.server.stderr_lines[-5:]))
        super().tearDown()

    def healthy(self):
        st, _, _ = request(self.inst, self.server.port, "GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertIsNone(self.server.proc.poll())

    def test_connections_past_the_limit(self):
        resource.setrlimit(resource.RLIMIT_NOFILE, (CONNS + 1024, CONNS + 1024))
        rss0, socks, refused_at_connect = rss_kib(self.pid), [], 0
        t0 = time.monotonic()
        for i in range(CONNS):
            s = socket.socket()
            s.setblocking(False)
            s.bind(("127.2.%d.%d" % (i // 25 // 250, 1 + (i // 25) % 250), 0))
            if s.connect_ex(("127.0.0.1", self.server.port)) not in (0, 115):  # EINPROGRESS
                refused_at_connect += 1
            socks.append(s)
        self.healthy()      # served while they are all there
        time.sleep(1)
        open_, closed = 0, 0
        for s in socks:
            try:
                data = s.recv(1)
                closed += 1 if data == b"" else 0
                open_ += 1 if data else 0
            except BlockingIOError:
                open_ += 1
            except OSError:
                closed += 1
        rss1 = rss_kib(self.pid)
        for s in socks:
            s.close()
        self.healthy()
        print("abuse: %d connections attempted in %.1f s: %d still open after 1 s, %d closed by "
              "the server, %d refused at connect; served meanwhile and after; RSS %d -> %d KiB"
              % (CONNS, time.monotonic() - t0, open_, closed, refused_at_connect, rss0, rss1))
        self.assertLessEqual(open_, 256 + 256)   # the listener's limit, plus the accept queue
        self.assertGreater(closed + refused_at_connect, 0)

    def upload(self, headers, total):
        """Sends a POST to the admin import announcing headers, then up to total
        bytes of body (chunked when no length is announced) until the server
        answers or closes; (bytes sent, status or None)."""
        s = open_tls(self.inst, self.server.admin_port)
        s.sendall(("POST /admin/v1/devices/import HTTP/1.1\r\nHost: x\r\n"
                   "Authorization: Bearer %s\r\nContent-Type: application/x-ndjson\r\n%s\r\n"
                   % (self.inst.token, headers)).encode())
        block, sent, chunked = b"x" * (1 << 20), 0, "chunked" in headers
        try:
            while sent < total and not select.select([s], [], [], 0)[0]:    # no answer yet
                s.sendall((b"%x\r\n%s\r\n" % (len(block), block)) if chunked else block)
                sent += len(block)
        except OSError:
            pass
        s.settimeout(30)
        st = read_status(s)
        s.close()
        return sent, st

    def test_one_gib_upload(self):
        rss0 = rss_kib(self.pid)
        sent, st = self.upload("Content-Length: %d\r\n" % GIB, GIB)
        announced = (sent, st)
        sent, st = self.upload("Transfer-Encoding: chunked\r\n", GIB)
        rss1 = rss_kib(self.pid)
        self.healthy()
        print("abuse: 1 GiB announced with Content-Length: answered %s after %d bytes sent; "
              "1 GiB chunked: answered %s after %.1f MiB sent (cap %d MiB); RSS %d -> %d KiB"
              % (announced[1], announced[0], st, sent / (1 << 20), ADMIN_CAP >> 20, rss0, rss1))
        self.assertEqual(announced[1], 413)
        self.assertLessEqual(announced[0], 64 << 20)
        self.assertIn(st, (413, None))     # answered, or cut after the drain allowance
        self.assertLess(sent, ADMIN_CAP + (8 << 20))
        if MEMORY_BOUND:
            self.assertLess(rss1 - rss0, 3 * (ADMIN_CAP >> 10))   # the cap, not the upload

    def test_one_mb_of_headers(self):
        s = open_tls(self.inst, self.server.port)
        t0 = time.monotonic()
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
        except OSError:
            pass
        st = read_status(s)
        s.close()
        self.healthy()
        print("abuse: 1 MB of request headers: answered %s in %.2f s; served after"
              % (st, time.monotonic() - t0))
        self.assertIn(st, (413, 431, None))

    def test_trickled_body(self):
        s = open_tls(self.inst, self.server.port)
        s.sendall(b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/voucher-cose+cbor\r\nContent-Length: 1000\r\n\r\n")
        t0, sent, closed_after = time.monotonic(), 0, None
        while time.monotonic() - t0 < 30:
            try:
                s.sendall(b"x")
                sent += 1
                s.settimeout(1.0)
                if s.recv(1) == b"":
                    closed_after = time.monotonic() - t0
                    break
            except socket.timeout:
                continue
            except OSError:
                closed_after = time.monotonic() - t0
                break
        s.close()
        self.healthy()
        print("abuse: a body trickled a byte a second: dropped after %s s (%d bytes; "
              "limits.body_timeout_s 5)" % ("%.1f" % closed_after if closed_after else "never", sent))
        self.assertIsNotNone(closed_after)
        self.assertLess(closed_after, 5 + 5)
        self.assertTrue(any("body not complete" in ln for ln in self.server.stderr_lines))


if __name__ == "__main__":
    unittest.main()
