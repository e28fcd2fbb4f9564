"""The registrar audit log (RFC 8995 §5.8, POST /requestauditlog) and the
MASA's own hash-chained audit trail (`masa audit verify|export`), checked
against the real server and an independent Python re-implementation of
the chain."""
import base64
import csv
import datetime
import hashlib
import http.client
import io
import json
import os
import random
import shutil
import sqlite3
import subprocess
import unittest

import brski
import vtest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from masatest import BACKEND, MASA_BIN, request, run, sqlite_only, tls_context

VOUCHER = "/.well-known/brski/requestvoucher"
AUDITLOG = "/.well-known/brski/requestauditlog"
NOT_FOUND = b"The serial-number is not a device this MASA can vouch for.\n"
EVENT_KEYS = {"date", "domainID", "nonce", "assertion"}


def chain_hash(seq, e, prev):
    """The audit chain hash, written from common/store/audit.h's description."""
    def field(v):
        if v is None:
            return b"\x00"
        if isinstance(v, int):
            v = str(v).encode()
        elif isinstance(v, str):
            v = v.encode()
        return b"\x01" + len(v).to_bytes(4, "big") + v
    h = hashlib.sha256(b"masa-audit-v1" + prev)
    for v in (seq, e["at_ms"], e["event"], e["serial"],
              bytes.fromhex(e["registrar"]) if e["registrar"] else None,
              base64.b64decode(e["nonce"]) if e["nonce"] else None,
              e["assertion"], e["source"], e["detail"]):
        h.update(field(v))
    return h.digest()


def cert_without_ski(key):
    """A self-signed cmcRA registrar certificate (DER) with no SubjectKeyIdentifier."""
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "no ski")])
    now = datetime.datetime.now(datetime.timezone.utc)
    c = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(now - datetime.timedelta(hours=1))
         .not_valid_after(now + datetime.timedelta(days=1))
         .add_extension(x509.ExtendedKeyUsage([brski.OID_CMC_RA]), critical=False)
         .sign(key, hashes.SHA256()))
    return c.public_bytes(serialization.Encoding.DER)


