"""The two JSON voucher formats, independently of masa: RFC 8995 CMS (SignedData over
JSON, built and checked with Debian's python3-asn1crypto and python3-cryptography) and
JWS (General JSON Serialization, draft-ietf-anima-jws-voucher, with python3-jwcrypto).

Requests are built as the peers build them:
- CMS as the nqminds/brski registrar and pledge do (repository nqminds/brski,
  src/voucher/request.c sign_pledge_voucher_request / sign_voucher_request: the PVR
  carries created-on, nonce, assertion "proximity", proximity-registrar-cert and
  serial-number; the RVR created-on, nonce copied from the PVR, serial-number,
  idevid-issuer and prior-signed-voucher-request, no assertion), signed as its
  src/voucher/crypto_ossl.c sign_withkey_cms does with OpenSSL's
  CMS_sign(cert, key, certs, data, CMS_BINARY): eContentType id-data, SHA-256, signed
  attributes contentType, signingTime, messageDigest, the signer certificate and any
  extra ones in `certificates`; its registrar sends the DER as base64 text
  (src/brski/registrar/registrar_api.cpp).
- JWS with jwcrypto's JWS.add_signature, protected header alg/typ/x5c.

Voucher checks return the leaves in the shape brski.parse_voucher gives for COSE
(nonce and pins as bytes, assertion as its number, x5bag the signer's certificates).
"""
import base64
import datetime
import hashlib
import json

from asn1crypto import algos, cms, core, x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

import brski

