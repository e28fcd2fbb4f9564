"""Benchmark: requestauditlog latency for a device with 100,000 vouchers.

A real instance and server; one real voucher, then 100,000 more voucher
rows for the device written straight into the database (50 domains,
a tenth nonceless) so the setup takes seconds, not hours. Prints the
figure; asserts only that every answer is a correct 200.
Run: MASA_BIN=build/masa/masa /usr/bin/python3 tests/bench/bench_auditlog.py
"""
import http.client
import json
import os
import sqlite3
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import brski  # noqa: E402
from masatest import Instance, Server, run, tls_context  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "100000"))
ROUNDS = 30


def main():
    inst = Instance()
    try:
        pledge = brski.new_key("es256")
        brski.write_pem_public(pledge.public_key(), inst.path("pledge.pub"))
        assert run("device", "add", "--config", inst.config, "--serial", "SN1",
                   "--pubkey", inst.path("pledge.pub")).returncode == 0
        reg = brski.new_key("es256")
        cert = brski.self_signed_cert(reg, "registrar")
        nonce = os.urandom(8)
        pvr = brski.make_pvr(pledge, "SN1", nonce, ("pubk", brski.spki_der(reg.public_key())))
        rvr = brski.make_rvr(reg, "SN1", nonce, pvr, x5bag=[cert])
        server = Server(inst, admin=False)

        def post(path):
            conn = http.client.HTTPSConnection("127.0.0.1", server.port,
                                               context=tls_context(inst), timeout=30)
            conn.request("POST", path, body=rvr,
                         headers={"Content-Type": "application/voucher+cose"})
            r = conn.getresponse()
            body = r.read()
            conn.close()
            return r.status, body

        assert post("/.well-known/brski/requestvoucher")[0] == 200
        db = sqlite3.connect(inst.path("masa.db"))
        dev, regid, req = db.execute(
            "SELECT device_id, registrar_id, request_sha256 FROM vouchers").fetchone()
        now = int(time.time() * 1000)
        db.executemany(
            "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
            " assertion, media_type, voucher, created_ms) VALUES (?,?,?,?,?,2,'application/voucher+cose',x'00',?)",
            ((dev, regid, req, "domain-%02d" % (i % 50),
              None if (i // 50) % 10 == 0 else os.urandom(8), now - i) for i in range(EVENTS)))
        db.commit()
        groups = db.execute("SELECT count(*) FROM (SELECT 1 FROM vouchers WHERE device_id = ?"
                            " GROUP BY domain_id, nonce IS NULL)", (dev,)).fetchone()[0]
        db.close()
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            status, body = post("/.well-known/brski/requestauditlog")
            times.append((time.perf_counter() - t0) * 1000)
            assert status == 200, body
        doc = json.loads(body)
        assert len(doc["events"]) == groups == 101, (len(doc["events"]), groups)
        server.stop()
        times.sort()
        print("auditlog_events=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f (HTTPS round trip, new connection each)"
              % (EVENTS + 1, statistics.median(times), times[int(len(times) * 0.99) - 1], times[-1]))
    finally:
        inst.cleanup()


if __name__ == "__main__":
    main()
