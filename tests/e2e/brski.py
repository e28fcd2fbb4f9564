"""Independent constrained-BRSKI registrar / pledge / verifier library for tests.

Written from the specifications only (RFC 9052/9053 COSE_Sign1, RFC 9360 x5bag,
RFC 9254 YANG-CBOR SID delta coding, RFC 8995 / 8366bis voucher leaves,
draft-ietf-anima-constrained-voucher), never from the C server's code, so that the
two can be checked against each other.

Only Debian's /usr/bin/python3 with python3-cryptography (38.x) and python3-cbor2 is
needed.  Everything that can fail raises ValueError.

Conventions
  * COSE_Sign1 = [protected bstr, unprotected map, payload bstr, signature bstr],
    tagged 18 on output; both tagged and untagged accepted on input.
  * ECDSA signatures are the fixed-length r||s concatenation (RFC 9053 §2.1), never DER.
  * Voucher-request leaves use SID deltas below container SID 2501, voucher leaves
    deltas below 2451 (RFC 9254 §3.2).
"""
import datetime
import hashlib
import os
import re

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# --------------------------------------------------------------------------------------
# Constants (brski-digest §2.1, §3.1, §5.1, §5.2)
# --------------------------------------------------------------------------------------

COSE_SIGN1_TAG = 18
SID_TAG = 47                      # absolute SID key (RFC 9254 §9.3)
HDR_ALG, HDR_KID, HDR_X5BAG, HDR_X5CHAIN = 1, 4, 32, 33

ALG_ES256, ALG_EDDSA, ALG_ES384, ALG_ES512, ALG_ES256K = -7, -8, -35, -36, -47

# alg -> (key family, curve class or None, hash class or None, r/s size in bytes)
_ALGS = {
    ALG_ES256: ("ec", ec.SECP256R1, hashes.SHA256, 32),
    ALG_ES384: ("ec", ec.SECP384R1, hashes.SHA384, 48),
    ALG_ES512: ("ec", ec.SECP521R1, hashes.SHA512, 66),
    ALG_ES256K: ("ec", ec.SECP256K1, hashes.SHA256, 32),
    ALG_EDDSA: ("ed25519", None, None, 32),
}

VR_SID = 2501                     # ietf-voucher-request:voucher
V_SID = 2451                      # ietf-voucher:voucher
VR_NAME = "ietf-voucher-request:voucher"
V_NAME = "ietf-voucher:voucher"

# voucher-request leaves: delta -> name
VR_LEAVES = {
    1: "assertion", 2: "created-on", 3: "domain-cert-revocation-checks", 4: "expires-on",
    5: "idevid-issuer", 6: "last-renewal-date", 7: "nonce", 8: "pinned-domain-cert",
    9: "prior-signed-voucher-request", 10: "proximity-registrar-cert",
    11: "proximity-registrar-pubk-sha256", 12: "proximity-registrar-pubk",
    13: "serial-number",
}
VR_DELTA = {v: k for k, v in VR_LEAVES.items()}

# voucher leaves: delta -> name
V_LEAVES = {
    1: "assertion", 2: "created-on", 3: "domain-cert-revocation-checks", 4: "expires-on",
    5: "idevid-issuer", 6: "last-renewal-date", 7: "nonce", 8: "pinned-domain-cert",
    9: "pinned-domain-pubk", 10: "pinned-domain-pubk-sha256", 11: "serial-number",
}

ASSERTIONS = {0: "verified", 1: "logged", 2: "proximity", 3: "agent-proximity"}

OID_CMC_RA = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.28")   # id-kp-cmcRA

OMIT = object()
"""Sentinel for `extra`: {key: OMIT} removes that leaf from the built request."""

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


# --------------------------------------------------------------------------------------
# Strict CBOR well-formedness (cbor2 silently accepts duplicate keys and trailing bytes)
# --------------------------------------------------------------------------------------

def _cbor_head(data, pos):
    """Reads one CBOR initial byte + argument; returns (major, ai, value, new_pos)."""
    if pos >= len(data):
        raise ValueError("CBOR: truncated at offset %d" % pos)
    ib = data[pos]
    mt, ai = ib >> 5, ib & 31
    pos += 1
    if ai < 24:
        return mt, ai, ai, pos
    if ai in (24, 25, 26, 27):
        n = 1 << (ai - 24)
        if pos + n > len(data):
            raise ValueError("CBOR: truncated argument at offset %d" % pos)
        return mt, ai, int.from_bytes(data[pos:pos + n], "big"), pos + n
    if ai == 31:
        return mt, ai, None, pos
    raise ValueError("CBOR: reserved additional info %d at offset %d" % (ai, pos - 1))


def _key_identity(raw):
    """Identity of an encoded map key for duplicate detection (value-based if possible)."""
    try:
        v = cbor2.loads(raw)
        hash(v)
        return (type(v).__name__, repr(v))
    except Exception:
        return ("raw", raw)


