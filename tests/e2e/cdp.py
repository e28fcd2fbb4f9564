"""A real browser for the tests: Debian's headless Chromium driven over the
Chrome DevTools Protocol on a pipe (--remote-debugging-pipe: the browser
reads JSON messages, each ended by a NUL byte, on its fd 3 and writes on fd
4), with the standard library only. `chromium --headless --screenshot`
cannot send an Authorization header; Network.setExtraHTTPHeaders can.

The server's certificate is trusted by its key alone
(--ignore-certificate-errors-spki-list with the SHA-256 of its SPKI), not
by turning certificate checks off.
"""
import base64
import fcntl
import hashlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time


class Browser:
    def __init__(self, trust_spki_der=None, width=1000, height=900):
        exe = shutil.which("chromium")
        if exe is None:
            raise AssertionError("chromium missing: deploy/install-deps.sh --test installs "
                                 "Debian's chromium package")
        self.profile = tempfile.mkdtemp(prefix="masa-chromium-")
        to_r, self._to_w = os.pipe()      # we write, the browser reads (its fd 3)
        self._from_r, from_w = os.pipe()  # the browser writes (its fd 4), we read
        args = [exe, "--headless", "--remote-debugging-pipe", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height),
                "--hide-scrollbars"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")   # Chromium refuses to run as root with its sandbox
        if trust_spki_der is not None:
            pin = base64.b64encode(hashlib.sha256(trust_spki_der).digest()).decode()
            args.append("--ignore-certificate-errors-spki-list=" + pin)
        # bash puts the pipe ends on fds 3 and 4, then becomes chromium; the ends
        # are first moved above 9 so that no redirection closes another's fd.
        to_r, from_w = _high(to_r), _high(from_w)
        script = 'exec "$@" 3<&%d 4>&%d %d<&- %d>&-' % (to_r, from_w, to_r, from_w)
        self.proc = subprocess.Popen(["bash", "-c", script, "bash", *args], pass_fds=(to_r, from_w),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_r)
        os.close(from_w)
        self._next = 0
        self._buf = b""
        self._events = []
        self.session = None
        self.width, self.height = width, height

    def close(self):
        try:
            if self.proc.poll() is None:
                try:
                    self.call("Browser.close", timeout=5)
                except Exception:
                    pass
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            for fd in (self._to_w, self._from_r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.proc.stderr.close()
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---- the protocol ------------------------------------------------------------------

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.time() > deadline:
                raise AssertionError("chromium sent nothing in time")
            chunk = _read_with_deadline(self._from_r, deadline)
            if not chunk:
                raise AssertionError("chromium closed its pipe: %s" % self.proc.stderr.read1(4096))
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True, timeout=30):
        """Sends a command (to the page's session unless session=False); returns its result."""
        self._next += 1
        msg = {"id": self._next, "method": method, "params": params or {}}
        if session and self.session is not None:
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            m = self._read_message(deadline)
            if m.get("id") == self._next:
                if "error" in m:
                    raise AssertionError("%s: %s" % (method, m["error"]))
                return m["result"]
            self._events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, m in enumerate(self._events):
                if m.get("method") == method:
                    del self._events[i]
                    return m.get("params", {})
            self._events.append(self._read_message(deadline))

    # ---- what the tests use ------------------------------------------------------------

    def open(self, url, headers=None):
        """A new page (tab) loading url with the extra request headers; returns the main
        document's HTTP status once the page has loaded, or the browser's error text
        (e.g. net::ERR_CERT_AUTHORITY_INVALID) when it could not load it."""
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.call("Network.enable")
        self.call("Page.enable")
        if headers:
            self.call("Network.setExtraHTTPHeaders", {"headers": headers})
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height, "deviceScaleFactor": 1,
                   "mobile": False})
        nav = self.call("Page.navigate", {"url": url})
        if nav.get("errorText"):
            return nav["errorText"]
        status = None
        deadline = time.time() + 30
        while status is None:
            ev = self.wait_event("Network.responseReceived", timeout=max(1, deadline - time.time()))
            if ev.get("type") == "Document":
                status = ev["response"]["status"]
        self.wait_event("Page.loadEventFired")
        return status

    def eval(self, expression):
        """The value of a JavaScript expression in the page."""
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise AssertionError("page script failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")

    def screenshot(self, path, full_page=True):
        """A PNG of the page (its full height with full_page) written to path."""
        params = {"format": "png"}
        if full_page:
            h = self.eval("document.documentElement.scrollHeight")
            params["clip"] = {"x": 0, "y": 0, "width": self.width, "height": h, "scale": 1}
            params["captureBeyondViewport"] = True
        data = base64.b64decode(self.call("Page.captureScreenshot", params)["data"])
        with open(path, "wb") as f:
            f.write(data)
        return data


def _read_with_deadline(fd, deadline):
    """os.read(fd) that gives up at deadline (returns b"" only at end of file)."""
    ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
    if not ready:
        raise AssertionError("chromium sent nothing in time")
    return os.read(fd, 65536)


def _high(fd):
    """fd moved to a number above 9 (the old one closed)."""
    new = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return new
