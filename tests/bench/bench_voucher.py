"""Benchmark: voucher issuance over HTTPS against the crypto ceiling (issue 6).

A real instance (`masa init`, release build), PLEDGES pledges enrolled by one NDJSON import
over the admin API, REQUESTS distinct valid RVRs built beforehand (each with a fresh nonce
and its own PVR signed by the pledge; at most `policy.bucket_capacity` = 24 per pledge; one
registrar with a self-signed cmcRA certificate in x5bag), then `masa serve` driven by
masa-loadgen (C, OpenSSL, CONCURRENCY keep-alive connections driven by one epoll thread).
Every answer must be 200 and every voucher must verify (Python `cryptography`, with the key
from `masa key show`) and name its request's serial and nonce; the store must then hold
exactly REQUESTS issued vouchers and as many `voucher.issued` audit entries.
The crypto ceiling is masa-crypto-ceiling: 2 ES256 verifications + 1 signature per
voucher with masa's own calls, on every core, run just before and just after the load;
the higher of the two is the ceiling (the VM's speed drifts within minutes).

Prints figures; the last line is
    vouchers_per_s=N p50_ms=N p99_ms=N crypto_ceiling_per_s=N ratio=N.NN rss_mb=N
Run: tests/bench/run.sh (builds and runs everything), or
     MASA_BIN=... MASA_BENCH_BIN=build/tests/bench /usr/bin/python3 tests/bench/bench_voucher.py
Environment: BENCH_REQUESTS (default 30000), BENCH_CONCURRENCY (default 64);
MASA_TEST_DB=postgresql: the store is a PostgreSQL database on a server the benchmark
starts (tests/e2e/pgserver.py), and BENCH_INSTANCES (default 1) `masa serve` share it,
each driven by its own masa-loadgen with CONCURRENCY connections and an equal share of
the requests; the rate is then all requests over the wall time of the whole load, and
the percentiles are over all answers; the store is counted through the CLI;
BENCH_PERF=FILE records a `perf` profile of the server during the load (BENCH_PERF_CG:
perf's --call-graph mode, default fp; dwarf,16384 for a release build).
"""
import json
import multiprocessing
import os
import resource
import sqlite3
import subprocess
import sys
import time

from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import brski  # noqa: E402
from masatest import BACKEND, MASA_BIN, Instance, request, run  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
BENCH_BIN = os.environ.get("MASA_BENCH_BIN", os.path.join(os.path.dirname(MASA_BIN), "..",
                                                          "tests", "bench"))
PER_PLEDGE = 24
INSTANCES = int(os.environ.get("BENCH_INSTANCES", "1"))
VOUCHER_PATH = "/.well-known/brski/requestvoucher"


def log(msg):
    print("bench_voucher: " + msg, file=sys.stderr, flush=True)


def make_pledge(args):
    """One pledge: (serial, public PEM, [(rvr, nonce)...]) with n requests."""
    index, n, reg_pem, cert = args
    reg = serialization.load_pem_private_key(reg_pem, None)
    key = brski.new_key("es256")
    serial = "BV-%06d" % index
    spki = brski.spki_der(reg)
    reqs = []
    for _ in range(n):
        nonce = os.urandom(16)
        pvr = brski.make_pvr(key, serial, nonce, ("pubk", spki), created_on="now")
        reqs.append((brski.make_rvr(reg, serial, nonce, pvr, x5bag=[cert]), nonce))
    pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    return serial, pem.decode(), reqs


