"""Benchmark: bulk enrollment of 100,000 devices in one NDJSON import over the admin API.

What a factory script does with curl and a factory token: a real instance and `masa
serve`, a factory token from `masa token create`, N distinct P-256 public keys, one
POST /admin/v1/devices/import (application/x-ndjson) made by the curl command line
tool over verified HTTPS; then the same
import again (must change nothing: unchanged == N); then 3 randomly chosen imported
devices each get a voucher through the public listener, verified with the key from
`masa key show`.

Prints what it measured; the last line is
    import_records=N seconds=S records_per_s=R
where S is the whole HTTPS round trip (upload, import, commit, report); the server's
own share, from its request log, is printed as import_server_seconds.
Run: MASA_BIN=build/masa/masa MASA_SRC=. /usr/bin/python3 tests/bench/bench_import.py
Environment: BENCH_RECORDS (default 100000).
"""
import http.client
import json
import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import brski  # noqa: E402
from masatest import Instance, Server, run, tls_context  # noqa: E402

N = int(os.environ.get("BENCH_RECORDS", "100000"))
VOUCHERS = 3
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def log(msg):
    print("bench_import: " + msg, file=sys.stderr, flush=True)


def post(inst, port, path, body, headers):
    """One verified HTTPS POST; returns (status, body bytes, seconds, request id)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls_context(inst),
                                       timeout=600)
    try:
        t0 = time.monotonic()
        conn.request("POST", path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, data, time.monotonic() - t0, r.getheader("X-Request-Id")
    finally:
        conn.close()


def curl_post(inst, port, path, body_file, headers):
    """The same POST made by the curl CLI, as a factory script would, with the body read
    from a file and the server verified against the instance's certificate."""
    args = ["curl", "--silent", "--show-error", "--cacert", inst.path("tls.crt"),
            "--data-binary", "@" + body_file, "--dump-header", body_file + ".hdr",
            "--output", body_file + ".out", "--write-out", "%{http_code}",
            "https://127.0.0.1:%d%s" % (port, path)]
    hdr_in = body_file + ".req"     # headers from an owner-only file: no token in argv
    fd = os.open(hdr_in, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join("%s: %s\n" % kv for kv in headers.items()))
    args[1:1] = ["--header", "@" + hdr_in]
    t0 = time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    assert p.returncode == 0, p.stderr
    with open(body_file + ".out", "rb") as f:
        data = f.read()
    with open(body_file + ".hdr") as f:
        rid = next((l.split(":", 1)[1].strip() for l in f
                    if l.lower().startswith("x-request-id:")), None)
    return int(p.stdout), data, secs, rid


def server_seconds(server, rid):
    """The request's own time in the server, from its request log line."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for rec in server.log_records():
            if rec.get("rid") == rid:
                return rec["ms"] / 1000
        time.sleep(0.02)
    return float("nan")


def make_keys(n, keep):
    """n distinct P-256 public keys as PEM (the generator times a random scalar, about
    75 us a key); the private keys of the indices in `keep`."""
    pems, kept = [], {}
    for i in range(n):
        k = ec.derive_private_key(secrets.randbelow(P256_N - 1) + 1, ec.SECP256R1())
        pems.append(k.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        if i in keep:
            kept[i] = k
    return pems, kept


def main():
    inst = Instance()
    server = None
    try:
        token = run("token", "create", "--config", inst.config, "--role", "factory",
                    "--name", "factory-line-1")
        assert token.returncode == 0, token.stderr
        factory = token.stdout.strip()
        server = Server(inst)

        chosen = set(random.sample(range(N), VOUCHERS))
        t0 = time.monotonic()
        pems, kept = make_keys(N, chosen)
        keygen_s = time.monotonic() - t0
        assert len(set(pems)) == N, "public keys are not distinct"
        serials = ["BENCH-%06d" % i for i in range(N)]
        body = "".join(json.dumps({"serial-number": s, "public-key": p, "product": "bench"})
                       + "\n" for s, p in zip(serials, pems)).encode()
        log("%d keys in %.1f s; body %.1f MB" % (N, keygen_s, len(body) / 1e6))

        body_file = inst.path("devices.jsonl")
        with open(body_file, "wb") as f:
            f.write(body)
        headers = {"Authorization": "Bearer " + factory, "Content-Type": "application/x-ndjson"}
        results = {}
        for name, counted, zero in (("import", "accepted", "unchanged"),
                                    ("reimport", "unchanged", "accepted")):
            st, data, secs, rid = curl_post(inst, server.admin_port, "/admin/v1/devices/import",
                                            body_file, headers)
            assert st == 200, (st, data[:300])
            rep = json.loads(data)
            assert (rep[counted], rep[zero], rep["rejected"], rep["committed"]) == \
                (N, 0, [], True), rep
            results[name] = (secs, server_seconds(server, rid))
            log("%s: %s" % (name, rep))

        # it really landed: N devices, N enrollment audit rows naming the factory token
        db = sqlite3.connect("file:%s?mode=ro" % inst.path("masa.db"), uri=True)
        n_dev = db.execute("SELECT COUNT(*) FROM devices").fetchone()[0]
        n_aud = db.execute("SELECT COUNT(*) FROM audit WHERE event = 'device.enrolled'"
                           " AND source = ?", ("token:" + factory.split(".")[0],)).fetchone()[0]
        db.close()
        assert (n_dev, n_aud) == (N, N), (n_dev, n_aud)

        masa_key = serialization.load_pem_public_key(
            run("key", "show", "--config", inst.config).stdout.encode())
        reg = brski.new_key("es256")
        cert = brski.self_signed_cert(reg, "bench registrar")
        t0 = time.monotonic()
        for i in sorted(chosen):
            nonce = os.urandom(16)
            pvr = brski.make_pvr(kept[i], serials[i], nonce, ("pubk", brski.spki_der(reg)))
            rvr = brski.make_rvr(reg, serials[i], nonce, pvr, x5bag=[cert])
            st, data, _s, _rid = post(inst, server.port, "/.well-known/brski/requestvoucher",
                                      rvr, {"Content-Type": "application/voucher+cose"})
            assert st == 200, (st, data)
            leaves = brski.parse_voucher(data, masa_key)
            assert (leaves["serial-number"], leaves["nonce"]) == (serials[i], nonce), leaves
            assert leaves["pinned-domain-pubk"] == brski.spki_der(reg)
            log("voucher for %s: ok (assertion %d)" % (serials[i], leaves["assertion"]))
        voucher_s = time.monotonic() - t0

        assert server.stop() == 0
        server = None
        (imp_s, imp_srv), (re_s, re_srv) = results["import"], results["reimport"]
        print("keygen_records=%d seconds=%.2f" % (N, keygen_s))
        print("vouchers=%d seconds=%.2f" % (VOUCHERS, voucher_s))
        print("reimport_records=%d seconds=%.2f records_per_s=%.0f server_seconds=%.2f"
              % (N, re_s, N / re_s, re_srv))
        print("import_server_seconds=%.2f" % imp_srv)
        print("import_records=%d seconds=%.2f records_per_s=%.0f" % (N, imp_s, N / imp_s))
    finally:
        if server is not None and server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        inst.cleanup()


if __name__ == "__main__":
    main()