class AuditLogCase(vtest.VoucherCase):
    """vtest.VoucherCase for its store observations and assertRefused; the requests
    here are built by this class (serial SN1, (key, certificate) registrars)."""
    mode = "first-use"

    def prepare(self):
        self.inst.edit_config(policy={"mode": self.mode})
        self.pledge = brski.new_key("es256")
        brski.write_pem_public(self.pledge.public_key(), self.inst.path("pledge.pub"))
        self.cli("device", "add", "--serial", "SN1", "--pubkey", self.inst.path("pledge.pub"))
        self.server = self.serve(admin=False)

    def registrar(self, name="reg"):
        key = brski.new_key("es256")
        return key, brski.self_signed_cert(key, name)

    def rvr(self, reg, nonce=None, created_on="now", nonceless=False):
        key, cert = reg
        if nonceless:
            return brski.make_rvr(key, "SN1", None, None, x5bag=[cert], created_on=created_on)
        nonce = nonce or os.urandom(8)
        pvr = brski.make_pvr(self.pledge, "SN1", nonce, ("pubk", brski.spki_der(key.public_key())))
        return brski.make_rvr(key, "SN1", nonce, pvr, x5bag=[cert], created_on=created_on)

    def post(self, path, body, accept=None, ctype="application/voucher+cose"):
        st, hdr, out = self.ask(path, body, accept, ctype)
        return st, hdr.get("content-type"), out

    def ask(self, path, body, accept=None, ctype="application/voucher+cose"):
        """(status, lower-case headers, body) of body POSTed to path."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port,
                                           context=tls_context(self.inst), timeout=10)
        headers = {"Content-Type": ctype}
        if accept:
            headers["Accept"] = accept
        try:
            conn.request("POST", path, body=body, headers=headers)
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def refused(self, name, body, audited=False, row=None, **kw):
        """assertRefused for the audit log: exact answer, every table unchanged, one
        auditlog.refused row (row: its fields) or none."""
        return self.assertRefused(name, lambda: self.ask(AUDITLOG, body, **kw),
                                  audited=audited, row=row, event="auditlog.refused")

    def voucher(self, reg, **kw):
        body = self.rvr(reg, **kw)
        st, _, out = self.post(VOUCHER, body)
        self.assertEqual(st, 200, out)
        return body

    def log(self, body, **kw):
        st, ctype, out = self.post(AUDITLOG, body, **kw)
        self.assertEqual(st, 200, out)
        self.assertEqual(ctype, "application/json")
        doc = json.loads(out)
        self.assertEqual(set(doc), {"version", "events", "truncation"})
        self.assertEqual(doc["version"], 1)
        self.assertEqual(set(doc["truncation"]),
                         {"nonced duplicates", "nonceless duplicates", "arbitrary"})
        for e in doc["events"]:
            self.assertTrue(EVENT_KEYS <= set(e) <= EVENT_KEYS | {"truncated"}, e)
            self.assertIsInstance(e.get("truncated", 1), int)
        return doc

    def voucher_copies(self, n, nonceless=False, domain_id=None):
        """Adds n copies of the device's first voucher row (nonce fresh, or NULL), in
        the database behind masa's back, optionally under another domain_id."""
        if BACKEND == "postgresql":
            self.pg_voucher_copies(n, nonceless, domain_id)
            return
        c = sqlite3.connect(self.inst.path("masa.db"))
        c.executemany(
            "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
            " assertion, media_type, voucher, created_ms, expires_ms)"
            " SELECT device_id, registrar_id, request_sha256, coalesce(?, domain_id), ?,"
            " assertion, media_type, voucher, created_ms - 1, expires_ms"
            " FROM vouchers ORDER BY id LIMIT 1",
            ((domain_id, None if nonceless else os.urandom(8)) for _ in range(n)))
        c.commit()
        c.close()

    def pg_voucher_copies(self, n, nonceless, domain_id):
        """voucher_copies on PostgreSQL, with psql: the same rows (a fresh random
        8-byte nonce each, or NULL), one statement; the vouchers_grouped trigger
        counts them as SQLite's does."""
        domain = "NULL" if domain_id is None else "'%s'" % domain_id.replace("'", "''")
        nonce = ("NULL" if nonceless else
                 "substring(decode(md5(random()::text || g::text), 'hex') FROM 1 FOR 8)")
        self.pg_rows(
            "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
            " assertion, media_type, voucher, created_ms, expires_ms)"
            " SELECT device_id, registrar_id, request_sha256, coalesce(%s, domain_id), %s,"
            " assertion, media_type, voucher, created_ms - 1, expires_ms"
            " FROM (SELECT * FROM vouchers ORDER BY id LIMIT 1) v, generate_series(1, %d) g"
            % (domain, nonce, n))

    def db(self, sql):
        if BACKEND != "sqlite":
            self.skipTest("SQLite-only: reads masa.db with SQL")
        c = sqlite3.connect(self.inst.path("masa.db"))
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()


