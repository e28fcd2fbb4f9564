"""`masa serve`: the real binary over verified HTTPS on loopback."""
import os
import socket
import sqlite3
import ssl
import subprocess
import time
import unittest

from masatest import (InstanceTest, request, tls_socket, wait_closed_by_server,
                       wait_read_by_server, warm_tls_socket)


class TestServe(InstanceTest):
    def test_health_and_ready_on_both_listeners_then_sigterm(self):
        s = self.serve()
        for port in (s.port, s.admin_port):
            st, hdr, body = request(self.inst, port, "GET", "/healthz")
            self.assertEqual((st, body), (200, b"ok\n"))
            self.assertEqual(hdr["content-type"], "text/plain; charset=utf-8")
            st, _, body = request(self.inst, port, "GET", "/readyz")
            self.assertEqual((st, body), (200, b"ready\n"))
        self.assertEqual(s.stop(), 0)

    def test_head_is_get_without_body(self):
        s = self.serve(admin=False)
        st, hdr, body = request(self.inst, s.port, "HEAD", "/healthz")
        self.assertEqual((st, body), (200, b""))

    def test_errors_are_one_plain_line(self):
        s = self.serve(admin=False)
        cases = [
            ("GET", "/nope", None, {}, 404),
            ("GET", "/healthz/", None, {}, 404),
            ("POST", "/healthz", b"x", {}, 405),
            ("DELETE", "/readyz", None, {}, 405),
        ]
        for method, path, body, hdrs, want in cases:
            with self.subTest(method=method, path=path):
                st, hdr, got = request(self.inst, s.port, method, path, body, hdrs)
                self.assertEqual(st, want)
                self.assertEqual(hdr["content-type"], "text/plain; charset=utf-8")
                self.assertTrue(got.endswith(b"\n") and got.count(b"\n") == 1, got)
                if want == 405:
                    self.assertEqual(hdr["allow"], "GET, HEAD")

    def test_body_cap(self):
        self.inst.edit_config(limits={"body_max_bytes": 4096})
        s = self.serve(admin=False)
        # Exactly at the cap is routed (405 here); one byte over is 413,
        # whether announced by Content-Length or sent chunked.
        st, _, _ = request(self.inst, s.port, "POST", "/healthz", b"a" * 4096)
        self.assertEqual(st, 405)
        st, hdr, body = request(self.inst, s.port, "POST", "/healthz", b"a" * 4097)
        self.assertEqual(st, 413)
        self.assertEqual(body, b"Request body is larger than the server accepts.\n")
        st, _, _ = request(self.inst, s.port, "POST", "/.well-known/brski/requestvoucher",
                           (b"a" * 1000 for _ in range(5)),
                           {"Content-Type": "application/voucher+cose"}, chunked=True)
        self.assertEqual(st, 413)
        # A route or method that takes no body is refused before any is read.
        st, _, _ = request(self.inst, s.port, "POST", "/healthz",
                           (b"a" * 1000 for _ in range(5)), chunked=True)
        self.assertEqual(st, 405)
        # The server is still healthy afterwards.
        self.assertEqual(request(self.inst, s.port, "GET", "/healthz")[0], 200)

    def test_refused_with_expect_continue_is_answered_without_the_body(self):
        """A request refused on its headers that waits for 100 Continue gets the final
        answer at once, never an invitation to upload a body that would be dropped."""
        s = self.serve(admin=False)
        conn = tls_socket(self.inst, s.port)
        try:
            conn.sendall(b"POST /healthz HTTP/1.1\r\nHost: localhost\r\n"
                         b"Expect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
            reply = b""
            while b"\r\n\r\n" not in reply:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                reply += chunk
        finally:
            conn.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 405 "), reply[:80])
        self.assertNotIn(b"100 Continue", reply)
        # The same for a body declared over the cap: 413 at once.
        conn = tls_socket(self.inst, s.port)
        try:
            conn.sendall(b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\nHost: localhost\r\n"
                         b"Content-Type: application/voucher+cose\r\n"
                         b"Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n")
            reply = conn.recv(4096)
        finally:
            conn.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413 "), reply[:80])

    def test_request_log_lines(self):
        s = self.serve(admin=False)
        _, hdr, _ = request(self.inst, s.port, "GET", "/readyz")
        request(self.inst, s.port, "GET", "/nope?secret=" + self.inst.token)
        self.assertEqual(s.stop(), 0)
        recs = [r for r in s.log_records() if "rid" in r]
        self.assertEqual(len(recs), 2)
        first = recs[0]
        for key in ("time", "rid", "method", "path", "status", "ms", "peer"):
            self.assertIn(key, first)
        self.assertEqual(first["rid"], hdr["x-request-id"])
        self.assertEqual((first["method"], first["path"], first["status"]), ("GET", "/readyz", 200))
        self.assertEqual(recs[1]["path"], "/nope")     # no query string, so no secrets
        self.assertNotIn(self.inst.token.split(".")[1], "".join(s.stderr_lines))

    def test_sigterm_finishes_request_under_way(self):
        s = self.serve(admin=False)
        conn = warm_tls_socket(self.inst, s.port)
        conn.sendall(b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/voucher+cose\r\nContent-Length: 5\r\n\r\nab")
        wait_read_by_server(conn, s.port)           # the server has the headers
        s.proc.send_signal(15)
        s.wait_stopping()                           # new connections are no longer accepted
        self.assertIsNone(s.proc.poll(), "exited with a request under way")
        conn.sendall(b"cde")
        reply = conn.recv(4096)
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply)   # "abcde" is not CBOR
        conn.close()
        self.assertEqual(s.proc.wait(10), 0)

    def test_admin_refuses_before_reading_a_body(self):
        """An unauthenticated admin request announcing a 50 MB body is answered 401
        from its headers alone: the body is never sent, never buffered."""
        s = self.serve()
        conn = tls_socket(self.inst, s.admin_port)
        conn.sendall(b"POST /admin/v1/devices/import HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/x-ndjson\r\nContent-Length: 50000000\r\n\r\n")
        reply = conn.recv(4096)
        conn.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 401"), reply)
        self.assertIn(b"WWW-Authenticate: Bearer", reply)

    def test_huge_declared_body_is_refused_from_headers(self):
        """A Content-Length far over the cap (more than is ever drained) is 413 from the
        headers alone, with no body sent."""
        s = self.serve(admin=False)
        conn = tls_socket(self.inst, s.port)
        conn.sendall(b"POST /.well-known/brski/requestvoucher HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/voucher+cose\r\nContent-Length: 50000000\r\n\r\n")
        reply = conn.recv(4096)
        conn.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply)

    def test_sigint_exits_zero(self):
        s = self.serve()
        s.proc.send_signal(2)
        self.assertEqual(s.proc.wait(10), 0)

    def test_connection_timeout_is_enforced(self):
        self.inst.edit_config(limits={"connection_timeout_s": 2})
        s = self.serve(admin=False)
        conn = tls_socket(self.inst, s.port, timeout=15)
        t0 = time.monotonic()
        try:
            data = conn.recv(1)       # idle: the server must hang up on us
        except (ssl.SSLError, ConnectionResetError):
            data = b""
        elapsed = time.monotonic() - t0
        conn.close()
        self.assertEqual(data, b"")
        self.assertLess(elapsed, 8)
        self.assertGreater(elapsed, 1)

    def test_per_ip_connection_limit(self):
        self.inst.edit_config(limits={"per_ip_connection_limit": 2})
        s = self.serve(admin=False)
        held = [tls_socket(self.inst, s.port), tls_socket(self.inst, s.port)]
        with self.assertRaises((ssl.SSLError, OSError)):
            extra = tls_socket(self.inst, s.port, timeout=5)
            extra.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            if not extra.recv(64):
                raise OSError("closed")
        ports = [c.getsockname()[1] for c in held]
        for c in held:
            c.close()
        wait_closed_by_server(ports, s.port)    # the server has seen both go
        self.assertEqual(request(self.inst, s.port, "GET", "/healthz")[0], 200)

    def test_readyz_503_while_store_locked(self):
        self.inst.edit_config(database={"busy_timeout_ms": 200})
        s = self.serve(admin=False)
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None)
        db.execute("BEGIN EXCLUSIVE")
        try:
            st, _, body = request(self.inst, s.port, "GET", "/readyz")
            self.assertEqual(st, 503)
            self.assertEqual(body, b"The store is busy; try again later.\n")
            self.assertEqual(request(self.inst, s.port, "GET", "/healthz")[0], 200)
        finally:
            db.execute("ROLLBACK")
            db.close()
        self.assertEqual(request(self.inst, s.port, "GET", "/readyz")[0], 200)

    def test_port_in_use(self):
        s = self.serve(admin=False)
        p = subprocess.run([os.environ.get("MASA_BIN", "masa"), "serve", "--config",
                            self.inst.config, "--listen", "127.0.0.1:%d" % s.port,
                            "--admin-listen", "127.0.0.1:0"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, "masa: 127.0.0.1:%d is already in use (another masa serve?)\n"
                         % s.port)

    def test_admin_listener_off(self):
        self.inst.edit_config(admin={"listen": None})
        s = self.serve(admin=False)
        self.assertEqual(request(self.inst, s.port, "GET", "/healthz")[0], 200)
        self.assertEqual(s.stop(), 0)
        self.assertEqual(s.proc.stdout.read(), "", "announced an admin listener")


class TestServeRefuses(InstanceTest):
    """serve refuses to start, binds nothing, and says why in one line."""

    def assertRefused(self, *expect):
        rc, out, err = self.serve_fails()
        self.assertEqual(rc, 1)
        self.assertEqual(out, "", "printed a listening line")
        self.assertOneSentence(err)
        for e in expect:
            self.assertIn(e, err)

    def test_world_readable_signing_key(self):
        os.chmod(self.inst.path("signing.key"), 0o644)
        self.assertRefused("signing.key", "0644")

    def test_world_readable_tls_key(self):
        os.chmod(self.inst.path("tls.key"), 0o604)
        self.assertRefused("tls.key", "0604")

    def test_symlinked_signing_key(self):
        os.rename(self.inst.path("signing.key"), self.inst.path("elsewhere.key"))
        os.symlink("elsewhere.key", self.inst.path("signing.key"))
        self.assertRefused("symbolic link")

    def test_database_that_cannot_be_put_in_wal_mode(self):
        # Another process has the database in rollback-journal mode and holds
        # an exclusive lock, so WAL mode cannot be set: serve must refuse
        # rather than run with weaker durability.
        self.inst.edit_config(database={"busy_timeout_ms": 200})
        db = sqlite3.connect(self.inst.path("masa.db"), isolation_level=None)
        self.assertEqual(db.execute("PRAGMA journal_mode=DELETE").fetchone()[0], "delete")
        db.execute("BEGIN EXCLUSIVE")
        try:
            self.assertRefused("WAL")
        finally:
            db.execute("ROLLBACK")
            db.close()
        # Once the lock is gone the same database is put back in WAL mode.
        s = self.serve(admin=False)
        self.assertEqual(request(self.inst, s.port, "GET", "/readyz")[0], 200)
        self.assertEqual(s.stop(), 0)
        db = sqlite3.connect(self.inst.path("masa.db"))
        self.assertEqual(db.execute("PRAGMA journal_mode").fetchone()[0], "wal")
        db.close()

    def test_synchronous_full_that_does_not_take(self):
        """README "Durability": synchronous=FULL is read back and serve refuses to start
        if it did not take. Debian's SQLite always takes it outside a transaction, so an
        LD_PRELOAD shim (tests/e2e/sqlite_sync_shim.c) stands in for a library that
        does not: it sets NORMAL instead. serve and check exit 1 with one sentence
        naming the setting and the file; serve prints no listening line."""
        shim = os.environ["MASA_SQLITE_SYNC_SHIM"]   # set by ctest (tests/CMakeLists.txt)
        env = dict(os.environ, LD_PRELOAD=shim,
                   ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0")
        want = "masa: cannot set synchronous=FULL on %s\n" % self.inst.path("masa.db")
        for args in (("serve", "--listen", "127.0.0.1:0"), ("check",)):
            p = subprocess.run([os.environ.get("MASA_BIN", "masa"), args[0], "--config",
                                self.inst.config, *args[1:]], capture_output=True, text=True,
                               timeout=30, env=env)
            self.assertEqual((p.returncode, p.stdout, p.stderr), (1, "", want), args[0])

    def test_bad_listen_override(self):
        p = subprocess.run([os.environ.get("MASA_BIN", "masa"), "serve", "--config",
                            self.inst.config, "--listen", "nonsense"],
                           capture_output=True, text=True, timeout=10)
        self.assertEqual(p.returncode, 1)
        self.assertIn("HOST:PORT", p.stderr)


if __name__ == "__main__":
    unittest.main()
