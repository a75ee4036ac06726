"""A headless Chromium driven over the DevTools protocol through a pipe (no port, no third-party package).

Used by the report's browser test and by ``scripts/screenshot_report.py`` (one code path for both).

Why this way: Debian's ``chromium`` speaks the DevTools protocol over file descriptors 3 (commands in) and 4
(events and replies out) with ``--remote-debugging-pipe`` -- NUL-terminated JSON, readable with the standard
library. That gives what ``--dump-dom``/``--screenshot`` alone cannot (console errors, every network request,
layout boxes, real mouse clicks and typing) without a websocket client, a listening socket or Playwright
(whose PyPI wheel carries its own Node.js driver and wants its own browser build).

Every wait is bounded (``timeout``); the browser is killed on exit.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
#: the cross-proxy trace drawn in the browser test's report and the README's screenshot
BOOKINFO_TRACE = "productpage-v1-6c886ff494-7vxhs->reviews:9080/reviews/0"


def find_chromium() -> str | None:
    """The first Chromium executable on PATH (Debian's package installs ``chromium``), or None."""
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    """The browser did not answer in time, exited, or a DevTools command failed."""


@dataclass
class Page:
    """One tab: DevTools commands in its session, the console errors and network requests it saw."""

    browser: Chromium
    session: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """A DevTools command in this tab; its result."""
        return self.browser.send(method, params, session=self.session)

    def goto(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.browser.events.clear()
        self.send("Page.navigate", url=url)
        self.browser.wait_event("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (DevTools evaluation)."""
        got = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in got:
            raise BrowserError(f"{expression!r}: {got['exceptionDetails']}")
        return got["result"].get("value")

    def boxes(self, selector: str) -> list[tuple[float, float, float, float]]:
        """(x, y, width, height) of the laid-out border box of every element matching ``selector``.

        Uses the DOM domain, not page JavaScript, so it works with JavaScript disabled too; elements that
        are not rendered (``display:none``, inside a closed ``<details>``) have no box and are left out.
        """
        root = self.send("DOM.getDocument", depth=0)["root"]["nodeId"]
        out = []
        for node in self.send("DOM.querySelectorAll", nodeId=root, selector=selector)["nodeIds"]:
            try:
                quad = self.send("DOM.getBoxModel", nodeId=node)["model"]["border"]
            except BrowserError:  # not rendered
                continue
            xs, ys = quad[0::2], quad[1::2]
            out.append((min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)))
        return out

    def visible(self, selector: str) -> int:
        """How many elements matching ``selector`` are laid out with a non-zero width and height."""
        return sum(1 for _, _, w, h in self.boxes(selector) if w > 0 and h > 0)

    def click(self, selector: str) -> None:
        """A real mouse click (pressed and released) at the centre of the first visible match."""
        box = next((b for b in self.boxes(selector) if b[2] > 0 and b[3] > 0), None)
        if box is None:
            raise BrowserError(f"nothing visible to click: {selector}")
        self.send("Runtime.evaluate", expression=f"document.querySelector({json.dumps(selector)})"
                  ".scrollIntoView({block:'center'})")
        box = next(b for b in self.boxes(selector) if b[2] > 0 and b[3] > 0)
        x, y = box[0] + box[2] / 2, box[1] + box[3] / 2
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type_into(self, selector: str, text: str) -> None:
        """Click into the field and type ``text`` as keyboard input (fires ``input`` events)."""
        self.click(selector)
        for ch in text:
            self.send("Input.insertText", text=ch)

    def screenshot(self, path: str | Path, full_page: bool = False) -> Path:
        """A PNG of the viewport (or of the whole page) written to ``path``."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            size = self.send("Page.getLayoutMetrics")["cssContentSize"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.send("Page.captureScreenshot", **params)["data"]
        out = Path(path)
        out.write_bytes(base64.b64decode(data))
        return out


class Chromium:
    """A headless Chromium process and its DevTools pipe (use :func:`chromium`)."""

    def __init__(self, executable: str, timeout: float = 30.0, width: int = 1280, height: int = 900) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._pages: dict[str, Page] = {}
        self._next = 0
        self._buf = b""
        self._profile = tempfile.mkdtemp(prefix="meshlens-chromium-")
        cmd_r, cmd_w = os.pipe()  # we write commands, Chromium reads fd 3
        out_r, out_w = os.pipe()  # Chromium writes fd 4, we read
        hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD_CLOEXEC, 10)
        hi_w = fcntl.fcntl(out_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(cmd_r)
        os.close(out_w)

        def fds() -> None:  # in the child, before exec: the pipe ends on 3 and 4 (dup2 clears CLOEXEC)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        args = [executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-default-apps", "--disable-dev-shm-usage", "--mute-audio", "--hide-scrollbars",
                f"--window-size={width},{height}", f"--user-data-dir={self._profile}", "about:blank"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=fds, close_fds=False)
        os.close(hi_r)
        os.close(hi_w)
        self._w, self._r = cmd_w, out_r
        self.width, self.height = width, height

    def close(self) -> None:
        """End the browser (politely, then by force) and remove its profile."""
        try:
            if self.proc.poll() is None:
                try:
                    self._write({"id": 0, "method": "Browser.close"})
                    self.proc.wait(timeout=5)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
            for fd in (self._w, self._r):
                with suppress(OSError):
                    os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)

    def _write(self, msg: dict[str, Any]) -> None:
        os.write(self._w, json.dumps(msg).encode() + b"\0")

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"no answer from Chromium within {self.timeout:.0f}s")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise BrowserError(f"Chromium exited (code {self.proc.poll()})")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        msg: dict[str, Any] = json.loads(raw)
        if "method" in msg:
            self._observe(msg)
        return msg

    def _observe(self, msg: dict[str, Any]) -> None:
        """Record what the tabs say: console errors, uncaught exceptions, error log entries, requests."""
        self.events.append(msg)
        page = self._pages.get(msg.get("sessionId", ""))
        if page is None:
            return
        p = msg.get("params", {})
        method = msg["method"]
        if method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            page.console_errors.append(" ".join(str(a.get("value", a.get("description", ""))) for a in p["args"]))
        elif method == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            page.console_errors.append(d.get("exception", {}).get("description") or d.get("text", "exception"))
        elif method == "Log.entryAdded" and p["entry"].get("level") == "error":
            page.console_errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')}")
        elif method == "Network.requestWillBeSent":
            page.requests.append(p["request"]["url"])

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None
             ) -> dict[str, Any]:
        """A DevTools command (in a tab's session when given); its result, or BrowserError."""
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._write(msg)
        deadline = time.monotonic() + self.timeout
        while True:
            got = self._read(deadline)
            if got.get("id") == self._next:
                if "error" in got:
                    raise BrowserError(f"{method}: {got['error'].get('message')}")
                result: dict[str, Any] = got.get("result", {})
                return result

    def wait_event(self, method: str, session: str | None = None) -> dict[str, Any]:
        """The first event ``method`` (of ``session``) seen since the events were last cleared."""
        deadline = time.monotonic() + self.timeout
        i = 0
        while True:
            while i < len(self.events):
                ev = self.events[i]
                i += 1
                if ev["method"] == method and (session is None or ev.get("sessionId") == session):
                    return ev
            self._read(deadline)

    def new_page(self, javascript: bool = True) -> Page:
        """A new tab watching console, log and network; ``javascript=False`` disables page scripts."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self._pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network", "DOM"):
            page.send(f"{domain}.enable")
        page.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        if not javascript:
            page.send("Emulation.setScriptExecutionDisabled", value=True)
        return page


@contextmanager
def chromium(executable: str | None = None, timeout: float = 30.0, width: int = 1280, height: int = 900
             ) -> Iterator[Chromium]:
    """A headless Chromium for the ``with`` block (BrowserError when none is installed)."""
    exe = executable or find_chromium()
    if exe is None:
        raise BrowserError("no Chromium found on PATH (Debian: apt-get install chromium)")
    browser = Chromium(exe, timeout=timeout, width=width, height=height)
    try:
        yield browser
    finally:
        browser.close()


def write_report(archive: str | Path, out: str | Path, traces: tuple[str, ...] = ()) -> Path:
    """The report of ``archive`` written to ``out`` by the command line users run (``meshlens report``).

    Raises:
        BrowserError: the command failed (its output is in the message).
    """
    from click.testing import CliRunner

    from meshlens.cli import main

    args = ["report", str(archive), "-o", str(out)]
    for t in traces:
        args += ["--trace", t]
    res = CliRunner().invoke(main, args)
    if res.exit_code != 0:
        raise BrowserError(f"meshlens {' '.join(args)}: exit {res.exit_code}: {res.output}")
    return Path(out)


def open_report(browser: Chromium, html: str | Path, javascript: bool = True) -> Page:
    """A new tab showing the report file (from file://), loaded."""
    page = browser.new_page(javascript=javascript)
    page.goto(Path(html).resolve().as_uri())
    return page
