"""Security regression (review 2026-12, F1): an incomplete TLS handshake on
the public HTTPS listener must not cost the server CPU while it waits.

With libmicrohttpd 0.9.75 in epoll mode, a connection whose handshake waits
for the peer kept its loop thread spinning (epoll_wait/recv -> EAGAIN) until
the connection timed out: ~10 bytes of a ClientHello pinned a core. This test
runs the real `masa serve`, opens CONNS connections that each send the first
10 bytes of a real ClientHello and then hold, and measures the server's own
CPU time (utime+stime from /proc/PID/stat) over HOLD seconds. It prints the
figure and fails above BOUND seconds of CPU.

Environment (all optional): MASA_BIN, MASA_SRC (as the e2e tests);
TLS_SPIN_CONNS (50), TLS_SPIN_SECONDS (5), TLS_SPIN_BOUND (0.5).
Standard library only.
"""
import os
import socket
import ssl
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from masatest import InstanceTest, request  # noqa: E402

CONNS = int(os.environ.get("TLS_SPIN_CONNS", "50"))
HOLD = float(os.environ.get("TLS_SPIN_SECONDS", "5"))
BOUND = float(os.environ.get("TLS_SPIN_BOUND", "0.5"))
PER_SOURCE = 10   # connections per loopback source address (per-IP limit: 32)


def client_hello_prefix(n=10):
    """The first n bytes of a real TLS ClientHello (Python's ssl module)."""
    ctx = ssl.create_default_context()
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    assert hello[:1] == b"\x16" and len(hello) > n, hello[:16]
    return hello[:n]


def cpu_seconds(pid):
    """utime+stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # After the command: state is field 3, utime 14, stime 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TestTlsSpin(InstanceTest):
    def test_incomplete_handshakes_cost_no_cpu(self):
        # Longer than the hold, so the server does not end them first.
        self.inst.edit_config(limits={"connection_timeout_s": int(HOLD) + 30,
                                      "handshake_timeout_s": int(HOLD) + 30})
        s = self.serve(admin=False)
        prefix = client_hello_prefix()
        socks = []
        try:
            for i in range(CONNS):
                src = "127.0.0.%d" % (2 + i // PER_SOURCE)
                c = socket.create_connection(("127.0.0.1", s.port), timeout=10,
                                             source_address=(src, 0))
                c.sendall(prefix)
                socks.append(c)
            time.sleep(1.0)   # let every connection be accepted and read
            c0, t0 = cpu_seconds(s.proc.pid), time.monotonic()
            time.sleep(HOLD)
            c1, t1 = cpu_seconds(s.proc.pid), time.monotonic()
            cpu = c1 - c0
            print("\ntls_spin: %d incomplete handshakes held %.1f s: server CPU %.2f s "
                  "(%.0f%% of one core; bound %.2f s)"
                  % (CONNS, t1 - t0, cpu, 100.0 * cpu / (t1 - t0), BOUND), flush=True)

            # The measurement means something only if the server still
            # holds every connection (not closed, nothing answered).
            held = 0
            for c in socks:
                c.setblocking(False)
                try:
                    got = c.recv(1, socket.MSG_PEEK)
                except BlockingIOError:
                    held += 1
                    continue
                except OSError:
                    continue
                self.assertTrue(got, "server closed a pending handshake early")
            self.assertEqual(held, CONNS, "not every handshake was still pending")
            # The listener still serves while they are pending.
            st, _, body = request(self.inst, s.port, "GET", "/healthz")
            self.assertEqual((st, body), (200, b"ok\n"))
            self.assertLess(cpu, BOUND, "server CPU while handshakes wait: %.2f s" % cpu)
        finally:
            for c in socks:
                c.close()
        self.assertEqual(s.stop(), 0)


if __name__ == "__main__":
    unittest.main()
