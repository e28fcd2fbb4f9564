"""Crash cycles (issue 19): several hundred rounds of `masa serve`, concurrent
voucher load over many pledges, and kill -9 at a random moment. After every
round: SQLite's integrity check, every voucher a client received has exactly one
voucher row and one voucher.issued audit entry, the audit sequence has no gaps,
no pledge holds more vouchers than its bucket allows, and at the end
`masa audit verify` passes. A script with figures, not part of ctest (it runs
for minutes):

    cd tests/reliability && MASA_BIN=/path/to/masa MASA_SRC=/path/to/tree \\
        CRASH_CYCLES=300 /usr/bin/python3 crash_cycles.py

Environment: CRASH_CYCLES (300), CRASH_CLIENTS (6), CRASH_PLEDGES (60),
CRASH_MIN_S / CRASH_MAX_S (0.05 / 0.6: when the kill comes), CRASH_PERIOD_S (20:
policy.bucket_period_s, short so that buckets refill and every round issues
vouchers and answers 429s). Prints one line a round and a summary.
"""
import collections
import os
import random
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import test_voucher_load  # noqa: E402
from masatest import run  # noqa: E402

CYCLES = int(os.environ.get("CRASH_CYCLES", "300"))
CLIENTS = int(os.environ.get("CRASH_CLIENTS", "6"))
PLEDGES = int(os.environ.get("CRASH_PLEDGES", "60"))
MIN_S = float(os.environ.get("CRASH_MIN_S", "0.05"))
MAX_S = float(os.environ.get("CRASH_MAX_S", "0.6"))
PERIOD_S = int(os.environ.get("CRASH_PERIOD_S", "20"))
BUCKET = 24     # policy.bucket_capacity's default


def over_bucket(times_ms, capacity, period_s):
    """The first window of a pledge's voucher times that holds more than the token
    bucket (GCRA) allows: capacity at once, then one each period/capacity; None."""
    t = period_s * 1000.0 / capacity
    times_ms = sorted(times_ms)
    for i in range(len(times_ms)):
        for j in range(i + capacity, len(times_ms)):
            if j - i + 1 > capacity + (times_ms[j] - times_ms[i]) / t + 1:
                return times_ms[i], times_ms[j], j - i + 1
    return None


class CrashCycles(test_voucher_load.KillDuringStream):

    TOLERATE_429 = True     # buckets empty and refill: a 429 is expected, and counted

    def test_crash_cycles(self):
        self.inst.edit_config(policy={"bucket_period_s": PERIOD_S})
        pledges = [self.enroll() for _ in range(PLEDGES)]
        r = self.registrar()
        self.masa_key()
        received, failures, rng = [], [], random.Random()
        t_start, self.refused_429 = time.monotonic(), 0
        for cycle in range(1, CYCLES + 1):
            server = self.start()
            stop = threading.Event()
            mine = [rng.sample(pledges, max(1, PLEDGES // CLIENTS)) for _ in range(CLIENTS)]
            threads = [threading.Thread(target=self.stream,
                                        args=(mine[i], r, received, stop, failures))
                       for i in range(CLIENTS)]
            before = len(received)
            for t in threads:
                t.start()
            time.sleep(rng.uniform(MIN_S, MAX_S))
            stop.set()
            server.proc.kill()
            server.proc.wait(10)
            for t in threads:
                t.join(30)
            # A client whose request was cut by the kill is not a failure; a wrong
            # voucher or any other status is.
            self.assertEqual([f for f in failures if "before the kill" not in f], [])
            failures.clear()
            self.check_store(received, cycle * CLIENTS)
            per_serial = collections.defaultdict(list)
            for serial, created in self.query("SELECT d.serial, v.created_ms FROM vouchers v"
                                              " JOIN devices d ON d.id = v.device_id"):
                per_serial[serial].append(created)
            for serial, times in per_serial.items():
                self.assertIsNone(over_bucket(times, BUCKET, PERIOD_S), serial)
            print("cycle %d: %d vouchers received in all (+%d), %d stored" % (
                cycle, len(received), len(received) - before, len(self.voucher_rows())),
                flush=True)
        p = run("audit", "verify", "--config", self.inst.config)
        self.assertEqual(p.returncode, 0, p.stderr)
        print("crash cycles: %d rounds in %.0f s, %d vouchers received, each once in the "
              "voucher table and the audit trail; %d stored but never received (cut by a "
              "kill); %d answered 429, no pledge over its bucket (%d per %d s); audit "
              "verify: %s" % (CYCLES, time.monotonic() - t_start, len(received),
                              len(self.voucher_rows()) - len(received), self.refused_429,
                              BUCKET, PERIOD_S, p.stdout.strip()), flush=True)


if __name__ == "__main__":
    unittest.main(defaultTest="CrashCycles.test_crash_cycles")