CMS = "application/voucher-cms+json"
PKCS7 = "application/pkcs7-mime; smime-type=voucher"
JWS = "application/voucher-jws+json"
OID_ANIMA = "1.2.840.113549.1.9.16.1.40"     # id-ct-animaJSONVoucher
OID_DATA = "1.2.840.113549.1.7.1"            # id-data
VR = "ietf-voucher-request:voucher"
V = "ietf-voucher:voucher"
ASSERTIONS = {"verified": 0, "logged": 1, "proximity": 2}
PROX = {"pubk": "proximity-registrar-pubk", "sha256": "proximity-registrar-pubk-sha256",
        "cert": "proximity-registrar-cert"}


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def unb64url(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _time(created_on):
    if created_on == "now":
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return created_on


def vr_json(leaves, dup=None):
    """{"ietf-voucher-request:voucher": leaves} as compact text; dup=(name, value)
    appends a second member of that name (a duplicate key jansson must refuse)."""
    text = json.dumps({VR: leaves}, separators=(",", ":"))
    if dup is not None:
        text = text[:-2] + ",%s:%s}}" % (json.dumps(dup[0]), json.dumps(dup[1]))
    return text.encode()


def pvr_leaves(serial, nonce, proximity=None, created_on="now", assertion="proximity"):
    """The leaves of a PVR as nqminds' sign_pledge_voucher_request sets them."""
    leaves = {}
    if created_on is not None:
        leaves["created-on"] = _time(created_on)
    if nonce is not None:
        leaves["nonce"] = b64(nonce)
    if assertion is not None:
        leaves["assertion"] = assertion
    if proximity is not None:
        kind, value = proximity
        leaves[PROX[kind]] = b64(value)
    if serial is not None:
        leaves["serial-number"] = serial
    return leaves


def rvr_leaves(serial, nonce, pvr, created_on="now", idevid_issuer=None):
    """The leaves of an RVR as nqminds' sign_voucher_request sets them."""
    leaves = {}
    if created_on is not None:
        leaves["created-on"] = _time(created_on)
    if nonce is not None:
        leaves["nonce"] = b64(nonce)
    if serial is not None:
        leaves["serial-number"] = serial
    if idevid_issuer is not None:
        leaves["idevid-issuer"] = b64(idevid_issuer)
    if pvr is not None:
        leaves["prior-signed-voucher-request"] = b64(pvr)
    return leaves


# --------------------------------------------------------------------------------------
# CMS
# --------------------------------------------------------------------------------------

def _sig_algs(key):
    """(digest name, signature algorithm name) of a private key, as OpenSSL signs."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "sha512", "ed25519"
    size = key.curve.key_size
    return ("sha384", "sha384_ecdsa") if size == 384 else ("sha256", "sha256_ecdsa")


def _sign(key, data, digest):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA({"sha256": hashes.SHA256(),
                                    "sha384": hashes.SHA384()}[digest]))


def _sid(key, certs):
    """issuerAndSerialNumber of the certificate of key among certs, else the
    subjectKeyIdentifier (SHA-1 of the public key) of a key without one."""
    spki = brski.spki_der(key)
    for der in certs:
        c = ax509.Certificate.load(der)
        if c.public_key.dump() == spki:
            return cms.SignerIdentifier(name="issuer_and_serial_number", value={
                "issuer": c.issuer, "serial_number": c.serial_number})
    pub = ax509.PublicKeyInfo.load(spki)
    return cms.SignerIdentifier(name="subject_key_identifier",
                                value=hashlib.sha1(pub["public_key"].contents[1:]).digest())


def make_cms(content, key, certs=(), econtent_type=OID_DATA, detached=False, sign_hook=None,
             signing_time=None):
    """SignedData (DER) over content signed by key, certs in `certificates` (the
    signer's, if there, names it), as OpenSSL's CMS_sign(..., CMS_BINARY) makes it."""
    certs = [bytes(c) for c in (certs or ())]
    digest, sig_alg = _sig_algs(key)
    when = signing_time or datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    attrs = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": [econtent_type]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": when})]}),
        cms.CMSAttribute({"type": "message_digest",
                          "values": [hashlib.new(digest, content).digest()]}),
    ])
    signature = _sign(key, attrs.dump(), digest)
    if sign_hook is not None:
        signature = sign_hook(signature)
    si = cms.SignerInfo({
        "version": "v1" if not certs or _sid(key, certs).name == "issuer_and_serial_number"
                   else "v3",
        "sid": _sid(key, certs),
        "digest_algorithm": {"algorithm": digest},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": sig_alg},
        "signature": signature,
    })
    if si["sid"].name == "subject_key_identifier":
        si["version"] = "v3"
    # The SignedData by hand from asn1crypto's parts: asn1crypto types eContent by
    # eContentType, and a test may name any (RFC 5652 §5.1, §5.2).
    tlv = brski._der_len_prefixed
    encap = core.ObjectIdentifier(econtent_type).dump()
    if not detached:
        encap += tlv(0xA0, core.OctetString(content).dump())
    sd = (core.Integer(3 if si["version"].native == "v3" else 1).dump()
          + tlv(0x31, algos.DigestAlgorithm({"algorithm": digest}).dump())
          + tlv(0x30, encap)
          + (tlv(0xA0, b"".join(certs)) if certs else b"")
          + tlv(0x31, si.dump()))
    return tlv(0x30, core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()
               + tlv(0xA0, tlv(0x30, sd)))


def _requests(make):
    """(pvr, rvr) builders signing with make (make_cms or make_jws), its keywords in kw:
    the PVR's certs and the RVR's x5bag go in `certificates` or `x5c`."""
    def pvr(pledge_key, serial, nonce, proximity=None, created_on="now", certs=(), dup=None,
            **kw):
        return make(vr_json(pvr_leaves(serial, nonce, proximity, created_on), dup), pledge_key,
                    certs, **kw)

    def rvr(registrar_key, serial, nonce, pvr, x5bag=None, created_on="now",
            idevid_issuer=None, dup=None, **kw):
        return make(vr_json(rvr_leaves(serial, nonce, pvr, created_on, idevid_issuer), dup),
                    registrar_key, x5bag or (), **kw)
    return pvr, rvr


def _voucher_leaves(text):
    obj = json.loads(text)
    if list(obj) != [V]:
        raise ValueError("voucher: top level must be {%r: {...}}" % V)
    inner = dict(obj[V])
    out = {}
    for k, v in inner.items():
        if k in ("nonce", "pinned-domain-cert", "pinned-domain-pubk"):
            out[k] = base64.b64decode(v, validate=True)
        elif k == "assertion":
            out[k] = ASSERTIONS[v]
        else:
            out[k] = v
    return out


def parse_cms_voucher(der, masa_public_key):
    """Verifies a CMS voucher: ContentInfo SignedData, eContentType
    id-ct-animaJSONVoucher, one SignerInfo whose certificate (found by its sid among
    `certificates`) carries masa_public_key, contentType and messageDigest attributes
    that match, the signature over the DER signed attributes. Returns the leaves, with
    x5bag = the certificates (DER)."""
    ci = cms.ContentInfo.load(der)
    if ci["content_type"].native != "signed_data":
        raise ValueError("not SignedData")
    sd = ci["content"]
    encap = sd["encap_content_info"]
    if encap["content_type"].dotted != OID_ANIMA:
        raise ValueError("eContentType is %s" % encap["content_type"].dotted)
    content = encap["content"].native
    certs = [c.chosen for c in sd["certificates"]]
    (si,) = list(sd["signer_infos"])
    sid = si["sid"]
    signer = [c for c in certs if sid.name == "issuer_and_serial_number" and
              c.issuer == sid.chosen["issuer"] and c.serial_number == sid.chosen["serial_number"].native]
    if len(signer) != 1:
        raise ValueError("the signer is not among the certificates")
    cert = x509.load_der_x509_certificate(signer[0].dump())
    if brski.spki_der(cert.public_key()) != brski.spki_der(masa_public_key):
        raise ValueError("signed by another key than the MASA's")
    attrs = {a["type"].native: a["values"][0] for a in si["signed_attrs"]}
    digest = si["digest_algorithm"]["algorithm"].native
    if attrs["content_type"].dotted != OID_ANIMA:
        raise ValueError("contentType attribute differs")
    if attrs["message_digest"].native != hashlib.new(digest, content).digest():
        raise ValueError("messageDigest differs")
    signed = si["signed_attrs"].dump()
    signed = b"\x31" + signed[1:]      # the SET OF it is signed as (RFC 5652 §5.4)
    pub = cert.public_key()
    sig = si["signature"].native
    if isinstance(pub, ed25519.Ed25519PublicKey):
        pub.verify(sig, signed)
    else:
        pub.verify(sig, signed, ec.ECDSA({"sha256": hashes.SHA256(),
                                          "sha384": hashes.SHA384(),
                                          "sha512": hashes.SHA512()}[digest]))
    leaves = _voucher_leaves(content)
    leaves["x5bag"] = [c.dump() for c in certs]
    return leaves


# --------------------------------------------------------------------------------------
# JWS
# --------------------------------------------------------------------------------------

def _jwk(key):
    from jwcrypto import jwk
    return jwk.JWK.from_pem(key.private_bytes(serialization.Encoding.PEM,
                                              serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))


def _jws_alg(key):
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "EdDSA"
    return "ES384" if key.curve.key_size == 384 else "ES256"


def make_jws(payload, key, x5c=(), sign_hook=None, header=None):
    """General JWS JSON Serialization of payload signed by key with jwcrypto: protected
    {"alg", "typ": "voucher-jws+json", "x5c": [...]}. header replaces the protected
    header; if its alg is not the key's, the key signs with its own algorithm by hand
    (jwcrypto refuses to), for requests whose alg lies."""
    from jwcrypto import jws
    prot = header if header is not None else {"alg": _jws_alg(key),
                                               "typ": "voucher-jws+json"}
    if header is None and x5c:
        prot["x5c"] = [b64(bytes(c)) for c in x5c]
    if prot.get("alg") == _jws_alg(key):
        token = jws.JWS(payload)
        token.add_signature(_jwk(key), None, protected=json.dumps(prot))
        flat = json.loads(token.serialize())
        p64, pl64, sig = flat["protected"], flat["payload"], unb64url(flat["signature"])
    else:
        p64, pl64 = b64url(json.dumps(prot).encode()), b64url(payload)
        sig = brski._sign_raw(key, ("%s.%s" % (p64, pl64)).encode())
    if sign_hook is not None:
        sig = sign_hook(sig)
    return json.dumps({"payload": pl64, "signatures": [
        {"protected": p64, "signature": b64url(sig)}]}).encode()


def unsigned_jws(payload, header):
    """A JWS with header (e.g. alg none) and an empty signature, as no library makes."""
    return json.dumps({"payload": b64url(payload), "signatures": [
        {"protected": b64url(json.dumps(header).encode()), "signature": ""}]}).encode()


def parse_jws_voucher(data, masa_public_key):
    """Verifies a JWS voucher with jwcrypto (General JSON Serialization, one signature,
    protected typ voucher-jws+json and x5c whose first certificate carries the MASA
    key). Returns the leaves, with x5bag = the x5c certificates (DER)."""
    from jwcrypto import jwk, jws
    obj = json.loads(data)
    if set(obj) != {"payload", "signatures"} or len(obj["signatures"]) != 1:
        raise ValueError("not General JWS JSON Serialization with one signature")
    prot = json.loads(unb64url(obj["signatures"][0]["protected"]))
    if prot.get("typ") != "voucher-jws+json":
        raise ValueError("typ is %r" % prot.get("typ"))
    x5c = [base64.b64decode(c, validate=True) for c in prot["x5c"]]
    cert = x509.load_der_x509_certificate(x5c[0])
    if brski.spki_der(cert.public_key()) != brski.spki_der(masa_public_key):
        raise ValueError("x5c[0] is not the MASA key")
    key = jwk.JWK.from_pem(masa_public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    token = jws.JWS()
    token.deserialize(data.decode(), key=key)
    leaves = _voucher_leaves(token.payload)
    leaves["x5bag"] = x5c
    leaves["alg"] = prot["alg"]
    return leaves


cms_pvr, cms_rvr = _requests(make_cms)     # nqminds' shapes (module docstring)
jws_pvr, jws_rvr = _requests(make_jws)

FORMATS = {
    "cms": dict(content_type=CMS, pvr=cms_pvr, rvr=cms_rvr, parse=parse_cms_voucher),
    "jws": dict(content_type=JWS, pvr=jws_pvr, rvr=jws_rvr, parse=parse_jws_voucher),
}
