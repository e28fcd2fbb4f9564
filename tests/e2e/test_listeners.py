"""The HTTP layer's limits and listeners as the README promises them, against the real
`masa serve` over real HTTPS: a body running more than 1 MiB past the cap has its
connection cut; `limits.connection_limit` and `limits.connection_memory_bytes` take
effect; a stale Unix socket is replaced and anything else at its path refused; an IPv6
listener serves vouchers; READY=1 only once both listeners are bound; the drain ends at
`limits.shutdown_grace_s`.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_listeners
"""
import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
import unittest

import brski
import vtest
from masatest import (MASA_BIN, InstanceTest, healthz_on, notify_socket, request, run,
                      tls_context, tls_socket, wait_closed_by_server, wait_for,
                      wait_read_by_server, warm_tls_socket)

MIB = 1024 * 1024
DISCARD_MAX = MIB           # masa_limits.h MASA_DISCARD_MAX: drained past the cap, then cut


def send_chunked_until_cut(sock, head, chunk, total):
    """Sends head, then a chunked body of total bytes in pieces of len(chunk) until the
    server cuts the connection; returns (body bytes whose sendall completed, the error
    that stopped it or None)."""
    sock.sendall(head)
    piece = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    sent = 0
    try:
        while sent < total:
            sock.sendall(piece)
            sent += len(chunk)
        sock.sendall(b"0\r\n\r\n")
    except (OSError, ssl.SSLError) as e:
        return sent, e
    return sent, None


def read_to_end(sock):
    """What the server sends until it closes (EOF or reset)."""
    got = b""
    try:
        while True:
            d = sock.recv(65536)
            if not d:
                return got
            got += d
    except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
        return got


