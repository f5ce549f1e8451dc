"""Headless Chromium driven over the DevTools protocol, through a pipe (no port, no npm).

    with Browser() as b:            # None if chromium is not installed: see find()
        page = b.open("file:///tmp/report.html")
        page.eval("document.title")
        page.click(x, y)
        page.screenshot("shot.png")
        page.console_errors()       # console.error, exceptions, CSP violations
        page.requests()             # every URL the page asked for

One browser, one page per test: Chromium takes seconds to start here. The
network is off: every host resolves to nothing and there is no proxy to reach,
so a page that tried to fetch anything would fail and say so in its requests.
"""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time


def find():
    """The chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class Error(Exception):
    pass


class Browser:
    def __init__(self, width=1280, height=900, timeout=60):
        self.exe = find()
        self.timeout = timeout
        self.size = (width, height)
        self.next_id = 0
        self.buf = b""
        self.events = []
        self.proc = None

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="lp-chromium-")
        # Our ends and Chromium's: it reads commands on fd 3 and writes replies on fd 4.
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        args = [self.exe, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--mute-audio", "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % self.size, "about:blank"]

        def child():
            # dup2 onto 3 and 4 from copies, so that neither end is closed by the other's dup2.
            a, b = os.dup(to_r), os.dup(from_w)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(args, preexec_fn=child, close_fds=False,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(to_r)
        os.close(from_w)
        self.w, self.r = to_w, from_r
        os.set_blocking(self.r, True)
        return self

    def __exit__(self, *exc):
        try:
            if self.proc and self.proc.poll() is None:
                self.send("Browser.close", wait=False)
                self.proc.wait(timeout=10)
        except Exception:
            pass
        finally:
            if self.proc and self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            for fd in (self.w, self.r):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)

    def send(self, method, params=None, session=None, wait=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        if not wait:
            return None
        reply = self.wait_for(lambda m: m.get("id") == self.next_id)
        if "error" in reply:
            raise Error("%s: %s" % (method, reply["error"]))
        return reply.get("result", {})

    def wait_for(self, pred, timeout=None):
        """The first message (reply or event) for which pred is true; events are kept."""
        deadline = time.monotonic() + (timeout or self.timeout)
        for i, m in enumerate(self.events):
            if pred(m):
                return self.events.pop(i)
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(raw)
                if pred(m):
                    return m
                self.events.append(m)
            if time.monotonic() > deadline:
                raise Error("no answer from chromium within %ss" % (timeout or self.timeout))
            import select
            ready, _, _ = select.select([self.r], [], [], 0.5)
            if ready:
                data = os.read(self.r, 1 << 20)
                if not data:
                    raise Error("chromium closed its pipe (exit status %s)" % self.proc.poll())
                self.buf += data

    def open(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.send(domain + ".enable", {}, session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1,
                   "mobile": False}, session)
        page.load(url)
        return page


class Page:
    def __init__(self, browser, session):
        self.b, self.session = browser, session

    def load(self, url):
        self.b.events = [e for e in self.b.events if e.get("sessionId") != self.session]
        start = time.monotonic()
        self.b.send("Page.navigate", {"url": url}, self.session)
        self.b.wait_for(lambda m: m.get("method") == "Page.loadEventFired" and
                        m.get("sessionId") == self.session)
        self.load_seconds = time.monotonic() - start
        return self.load_seconds

    def eval(self, expr):
        r = self.b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                             "awaitPromise": True}, self.session)
        if "exceptionDetails" in r:
            raise Error("%s: %s" % (expr, r["exceptionDetails"]))
        return r["result"].get("value")

    def click(self, x, y):
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.b.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                     "clickCount": 1}, self.session)

    def type(self, text):
        self.b.send("Input.insertText", {"text": text}, self.session)

    def screenshot(self, path, full=False):
        params = {"format": "png"}
        if full:
            params["captureBeyondViewport"] = True
        data = self.b.send("Page.captureScreenshot", params, self.session)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def settle(self, seconds=0.3):
        """Lets pending events arrive (console messages come asynchronously)."""
        try:
            self.b.wait_for(lambda m: False, timeout=seconds)
        except Error:
            pass

    def _mine(self, method):
        return [e["params"] for e in self.b.events
                if e.get("method") == method and e.get("sessionId") == self.session]

    def console_errors(self):
        """console.error/warn calls, uncaught exceptions and browser-side errors (CSP, loads)."""
        out = []
        for p in self._mine("Runtime.consoleAPICalled"):
            if p["type"] in ("error", "warning", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", ""))) for a in p["args"])))
        for p in self._mine("Runtime.exceptionThrown"):
            d = p["exceptionDetails"]
            out.append("exception: %s" % d.get("exception", {}).get("description", d.get("text")))
        for p in self._mine("Log.entryAdded"):
            if p["entry"]["level"] in ("error", "warning"):
                out.append("log: %s" % p["entry"]["text"])
        return out

    def requests(self):
        return [p["request"]["url"] for p in self._mine("Network.requestWillBeSent")]
