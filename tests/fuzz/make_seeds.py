"""Writes seed inputs for the vreq fuzz target into corpus/vreq/: the
published cBRSKI vectors and voucher-requests built by the independent
test client (tests/e2e/brski.py) in every shape the decoder accepts.
Run with Debian's /usr/bin/python3 from this directory; deterministic
names, fresh keys (the fuzzer only needs the structure)."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import brski  # noqa: E402

OUT = os.path.join(HERE, "corpus", "vreq")
VEC = os.path.join(HERE, "..", "vectors", "cbrski")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    for v in ("pvr", "rvr", "voucher"):
        with open(os.path.join(VEC, v + ".hex")) as f:
            write("vector-" + v, bytes.fromhex("".join(f.read().split())))
    nonce = bytes(range(8))
    for kind in ("es256", "es384", "eddsa"):
        pledge, reg = brski.new_key(kind), brski.new_key(kind)
        cert = brski.self_signed_cert(reg, "registrar " + kind)
        spki = brski.spki_der(reg.public_key())
        pvr = brski.make_pvr(pledge, "SN-" + kind, nonce, ("pubk", spki))
        write("rvr-cert-" + kind, brski.make_rvr(reg, "SN-" + kind, nonce, pvr, x5bag=[cert]))
        write("rvr-rawkey-" + kind, brski.make_rvr(reg, "SN-" + kind, nonce, pvr))
        write("rvr-names-" + kind, brski.make_rvr(
            reg, "SN-" + kind, nonce,
            brski.make_pvr(pledge, "SN-" + kind, nonce, ("pubk", spki), names=True),
            names=True, x5bag=[cert]))
        write("rvr-tag47-" + kind, brski.make_rvr(reg, "SN-" + kind, nonce, pvr,
                                                   absolute_sids=True, x5bag=[cert, cert]))
        sha = brski.make_pvr(pledge, "SN-" + kind, nonce, ("sha256", brski.sha256(spki)))
        write("rvr-sha256-" + kind, brski.make_rvr(reg, "SN-" + kind, nonce, sha, x5bag=[cert]))
        pc = brski.make_pvr(pledge, "SN-" + kind, nonce, ("cert", cert))
        write("rvr-proxcert-" + kind, brski.make_rvr(reg, "SN-" + kind, nonce, pc, x5bag=[cert]))
        write("rvr-nonceless-" + kind, brski.make_rvr(reg, "SN-" + kind, None, None, x5bag=[cert]))
    write("bad-indefinite", bytes.fromhex("9f01ff"))
    write("bad-deep", bytes.fromhex("81" * 40 + "00"))
    write("bad-huge-map", bytes.fromhex("bb7fffffffffffffff"))
    write("bad-mac0", bytes.fromhex("d1844043a10126404040"))


if __name__ == "__main__":
    main()
