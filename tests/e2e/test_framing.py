"""HTTP framing and bodies, on the real binary over verified TLS (security
review F3, F8): a body on a route that takes none (GET, HEAD, DELETE) is
refused from the headers, never read, on both listeners and before any
authentication; a request whose length could be read two ways (two
Content-Length headers, or Content-Length with Transfer-Encoding) is 400 and
its connection closed. Memory is measured around 8 connections that each
announce a 64 MiB body to the admin listener's GET /healthz.

Run:  cd tests/e2e && MASA_BIN=.../masa /usr/bin/python3 -m unittest -v test_framing
"""
import unittest

from masatest import InstanceTest, rss_kib, tls_socket

VOUCHER = b"/.well-known/brski/requestvoucher"
BODY_MSG = b"This resource takes no request body.\n"
FRAMING_MSG = (b"The request's length is ambiguous: give one Content-Length, or "
               b"Transfer-Encoding alone.\n")


class Framing(InstanceTest):

    def exchange(self, port, head, body=b""):
        """Sends head (and body), reads until the server closes: the raw answer."""
        conn = tls_socket(self.inst, port)
        try:
            conn.sendall(head + body)
            out = b""
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            conn.close()

    def assertAnswer(self, raw, status, body):
        head, _, got = raw.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 %d " % status), raw[:200])
        self.assertEqual(got, body)
        self.assertIn(b"\r\nConnection: close", head)

    def test_body_on_routes_that_take_none(self):
        """GET /healthz, GET /readyz and DELETE on the admin API announcing a body: 413
        and the one sentence, with the connection closed; unauthenticated included."""
        s = self.serve()
        for port, method, path in [(s.port, b"GET", b"/healthz"),
                                   (s.admin_port, b"GET", b"/healthz"),
                                   (s.admin_port, b"GET", b"/readyz"),
                                   (s.admin_port, b"DELETE", b"/admin/v1/devices/SN1")]:
            head = (method + b" " + path + b" HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Length: 5\r\n\r\n")
            self.assertAnswer(self.exchange(port, head, b"hello"), 413, BODY_MSG)
        head = (b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
        self.assertAnswer(self.exchange(s.admin_port, head, b"5\r\nhello\r\n0\r\n\r\n"), 413,
                          BODY_MSG)
        # Content-Length: 0 is no body: still served.
        raw = self.exchange(s.port, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                            b"Content-Length: 0\r\nConnection: close\r\n\r\n")
        self.assertTrue(raw.startswith(b"HTTP/1.1 200 "), raw[:100])

    def test_announced_bodies_are_not_buffered(self):
        """8 connections announce 64 MiB bodies to GET /healthz on the admin listener
        and send 1 MiB each: every one is answered 413 from its headers, and the
        server's RSS grows by less than 16 MiB (it grew ~750 MiB when bodies were
        kept)."""
        s = self.serve()
        before = rss_kib(s.proc.pid)
        conns = []
        for _ in range(8):
            c = tls_socket(self.inst, s.admin_port)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                      b"Content-Length: 67108864\r\n\r\n")
            conns.append(c)
        for c in conns:
            try:
                c.sendall(b"x" * (1 << 20))
            except OSError:
                pass    # closed by the server once it answered: the point
        for c in conns:
            reply = c.recv(4096)
            self.assertTrue(reply.startswith(b"HTTP/1.1 413 "), reply[:100])
            c.close()
        grown = rss_kib(s.proc.pid) - before
        print("rss growth with 8 x 64 MiB announced bodies: %d KiB" % grown)
        self.assertLess(grown, 16 * 1024)

    def test_ambiguous_length(self):
        """Two Content-Length headers (equal or not), or Content-Length with
        Transfer-Encoding: 400 with its sentence, connection closed."""
        s = self.serve(admin=False)
        cases = [
            b"Content-Length: 4\r\nContent-Length: 5\r\n",
            b"Content-Length: 4\r\nContent-Length: 4\r\n",
            b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n",
            b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n",
        ]
        for framing in cases:
            head = (b"POST " + VOUCHER + b" HTTP/1.1\r\nHost: localhost\r\n"
                    b"Content-Type: application/voucher+cose\r\n" + framing + b"\r\n")
            self.assertAnswer(self.exchange(s.port, head, b"abcd"), 400, FRAMING_MSG)


if __name__ == "__main__":
    unittest.main()