class TestRegistrarAuditLog(AuditLogCase):
    def test_holder_gets_its_events_collapsed(self):
        """Three nonced vouchers to one registrar: one event, the newest, with
        truncated 2; domainID is base64 SHA-256 of the pinned SPKI."""
        reg = self.registrar()
        nonces = [os.urandom(8) for _ in range(3)]
        for n in nonces:
            last = self.voucher(reg, nonce=n)
        doc = self.log(last)
        spki = brski.spki_der(reg[0].public_key())
        self.assertEqual(doc["events"], [{
            "date": doc["events"][0]["date"],
            "domainID": base64.b64encode(hashlib.sha256(spki).digest()).decode(),
            "nonce": base64.b64encode(nonces[-1]).decode(),
            "assertion": "proximity",
            "truncated": 2,
        }])
        brski.parse_rfc3339(doc["events"][0]["date"])
        self.assertEqual(doc["truncation"],
                         {"nonced duplicates": 2, "nonceless duplicates": 0, "arbitrary": 0})

    def test_every_domain_newest_first(self):
        """After a release a second registrar gets a voucher: both appear,
        newest first, each once, and neither address nor token leaks."""
        a, b = self.registrar("a"), self.registrar("b")
        first = self.voucher(a)
        self.cli("device", "release", "SN1")
        self.voucher(b)
        doc = self.log(first)
        ids = [e["domainID"] for e in doc["events"]]
        want = [base64.b64encode(hashlib.sha256(brski.spki_der(k.public_key())).digest()).decode()
                for k, _ in (b, a)]
        self.assertEqual(ids, want)
        text = json.dumps(doc)
        self.assertNotIn("127.0.0.1", text)
        self.assertNotIn(self.inst.token.split(".")[0], text)

    @sqlite_only("gives the rows distinctive ids with SQL")
    def test_no_address_token_or_internal_id_in_the_answer(self):
        """README: no address, token or internal id appears in the answer. Vouchers asked
        from distinctive loopback addresses (127.83.61.x: the address and its stored
        /24), API tokens of every role, and row ids made distinctive (device, registrar
        key and voucher ids rewritten with SQL, every reference with them); the whole
        answer is searched for each."""
        tokens = [self.inst.token] + [
            self.cli("token", "create", "--role", role, "--name", "log-" + role).stdout.strip()
            for role in ("factory", "auditor")]
        c = sqlite3.connect(self.inst.path("masa.db"))
        with c:
            c.execute("UPDATE devices SET id = 48151623 WHERE serial = 'SN1'")
        regs = [self.registrar("a"), self.registrar("b")]
        for n, reg in enumerate(regs):
            st, _h, out = request(self.inst, self.server.port, "POST", VOUCHER,
                                        self.rvr(reg), {"Content-Type": vtest.COSE},
                                        source="127.83.61.%d" % (47 + n))
            self.assertEqual(st, 200, out)
            self.cli("device", "release", "SN1")
        with c:
            for sql in ("UPDATE vouchers SET id = id + 90817260, registrar_id = registrar_id"
                        " + 61728390", "UPDATE voucher_groups SET last_voucher_id ="
                        " last_voucher_id + 90817260", "UPDATE registrar_keys SET id = id +"
                        " 61728390", "UPDATE devices SET pinned_registrar_id ="
                        " pinned_registrar_id + 61728390"):
                c.execute(sql)
        ids = [str(i) for (i,) in c.execute(
            "SELECT id FROM devices UNION ALL SELECT id FROM vouchers UNION ALL"
            " SELECT id FROM registrar_keys")]
        nets = [n for (n,) in c.execute("SELECT first_seen_net FROM registrar_keys")]
        c.close()
        self.assertEqual(len(ids), 5)
        self.assertTrue(all(len(i) == 8 for i in ids), ids)
        self.assertEqual(nets, ["127.83.61.0/24"] * 2)
        answers = []
        for reg in regs:
            st, hdr, out = self.ask(AUDITLOG, self.rvr(reg))
            self.assertEqual(st, 200, out)
            self.assertEqual(len(json.loads(out)["events"]), 2)  # both vouchers are in it
            answers.append("".join("%s: %s\n" % kv for kv in hdr.items()) + out.decode())
        for needle in ["127.83.61", "127.0.0.1", "argon2"] + ids + [
                part for t in tokens for part in t.split(".")]:
            with self.subTest(needle=needle):
                for text in answers:
                    self.assertNotIn(needle, text)

    def test_stranger_and_unknown_serial_get_404_and_spend_nothing(self):
        """A registrar that never held the device, and an unknown serial: 404;
        no voucher, bucket or pin changes; the refusal is audited."""
        self.voucher(self.registrar())
        before = self.db("SELECT * FROM token_buckets"), self.db("SELECT count(*) FROM vouchers")
        st, _, out = self.post(AUDITLOG, self.rvr(self.registrar("stranger")))
        self.assertEqual((st, out), (404, NOT_FOUND))
        key = brski.new_key("es256")
        unknown = brski.make_rvr(key, "NOPE", os.urandom(8), None,
                                 x5bag=[brski.self_signed_cert(key, "x")])
        self.assertEqual(self.post(AUDITLOG, unknown)[::2], (404, NOT_FOUND))
        self.assertEqual((self.db("SELECT * FROM token_buckets"),
                          self.db("SELECT count(*) FROM vouchers")), before)
        self.assertEqual(self.db("SELECT count(*) FROM audit WHERE event = 'auditlog.refused'"),
                         [(2,)])

    @sqlite_only("writes 1,100 vouchers into masa.db with SQL")
    def test_counters_saturate_at_1024(self):
        """1,100 duplicates of one kind: the event's truncated and the total
        both stop at 1024."""
        reg = self.registrar()
        body = self.voucher(reg)
        c = sqlite3.connect(self.inst.path("masa.db"))
        c.executemany(
            "INSERT INTO vouchers (device_id, registrar_id, request_sha256, domain_id, nonce,"
            " assertion, media_type, voucher, created_ms)"
            " SELECT device_id, registrar_id, request_sha256, domain_id, ?, assertion,"
            " media_type, voucher, created_ms - 1 FROM vouchers LIMIT 1",
            ((os.urandom(8),) for _ in range(1100)))
        c.commit()
        c.close()
        doc = self.log(body)
        self.assertEqual(doc["events"][0]["truncated"], 1024)
        self.assertEqual(doc["truncation"]["nonced duplicates"], 1024)

    def test_stale_request_is_accepted(self):
        """The log needs no fresh created-on: a registrar may resend its RVR."""
        reg = self.registrar()
        self.voucher(reg)
        old = self.rvr(reg, created_on="2020-01-01T00:00:00Z")
        self.assertEqual(len(self.log(old)["events"]), 1)

    def test_media_types(self):
        """application/json is produced; other answers 406 and a request type other
        than the voucher-request's 415, each with its sentence, nothing changed and
        nothing audited (decided before the registrar is known)."""
        reg = self.registrar()
        body = self.voucher(reg)
        self.log(body, accept="application/json")
        self.log(body, accept="*/*")
        for accept in ("application/voucher+cose", "text/plain", "application/json;q=0"):
            with self.subTest(accept=accept):
                self.refused("MASA_E_NOT_ACCEPTABLE", body, accept=accept)
        for ctype in ("application/json", "application/cbor"):
            with self.subTest(ctype=ctype):
                self.refused("MASA_E_MEDIA_TYPE", body, ctype=ctype)

    def test_blocked_registrar(self):
        """A blocked registrar that once held the device gets 403 with its sentence,
        nothing changes, and one auditlog.refused row names serial, key, nonce and
        address."""
        reg = self.registrar()
        nonce = os.urandom(8)
        body = self.voucher(reg, nonce=nonce)
        path = self.inst.path("reg.pub")
        brski.write_pem_public(reg[0].public_key(), path)
        self.cli("registrar", "block", "--key", path)
        self.refused("MASA_E_BLOCKED", body, audited=True,
                     row=dict(serial="SN1", nonce=nonce,
                              registrar=brski.sha256(brski.spki_der(reg[0].public_key()))))

    def test_unverified_requests_are_refused_unaudited(self):
        """Verified like a voucher request: a flipped signature bit 403
        MASA_E_SIGNATURE; an RVR signed by a key other than its x5bag certificate's
        403 MASA_E_SIGNATURE; one naming (in the PVR) a signer the x5bag disagrees
        with 403 MASA_E_REGISTRAR_KEYS_DISAGREE; never audited, nothing changed."""
        reg = self.registrar()
        self.voucher(reg)
        key, cert = reg
        nonce = os.urandom(8)
        pvr = brski.make_pvr(self.pledge, "SN1", nonce, ("pubk", brski.spki_der(key.public_key())))
        self.refused("MASA_E_SIGNATURE", brski.make_rvr(key, "SN1", nonce, pvr, x5bag=[cert],
                                                        sign_hook=vtest.flip_last))
        x = brski.new_key("es256")
        self.refused("MASA_E_SIGNATURE", brski.make_rvr(x, "SN1", nonce, pvr, x5bag=[cert]))
        pvr_x = brski.make_pvr(self.pledge, "SN1", nonce, ("pubk", brski.spki_der(x.public_key())))
        self.refused("MASA_E_REGISTRAR_KEYS_DISAGREE",
                     brski.make_rvr(x, "SN1", nonce, pvr_x, x5bag=[cert]))

    def test_saturation_sums_over_groups(self):
        """Two domains with 600 nonced vouchers each: each event's truncated is 599
        (under the cap) while the summed "nonced duplicates" stops at 1024."""
        reg = self.registrar()
        body = self.voucher(reg)
        self.voucher_copies(599)
        self.voucher_copies(600, domain_id="b3RoZXIgZG9tYWlu")
        doc = self.log(body)
        self.assertEqual(sorted(e["truncated"] for e in doc["events"]), [599, 599])
        self.assertEqual(doc["truncation"]["nonced duplicates"], 1024)
        self.assertEqual(doc["truncation"]["nonceless duplicates"], 0)

    def test_domain_id_without_subject_key_identifier(self):
        """pinned_domain cert with a registrar certificate that has no SKI: domainID
        falls back to base64 of the SHA-256 of the pinned SPKI."""
        self.server.stop()
        self.inst.edit_config(policy={"pinned_domain": "cert"})
        self.server = self.serve(admin=False)
        key = brski.new_key("es256")
        cert = cert_without_ski(key)
        self.assertRaises(x509.ExtensionNotFound, x509.load_der_x509_certificate(cert)
                          .extensions.get_extension_for_class, x509.SubjectKeyIdentifier)
        doc = self.log(self.voucher((key, cert)))
        self.assertEqual(doc["events"][0]["domainID"], base64.b64encode(
            hashlib.sha256(brski.spki_der(key.public_key())).digest()).decode())

    def test_certificate_pin_uses_subject_key_identifier(self):
        """With pinned-domain-cert, domainID is the certificate's SKI."""
        self.server.stop()
        self.inst.edit_config(policy={"pinned_domain": "cert"})
        self.server = self.serve(admin=False)
        reg = self.registrar()
        doc = self.log(self.voucher(reg))
        ski = x509.load_der_x509_certificate(reg[1]).extensions.get_extension_for_class(
            x509.SubjectKeyIdentifier).value.digest
        self.assertEqual(doc["events"][0]["domainID"], base64.b64encode(ski).decode())


