"""Security regression (review 2026-12, F10): idle connections must not hold a
direct HTTPS listener's slots for long.

256 TCP connections that send nothing, 32 from each of 8 loopback addresses
(the default per-address limit), fill the public listener (its default limit is
256). A new connection that has not sent a request is closed after
limits.handshake_timeout_s (5 s by default), where before it was held for the
whole connection timeout (15 s): so a legitimate client gets in again within
seconds. The test waits for that on a condition (a request that succeeds),
prints how long it took, and fails if it takes 10 s or more. It also checks that
the idle connections were closed by the server.

Environment: MASA_BIN, MASA_SRC (as the e2e tests). Standard library only.
"""
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from masatest import InstanceTest, request  # noqa: E402

SOURCES, PER_SOURCE, BOUND = 8, 32, 10.0


class TestIdleSlots(InstanceTest):
    def test_idle_connections_are_closed_and_service_returns(self):
        s = self.serve(admin=False)
        idle = []
        try:
            for a in range(SOURCES):
                for _ in range(PER_SOURCE):
                    c = socket.create_connection(("127.0.0.1", s.port), timeout=20,
                                                 source_address=("127.0.0.%d" % (10 + a), 0))
                    idle.append(c)
            t0 = time.monotonic()
            served = None
            while time.monotonic() - t0 < BOUND:
                try:
                    st, _, body = request(self.inst, s.port, "GET", "/healthz")
                    if st == 200:
                        served = time.monotonic() - t0
                        break
                except OSError:
                    pass
                time.sleep(0.25)
            print("a request was served %s s after %d idle connections filled the listener"
                  % ("%.1f" % served if served is not None else "not within %d" % BOUND,
                     len(idle)))
            self.assertIsNotNone(served, "the idle connections still hold the listener")
            closed = 0
            for c in idle:     # closed by the server: end of stream (after an alert, if any)
                c.settimeout(5)
                try:
                    while c.recv(4096):
                        pass
                    closed += 1
                except ConnectionResetError:
                    closed += 1
                except OSError:
                    pass        # still open: a timeout
            self.assertEqual(closed, len(idle), "idle connections left open")
        finally:
            for c in idle:
                c.close()


if __name__ == "__main__":
    unittest.main()
