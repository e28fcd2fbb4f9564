"""A real PostgreSQL 15 server for the tests, started by them: initdb into a
temporary directory and pg_ctl on a free loopback port (Debian's
postgresql-15 package, installed by deploy/install-deps.sh --test). Run as
root (as CI does), the server runs as the unprivileged user `nobody`, which
owns its data directory. No mocks: masa talks to it over TCP like to any
server.

    srv = PgServer.shared()      # one per test process, stopped at exit
    url = srv.new_database()     # postgresql://masa@127.0.0.1:PORT/masa_N
    srv.restart()                # pg_ctl restart (fast shutdown)
"""
import atexit
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("MASA_PG_BIN", "/usr/lib/postgresql/15/bin")
USER = "masa"   # the database superuser initdb creates (trust on loopback)
PW_USER = "masa_pw"     # a role that must log in with a password (scram-sha-256)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    _shared = None

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="masa-pg-")
        os.chmod(self.tmp, 0o755)
        self.data = os.path.join(self.tmp, "data")
        self.log = os.path.join(self.tmp, "server.log")
        self.port = _free_port()
        self.as_user = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.tmp, nobody.pw_uid, nobody.pw_gid)
            self.as_user = ["runuser", "-u", "nobody", "--"]
        self._names = itertools.count(1)
        self._run(os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", USER, "-A", "trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("listen_addresses = '127.0.0.1'\nport = %d\n"
                    "unix_socket_directories = '%s'\nmax_connections = 200\n"
                    "fsync = on\nlog_min_messages = warning\n" % (self.port, self.tmp))
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            rules = f.read()
        with open(hba, "w") as f:   # first match wins: the password role before trust
            f.write("host all %s 127.0.0.1/32 scram-sha-256\n%s" % (PW_USER, rules))
        self.start()

    @classmethod
    def shared(cls):
        if cls._shared is None:
            cls._shared = PgServer()
            atexit.register(cls._shared.destroy)
        return cls._shared

    def _run(self, *args, check=True, timeout=120):
        p = subprocess.run([*self.as_user, *args], capture_output=True, text=True,
                           timeout=timeout, cwd=self.tmp)
        if check and p.returncode != 0:
            raise AssertionError("%s failed: %s%s" % (args[0], p.stdout, p.stderr))
        return p

    def pg_ctl(self, *args, check=True):
        return self._run(os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-l", self.log,
                         "-w", "-t", "60", *args, check=check)

    def start(self):
        self.pg_ctl("start")

    def stop(self):
        self.pg_ctl("stop", "-m", "fast")

    def restart(self):
        """pg_ctl restart: every session is cut, the server comes back."""
        self.pg_ctl("restart", "-m", "fast")

    def psql(self, sql, db="postgres", rows=False):
        """For set-up (creating databases) and for whole-table comparisons
        (vtest's snapshot); tests otherwise read masa's state through its CLI
        and API. rows: the result as a list of tuples of strings (psql
        unaligned, tuples only, a NUL after each row, US between fields),
        else psql's output."""
        fmt = ("-A", "-t", "-0", "-F", "\x1f") if rows else ()
        out = self._run(os.path.join(PG_BIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                        *fmt, "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", db,
                        "-c", sql).stdout
        # -0: each row ends with a NUL (text may hold newlines)
        return [tuple(r.split("\x1f")) for r in out.split("\0")[:-1]] if rows else out

    def url(self, name):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, name)

    def new_database(self):
        name = "masa_%d_%d" % (os.getpid(), next(self._names))
        self.psql("CREATE DATABASE %s" % name)
        return self.url(name)

    def new_password_database(self, password):
        """A new database owned by PW_USER, whose password becomes `password`;
        returns its URL (without the password)."""
        name = "masa_%d_%d" % (os.getpid(), next(self._names))
        self.psql("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s')"
                  " THEN CREATE ROLE %s LOGIN; END IF; END $$" % (PW_USER, PW_USER))
        self.psql("ALTER ROLE %s PASSWORD '%s'" % (PW_USER, password))
        self.psql("CREATE DATABASE %s OWNER %s" % (name, PW_USER))
        return "postgresql://%s@127.0.0.1:%d/%s" % (PW_USER, self.port, name)

    def destroy(self):
        self.pg_ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)