class TestOwnerAuditLog(AuditLogCase):
    mode = "owner"

    def test_owner_key_and_nonceless_counted_apart(self):
        """An owner's key may read the log before holding a voucher; nonceless
        vouchers form their own event and their own duplicate count."""
        reg = self.registrar()
        path = self.inst.path("owner.pub")
        brski.write_pem_public(reg[0].public_key(), path)
        self.cli("owner", "add", "acme", "--registrar-key", path)
        self.cli("owner", "assign", "acme", "SN1")
        self.assertEqual(self.log(self.rvr(reg))["events"], [])
        self.voucher(reg, nonceless=True)
        self.voucher(reg, nonceless=True)
        body = self.voucher(reg)
        doc = self.log(body)
        self.assertEqual([(e["nonce"] is None, e["assertion"]) for e in doc["events"]],
                         [(False, "proximity"), (True, "verified")])
        self.assertEqual(doc["events"][1]["truncated"], 1)
        self.assertEqual(doc["truncation"]["nonceless duplicates"], 1)
        self.assertEqual(doc["truncation"]["nonced duplicates"], 0)

    def owner(self, name, reg, *serials):
        path = self.inst.path(name + ".pub")
        brski.write_pem_public(reg[0].public_key(), path)
        self.cli("owner", "add", name, "--registrar-key", path)
        if serials:
            self.cli("owner", "assign", name, *serials)

    def test_another_owners_key_gets_404(self):
        """A registrar key of another owner (that never held the device): 404 with the
        unknown-device sentence, nothing changed, one auditlog.refused row."""
        self.owner("acme", self.registrar("acme"), "SN1")
        other = self.registrar("other")
        self.owner("other", other)
        nonce = os.urandom(8)
        self.refused("MASA_E_UNKNOWN_DEVICE", self.rvr(other, nonce=nonce), audited=True,
                     row=dict(serial="SN1", nonce=nonce,
                              registrar=brski.sha256(brski.spki_der(other[0].public_key()))))

    def test_nonceless_counter_saturates_at_1024(self):
        """1,100 nonceless duplicates: the nonceless event's truncated and "nonceless
        duplicates" both stop at 1024; "nonced duplicates" stays 0."""
        reg = self.registrar()
        self.owner("acme", reg, "SN1")
        self.voucher(reg, nonceless=True)
        self.voucher_copies(1100, nonceless=True)
        doc = self.log(self.rvr(reg))
        self.assertEqual([(e["nonce"], e["truncated"]) for e in doc["events"]], [(None, 1024)])
        self.assertEqual(doc["truncation"]["nonceless duplicates"], 1024)
        self.assertEqual(doc["truncation"]["nonced duplicates"], 0)


