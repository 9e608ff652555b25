#!/usr/bin/env python3
"""Load a page in headless Chromium and report what a person would see.

Usage: cdp.py PAGE.html SCREENSHOT.png [EXPRESSION ...]

Starts Chromium (Debian's chromium package) headless with its DevTools
protocol on a pipe (--remote-debugging-pipe: no port, no network, no
WebSocket library needed), opens the page, waits for it to load, then
prints one JSON object on stdout:

  {"console": [...],     every console message, exception and log entry
                         of level warning or error (CSP violations too)
   "results": [...],     the value of each EXPRESSION, evaluated in the page
   "screenshot": path}   a full-page PNG

The browser runs with a new temporary profile, without sandbox (root in
a container has none), GPU, QUIC, first-run, background networking,
component updates or sync, and the page itself may not reach the network
(its Content-Security-Policy says so).  Everything is bounded by a
timeout; the browser is killed at the end.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TIMEOUT = float(os.environ.get("DQ_CDP_TIMEOUT", "90"))


class Browser:
    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="dq-chromium-")
        # fd 3: commands to the browser, fd 4: its replies (NUL-terminated JSON)
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            raise SystemExit("chromium is not installed (Debian: apt-get install chromium)")
        args = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--hide-scrollbars",
                "--user-data-dir=" + self.profile, "--remote-debugging-pipe",
                "--window-size=1400,1000", "about:blank"]

        def child_fds():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)

        # a HOME of its own too: the user running the tests may have none
        env = dict(os.environ, HOME=self.profile)
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, pass_fds=(3, 4), env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, close_fds=True)
        os.close(to_r)
        os.close(from_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.time() + TIMEOUT

    def _read_message(self):
        while b"\0" not in self.buf:
            if time.time() > self.deadline:
                raise TimeoutError("no answer from chromium within %s s" % TIMEOUT)
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        cmd = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            cmd["sessionId"] = session
        os.write(self.to_w, json.dumps(cmd).encode() + b"\0")
        while True:
            msg = self._read_message()
            if msg.get("id") == self.next_id:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method):
        for i, ev in enumerate(self.events):
            if ev.get("method") == method:
                return self.events.pop(i)
        while True:
            msg = self._read_message()
            if msg.get("method") == method:
                return msg
            self.events.append(msg)

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def console_entries(events):
    """Console messages, exceptions and log entries of level warning or error."""
    out = []
    for ev in events:
        m, p = ev.get("method"), ev.get("params", {})
        if m == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append({"source": "console", "level": p.get("type"), "text": text})
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append({"source": "exception", "level": "error",
                        "text": d.get("exception", {}).get("description", d.get("text", ""))})
        elif m == "Log.entryAdded":
            e = p.get("entry", {})
            if e.get("level") in ("warning", "error"):
                out.append({"source": e.get("source"), "level": e.get("level"), "text": e.get("text")})
    return out


def main():
    page, shot, exprs = sys.argv[1], sys.argv[2], sys.argv[3:]
    url = "file://" + os.path.abspath(page)
    b = Browser()
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            b.send(domain + ".enable", session=s)
        b.send("Page.navigate", {"url": url}, session=s)
        b.wait_event("Page.loadEventFired")
        results = []
        for expr in exprs:
            r = b.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=s)
            if "exceptionDetails" in r:
                d = r["exceptionDetails"]
                results.append({"error": d.get("exception", {}).get("description", d.get("text"))})
            else:
                results.append(r.get("result", {}).get("value"))
        metrics = b.send("Page.getLayoutMetrics", session=s)
        size = metrics.get("cssContentSize") or metrics.get("contentSize")
        width = min(int(size["width"]), 1600)
        height = min(int(size["height"]), 12000)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
               session=s)
        shot_params = {"format": "png", "captureBeyondViewport": True}
        clip = os.environ.get("DQ_CDP_CLIP")  # x,y,width,height of a part of the page
        if clip:
            x, y, w, h = (float(v) for v in clip.split(","))
            shot_params["clip"] = {"x": x, "y": y, "width": w, "height": h, "scale": 1}
        png = b.send("Page.captureScreenshot", shot_params, session=s)["data"]
        with open(shot, "wb") as f:
            f.write(base64.b64decode(png))
        # messages that arrived while evaluating and capturing
        console = console_entries(b.events)
        print(json.dumps({"console": console, "results": results, "screenshot": shot}))
    finally:
        b.close()


if __name__ == "__main__":
    main()