def curl_import(inst, port, token, body):
    path = inst.path("devices.jsonl")
    with open(path, "wb") as f:
        f.write(body)
    hdr = inst.path("import.hdr")
    fd = os.open(hdr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("Authorization: Bearer %s\nContent-Type: application/x-ndjson\n" % token)
    p = subprocess.run(["curl", "--silent", "--show-error", "--fail", "--cacert",
                        inst.path("tls.crt"), "--header", "@" + hdr, "--data-binary",
                        "@" + path, "https://127.0.0.1:%d/admin/v1/devices/import" % port],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    rep = json.loads(p.stdout)
    assert rep["rejected"] == [] and rep["committed"], rep
    return rep


class Serve:
    """`masa serve` with its request log in a file (not a pipe a reader must keep up with)."""

    def __init__(self, inst):
        self.log_path = inst.path("serve.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [MASA_BIN, "serve", "--config", inst.config, "--listen", "127.0.0.1:0",
             "--admin-listen", "127.0.0.1:0"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.port = int(self.proc.stdout.readline().strip().rsplit(":", 1)[1])
        self.admin_port = int(self.proc.stdout.readline().strip().rsplit(":", 1)[1])

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        raise AssertionError("no VmHWM")

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(60)
        self.log.close()
        return rc


def scrape(inst, port):
    """GET /metrics on the admin listener: {series: value} for unlabelled series."""
    status, _, raw = request(inst, port, "GET", "/metrics",
                             headers={"Authorization": "Bearer " + inst.token})
    body = raw.decode()
    assert status == 200, (status, body)
    return {l.split()[0]: float(l.split()[1]) for l in body.splitlines()
            if l and not l.startswith("#") and "{" not in l}


def read_answers(path, n):
    out = []
    with open(path, "rb") as f:
        for _ in range(n):
            h = f.read(10)
            status = int.from_bytes(h[0:2], "big")
            us = int.from_bytes(h[2:6], "big")
            body = f.read(int.from_bytes(h[6:10], "big"))
            out.append((status, us, body))
        assert f.read(1) == b"", "trailing answers"
    return out


def crypto_ceiling(inst):
    """One run of masa-crypto-ceiling (5 s on every core): vouchers/s."""
    p = subprocess.run([os.path.join(BENCH_BIN, "masa-crypto-ceiling"),
                        inst.path("signing.key"), "5"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    return float(p.stdout.split("crypto_ceiling_per_s=")[1])


def stored_counts(inst):
    """(vouchers stored, voucher.issued audit entries): SQL on SQLite; through the
    CLI (device list, audit export) on PostgreSQL."""
    if BACKEND == "sqlite":
        db = sqlite3.connect("file:%s?mode=ro" % inst.path("masa.db"), uri=True)
        n_v = db.execute("SELECT COUNT(*) FROM vouchers").fetchone()[0]
        n_a = db.execute("SELECT COUNT(*) FROM audit WHERE event = 'voucher.issued'"
                         ).fetchone()[0]
        db.close()
        return n_v, n_a
    devices = run("device", "list", "--config", inst.config, timeout=600).stdout
    n_v = sum(json.loads(l)["vouchers-issued"] for l in devices.splitlines() if l)
    trail = run("audit", "export", "--config", inst.config, timeout=600).stdout
    n_a = sum(1 for l in trail.splitlines() if l and json.loads(l)["event"] == "voucher.issued")
    return n_v, n_a


def main():
    inst = Instance()
    server = None
    try:
        inst.edit_config(limits={"per_ip_connection_limit": max(32, CONCURRENCY * 2),
                                 "connection_limit": max(256, CONCURRENCY * 4)})
        reg = brski.new_key("es256")
        cert = brski.self_signed_cert(reg, "bench registrar")
        reg_pem = reg.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        pledges = (REQUESTS + PER_PLEDGE - 1) // PER_PLEDGE
        work = [(i, min(PER_PLEDGE, REQUESTS - i * PER_PLEDGE), reg_pem, cert)
                for i in range(pledges)]
        t0 = time.monotonic()
        with multiprocessing.Pool(os.cpu_count()) as pool:
            made = pool.map(make_pledge, work, chunksize=16)
        log("%d requests for %d pledges built in %.1f s"
            % (REQUESTS, pledges, time.monotonic() - t0))

        servers = [Serve(inst) for _ in range(INSTANCES)]
        server = servers[0]
        body = "".join(json.dumps({"serial-number": s, "public-key": p, "product": "bench"})
                       + "\n" for s, p, _ in made).encode()
        rep = curl_import(inst, server.admin_port, inst.token, body)
        assert rep["accepted"] == pledges, rep

        # Interleave pledges so concurrent requests mostly name different devices;
        # with several instances, request k goes to instance k % INSTANCES.
        order = []
        for k in range(PER_PLEDGE):
            order += [(s, r[k]) for s, _, r in made if k < len(r)]
        shares = [order[i::INSTANCES] for i in range(INSTANCES)]
        for i, share in enumerate(shares):
            with open(inst.path("requests%d.bin" % i), "wb") as f:
                for _, (rvr, _) in share:
                    f.write(len(rvr).to_bytes(4, "big") + rvr)
        # The machine's speed drifts (a VM): the ceiling is measured just before
        # and just after the load, and the higher of the two is the one used.
        ceilings = [crypto_ceiling(inst)]
        perf = None
        if os.environ.get("BENCH_PERF"):    # profile the server while the load runs
            perf = subprocess.Popen(["perf", "record", "-F", "499", "--call-graph",
                                     os.environ.get("BENCH_PERF_CG", "fp"), "-o",
                                     os.environ["BENCH_PERF"], "-p", str(server.proc.pid)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
        ru0, srv0 = resource.getrusage(resource.RUSAGE_CHILDREN), sum(
            x.cpu_seconds() for x in servers)
        t0 = time.monotonic()
        gens = [subprocess.Popen([os.path.join(BENCH_BIN, "masa-loadgen"),
                                  str(x.port), VOUCHER_PATH, inst.path("tls.crt"),
                                  inst.path("requests%d.bin" % i), inst.path("answers%d.bin" % i),
                                  str(CONCURRENCY)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
                for i, x in enumerate(servers)]
        outs = [g.communicate(timeout=600) for g in gens]
        wall = time.monotonic() - t0
        if perf is not None:
            perf.send_signal(2)
            perf.wait(60)
        ru1, srv1 = resource.getrusage(resource.RUSAGE_CHILDREN), sum(
            x.cpu_seconds() for x in servers)
        for g, (out, err) in zip(gens, outs):
            log("loadgen: " + out.strip() + err.strip())
            assert g.returncode == 0, err
        log("cpu seconds during the load: servers %.2f, load generators %.2f"
            % (srv1 - srv0, ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime))
        ceilings.append(crypto_ceiling(inst))
        log("crypto ceiling before and after the load: %.0f, %.0f vouchers/s" % tuple(ceilings))
        figures = dict(kv.split("=") for kv in outs[0][0].split())
        rss = max(x.peak_rss_mb() for x in servers)
        for x in servers:
            metrics = scrape(inst, x.admin_port)
            log("group commit: %d changes in %d commits (%.1f a commit)"
                % (metrics["masa_store_commit_changes_total"], metrics["masa_store_commits_total"],
                   metrics["masa_store_commit_changes_total"] / metrics["masa_store_commits_total"]))
        for x in servers:
            assert x.stop() == 0
        server = None

        masa_key = serialization.load_pem_public_key(
            run("key", "show", "--config", inst.config).stdout.encode())
        answers, sent = [], []
        for i, share in enumerate(shares):
            answers += read_answers(inst.path("answers%d.bin" % i), len(share))
            sent += share
        bad = [(i, st, b[:120]) for i, (st, _, b) in enumerate(answers) if st != 200]
        assert not bad, "%d answers were not 200, first: %r" % (len(bad), bad[:3])
        t0 = time.monotonic()
        for (serial, (_, nonce)), (_, _, body) in zip(sent, answers):
            leaves = brski.parse_voucher(body, masa_key)
            assert (leaves["serial-number"], leaves["nonce"]) == (serial, nonce), leaves
        log("%d vouchers verified in %.1f s" % (len(answers), time.monotonic() - t0))
        assert stored_counts(inst) == (REQUESTS, REQUESTS), stored_counts(inst)
        if INSTANCES > 1:   # all requests over the whole load's wall time
            lat = sorted(us for _, us, _ in answers)
            figures = {"per_s": REQUESTS / wall, "p50_ms": "%.1f" % (lat[len(lat) // 2] / 1000),
                       "p99_ms": "%.1f" % (lat[len(lat) * 99 // 100] / 1000)}

        ceiling = max(ceilings)
        rate = float(figures["per_s"])
        print("vouchers_per_s=%.0f p50_ms=%s p99_ms=%s crypto_ceiling_per_s=%.0f ratio=%.2f "
              "rss_mb=%.0f" % (rate, figures["p50_ms"], figures["p99_ms"], ceiling,
                               rate / ceiling, rss))
    finally:
        if server is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        inst.cleanup()


if __name__ == "__main__":
    main()