class TestAuditTrail(AuditLogCase):
    def make_history(self):
        path = self.inst.path("sn2.pub")
        brski.write_pem_public(brski.new_key("es256").public_key(), path)
        self.cli("device", "add", "--serial", "SN2", "--pubkey", path)
        reg = self.registrar()
        for _ in range(3):
            self.voucher(reg)
        self.post(VOUCHER, self.rvr(self.registrar("other")))   # refused: pinned
        self.server.stop()

    def export(self, *args):
        r = run("audit", "export", "--config", self.inst.config, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_export_recomputes_independently(self):
        """Every exported entry's hash recomputes with the Python chain, and
        CSV carries the same data as JSON lines."""
        self.make_history()
        rows = [json.loads(l) for l in self.export().splitlines()]
        self.assertEqual([r["seq"] for r in rows], list(range(1, len(rows) + 1)))
        prev = bytes(32)
        for r in rows:
            self.assertEqual(r["prev_hash"], prev.hex())
            prev = chain_hash(r["seq"], r, prev)
            self.assertEqual(r["hash"], prev.hex(), r)
        events = [r["event"] for r in rows]
        self.assertEqual(events.count("voucher.issued"), 3)
        self.assertIn("voucher.refused", events)
        text = self.export("--format", "csv")
        # README "Commands": the field list, in order, as JSON's keys and CSV's header
        fields = ["seq", "time", "at_ms", "event", "serial", "registrar", "nonce", "assertion",
                  "source", "detail", "prev_hash", "hash"]
        self.assertEqual(text.split("\n", 1)[0].strip("\r").split(","), fields)
        self.assertEqual([list(r) for r in rows], [fields] * len(rows))
        for r in rows:      # time is at_ms as RFC 3339 UTC
            self.assertEqual(int(brski.parse_rfc3339(r["time"]).timestamp() * 1000),
                             r["at_ms"])
        table = list(csv.DictReader(io.StringIO(text)))
        self.assertEqual([t["hash"] for t in table], [r["hash"] for r in rows])
        self.assertEqual([t["detail"] for t in table], [r["detail"] for r in rows])
        only = [json.loads(l) for l in self.export("--serial", "SN1").splitlines()]
        self.assertEqual(only, [r for r in rows if r["serial"] == "SN1"])
        self.assertTrue(len(only) < len(rows), "the history has rows of other serials")
        self.assertEqual(self.export("--since", "2999-01-01T00:00:00Z"), "")
        mid = rows[len(rows) // 2]
        since = [json.loads(l) for l in self.export("--since", mid["time"]).splitlines()]
        self.assertEqual(since, [r for r in rows if r["at_ms"] >= mid["at_ms"]])
        self.assertIn(mid, since)
        verify = run("audit", "verify", "--config", self.inst.config)
        self.assertEqual(verify.returncode, 0, verify.stderr)
        self.assertIn("head " + rows[-1]["hash"], verify.stdout)

    def clone(self, where):
        """A copy of the instance's database with a config pointing at it
        (keys stay where they are); returns the config path."""
        os.makedirs(where)
        shutil.copy(self.inst.path("masa.db"), os.path.join(where, "masa.db"))
        with open(self.inst.config) as f:
            cfg = json.load(f)
        cfg["database"]["path"] = os.path.join(where, "masa.db")
        for section, key, name in (("signing", "key", "signing.key"), ("signing", "cert", "signing.crt"),
                                   ("tls", "key", "tls.key"), ("tls", "cert", "tls.crt")):
            cfg[section][key] = self.inst.path(name)
        path = os.path.join(where, "masa.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    @sqlite_only("edits copies of masa.db behind masa's back")
    def test_verify_catches_every_single_edit_or_deletion(self):
        """Random single-entry edits and deletions, made in the database behind
        masa's back (triggers dropped), are each caught at the right entry."""
        self.make_history()
        n = self.db("SELECT max(seq) FROM audit")[0][0]
        rnd = random.Random(7)
        edits = ["UPDATE audit SET detail = detail || 'x' WHERE seq = {s}",
                 "UPDATE audit SET at_ms = at_ms + 1 WHERE seq = {s}",
                 "UPDATE audit SET serial = 'EVIL' WHERE seq = {s}",
                 "UPDATE audit SET source = coalesce(source, '') || 'x' WHERE seq = {s}",
                 "DELETE FROM audit WHERE seq = {s}"]
        for trial in range(25):
            s = rnd.randrange(1, n)      # the last entry is checked against the head instead
            sql = rnd.choice(edits).format(s=s)
            with self.subTest(sql=sql):
                self.assertCaught("copy%d" % trial, lambda c: c.execute(sql),
                                  s + 1 if sql.startswith("DELETE") else s)

    def assertCaught(self, name, tamper, entry):
        """tamper(connection) on a clone of the database with the append-only triggers
        dropped: `audit verify` on it exits 1 naming entry as broken."""
        cfg_path = self.clone(os.path.join(self.inst.tmp, name))
        c = sqlite3.connect(os.path.join(os.path.dirname(cfg_path), "masa.db"))
        c.execute("DROP TRIGGER audit_no_update")
        c.execute("DROP TRIGGER audit_no_delete")
        tamper(c)
        c.commit()
        c.close()
        r = subprocess.run([MASA_BIN, "audit", "verify", "--config", cfg_path],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("audit entry %d is broken" % entry, r.stderr)

    def test_verify_catches_an_inserted_entry(self):
        """A forged entry inserted behind masa's back (triggers dropped, the later rows
        renumbered), with a correct hash chained to its predecessor: `audit verify`
        exits 1 naming the entry after it, whose link no longer holds."""
        self.make_history()
        n = self.db("SELECT max(seq) FROM audit")[0][0]
        forged = {"at_ms": 1, "event": "device.enrolled", "serial": "EVIL", "registrar": None,
                  "nonce": None, "assertion": None, "source": "cli", "detail": "forged"}

        def insert_at(s):
            def tamper(c):
                c.execute("UPDATE audit SET seq = -(seq + 1) WHERE seq >= ?", (s,))
                c.execute("UPDATE audit SET seq = -seq WHERE seq < 0")
                prev = c.execute("SELECT hash FROM audit WHERE seq = ?", (s - 1,)).fetchone()[0]
                c.execute("INSERT INTO audit (seq, at_ms, event, serial, source, detail, "
                          "prev_hash, hash) VALUES (?, 1, 'device.enrolled', 'EVIL', 'cli', "
                          "'forged', ?, ?)", (s, prev, chain_hash(s, forged, prev)))
            return tamper
        for s in (2, n // 2, n):
            with self.subTest(inserted_at=s):
                self.assertCaught("ins%d" % s, insert_at(s), s + 1)

    @sqlite_only("runs SQL on masa.db")
    def test_trail_is_append_only_in_sql(self):
        """UPDATE and DELETE on the audit table fail while masa's triggers stand."""
        c = sqlite3.connect(self.inst.path("masa.db"))
        for sql in ("UPDATE audit SET detail = 'x'", "DELETE FROM audit"):
            with self.assertRaises(sqlite3.DatabaseError):
                c.execute(sql)
        c.close()


if __name__ == "__main__":
    unittest.main()