class BodyCut(vtest.VoucherCase):
    """README "HTTP": "a body that runs more than 1 MiB past the cap has its connection
    cut"; the README promises no answer for it, and none comes."""

    def prepare(self):
        self.inst.edit_config(limits={"body_max_bytes": 4096},
                              admin={"body_max_bytes": 1024})
        self.server = self.serve()
        p = run("token", "create", "--config", self.inst.config, "--role", "factory",
                "--name", "cut")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.factory = p.stdout.strip()

    def assertCut(self, port, head, chunk, cap):
        """A chunked body of 64 MiB after head: the server cuts the connection once more
        than cap + 1 MiB has arrived, well before the client has sent it all, and sends
        no answer."""
        total = 64 * MIB
        s = tls_socket(self.inst, port, timeout=30)
        try:
            sent, err = send_chunked_until_cut(s, head, chunk, total)
            self.assertIsNotNone(err, "the whole 64 MiB body was taken")
            self.assertLess(sent, total)
            # The server read more than cap + 1 MiB before it cut: the client sent at
            # least that (the piece under way when it failed is not counted).
            self.assertGreater(sent + len(chunk), cap + DISCARD_MAX)
            self.assertEqual(read_to_end(s), b"", "an answer came on a cut connection")
        finally:
            s.close()

    def test_voucher_route_body_cut(self):
        p, r = self.enroll(), self.registrar()
        rvr, _nonce = self.make_request(p, r)
        before = self.snapshot()
        audit = self.audit_seq()
        head = (b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/voucher+cose\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        # A valid request followed by more: nothing of it is issued.
        self.assertCut(self.server.port, head, rvr + b"\0" * (65536 - len(rvr)), 4096)
        self.assertEqual(request(self.inst, self.server.port, "GET", "/healthz")[0], 200)
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.audit_seq(), audit)
        # The same pledge is served on a new connection.
        self.issue(p, r)

    def test_admin_import_body_cut(self):
        pem = brski._public(brski.new_key("es256")).public_bytes(
            brski.serialization.Encoding.PEM,
            brski.serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        lines = b"".join(json.dumps({"serial-number": "CUT-%05d" % i, "public-key": pem})
                         .encode() + b"\n" for i in range(300))
        before = self.snapshot()
        head = (b"POST /admin/v1/devices/import HTTP/1.1\r\nHost: localhost\r\n"
                b"Authorization: Bearer " + self.factory.encode() + b"\r\n"
                b"Content-Type: application/x-ndjson\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        self.assertCut(self.server.admin_port, head, lines, 1024)
        st, _h, body = request(self.inst, self.server.admin_port, "GET", "/healthz")
        self.assertEqual(st, 200)
        self.assertEqual(self.snapshot(), before)   # no device imported


def accept_queue(port):
    """How many connections wait in the accept queue of the listening TCP socket on
    127.0.0.1:port (/proc/net/tcp: a LISTEN socket's rx_queue is its accept backlog)."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
                return int(fields[4].split(":")[1], 16)
    raise AssertionError("no listening socket on port %d" % port)


class ConnectionLimits(InstanceTest):
    """README configuration: `limits.connection_limit` (simultaneous connections per
    listener) and `limits.connection_memory_bytes` (the HTTP library's per-connection
    memory) take effect."""

    LIMIT = 4

    def test_connection_limit_per_listener(self):
        """With N connections held open (kept alive after a request, so neither the
        handshake timeout nor the idle timeout closes them; eviction off), a listener
        takes no N+1th while the held ones are served; once one held connection closes,
        a new one is served. The public listener (event loops) leaves the N+1th in the
        kernel's accept queue, its ClientHello unanswered, and takes it once one closes;
        the admin listener (a thread per connection) accepts and closes it at once."""
        self.inst.edit_config(limits={"connection_limit": self.LIMIT,
                                      "evict_idle_above_percent": 100,
                                      "connection_timeout_s": 120})
        s = self.serve()
        held = [warm_tls_socket(self.inst, s.port) for _ in range(self.LIMIT)]
        extra, box = socket.create_connection(("127.0.0.1", s.port), timeout=30), []
        # The TLS handshake runs in a thread: it completes only once accepted.
        t = threading.Thread(target=lambda: box.append(
            tls_context(self.inst).wrap_socket(extra, server_hostname="localhost")))
        t.start()
        try:
            wait_for(lambda: accept_queue(s.port) == 1,
                     "the N+1th connection to wait in the accept queue")
            # Every held connection is served meanwhile: the server's loops ran with
            # the new connection pending and still did not take it.
            for c in held:
                self.assertEqual(healthz_on(c), b"HTTP/1.1 200 OK")
            self.assertEqual(accept_queue(s.port), 1, "the N+1th was accepted")
            self.assertEqual(box, [], "the N+1th completed its handshake")
            held.pop().close()
            t.join(30)
            self.assertEqual(len(box), 1, "the N+1th was not served after a close")
            self.assertEqual(healthz_on(box[0]), b"HTTP/1.1 200 OK")
            self.assertEqual(accept_queue(s.port), 0)
        finally:
            t.join(30)
            for c in held + box:
                c.close()
            if not box:
                extra.close()

        held = [warm_tls_socket(self.inst, s.admin_port) for _ in range(self.LIMIT)]
        try:
            with self.assertRaises((ssl.SSLError, ConnectionError)):
                tls_socket(self.inst, s.admin_port, timeout=30).close()
            for c in held:
                self.assertEqual(healthz_on(c), b"HTTP/1.1 200 OK")
            gone = held.pop()
            mine = gone.getsockname()[1]
            gone.close()
            wait_closed_by_server([mine], s.admin_port)
            c = warm_tls_socket(self.inst, s.admin_port)
            held.append(c)
            self.assertEqual(healthz_on(c), b"HTTP/1.1 200 OK")
        finally:
            for c in held:
                c.close()
        self.assertEqual(len([r for r in s.log_records()
                              if "reached connection limit" in r.get("msg", "")]), 1)

    def big_header_request(self, port, size):
        """GET /healthz with an X-Big header of size bytes on a new connection: the
        status line and whether the server then closed the connection."""
        c = tls_socket(self.inst, port)
        try:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * size +
                      b"\r\n\r\n")
            got = read_until_answer(c)
            closed = b"\r\nConnection: close\r\n" in got and read_to_end(c) == b""
            return got.split(b"\r\n", 1)[0], closed
        finally:
            c.close()

    def test_connection_memory_bytes(self):
        """8192 (the least): a request whose headers do not fit the connection's memory
        (10,000 bytes) is answered 431 by the HTTP library and the connection closed,
        while one with 3,000 bytes of headers is served; at the default 32768 the 10,000
        bytes are served too. On both listeners."""
        self.inst.edit_config(limits={"connection_memory_bytes": 8192})
        s = self.serve()
        for port in (s.port, s.admin_port):
            self.assertEqual(self.big_header_request(port, 10000),
                             (b"HTTP/1.1 431 Request Header Fields Too Large", True))
            self.assertEqual(self.big_header_request(port, 3000)[0], b"HTTP/1.1 200 OK")
            self.assertEqual(request(self.inst, port, "GET", "/healthz")[0], 200)
        self.assertEqual(s.stop(), 0)
        self.inst.edit_config(limits={"connection_memory_bytes": 32768})
        s = self.serve()
        for port in (s.port, s.admin_port):
            self.assertEqual(self.big_header_request(port, 10000)[0], b"HTTP/1.1 200 OK")


def read_until_answer(sock):
    """Reads one answer (headers and its Content-Length body) or until the server
    closes."""
    got = b""
    while True:
        if b"\r\n\r\n" in got:
            head, body = got.split(b"\r\n\r\n", 1)
            n = [int(l.split(b":")[1]) for l in head.split(b"\r\n")
                 if l.lower().startswith(b"content-length:")]
            if n and len(body) >= n[0]:
                return got
        try:
            d = sock.recv(65536)
        except (ConnectionResetError, ssl.SSLError):
            return got
        if not d:
            return got
        got += d


def unix_healthz(path):
    """GET /healthz over the plain-HTTP Unix socket at path: (status line, body)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.settimeout(10)
        c.connect(path)
        c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        got = read_to_end(c)
    head, _, body = got.partition(b"\r\n\r\n")
    return head.split(b"\r\n", 1)[0], body


class UnixSocketPath(InstanceTest):
    """README "Behind nginx": masa "replaces a stale [socket] left by a stopped masa;
    anything else at that path is an error" (masa/http/unixsock.c)."""

    def setUp(self):
        super().setUp()
        self.inst.edit_config(admin={"listen": None})
        self.sock = self.inst.path("http.sock")

    def serve_refused(self):
        """serve on unix:PATH, expected to refuse: one sentence naming the path, exit 1,
        nothing on stdout."""
        p = subprocess.run([MASA_BIN, "serve", "--config", self.inst.config, "--listen",
                            "unix:" + self.sock], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (1, ""), p.stderr)
        self.assertOneSentence(p.stderr)
        self.assertIn(self.sock, p.stderr)
        return p.stderr

    def test_stale_socket_of_a_killed_server_is_replaced(self):
        s = self.serve(admin=False, listen="unix:" + self.sock)
        self.assertEqual(unix_healthz(self.sock), (b"HTTP/1.1 200 OK", b"ok\n"))
        s.proc.kill()
        s.proc.wait(10)
        old = os.lstat(self.sock)       # left behind, nobody listening
        # A second name keeps the old inode alive, so a new socket cannot reuse its number.
        os.link(self.sock, self.sock + ".old")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            with self.assertRaises(ConnectionRefusedError):
                probe.connect(self.sock)
        s = self.serve(admin=False, listen="unix:" + self.sock)
        st = os.lstat(self.sock)
        self.assertNotEqual(st.st_ino, old.st_ino, "the stale socket was not replaced")
        self.assertEqual(os.lstat(self.sock + ".old").st_nlink, 1, "the stale one is not unlinked")
        self.assertEqual(st.st_mode & 0o777, 0o660)
        self.assertEqual(unix_healthz(self.sock), (b"HTTP/1.1 200 OK", b"ok\n"))
        self.assertEqual(s.stop(), 0)
        self.assertFalse(os.path.exists(self.sock))

    def test_regular_file_is_refused_and_kept(self):
        with open(self.sock, "wb") as f:
            f.write(b"not a socket\n")
        before = os.lstat(self.sock)
        self.assertIn("is not a socket", self.serve_refused())
        after = os.lstat(self.sock)
        self.assertEqual((after.st_ino, after.st_mtime_ns, after.st_size),
                         (before.st_ino, before.st_mtime_ns, before.st_size))
        with open(self.sock, "rb") as f:
            self.assertEqual(f.read(), b"not a socket\n")

    def test_directory_is_refused_and_kept(self):
        os.mkdir(self.sock)
        with open(os.path.join(self.sock, "inside"), "w") as f:
            f.write("x")
        before = os.lstat(self.sock)
        self.assertIn("is not a socket", self.serve_refused())
        after = os.lstat(self.sock)
        self.assertEqual((after.st_ino, after.st_mtime_ns), (before.st_ino, before.st_mtime_ns))
        self.assertEqual(os.listdir(self.sock), ["inside"])

    def test_live_socket_of_another_process_is_refused_and_kept(self):
        other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        other.bind(self.sock)
        other.listen(8)
        other.settimeout(10)
        try:
            before = os.lstat(self.sock)
            self.assertIn("in use by another process", self.serve_refused())
            self.assertEqual(os.lstat(self.sock).st_ino, before.st_ino)
            # Still the other process's: a new client reaches it.
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
                c.connect(self.sock)
                c.sendall(b"hello")
                c.shutdown(socket.SHUT_WR)
                # First in the queue: masa's probe, which sent nothing; then ours.
                got = []
                for _ in range(2):
                    conn, _ = other.accept()
                    with conn:
                        got.append(read_to_end(conn))
                self.assertEqual(got, [b"", b"hello"])
        finally:
            other.close()


class Ipv6Listener(vtest.VoucherCase):
    """README `listen`: `[v6]:PORT` for IPv6. A voucher is issued over [::1], and the
    peer is the IPv6 address in the request log and the audit trail."""

    def prepare(self):
        # ::1 must work on this machine: if it does not, the test fails, never skips.
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
                probe.bind(("::1", 0))
        except OSError as e:
            self.fail("IPv6 loopback ::1 is unusable (%s): enable it (sysctl "
                      "net.ipv6.conf.lo.disable_ipv6=0; ip -6 addr add ::1/128 dev lo)" % e)
        self.server = self.serve(admin=False, listen="[::1]:0")

    def test_voucher_over_ipv6(self):
        self.assertEqual(self.server.first_line,
                         "listening on https://[::1]:%d" % self.server.port)
        p, r = self.enroll(), self.registrar()
        rvr, nonce = self.make_request(p, r)
        seq = self.audit_seq()
        conn = http.client.HTTPSConnection("::1", self.server.port, timeout=30,
                                           context=tls_context(self.inst))
        try:
            conn.request("POST", vtest.PATH, body=rvr, headers={"Content-Type": vtest.COSE})
            resp = conn.getresponse()
            answer = (resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
            self.assertEqual(conn.sock.getpeername()[0], "::1")
        finally:
            conn.close()
        self.assertVoucher(answer, p.serial, nonce, r)
        rows = self.audit_entries(seq)
        self.assertEqual([e["event"] for e in rows], ["voucher.issued"])
        self.assertAuditRow(rows[0], source="::1", serial=p.serial)
        logged = [l for l in self.server.log_records() if l.get("path") == vtest.PATH]
        self.assertEqual([(l["peer"], l["status"]) for l in logged], [("::1", 200)])


def main_thread_syscall(pid):
    """The number of the system call pid's main thread is blocked in, or None."""
    with open("/proc/%d/syscall" % pid) as f:
        first = f.read().split()[0]
    return int(first) if first.lstrip("-").isdigit() else None


SYS_SENDTO, SYS_SENDMSG = 44, 46     # x86_64


class ReadyAfterBothListeners(InstanceTest):
    """README "Operations": masa sends READY=1 once both listeners are up. The test's
    NOTIFY_SOCKET is full (its queue of datagrams filled beforehand), so masa's sd_notify
    blocks in sendmsg at the moment it reports READY=1; while it is held there, both
    listeners must already answer. Had READY=1 come before the admin listener was
    started, masa would be held before binding it and never print its line."""

    def test_ready_only_once_both_listeners_answer(self):
        with notify_socket(30) as (rx, path), \
                socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as filler:
            filler.setblocking(False)
            queued = 0
            while True:
                try:
                    filler.sendto(b"FILLER", path)
                except BlockingIOError:
                    break
                queued += 1
            self.assertGreater(queued, 0)
            s = self.serve(env={"NOTIFY_SOCKET": path})     # both lines printed
            wait_for(lambda: main_thread_syscall(s.proc.pid) in (SYS_SENDTO, SYS_SENDMSG),
                     "masa to block sending its notification", 30)
            for port in (s.port, s.admin_port):
                self.assertEqual(request(self.inst, port, "GET", "/healthz")[0], 200)
            self.assertEqual(main_thread_syscall(s.proc.pid) in (SYS_SENDTO, SYS_SENDMSG), True,
                             "the notification was sent while the queue was full")
            for _ in range(queued):
                self.assertEqual(rx.recv(4096), b"FILLER")
            msg = rx.recv(4096).decode()
            self.assertEqual(msg.split("\n"),
                             ["READY=1", "STATUS=listening on https://127.0.0.1:%d" % s.port])
            s.proc.send_signal(signal.SIGTERM)
            self.assertEqual(rx.recv(4096), b"STOPPING=1")
            self.assertEqual(s.proc.wait(30), 0)


class DrainEndsAtGrace(InstanceTest):
    """README `masa serve`: SIGTERM finishes requests under way "up to
    limits.shutdown_grace_s", then exits 0. A client holding a request open mid-body
    (its body and idle timeouts 120 s away) does not hold the exit past the grace."""

    GRACE = 2
    MARGIN = 5      # the stop itself (listeners, store) under ASan on a loaded machine

    def test_sigterm_exit_within_grace_with_a_request_mid_body(self):
        self.inst.edit_config(limits={"shutdown_grace_s": self.GRACE, "body_timeout_s": 120,
                                      "connection_timeout_s": 120})
        s = self.serve(admin=False)
        conn = warm_tls_socket(self.inst, s.port)
        try:
            conn.sendall(b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\n"
                         b"Host: localhost\r\nContent-Type: application/voucher+cose\r\n"
                         b"Content-Length: 1000\r\n\r\n" + b"\xa1" * 10)
            wait_read_by_server(conn, s.port)       # the request is under way
            t0 = time.monotonic()
            s.proc.send_signal(signal.SIGTERM)
            s.wait_stopping()
            rc = s.proc.wait(self.GRACE + self.MARGIN + 30)
            elapsed = time.monotonic() - t0
            # Not before the grace (the request was waited for), not long after it.
            self.assertGreaterEqual(elapsed, self.GRACE)
            self.assertLess(elapsed, self.GRACE + self.MARGIN)
            self.assertEqual(rc, 0)
            self.assertEqual(read_until_answer(conn), b"", "answered a request cut mid-body")
        finally:
            conn.close()
        msgs = [r.get("msg", "") for r in s.log_records()]
        self.assertEqual(msgs[-1], "shutdown grace over with 1 requests under way; "
                         "exiting without them")


if __name__ == "__main__":
    unittest.main()
