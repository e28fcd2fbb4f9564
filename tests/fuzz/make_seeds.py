"""Writes seed inputs for the fuzz targets into corpus/NAME/: the
published cBRSKI vectors and voucher-requests built by the independent
test client (tests/e2e/brski.py) in every shape the decoder accepts, and
small hand-written inputs for the text parsers. Run with Debian's
/usr/bin/python3 from this directory: `make_seeds.py` writes every
corpus, `make_seeds.py cbor proxy` only those. Deterministic names; vreq
uses fresh keys (the fuzzer only needs the structure), pvr the published
pledge and registrar keys (so the fixed pledge key of fuzz_pvr verifies).
Files already in a corpus (findings) are kept."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import brski  # noqa: E402
import cbor2  # noqa: E402
import jvouchers  # noqa: E402

OUT = os.path.join(HERE, "corpus", "vreq")
CORPUS = os.path.join(HERE, "corpus")
VEC = os.path.join(HERE, "..", "vectors", "cbrski")


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def vreq():
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


def vector(name):
    with open(os.path.join(VEC, name + ".hex")) as f:
        return bytes.fromhex("".join(f.read().split()))


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def vector_key(name):
    """The published private key privkey_NAME.txt (openssl's text form)."""
    from cryptography.hazmat.primitives.asymmetric import ec
    with open(os.path.join(VEC, "privkey_%s.txt" % name)) as f:
        lines = f.read().split("\n")
    hexd = ""
    for line in lines[2:]:
        if not line.startswith(" "):
            break
        hexd += line.strip().replace(":", "")
    return ec.derive_private_key(int(hexd, 16), ec.SECP256R1())


def cbor():
    import cbor2
    for v in ("pvr", "rvr", "voucher", "pvr-nonsigned", "rvr-nonsigned", "voucher-nonsigned"):
        put("cbor", "vector-" + v, vector(v))
    items = {
        "uint": 0, "uint64": 2**64 - 1, "nint": -2**64, "bstr": b"\x00\x01",
        "tstr": "serial-number", "utf8": "\u00e9\u4e2d\U0001f600", "array": [1, [2, [3]]],
        "map": {1: {2: "a"}, "k": [True, False, None]}, "tag47": cbor2.CBORTag(47, 2501),
        "tag18": cbor2.CBORTag(18, [b"", {}, b"", b""]), "float": 1.5,
    }
    for name, value in items.items():
        put("cbor", name, cbor2.dumps(value))
    put("cbor", "half-float", bytes.fromhex("f93c00"))
    put("cbor", "bad-indefinite", bytes.fromhex("9f01ff"))
    put("cbor", "bad-deep", bytes.fromhex("81" * 40 + "00"))
    put("cbor", "bad-trailing", bytes.fromhex("0000"))
    put("cbor", "bad-utf8", bytes.fromhex("62c328"))
    put("cbor", "bad-simple", bytes.fromhex("f7"))
    put("cbor", "bad-huge-bstr", bytes.fromhex("5bffffffffffffffff"))


def cose():
    for v in ("pvr", "rvr", "voucher"):
        put("cose", "vector-" + v, vector(v))
    pledge = vector_key("pledge")
    payload = vector("pvr-nonsigned")
    put("cose", "untagged", brski.cose_sign1(payload, pledge, tag=False))
    put("cose", "kid", brski.cose_sign1(payload, pledge, unprotected={4: b"kid"}))
    put("cose", "crit", brski.cose_sign1(payload, pledge, protected={1: -7, 2: [99]}))
    put("cose", "alg-unprotected", brski.cose_sign1(payload, pledge, protected={},
                                                     unprotected={1: -7}))
    put("cose", "alg-es384", brski.cose_sign1(payload, pledge, alg=-35))
    put("cose", "bad-sig", brski.cose_sign1(payload, pledge,
                                            sign_hook=lambda s: s[:-1] + bytes([s[-1] ^ 1])))
    put("cose", "short-sig", brski.cose_sign1(payload, pledge, sign_hook=lambda s: s[:-1]))
    with open(os.path.join(VEC, "registrar.der"), "rb") as f:
        reg_cert = f.read()
    put("cose", "x5chain", brski.cose_sign1(payload, pledge, unprotected={33: [reg_cert]}))
    put("cose", "x5bag-dup", brski.cose_sign1(payload, pledge, protected={1: -7, 32: reg_cert},
                                              unprotected={32: reg_cert}))


def pvr():
    for v in ("pvr", "rvr", "voucher"):
        put("pvr", "vector-" + v, vector(v))
    pledge, reg = vector_key("pledge"), vector_key("registrar")
    with open(os.path.join(VEC, "registrar.der"), "rb") as f:
        reg_cert = f.read()
    spki = brski.spki_der(reg.public_key())
    other = brski.spki_der(brski.new_key("es256").public_key())
    serial, nonce = "JADA123456789", bytes(range(8))

    def rvr(name, p, r_serial=serial, r_nonce=nonce, **kw):
        put("pvr", name, brski.make_rvr(reg, r_serial, r_nonce, p, x5bag=[reg_cert], **kw))

    good = brski.make_pvr(pledge, serial, nonce, ("pubk", spki))
    rvr("ok-pubk", good)
    put("pvr", "ok-rawkey", brski.make_rvr(reg, serial, nonce, good))
    rvr("ok-sha256", brski.make_pvr(pledge, serial, nonce, ("sha256", brski.sha256(spki))))
    rvr("ok-cert", brski.make_pvr(pledge, serial, nonce, ("cert", reg_cert)))
    rvr("ok-names", brski.make_pvr(pledge, serial, nonce, ("pubk", spki), names=True),
        names=True)
    rvr("ok-tag47", brski.make_pvr(pledge, serial, nonce, ("pubk", spki), absolute_sids=True))
    rvr("ok-nonceless", brski.make_pvr(pledge, serial, None, ("pubk", spki)), r_nonce=None)
    rvr("serial-mismatch", good, r_serial="OTHER-SERIAL")
    rvr("nonce-mismatch", good, r_nonce=bytes(8))
    rvr("nonce-missing", good, r_nonce=None)
    rvr("proximity-other", brski.make_pvr(pledge, serial, nonce, ("pubk", other)))
    rvr("proximity-sha-other", brski.make_pvr(pledge, serial, nonce,
                                              ("sha256", brski.sha256(other))))
    rvr("proximity-missing", brski.make_pvr(pledge, serial, nonce))
    rvr("pvr-bad-sig", brski.make_pvr(pledge, serial, nonce, ("pubk", spki),
                                      sign_hook=lambda s: s[:-1] + bytes([s[-1] ^ 1])))
    rvr("pvr-other-key", brski.make_pvr(reg, serial, nonce, ("pubk", spki)))
    rvr("pvr-untagged", brski.make_pvr(pledge, serial, nonce, ("pubk", spki), tag=False))
    rvr("no-pvr", None)
    # older leaf encodings as highway's spec/files/parboiled_vr_*.vrq have them (issue 15)
    rvr("legacy-leaves", brski.make_pvr(pledge, serial, None, ("pubk", spki), assertion="proximity",
                                        extra={2: cbor2.CBORTag(1, 1700000000),
                                               13: serial.encode(), 7: "text-nonce"}),
        r_nonce=None, assertion="proximity", created_on=None,
        extra={2: cbor2.CBORTag(1, 1700000000.5), 13: serial.encode(), 7: "text-nonce"})
    # renewals: an earlier voucher in place of the PVR, signed by the MASA CA key that
    # fuzz_pvr takes as this MASA's (ok, another serial, another pin, another signer)
    masa = vector_key("masa_ca")

    def voucher(s=serial, pin=spki, key=masa):
        return brski.make_voucher(key, {"assertion": 2, "created-on": "2026-01-01T00:00:00Z",
                                        "nonce": nonce, "pinned-domain-pubk": pin,
                                        "serial-number": s})
    rvr("renewal-ok", voucher())
    rvr("renewal-serial", voucher(s="OTHER-SERIAL"))
    rvr("renewal-registrar", voucher(pin=other))
    rvr("renewal-not-ours", voucher(key=brski.new_key("es256")))


def proxy():
    with open(os.path.join(VEC, "registrar.pem")) as f:
        pem = f.read()
    with open(os.path.join(VEC, "registrar.der"), "rb") as f:
        der = f.read()
    import base64
    import urllib.parse
    esc = urllib.parse.quote(pem, safe="")
    sf = ":" + base64.b64encode(der).decode() + ":"
    seeds = {
        "xff-unix": b"\x00X-Forwarded-For: 192.0.2.1\n",
        "xff-chain": b"\x01X-Forwarded-For: 198.51.100.7, 10.0.0.2 ,10.9.9.9\n",
        "xff-v6": b"\x02X-Forwarded-For: 2001:db8::1, fd00::1\n",
        "xff-untrusted": b"\x03X-Forwarded-For: 192.0.2.1\n",
        "xff-twice": b"\x00X-Forwarded-For: 192.0.2.1\nx-forwarded-for: 192.0.2.2\n",
        "xff-empty-entry": b"\x00X-Forwarded-For: 192.0.2.1,,10.0.0.1\n",
        "xff-mapped": b"\x00X-Forwarded-For: ::ffff:10.0.0.1, ::ffff:192.0.2.4\n",
        "escaped": b"\x00X-SSL-Client-Cert: " + esc.encode() + b"\n",
        "escaped-tls": b"\x04X-SSL-Client-Cert: " + esc.encode() + b"\n",
        "sf": b"\x01Client-Cert: " + sf.encode() + b"\nX-Forwarded-For: 192.0.2.5\n",
        "sf-bad": b"\x00Client-Cert: :AAAA:\n",
        "both": b"\x00Client-Cert: " + sf.encode() + b"\nX-SSL-Client-Cert: " +
                esc.encode() + b"\n",
        "chain": b"\x00Client-Cert-Chain: " + sf.encode() + b"\n",
        "untrusted-cert": b"\x03Client-Cert: " + sf.encode() + b"\n",
        "none": b"\x00Host: masa.example\n",
    }
    for name, data in seeds.items():
        put("proxy", name, data)


def config():
    import json
    seeds = {
        "empty": {},
        "full": {"listen": "[::1]:8443", "admin": {"listen": "unix:/run/masa/admin.sock",
                                                   "body_max_bytes": 1048576},
                 "tls": {"cert": "tls.crt", "key": "/etc/masa/tls.key"},
                 "database": {"path": "data/masa.db", "busy_timeout_ms": 1000},
                 "signing": {"alg": "es384", "key": "pkcs11:token=masa;object=signing",
                             "cert": "signing.crt"},
                 "limits": {"body_max_bytes": 65536, "connection_limit": 10,
                            "per_ip_connection_limit": 2, "connection_timeout_s": 5,
                            "handshake_timeout_s": 2, "connection_memory_bytes": 16384,
                            "shutdown_grace_s": 0, "refusal_audit_burst": 5,
                            "refusal_audit_per_hour": 60, "refusal_audit_per_s": 1,
                            "store_reserve_mb": 0},
                 "policy": {"mode": "owner", "created_on_max_age_s": 60,
                            "created_on_max_future_s": 0, "bucket_capacity": 1,
                            "bucket_period_s": 60, "nonceless_lifetime_s": 60,
                            "retry_window_s": 0, "require_pvr": False, "pin_network": True,
                            "pinned_domain": "cert"},
                 "log": {"level": "warn"},
                 "proxy": {"trusted": ["unix", "10.0.0.0/8", "fd00::/16", "127.0.0.1"]}},
        "db-url": {"database": {"url": "sqlite:rel/masa.db"}},
        "db-pg": {"database": {"url": "postgresql://masa@localhost/masa"}},
        "db-both": {"database": {"url": "sqlite:a.db", "path": "b.db"}},
        "unknown-key": {"listen": "127.0.0.1:1", "nope": 1},
        "out-of-range": {"limits": {"body_max_bytes": 1}},
        "wrong-type": {"policy": {"require_pvr": "yes"}},
        "bad-cidr": {"proxy": {"trusted": ["10.0.0.1/8"]}},
        "admin-off": {"admin": {"listen": None}},
        "admin-empty": {"admin": {"listen": ""}},
        "abs-paths": {"tls": {"cert": "/a/b", "key": "/a/c"}, "signing": {"key": "/k"}},
    }
    for name, value in seeds.items():
        put("config", name, json.dumps(value, indent=1))
    put("config", "not-object", "[1,2]")
    put("config", "dup-key", '{"listen": "127.0.0.1:1", "listen": "127.0.0.1:2"}')
    put("config", "bad-json", '{"listen": ')


def records():
    with open(os.path.join(VEC, "pledge.pem")) as f:
        cert = f.read()
    from cryptography.hazmat.primitives import serialization
    key = vector_key("pledge").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return cert, key


def admin_json():
    import json
    cert, key = records()
    seeds = {
        "pubkey": {"serial-number": "JADA123456789", "public-key": key},
        "idevid": {"serial-number": "JADA123456789", "idevid": cert, "product": "p",
                   "owner": "acme"},
        "both": {"serial-number": "S", "public-key": key, "idevid": cert},
        "neither": {"serial-number": "S"},
        "unknown": {"serial-number": "S", "public-key": key, "color": "red"},
        "wrong-type": {"serial-number": 7, "public-key": key},
        "owner-null": {"serial-number": "S", "public-key": key, "owner": None},
        "ctrl-serial": {"serial-number": "a\u0001b", "public-key": key},
        "empty": {},
    }
    for name, value in seeds.items():
        put("admin_json", name, json.dumps(value))
    put("admin_json", "array", "[]")
    put("admin_json", "dup", '{"serial-number": "a", "serial-number": "b"}')


def import_():
    import json
    cert, key = records()
    from cryptography.hazmat.primitives import serialization
    other = vector_key("registrar").public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    nd = "\n".join(json.dumps(r) for r in (
        {"serial-number": "SN-1", "public-key": key},
        {"serial-number": "JADA123456789", "idevid": cert, "product": "vector"},
    )) + "\n"
    put("import", "ndjson-ok", "\x00" + nd)
    put("import", "ndjson-bad-line", "\x00" + nd + "{not json}\n" +
        json.dumps({"serial-number": "SN-3"}) + "\n")
    put("import", "ndjson-blank-crlf", "\x00\r\n\r\n" + nd.replace("\n", "\r\n"))
    put("import", "ndjson-conflict", "\x00" + nd + json.dumps(
        {"serial-number": "SN-1", "public-key": other}) + "\n")
    put("import", "ndjson-unknown-owner", "\x00" + json.dumps(
        {"serial-number": "SN-8", "public-key": key, "owner": "acme"}) + "\n")

    def q(s):
        return '"' + s.replace('"', '""') + '"'
    csv = ("serial-number,public-key,idevid,product,owner\r\n" +
           "SN-1,%s,,,\r\n" % q(key) + "JADA123456789,,%s,prod,\r\n" % q(cert))
    put("import", "csv-ok", "\x01" + csv)
    put("import", "csv-reordered", "\x01product,serial-number,public-key\np,SN-5,%s\n" % q(key))
    put("import", "csv-unknown-owner", "\x01owner,serial-number,public-key\nacme,SN-9,%s\n" % q(key))
    put("import", "csv-bad-header", "\x01serial,key\nx,y\n")
    put("import", "csv-dup-header", "\x01serial-number,serial-number\na,b\n")
    put("import", "csv-unterminated", "\x01serial-number,public-key\nSN-6,\"-----BEGIN\n")
    put("import", "csv-extra-field", "\x01serial-number,public-key\nSN-7,%s,extra\n" % q(key))
    put("import", "csv-quote-junk", '\x01serial-number,public-key\n"SN"x,y\n')


def json_formats(target):
    """CMS or JWS requests as tests/e2e/jvouchers.py builds them (nqminds' CMS shape,
    jwcrypto's JWS) for each key type and proximity form, the RFC 8995 Appendix C
    request (CMS, DER and base64), and broken shapes."""
    f = jvouchers.FORMATS[target]
    nonce = bytes(range(8))
    for kind in ("es256", "es384", "eddsa"):
        pledge, reg = brski.new_key(kind), brski.new_key(kind)
        cert = brski.self_signed_cert(reg, "registrar " + kind)
        spki = brski.spki_der(reg.public_key())
        for form, prox in (("pubk", spki), ("cert", cert), ("sha256", brski.sha256(spki))):
            pvr = f["pvr"](pledge, "SN-" + kind, nonce, (form, prox))
            put(target, "rvr-%s-%s" % (form, kind),
                f["rvr"](reg, "SN-" + kind, nonce, pvr, x5bag=[cert]))
        put(target, "rvr-nopvr-" + kind, f["rvr"](reg, "SN-" + kind, None, None, x5bag=[cert]))
    if target == "cms":
        rvr = jvouchers.cms_rvr(reg, "SN-x", nonce, b"junk", x5bag=[cert])
        put(target, "base64-body", __import__("base64").b64encode(rvr))
        put(target, "detached", jvouchers.cms_rvr(reg, "SN-x", nonce, None, detached=True))
        put(target, "econtent-anima", jvouchers.cms_rvr(
            reg, "SN-x", nonce, None, x5bag=[cert], econtent_type=jvouchers.OID_ANIMA))
        with open(os.path.join(HERE, "..", "vectors", "rfc8995",
                               "parboiled_vr_00-D0-E5-F2-00-02.b64"), "rb") as fh:
            put(target, "rfc8995-appendix-c-b64", fh.read())
        put(target, "bad-seq", bytes.fromhex("3080"))
    else:
        put(target, "alg-none", jvouchers.unsigned_jws(b'{"a":1}', {"alg": "none"}))
        put(target, "bad-flat", b'{"payload":"e30","protected":"e30","signature":""}')
        put(target, "bad-dup", b'{"payload":"e30","payload":"e30","signatures":[]}')


TARGETS = {"vreq": vreq, "cms": lambda: json_formats("cms"), "jws": lambda: json_formats("jws"), "cbor": cbor, "cose": cose, "pvr": pvr, "proxy": proxy,
           "config": config, "admin_json": admin_json, "import": import_}


def main():
    for name in sys.argv[1:] or TARGETS:
        TARGETS[name]()


if __name__ == "__main__":
    main()
