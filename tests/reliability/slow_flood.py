"""Slow-client flood on a direct HTTPS listener (issue 19): FLOOD_CONNS
connections that send a TLS record header and then nothing, FLOOD_SOURCES
source addresses (127.1.0.x), each connection reopened as soon as the server
closes it, while a registrar asks for vouchers one connection at a time. Prints
the registrar's latencies (p50, p99, max), its failures, the flood's reopenings
and the server's resident memory (peak sampled, and VmHWM at the end). A script
with figures, not part of ctest (tests/security/slow_flood.py is the small
version that is):

    cd tests/reliability && MASA_BIN=/path/to/masa MASA_SRC=/path/to/tree \\
        /usr/bin/python3 slow_flood.py

Environment: FLOOD_CONNS (1000), FLOOD_SOURCES (100), FLOOD_REQUESTS (300: the
registrar's voucher requests), FLOOD_LIMIT (limits.connection_limit, 256: the
default), FLOOD_P99_MAX (1.0 s; empty: no bound, as ctest runs it under ASan on a
busy machine). Fails if a request failed, if the listener evicted nothing
(masa_connections_evicted_total), or if p99 is FLOOD_P99_MAX or more.
"""
import multiprocessing
import os
import resource
import selectors
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import brski  # noqa: E402
from masatest import rss_kib  # noqa: E402
from test_ops import OpsCase  # noqa: E402

CONNS = int(os.environ.get("FLOOD_CONNS", "1000"))
SOURCES = int(os.environ.get("FLOOD_SOURCES", "100"))
REQUESTS = int(os.environ.get("FLOOD_REQUESTS", "300"))
LIMIT = int(os.environ.get("FLOOD_LIMIT", "256"))
P99_MAX = os.environ.get("FLOOD_P99_MAX", "1.0")
# The first five bytes of a TLS handshake record (type 22, TLS 1.0 framing, 512
# bytes announced), and then nothing: GnuTLS waits for the rest.
RECORD_HEADER = b"\x16\x03\x01\x02\x00"


def flood(port, conns, sources, ready, stop, reopened):
    """Holds conns connections from sources loopback addresses, each reopened as
    soon as the server closes it. Runs in its own process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()

    def open_one(src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((src, 0))
        s.connect_ex(("127.0.0.1", port))
        sel.register(s, selectors.EVENT_WRITE, src)

    for i in range(conns):
        open_one("127.1.0.%d" % (1 + i % sources))
    ready.set()
    while not stop.is_set():
        for key, ev in sel.select(0.2):
            s, src = key.fileobj, key.data
            if ev & selectors.EVENT_WRITE:
                try:
                    s.send(RECORD_HEADER)
                    sel.modify(s, selectors.EVENT_READ, src)
                    continue
                except OSError:
                    pass
            else:
                try:
                    if s.recv(4096):
                        continue    # an alert or the like: keep waiting for the close
                except BlockingIOError:
                    continue
                except OSError:
                    pass
            sel.unregister(s)
            s.close()
            reopened.value += 1
            open_one(src)


class SlowFlood(OpsCase):

    def test_vouchers_served_through_a_slow_client_flood(self):
        self.inst.edit_config(policy={"bucket_capacity": 100000},
                              limits={"connection_limit": LIMIT})
        p, r = self.enroll(), self.registrar()
        self.masa_key()
        server = self.server = self.serve(admin=True)
        ready, stop = multiprocessing.Event(), multiprocessing.Event()
        reopened = multiprocessing.Value("Q", 0, lock=False)
        attacker = multiprocessing.Process(target=flood, args=(
            server.port, CONNS, SOURCES, ready, stop, reopened))
        attacker.start()
        latencies, failures, rss_peak = [], [], 0
        t_start = time.monotonic()
        try:
            self.assertTrue(ready.wait(60), "the flood did not open its connections")
            time.sleep(2)   # the flood settles: the listener is full of it
            for _ in range(REQUESTS):
                rvr, nonce = self.make_request(p, r)
                t0 = time.monotonic()
                try:
                    st, _, body = self.post(rvr)
                    if st != 200:
                        failures.append("status %d: %r" % (st, body[:80]))
                    elif brski.parse_voucher(body, self.masa_key())["nonce"] != nonce:
                        failures.append("a voucher for another request")
                except OSError as e:
                    failures.append(repr(e))
                latencies.append(time.monotonic() - t0)
                rss_peak = max(rss_peak, rss_kib(server.proc.pid))
        finally:
            stop.set()
            attacker.join(30)
        with open("/proc/%d/status" % server.proc.pid) as f:
            hwm = [ln.split()[1] for ln in f if ln.startswith("VmHWM:")][0]
        latencies.sort()
        pct = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
        print("slow_flood: %d connections from %d addresses (limit %d), reopened %d times; "
              "%d voucher requests: p50 %.3f s, p99 %.3f s, max %.3f s, %d failed; "
              "server RSS peak %d KiB (VmHWM %s KiB)"
              % (CONNS, SOURCES, LIMIT, reopened.value, len(latencies), pct(0.5), pct(0.99),
                 latencies[-1], len(failures), rss_peak, hwm))
        self.assertEqual(failures, [])
        # Each evicted handshake makes libmicrohttpd write a message: the log keeps
        # to its rate (masa_srv_mhd_log, http/mhdlog.c: 20 at once, then 10 a second).
        mhd = [ln for ln in server.stderr_lines if "libmicrohttpd" in ln]
        self.assertLess(len(mhd), 20 + 10 * (time.monotonic() - t_start + 1), mhd[-3:])
        self.assertGreater(self.metrics()['masa_connections_evicted_total{listener="public"}'], 0)
        # A clean stop after the flood: exit 0 (under valgrind, with
        # --error-exitcode, also no leak and no memory error).
        self.assertEqual(server.stop(60), 0, "not a clean stop after the flood")
        if P99_MAX:
            self.assertLess(pct(0.99), float(P99_MAX))


if __name__ == "__main__":
    unittest.main()