def _cbor_walk(data, pos, depth, allow_indefinite):
    if depth > 64:
        raise ValueError("CBOR: nesting too deep")
    start = pos
    mt, ai, val, pos = _cbor_head(data, pos)
    if mt in (0, 1):
        if ai == 31:
            raise ValueError("CBOR: indefinite integer at offset %d" % start)
        return pos
    if mt in (2, 3):
        if ai == 31:
            if not allow_indefinite:
                raise ValueError("CBOR: indefinite-length string at offset %d" % start)
            while True:
                if pos >= len(data):
                    raise ValueError("CBOR: unterminated indefinite string")
                if data[pos] == 0xFF:
                    return pos + 1
                cmt, cai, clen, cpos = _cbor_head(data, pos)
                if cmt != mt or cai == 31:
                    raise ValueError("CBOR: bad chunk in indefinite string")
                pos = cpos + clen
                if pos > len(data):
                    raise ValueError("CBOR: truncated string chunk")
                if mt == 3:
                    data[cpos:pos].decode("utf-8")
        end = pos + val
        if end > len(data):
            raise ValueError("CBOR: truncated string at offset %d" % start)
        if mt == 3:
            try:
                bytes(data[pos:end]).decode("utf-8")
            except UnicodeDecodeError:
                raise ValueError("CBOR: invalid UTF-8 in text string at offset %d" % start)
        return end
    if mt in (4, 5):
        if ai == 31 and not allow_indefinite:
            raise ValueError("CBOR: indefinite-length container at offset %d" % start)
        seen = set()
        i = 0
        while True:
            if ai == 31:
                if pos >= len(data):
                    raise ValueError("CBOR: unterminated indefinite container")
                if data[pos] == 0xFF:
                    return pos + 1
            elif i >= val:
                return pos
            if mt == 5:
                kstart = pos
                pos = _cbor_walk(data, pos, depth + 1, allow_indefinite)
                kid = _key_identity(bytes(data[kstart:pos]))
                if kid in seen:
                    raise ValueError("CBOR: duplicate map key %s at offset %d" % (kid[1], kstart))
                seen.add(kid)
            pos = _cbor_walk(data, pos, depth + 1, allow_indefinite)
            i += 1
    if mt == 6:
        if ai == 31:
            raise ValueError("CBOR: indefinite tag at offset %d" % start)
        return _cbor_walk(data, pos, depth + 1, allow_indefinite)
    # mt == 7
    if ai == 31:
        raise ValueError("CBOR: unexpected break at offset %d" % start)
    if ai == 24 and val < 32:
        raise ValueError("CBOR: invalid simple value encoding at offset %d" % start)
    return pos


def strict_loads(data, allow_indefinite=False):
    """Decodes exactly one CBOR item with cbor2 after checking well-formedness:
    no trailing bytes, no duplicate map keys, valid UTF-8, and (unless
    allow_indefinite) only definite lengths. Raises ValueError."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError("CBOR: expected bytes, got %s" % type(data).__name__)
    data = bytes(data)
    end = _cbor_walk(data, 0, 0, allow_indefinite)
    if end != len(data):
        raise ValueError("CBOR: %d trailing bytes after item" % (len(data) - end))
    try:
        return cbor2.loads(data)
    except Exception as e:  # cbor2 raises CBORDecodeError and friends
        raise ValueError("CBOR: %s" % e)


def _enc_head(major, n):
    if n < 24:
        return bytes([(major << 5) | n])
    for ai, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < (1 << (8 * size)):
            return bytes([(major << 5) | ai]) + n.to_bytes(size, "big")
    raise ValueError("CBOR: length too large")


def encode_map_pairs(pairs):
    """Encodes a CBOR map from a list of (key, value) pairs in the given order,
    allowing duplicate keys (for negative tests). Keys/values via cbor2."""
    out = [_enc_head(5, len(pairs))]
    for k, v in pairs:
        out.append(cbor2.dumps(k))
        out.append(cbor2.dumps(v))
    return b"".join(out)


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------

def _public(key):
    """Accepts a public key, private key or x509.Certificate; returns the public key."""
    if isinstance(key, x509.Certificate):
        return key.public_key()
    if hasattr(key, "public_key") and not isinstance(
            key, (ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)):
        return key.public_key()
    return key


def spki_der(public_key):
    """DER SubjectPublicKeyInfo of a public key (private keys and certificates accepted)."""
    return _public(public_key).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def alg_for_key(key):
    """COSE alg value matching a key: -7 P-256, -35 P-384, -36 P-521, -47 secp256k1, -8 Ed25519."""
    pub = _public(key)
    if isinstance(pub, ed25519.Ed25519PublicKey):
        return ALG_EDDSA
    if isinstance(pub, ec.EllipticCurvePublicKey):
        for alg, (fam, curve, _h, _n) in _ALGS.items():
            if fam == "ec" and isinstance(pub.curve, curve):
                return alg
        raise ValueError("unsupported EC curve %s" % pub.curve.name)
    raise ValueError("unsupported key type %s" % type(pub).__name__)


def new_key(kind="es256"):
    """New private key: 'es256' (P-256), 'es384' (P-384), 'es512' (P-521) or 'eddsa' (Ed25519)."""
    kind = kind.lower()
    if kind == "es256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "es384":
        return ec.generate_private_key(ec.SECP384R1())
    if kind == "es512":
        return ec.generate_private_key(ec.SECP521R1())
    if kind in ("eddsa", "ed25519"):
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError("unknown key kind %r" % kind)


def load_pem_private(path):
    """Loads an unencrypted PEM private key (PKCS#8 or SEC1) from path."""
    with open(path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), password=None)


