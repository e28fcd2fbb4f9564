"""Several `masa serve` processes on one PostgreSQL database (issue 17): the
token bucket is exact across instances, first-use pinning cannot pin two
registrars, the audit trail stays one chain, a kill -9 of one instance under
load loses no voucher it answered, and a database restart under load gives
503s (never a voucher without its record) and service comes back by itself.

The server is a real PostgreSQL 15 the test starts (pgserver.py); the state
is read through the CLI (`masa device show`, `masa audit export|verify`).
"""
import base64
import json
import os
import subprocess
import secrets
import shutil
import tempfile
import threading
import time
import unittest

import pgserver
import vtest
from masatest import Instance, pg_server, run

INSTANCES = 4


class MultiCase(vtest.VoucherCase):
    def database(self):
        return pg_server().new_database()

    def start_all(self, n=INSTANCES, **policy):
        if policy:
            self.inst.edit_config(policy=policy)
        self.nodes = [self.serve(admin=False) for _ in range(n)]
        return self.nodes

    def device(self, serial):
        p = self.cli("device", "show", "--json", serial)
        return json.loads(p.stdout)

    def issued(self):
        """{(serial, nonce bytes)} of every voucher.issued entry of the trail."""
        return {(e["serial"], base64.b64decode(e["nonce"])) for e in self.audit_export()
                if e["event"] == "voucher.issued"}

    def assertChain(self):
        p = self.cli("audit", "verify")
        self.assertIn("ok", p.stdout)
        return p.stdout

    def fire(self, jobs):
        """Runs post(body, node) for every (body, node) in jobs at once, one
        thread each, released together; returns the statuses in job order."""
        out = [None] * len(jobs)
        gate = threading.Barrier(len(jobs))

        def one(i, body, node):
            gate.wait()
            out[i] = self.post(body, server=node)[0]
        ts = [threading.Thread(target=one, args=(i, b, n)) for i, (b, n) in enumerate(jobs)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(120)
        return out


class TestAcrossInstances(MultiCase):
    def test_bucket_exact_across_four_instances(self):
        """64 concurrent requests for one pledge, spread over 4 instances: exactly 24
        vouchers (the bucket's capacity), 40 refusals with 429, one chain."""
        p, r = self.enroll(), self.registrar()
        nodes = self.start_all()
        reqs = [self.make_request(p, r) for _ in range(64)]
        statuses = self.fire([(rvr, nodes[i % INSTANCES]) for i, (rvr, _n) in enumerate(reqs)])
        self.assertEqual(statuses.count(200), 24, statuses)
        self.assertEqual(statuses.count(429), 40, statuses)
        dev = self.device(p.serial)
        self.assertEqual((dev["vouchers-issued"], dev["tokens-left"]), (24, 0))
        ok = {n for (rvr, n), st in zip(reqs, statuses) if st == 200}
        self.assertEqual({n for s, n in self.issued() if s == p.serial}, ok)
        self.assertChain()

    def test_first_use_pins_one_registrar(self):
        """8 registrars ask for the same fresh pledge at once through 4 instances:
        one of them gets vouchers, every other one 403, and the device is pinned to
        the one that won."""
        p = self.enroll()
        regs = [self.registrar() for _ in range(8)]
        nodes = self.start_all()
        jobs, owners = [], []
        for i, reg in enumerate(regs):
            for k in range(2):
                jobs.append((self.make_request(p, reg)[0], nodes[(i + k) % INSTANCES]))
                owners.append(i)
        statuses = self.fire(jobs)
        winners = {owners[i] for i, st in enumerate(statuses) if st == 200}
        self.assertEqual(len(winners), 1, statuses)
        self.assertTrue(all(st == 403 for i, st in enumerate(statuses)
                            if owners[i] not in winners), statuses)
        won = regs[winners.pop()]
        self.assertEqual(self.device(p.serial)["pinned-registrar"],
                         vtest.brski.sha256(won.spki).hex())
        self.assertChain()

    def test_retry_answered_by_another_instance(self):
        """A byte-identical RVR retried through another instance gets the stored
        voucher back and spends no token."""
        p, r = self.enroll(), self.registrar()
        nodes = self.start_all(2)
        rvr, _nonce = self.make_request(p, r)
        first = self.post(rvr, server=nodes[0])
        again = self.post(rvr, server=nodes[1])
        self.assertEqual((first[0], again[0]), (200, 200))
        self.assertEqual(again[2], first[2])
        self.assertEqual(self.device(p.serial)["tokens-left"], 23)
        events = [e["event"] for e in self.audit_export()]
        self.assertEqual(events.count("voucher.issued"), 1)
        self.assertEqual(events.count("voucher.replayed"), 1)


class TestDeadlock(MultiCase):
    def test_deadlock_with_another_session_is_retried(self):
        """Another client of the database locks a pledge's bucket row and then asks
        for masa's write lock while masa, holding it, waits for that row: a real
        deadlock, which PostgreSQL breaks by failing masa's statement (the other
        session waits longer before it checks). The store rolls the batch back and
        runs it again: the request gets its voucher, and the other session gets
        through too."""
        p, r = self.enroll(), self.registrar()
        node = self.start_all(1)[0]
        self.assertEqual(self.post(self.make_request(p, r)[0], server=node)[0], 200)
        srv = pg_server()
        name = self.inst.database.rsplit("/", 1)[1]
        other = subprocess.Popen(
            [*srv.as_user, os.path.join(pgserver.PG_BIN, "psql"), "-X", "-q", "-v",
             "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(srv.port), "-U", pgserver.USER,
             "-d", name, "-c",
             "BEGIN; SET LOCAL deadlock_timeout = '20s';"
             " UPDATE token_buckets SET tat_ms = tat_ms WHERE device_id ="
             " (SELECT id FROM devices WHERE serial = '%s');"
             # then, once another session waits for this transaction (60 s at most),
             # for masa's write lock: a cycle, whatever the machine's speed
             " DO $$ BEGIN FOR i IN 1..6000 LOOP EXIT WHEN EXISTS (SELECT 1 FROM pg_locks"
             " WHERE NOT granted AND locktype = 'transactionid' AND"
             " transactionid::text = pg_current_xact_id()::text);"
             " PERFORM pg_sleep(0.01); END LOOP; END $$;"
             " SELECT pg_advisory_xact_lock(1835102049); COMMIT;"
             % p.serial], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30     # the row is locked: masa's batch will wait
        while not srv.psql(
                "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE"
                " c.relname = 'token_buckets' AND l.mode = 'RowExclusiveLock' AND l.granted"
                " AND l.pid <> pg_backend_pid()", db=name, rows=True):
            self.assertLess(time.monotonic(), deadline, "the other session never locked the row")
            time.sleep(0.01)
        rvr, nonce = self.make_request(p, r)
        t0 = time.monotonic()
        st = self.post(rvr, server=node)[0]
        took = time.monotonic() - t0
        out, err = other.communicate(timeout=60)
        self.assertEqual(other.returncode, 0, err)
        self.assertEqual(st, 200, "".join(node.stderr_lines[-5:]))
        self.assertGreater(took, 1.0, "masa did not wait for the row: no deadlock was made")
        self.assertIn((p.serial, nonce), self.issued())
        self.assertEqual(self.device(p.serial)["vouchers-issued"], 2)
        self.assertChain()
        self.assertTrue(any("deadlock detected" in l for l in open(srv.log)),
                        "the server saw no deadlock")


class TestFailures(MultiCase):
    """Load on several instances while one dies or the database restarts."""

    def stream(self, pledges, registrar, node, received, statuses, stop):
        """Sends fresh requests to node until stop is set, each through a new
        connection; records each 200's (serial, nonce) in received."""
        i = 0
        while not stop.is_set():
            p = pledges[i % len(pledges)]
            i += 1
            rvr, nonce = self.make_request(p, registrar)
            try:
                st = self.post(rvr, server=node)[0]
            except OSError:
                st = "conn"    # the node was killed, or is going
                time.sleep(0.05)
            statuses.append(st)
            if st == 200:
                received.add((p.serial, nonce))

    def run_load(self, nodes, during, seconds=2.0):
        """Streams from 2 clients per node; calls during() after `seconds`, streams
        `seconds` more; returns (received, statuses)."""
        pledges = [self.enroll() for _ in range(8)]
        registrar = self.registrar()
        received, statuses, stop = set(), [], threading.Event()
        ts = [threading.Thread(target=self.stream,
                               args=(pledges, registrar, n, received, statuses, stop))
              for n in nodes for _ in range(2)]
        for t in ts:
            t.start()
        time.sleep(seconds)
        during()
        time.sleep(seconds)
        stop.set()
        for t in ts:
            t.join(60)
        return received, statuses

    def test_kill9_one_instance_loses_nothing_answered(self):
        """kill -9 of one of 4 instances under load: every voucher any client
        received is in the audit trail, the chain verifies, the others go on."""
        nodes = self.start_all(bucket_capacity=100000)
        victim = nodes[0]

        def kill():
            victim.proc.kill()
            victim.proc.wait()
        received, statuses = self.run_load(nodes, kill)
        self.assertGreater(len(received), 20, statuses)
        self.assertTrue(set(statuses) <= {200, "conn"}, set(statuses))
        self.assertIn("conn", statuses, "the load never met the killed instance")
        self.assertEqual(received - self.issued(), set())
        self.assertChain()
        # The survivors still issue.
        p, r = self.enroll(), self.registrar()
        self.assertEqual(self.post(self.make_request(p, r)[0], server=nodes[1])[0], 200)

    def test_database_restart_under_load(self):
        """pg_ctl restart while 2 instances issue: requests during the outage get
        503 (never a voucher without its record), and both instances issue again
        afterwards without being restarted."""
        nodes = self.start_all(2, bucket_capacity=100000)
        received, statuses = self.run_load(nodes, pg_server().restart)
        self.assertTrue(set(statuses) <= {200, 503}, set(statuses))
        self.assertIn(503, statuses, "the load never met the outage")
        self.assertEqual(received - self.issued(), set())
        self.assertChain()
        p, r = self.enroll(), self.registrar()
        for node in nodes:
            deadline, st = time.monotonic() + 30, None
            while st != 200 and time.monotonic() < deadline:
                st = self.post(self.make_request(p, r)[0], server=node)[0]
                if st != 200:
                    time.sleep(0.2)
            self.assertEqual(st, 200, "an instance did not come back after the restart")


class TestPasswordFile(unittest.TestCase):
    """database.password_file: a role that must log in with a password gets it
    from an owner-only file, never from the command line or the URL."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="masa-pw-")
        self.password = secrets.token_urlsafe(18)
        self.url = pg_server().new_password_database(self.password)
        self.pw = os.path.join(self.tmp, "db.password")
        with open(self.pw, "w") as f:
            f.write(self.password + "\n")
        os.chmod(self.pw, 0o600)

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_password_file(self):
        d = os.path.join(self.tmp, "inst")
        p = run("init", "--dir", d, "--database", self.url, "--password-file", self.pw)
        self.assertEqual(p.returncode, 0, p.stderr)
        cfg = os.path.join(d, "masa.json")
        with open(cfg) as f:
            db = json.load(f)["database"]
        self.assertEqual((db["url"], db["password_file"]), (self.url, self.pw))
        check = run("check", "--config", cfg)
        self.assertEqual(check.returncode, 0, check.stderr)
        self.assertIn("ok: database %s (PostgreSQL 15" % self.url, check.stdout)
        self.assertNotIn(self.password, check.stdout + check.stderr)
        self.assertEqual(run("token", "list", "--config", cfg).returncode, 0)
        # A file others may read is refused; so is a wrong password.
        os.chmod(self.pw, 0o644)
        p = run("token", "list", "--config", cfg)
        self.assertEqual(p.returncode, 1)
        self.assertIn(self.pw, p.stderr)
        os.chmod(self.pw, 0o600)
        with open(self.pw, "w") as f:
            f.write("wrong\n")
        p = run("token", "list", "--config", cfg)
        self.assertEqual(p.returncode, 1)
        self.assertIn("password authentication failed", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)

    def test_without_password_init_fails_and_leaves_nothing(self):
        d = os.path.join(self.tmp, "inst")
        p = run("init", "--dir", d, "--database", self.url)
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot connect to the PostgreSQL database", p.stderr)
        self.assertFalse(os.path.exists(d))
        p = run("init", "--dir", d, "--password-file", self.pw)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