def load_pem_public(path):
    """Loads a public key from a PEM file holding a PUBLIC KEY or a CERTIFICATE."""
    with open(path, "rb") as f:
        data = f.read()
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return serialization.load_pem_public_key(data)


def write_pem_public(key, path):
    """Writes the public key (of a public/private key or certificate) as PEM SPKI."""
    with open(path, "wb") as f:
        f.write(_public(key).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def write_pem_private(key, path):
    """Writes a private key as unencrypted PEM PKCS#8, owner-only (0600) as masa requires
    of key files."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def _cert_hash(key):
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else {
        32: hashes.SHA256(), 48: hashes.SHA384(), 66: hashes.SHA512()}[
            (key.curve.key_size + 7) // 8]


def make_cert(subject_key, cn, issuer_key=None, issuer_cert=None, ca=False, cmc_ra=False,
              server_auth=True, days=365, serial_number=None, extra_extensions=(),
              path_length=None, not_before=None, not_after=None):
    """Issues an X.509 certificate (DER). Self-signed when issuer_key is None; otherwise
    signed by issuer_key with the issuer name/SKI of issuer_cert (DER or Certificate).
    cmc_ra adds EKU id-kp-cmcRA (1.3.6.1.5.5.7.3.28); serial_number adds the X520
    serialNumber (2.5.4.5) attribute to the subject (as in IDevIDs). path_length is a
    CA's pathLenConstraint; not_before/not_after (datetimes) override the validity of
    now - 1 h .. now + days."""
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if serial_number is not None:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial_number))
    subject = x509.Name(attrs)
    if issuer_key is None:
        issuer_key, issuer_name, issuer_pub = subject_key, subject, subject_key.public_key()
    else:
        if isinstance(issuer_cert, (bytes, bytearray)):
            issuer_cert = x509.load_der_x509_certificate(bytes(issuer_cert))
        issuer_name, issuer_pub = issuer_cert.subject, issuer_cert.public_key()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer_name)
         .public_key(subject_key.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(not_before or now - datetime.timedelta(hours=1))
         .not_valid_after(not_after or now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                        critical=True)
         .add_extension(x509.KeyUsage(
             digital_signature=True, content_commitment=False, key_encipherment=False,
             data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
             encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                        critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_pub),
                        critical=False))
    ekus = []
    if cmc_ra:
        ekus.append(OID_CMC_RA)
    if server_auth and not ca:
        ekus += [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    if ekus:
        b = b.add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
    for ext, crit in extra_extensions:
        b = b.add_extension(ext, critical=crit)
    cert = b.sign(issuer_key, _cert_hash(issuer_key))
    return cert.public_bytes(serialization.Encoding.DER)


def self_signed_cert(key, cn, cmc_ra=True):
    """Self-signed registrar certificate (DER) for key, CN=cn, with EKU id-kp-cmcRA
    (plus serverAuth/clientAuth) when cmc_ra, else only serverAuth/clientAuth."""
    return make_cert(key, cn, cmc_ra=cmc_ra)


def idevid_issuer_from_cert(cert):
    """The idevid-issuer value for an IDevID (DER or Certificate): the complete AKI
    extnValue OCTET STRING, i.e. 04 len AKI-SEQUENCE (8366bis; digest §2.5)."""
    if isinstance(cert, (bytes, bytearray)):
        cert = x509.load_der_x509_certificate(bytes(cert))
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    inner = aki.public_bytes()
    return _der_len_prefixed(0x04, inner)


def _der_len_prefixed(tag, content):
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    ln = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(ln)]) + ln + content


def now_rfc3339():
    """Current UTC time as RFC 3339 'YYYY-MM-DDThh:mm:ssZ'."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(s):
    """Parses an RFC 3339 date-and-time (Z or offset, optional fraction) to an aware
    datetime; raises ValueError if malformed."""
    if not isinstance(s, str):
        raise ValueError("date-and-time must be a text string")
    m = _RFC3339.match(s)
    if not m:
        raise ValueError("not an RFC 3339 date-and-time: %r" % s)
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    if tz in ("Z", "z"):
        tzinfo = datetime.timezone.utc
    else:
        sign = 1 if tz[0] == "+" else -1
        tzinfo = datetime.timezone(sign * datetime.timedelta(hours=int(tz[1:3]),
                                                             minutes=int(tz[4:6])))
    us = int((frac[1:] + "000000")[:6]) if frac else 0
    sec = min(int(ss), 59)   # tolerate a leap second
    return datetime.datetime(int(y), int(mo), int(d), int(hh), int(mi), sec, us, tzinfo)


# --------------------------------------------------------------------------------------
# COSE_Sign1
# --------------------------------------------------------------------------------------

def raw_to_der(sig):
    """Converts a raw r||s ECDSA signature to DER (for negative tests)."""
    n = len(sig) // 2
    return encode_dss_signature(int.from_bytes(sig[:n], "big"), int.from_bytes(sig[n:], "big"))


def der_to_raw(der, size):
    """Converts a DER ECDSA signature to raw r||s, each left-padded to size bytes."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def sig_structure(protected_raw, payload, external_aad=b""):
    """CBOR Sig_structure ['Signature1', protected bstr, external_aad, payload] (RFC 9052 §4.4)."""
    return cbor2.dumps(["Signature1", bytes(protected_raw), bytes(external_aad), bytes(payload)])


def _sign_raw(private_key, tbs):
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return private_key.sign(tbs)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        _fam, _curve, h, size = _ALGS[alg_for_key(private_key)]
        return der_to_raw(private_key.sign(tbs, ec.ECDSA(h())), size)
    raise ValueError("unsupported private key type %s" % type(private_key).__name__)


def cose_sign1(payload, private_key, protected=None, unprotected=None, tag=True, alg=None,
               protected_raw=None, sign_hook=None, external_aad=b""):
    """Builds a COSE_Sign1 [protected bstr, unprotected map, payload bstr, signature bstr],
    wrapped in tag 18 when tag=True.

    protected defaults to {1: alg}, alg derived from the key (ES256 -7 for P-256, ES384
    -35 for P-384, EdDSA -8 for Ed25519) unless `alg` forces another value in the header
    (the signature itself always uses the key's real algorithm). An empty protected dict
    is encoded as the zero-length bstr. protected_raw gives the exact protected-header
    bytes (overrides protected/alg). The signature is over
    ['Signature1', protected_bstr, external_aad, payload]; ECDSA as raw r||s.
    sign_hook(sig) -> bytes may mangle the final signature (negative tests)."""
    if protected_raw is None:
        if protected is None:
            protected = {HDR_ALG: alg if alg is not None else alg_for_key(private_key)}
        protected_raw = cbor2.dumps(protected) if protected else b""
    protected_raw = bytes(protected_raw)
    payload = bytes(payload)
    sig = _sign_raw(private_key, sig_structure(protected_raw, payload, external_aad))
    if sign_hook is not None:
        sig = sign_hook(sig)
    msg = [protected_raw, dict(unprotected or {}), payload, sig]
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, msg) if tag else msg)


def cose_decode(data):
    """Splits a COSE_Sign1 (tagged 18 or untagged) into
    (protected dict, unprotected dict, payload bytes, signature bytes, protected_raw bytes).
    Strict CBOR (no duplicate keys, no trailing bytes, definite lengths); ValueError on
    any structural problem. A zero-length protected bstr decodes to {}."""
    obj = strict_loads(data)
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise ValueError("COSE: unexpected tag %d (want 18)" % obj.tag)
        obj = obj.value
    if not isinstance(obj, list) or len(obj) != 4:
        raise ValueError("COSE: COSE_Sign1 must be an array of 4 elements")
    protected_raw, unprotected, payload, signature = obj
    if not isinstance(protected_raw, bytes):
        raise ValueError("COSE: protected header must be a bstr")
    if not isinstance(unprotected, dict):
        raise ValueError("COSE: unprotected header must be a map")
    if not isinstance(payload, bytes):
        raise ValueError("COSE: payload must be a bstr (detached payloads unsupported)")
    if not isinstance(signature, bytes):
        raise ValueError("COSE: signature must be a bstr")
    if protected_raw == b"":
        protected = {}
    else:
        protected = strict_loads(protected_raw)
        if not isinstance(protected, dict):
            raise ValueError("COSE: protected header is not a map")
    for lbl in list(protected) + list(unprotected):
        if not isinstance(lbl, (int, str)) or isinstance(lbl, bool):
            raise ValueError("COSE: header label %r is neither int nor tstr" % (lbl,))
    both = set(protected) & set(unprotected)
    if both:
        raise ValueError("COSE: labels %s in both protected and unprotected" % sorted(both))
    return protected, unprotected, payload, signature, protected_raw


def is_tagged_sign1(data):
    """True if data starts with CBOR tag 18 (0xD2)."""
    return len(data) > 0 and data[0] == 0xD2


def cose_verify(data, public_key, external_aad=b""):
    """Verifies a COSE_Sign1 (tagged 18 or untagged) with public_key (a public key, a
    private key or an x509.Certificate) and returns the payload bytes.

    alg comes from the protected header only (absent alg, alg only in the unprotected
    header, unknown alg -> error); the key type/curve must match alg; ECDSA signatures
    must be raw r||s of exactly 2*size bytes. Raises ValueError on any failure; a
    cryptographic mismatch says 'signature does not verify'."""
    protected, unprotected, payload, sig, protected_raw = cose_decode(data)
    if HDR_ALG not in protected:
        raise ValueError("COSE: no alg in protected header")
    alg = protected[HDR_ALG]
    if not isinstance(alg, int) or isinstance(alg, bool) or alg not in _ALGS:
        raise ValueError("COSE: unsupported alg %r" % (alg,))
    fam, curve, h, size = _ALGS[alg]
    pub = _public(public_key)
    tbs = sig_structure(protected_raw, payload, external_aad)
    if fam == "ed25519":
        if not isinstance(pub, ed25519.Ed25519PublicKey):
            raise ValueError("COSE: key type %s does not match alg %d"
                             % (type(pub).__name__, alg))
        if len(sig) != 64:
            raise ValueError("COSE: EdDSA signature length %d != 64" % len(sig))
        try:
            pub.verify(sig, tbs)
        except InvalidSignature:
            raise ValueError("COSE: signature does not verify")
        return payload
    if not isinstance(pub, ec.EllipticCurvePublicKey) or not isinstance(pub.curve, curve):
        raise ValueError("COSE: key type %s/%s does not match alg %d" % (
            type(pub).__name__, getattr(getattr(pub, "curve", None), "name", "-"), alg))
    if len(sig) != 2 * size:
        raise ValueError("COSE: ECDSA signature length %d != %d (raw r||s required)"
                         % (len(sig), 2 * size))
    try:
        pub.verify(raw_to_der(sig), tbs, ec.ECDSA(h()))
    except InvalidSignature:
        raise ValueError("COSE: signature does not verify")
    return payload


# --------------------------------------------------------------------------------------
# Voucher-requests (pledge and registrar side)
# --------------------------------------------------------------------------------------

def _resolve_time(created_on):
    return now_rfc3339() if created_on == "now" else created_on


def _apply_extra(pairs, extra):
    """Merges extra into an ordered list of pairs. dict: same key replaces (OMIT removes),
    new keys appended; list of pairs: appended verbatim (duplicates allowed)."""
    if extra is None:
        return pairs
    if isinstance(extra, dict):
        out, used = [], set()
        for k, v in pairs:
            if k in extra:
                used.add(k)
                if extra[k] is not OMIT:
                    out.append((k, extra[k]))
            else:
                out.append((k, v))
        for k, v in extra.items():
            if k not in used and v is not OMIT:
                out.append((k, v))
        return out
    return list(pairs) + [(k, v) for k, v in extra]


def _vr_key(delta, names, absolute_sids):
    if names:
        return VR_LEAVES[delta]
    if absolute_sids:
        return cbor2.CBORTag(SID_TAG, VR_SID + delta)
    return delta


def _vr_payload(leaves, names, absolute_sids, extra):
    """leaves: ordered list of (delta, value). Returns the encoded voucher-request data."""
    pairs = [(_vr_key(d, names, absolute_sids), v) for d, v in leaves]
    pairs = _apply_extra(pairs, extra)
    top = VR_NAME if names else VR_SID
    return _enc_head(5, 1) + cbor2.dumps(top) + encode_map_pairs(pairs)


_PROXIMITY = {"cert": 10, "sha256": 11, "pubk": 12}


def make_pvr(pledge_key, serial, nonce, proximity=None, created_on=None, assertion=2,
             names=False, extra=None, absolute_sids=False, **cose_kwargs):
    """Signed pledge voucher-request (COSE_Sign1, tag 18) with payload
    {2501: {1: assertion, 2: created_on?, 7: nonce, 10|11|12: proximity, 13: serial}}.

    proximity: ('pubk', spki_der) -> 12, ('sha256', digest) -> 11, ('cert', der) -> 10,
    or None. created_on: None (omitted), 'now', or a string. assertion/nonce/serial of
    None are omitted. names=True uses the name form {"ietf-voucher-request:voucher":
    {"assertion":..., ...}}; absolute_sids=True uses tag-47 absolute SID keys. extra: a
    dict merged into the inner map (same key replaces, brski.OMIT deletes) or a list of
    (key, value) pairs appended verbatim (allows true duplicate keys). Remaining keyword
    arguments go to cose_sign1 (tag, alg, protected_raw, sign_hook, unprotected, ...)."""
    leaves = []
    if assertion is not None:
        leaves.append((1, assertion))
    created_on = _resolve_time(created_on)
    if created_on is not None:
        leaves.append((2, created_on))
    if nonce is not None:
        leaves.append((7, nonce))
    if proximity is not None:
        kind, value = proximity
        if kind not in _PROXIMITY:
            raise ValueError("unknown proximity kind %r" % (kind,))
        leaves.append((_PROXIMITY[kind], value))
    if serial is not None:
        leaves.append((13, serial))
    payload = _vr_payload(leaves, names, absolute_sids, extra)
    return cose_sign1(payload, pledge_key, **cose_kwargs)


def make_rvr(registrar_key, serial, nonce, pvr, x5bag=None, created_on="now",
             idevid_issuer=None, names=False, absolute_sids=False, extra=None, assertion=2,
             **cose_kwargs):
    """Signed registrar voucher-request (COSE_Sign1, tag 18) with payload
    {2501: {1: assertion, 2: created_on, 5: idevid_issuer?, 7: nonce?, 9: pvr?, 13: serial}}
    (leaf order as in cBRSKI App. C.4).

    x5bag: list of DER certificates put in the unprotected header label 32 (one bstr
    for a single certificate, else an array of bstr, RFC 9360); merged into any
    `unprotected` passed through cose_kwargs. created_on 'now' renders the current UTC
    time, None omits it. names / absolute_sids / extra as for make_pvr. Remaining
    keyword arguments go to cose_sign1."""
    leaves = []
    if assertion is not None:
        leaves.append((1, assertion))
    created_on = _resolve_time(created_on)
    if created_on is not None:
        leaves.append((2, created_on))
    if idevid_issuer is not None:
        leaves.append((5, idevid_issuer))
    if nonce is not None:
        leaves.append((7, nonce))
    if pvr is not None:
        leaves.append((9, pvr))
    if serial is not None:
        leaves.append((13, serial))
    payload = _vr_payload(leaves, names, absolute_sids, extra)
    if x5bag is not None:
        unprotected = dict(cose_kwargs.pop("unprotected", None) or {})
        certs = [bytes(c) for c in x5bag]
        unprotected[HDR_X5BAG] = certs[0] if len(certs) == 1 else certs
        cose_kwargs["unprotected"] = unprotected
    return cose_sign1(payload, registrar_key, **cose_kwargs)


def decode_voucher_request(payload):
    """Decodes voucher-request data (SID delta, tag-47 absolute SID, or name keys; mixed
    allowed) into {leaf-name: value}. ValueError on unknown keys/containers."""
    obj = strict_loads(payload)
    if not isinstance(obj, dict) or len(obj) != 1:
        raise ValueError("voucher-request: top level must be a map with one entry")
    (top, inner), = obj.items()
    if top not in (VR_SID, VR_NAME):
        raise ValueError("voucher-request: unknown top-level key %r" % (top,))
    if not isinstance(inner, dict):
        raise ValueError("voucher-request: container is not a map")
    base = VR_SID if top == VR_SID else 0
    out = {}
    for k, v in inner.items():
        if isinstance(k, str):
            name = k.split(":", 1)[1] if k.startswith("ietf-voucher-request:") else k
            if name not in VR_DELTA:
                raise ValueError("voucher-request: unknown leaf %r" % k)
        elif isinstance(k, cbor2.CBORTag) and k.tag == SID_TAG and isinstance(k.value, int):
            name = VR_LEAVES.get(k.value - VR_SID)
        elif isinstance(k, int) and not isinstance(k, bool):
            # under the SID container keys are deltas; under a name key (reference
            # SID 0) integer keys are absolute SIDs (RFC 9254 §3.2)
            name = VR_LEAVES.get(k) if base else VR_LEAVES.get(k - VR_SID)
        else:
            name = None
        if name is None:
            raise ValueError("voucher-request: unknown key %r" % (k,))
        if name in out:
            raise ValueError("voucher-request: leaf %s given twice" % name)
        out[name] = v
    return out


# --------------------------------------------------------------------------------------
# Voucher verification (registrar/pledge side)
# --------------------------------------------------------------------------------------

def _check_bytes(name, v):
    if not isinstance(v, bytes):
        raise ValueError("voucher: %s must be a bstr, got %s" % (name, type(v).__name__))


def parse_voucher(data, masa_public_key):
    """Verifies a COSE_Sign1 voucher with the MASA key and returns its leaves.

    Requires: tag 18; protected header exactly {1: alg} (alg matching the key);
    unprotected header with no labels other than 32 (x5bag); payload exactly
    {2451: {delta: value}} with delta keys 1..11 only (no names, no tag-47 keys); value
    types per YANG (assertion uint 0..3, dates RFC 3339 text, revocation-checks bool,
    binaries bstr, nonce 8..32 bytes, pinned-domain-pubk-sha256 32 bytes, pinned cert /
    pubk parseable DER, serial-number text); serial-number and at least one pinned-*
    leaf present. Returns {leaf-name: value, ..., 'x5bag': [DER, ...]} (x5bag [] when
    absent). Raises ValueError on anything unexpected."""
    if not is_tagged_sign1(data):
        raise ValueError("voucher: COSE_Sign1 is not tagged 18")
    payload = cose_verify(data, masa_public_key)
    protected, unprotected, _p, _s, _raw = cose_decode(data)
    if set(protected) != {HDR_ALG}:
        raise ValueError("voucher: protected header must be exactly {1: alg}, got labels %s"
                         % sorted(protected, key=repr))
    extra_labels = set(unprotected) - {HDR_X5BAG}
    if extra_labels:
        raise ValueError("voucher: unexpected unprotected labels %s"
                         % sorted(extra_labels, key=repr))
    bag = unprotected.get(HDR_X5BAG)
    if bag is None:
        certs = []
    elif isinstance(bag, bytes):
        certs = [bag]
    elif isinstance(bag, list) and len(bag) >= 2 and all(isinstance(c, bytes) for c in bag):
        certs = list(bag)
    else:
        raise ValueError("voucher: x5bag must be a bstr or an array of >= 2 bstr")
    for c in certs:
        try:
            x509.load_der_x509_certificate(c)
        except Exception as e:
            raise ValueError("voucher: x5bag entry is not a DER certificate: %s" % e)

    obj = strict_loads(payload)
    if not isinstance(obj, dict) or list(obj.keys()) != [V_SID]:
        raise ValueError("voucher: payload must be {2451: {...}}, got keys %r"
                         % (list(obj.keys()) if isinstance(obj, dict) else type(obj).__name__))
    inner = obj[V_SID]
    if not isinstance(inner, dict):
        raise ValueError("voucher: container is not a map")
    out = {}
    for k, v in inner.items():
        if not isinstance(k, int) or isinstance(k, bool) or k not in V_LEAVES:
            raise ValueError("voucher: unknown key %r" % (k,))
        name = V_LEAVES[k]
        if name == "assertion":
            if type(v) is not int or v not in ASSERTIONS:
                raise ValueError("voucher: assertion must be uint 0..3, got %r" % (v,))
        elif name in ("created-on", "expires-on", "last-renewal-date"):
            parse_rfc3339(v)
        elif name == "domain-cert-revocation-checks":
            if not isinstance(v, bool):
                raise ValueError("voucher: domain-cert-revocation-checks must be bool")
        elif name == "serial-number":
            if not isinstance(v, str) or not v:
                raise ValueError("voucher: serial-number must be a non-empty text string")
        else:
            _check_bytes(name, v)
            if name == "nonce" and not 8 <= len(v) <= 32:
                raise ValueError("voucher: nonce length %d not in 8..32" % len(v))
            if name == "pinned-domain-pubk-sha256" and len(v) != 32:
                raise ValueError("voucher: pinned-domain-pubk-sha256 length %d != 32" % len(v))
            if name == "pinned-domain-cert":
                try:
                    x509.load_der_x509_certificate(v)
                except Exception as e:
                    raise ValueError("voucher: pinned-domain-cert is not DER X.509: %s" % e)
            if name == "pinned-domain-pubk":
                try:
                    serialization.load_der_public_key(v)
                except Exception as e:
                    raise ValueError("voucher: pinned-domain-pubk is not DER SPKI: %s" % e)
        out[name] = v
    if "serial-number" not in out:
        raise ValueError("voucher: serial-number missing")
    if not any(n in out for n in ("pinned-domain-cert", "pinned-domain-pubk",
                                  "pinned-domain-pubk-sha256")):
        raise ValueError("voucher: no pinned-domain-* leaf")
    if "last-renewal-date" in out and "expires-on" not in out:
        raise ValueError("voucher: last-renewal-date without expires-on")
    out["x5bag"] = certs
    return out


def make_voucher(masa_key, leaves, x5bag=None, **cose_kwargs):
    """Builds a signed voucher from {leaf-name or delta: value} (for testing parsers):
    {2451: {delta: value}}; x5bag into unprotected label 32. Extra kwargs to cose_sign1."""
    names = {v: k for k, v in V_LEAVES.items()}
    pairs = [(names.get(k, k), v) for k, v in leaves.items()]
    payload = _enc_head(5, 1) + cbor2.dumps(V_SID) + encode_map_pairs(pairs)
    if x5bag is not None:
        unprotected = dict(cose_kwargs.pop("unprotected", None) or {})
        unprotected[HDR_X5BAG] = x5bag[0] if len(x5bag) == 1 else list(x5bag)
        cose_kwargs["unprotected"] = unprotected
    return cose_sign1(payload, masa_key, **cose_kwargs)


# --------------------------------------------------------------------------------------
# Multipart (historic ZTJ / highway voucher responses)
# --------------------------------------------------------------------------------------

def _ct_params(content_type):
    """Splits 'type/sub; a=b; c="d"' into (lower-case type, {lower-case name: value})."""
    parts, cur, q = [], "", False
    for ch in content_type:
        if ch == '"':
            q = not q
        if ch == ";" and not q:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    mtype = parts[0].strip().lower()
    params = {}
    for p in parts[1:]:
        if "=" not in p:
            continue
        n, v = p.split("=", 1)
        v = v.strip()
        if len(v) >= 2 and v[0] == v[-1] == '"':
            v = v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params[n.strip().lower()] = v
    return mtype, params


def parse_multipart(content_type, body):
    """Splits a multipart/related or multipart/mixed body (RFC 2046, CRLF line endings,
    boundary from the content type) into [(part content type, part body bytes)].
    A part without Content-Type gets 'text/plain'. Bodies are returned as sent (no
    Content-Transfer-Encoding decoding). Raises ValueError on malformed input (no
    boundary, missing close delimiter, no parts, bare-LF header block)."""
    mtype, params = _ct_params(content_type)
    if mtype not in ("multipart/related", "multipart/mixed"):
        raise ValueError("multipart: unexpected content type %r" % mtype)
    boundary = params.get("boundary")
    if not boundary or len(boundary) > 70:
        raise ValueError("multipart: missing or invalid boundary")
    delim = b"\r\n--" + boundary.encode("ascii")
    chunks = (b"\r\n" + bytes(body)).split(delim)
    if len(chunks) < 2:
        raise ValueError("multipart: boundary not found")
    parts, closed = [], False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        # transport padding then CRLF
        nl = chunk.find(b"\r\n")
        if nl < 0 or chunk[:nl].strip(b" \t"):
            raise ValueError("multipart: garbage after boundary")
        chunk = chunk[nl + 2:]
        if chunk.startswith(b"\r\n"):
            headers_raw, content = b"", chunk[2:]
        else:
            sep = chunk.find(b"\r\n\r\n")
            if sep < 0:
                raise ValueError("multipart: part without header/body separator")
            headers_raw, content = chunk[:sep], chunk[sep + 4:]
        headers = {}
        last = None
        for line in headers_raw.split(b"\r\n") if headers_raw else []:
            if line[:1] in (b" ", b"\t") and last:
                headers[last] += " " + line.strip().decode("latin-1")
                continue
            if b":" not in line:
                raise ValueError("multipart: bad header line %r" % line)
            n, v = line.split(b":", 1)
            last = n.strip().decode("latin-1").lower()
            headers[last] = v.strip().decode("latin-1")
        parts.append((headers.get("content-type", "text/plain"), content))
    if not closed:
        raise ValueError("multipart: no close delimiter")
    if not parts:
        raise ValueError("multipart: no parts")
    return parts


def make_multipart(parts, subtype="mixed", boundary="brski-test-boundary"):
    """Builds (content_type, body) for [(content type, bytes)] parts (CRLF endings)."""
    out = []
    for ct, data in parts:
        out.append(b"--" + boundary.encode() + b"\r\nContent-Type: " + ct.encode() +
                   b"\r\n\r\n" + bytes(data) + b"\r\n")
    out.append(b"--" + boundary.encode() + b"--\r\n")
    return 'multipart/%s; boundary="%s"' % (subtype, boundary), b"".join(out)


# --------------------------------------------------------------------------------------
# COSE_Key
# --------------------------------------------------------------------------------------

_COSE_CRV_EC2 = {1: (ec.SECP256R1, 32), 2: (ec.SECP384R1, 48), 3: (ec.SECP521R1, 66)}


def cose_key_to_public(cose_key_bytes):
    """Decodes a COSE_Key (bytes or already-decoded map) into (public key, kid or None).
    Supports kty 2 EC2 with crv 1 P-256 / 2 P-384 / 3 P-521 (x, y; y may be a bool for
    point compression) and kty 1 OKP with crv 6 Ed25519 (x). Rejects keys carrying the
    private part d (-4), wrong coordinate lengths, or points not on the curve."""
    m = cose_key_bytes if isinstance(cose_key_bytes, dict) else strict_loads(cose_key_bytes)
    if not isinstance(m, dict):
        raise ValueError("COSE_Key: not a map")
    if -4 in m:
        raise ValueError("COSE_Key: contains private key material (d)")
    kid = m.get(2)
    if kid is not None and not isinstance(kid, bytes):
        raise ValueError("COSE_Key: kid must be a bstr")
    kty, crv, x = m.get(1), m.get(-1), m.get(-2)
    if not isinstance(x, bytes):
        raise ValueError("COSE_Key: x missing or not a bstr")
    if kty == 2:
        if crv not in _COSE_CRV_EC2:
            raise ValueError("COSE_Key: unsupported EC2 crv %r" % (crv,))
        curve, size = _COSE_CRV_EC2[crv]
        y = m.get(-3)
        if len(x) != size:
            raise ValueError("COSE_Key: x length %d != %d" % (len(x), size))
        if isinstance(y, bool):
            point = bytes([0x03 if y else 0x02]) + x
        elif isinstance(y, bytes) and len(y) == size:
            point = b"\x04" + x + y
        else:
            raise ValueError("COSE_Key: y missing or wrong length")
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(curve(), point), kid
        except ValueError as e:
            raise ValueError("COSE_Key: invalid EC point: %s" % e)
    if kty == 1:
        if crv != 6:
            raise ValueError("COSE_Key: unsupported OKP crv %r" % (crv,))
        if len(x) != 32:
            raise ValueError("COSE_Key: Ed25519 x length %d != 32" % len(x))
        return ed25519.Ed25519PublicKey.from_public_bytes(x), kid
    raise ValueError("COSE_Key: unsupported kty %r" % (kty,))


def public_to_cose_key(key, kid=None):
    """Encodes a public key as a COSE_Key (bytes): EC2 {1:2, -1:crv, -2:x, -3:y} or
    OKP {1:1, -1:6, -2:x}; kid (label 2) when given."""
    pub = _public(key)
    m = {}
    if isinstance(pub, ed25519.Ed25519PublicKey):
        m = {1: 1, -1: 6, -2: pub.public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)}
    else:
        crv = {ec.SECP256R1: 1, ec.SECP384R1: 2, ec.SECP521R1: 3}.get(type(pub.curve))
        if crv is None:
            raise ValueError("unsupported curve for COSE_Key")
        size = _COSE_CRV_EC2[crv][1]
        n = pub.public_numbers()
        m = {1: 2, -1: crv, -2: n.x.to_bytes(size, "big"), -3: n.y.to_bytes(size, "big")}
    if kid is not None:
        m[2] = kid
    return cbor2.dumps(m)


def sha256(data):
    """SHA-256 digest (e.g. for proximity-registrar-pubk-sha256 over DER SPKI)."""
    return hashlib.sha256(data).digest()
