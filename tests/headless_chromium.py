"""A real headless Chromium, driven over the Chrome DevTools Protocol, for tests of HTML pages.

Found on the PATH or, where missing and possible (root, apt-get), installed from
Debian's ``chromium`` package; the tests that need it are skipped with the reason when
neither works. The browser runs in its own process group, which :meth:`Chromium.close`
ends, so no Chromium process outlives its test.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

#: The names Chromium goes by (Debian, Ubuntu, Google's build).
EXECUTABLES = ("chromium", "chromium-browser", "google-chrome")
#: apt-get update and install together: Debian's chromium is ~80 MB with 25 libraries.
INSTALL_TIMEOUT_S = 300
#: How long the browser, a page or a protocol answer may take.
TIMEOUT_S = 20


def find_chromium() -> str | None:
    """The first Chromium executable on the PATH, if any."""
    return next((path for path in map(shutil.which, EXECUTABLES) if path), None)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _apt_get(arguments: list[str], deadline: float) -> str | None:
    """Run ``apt-get`` until ``deadline`` (monotonic); None on success, else why it failed."""
    command = ["apt-get", *arguments]
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            timeout=max(1.0, deadline - time.monotonic()),
        )
    except subprocess.TimeoutExpired:
        return f"`apt-get {arguments[0]}` ran past the {INSTALL_TIMEOUT_S} s allowed"
    return (
        f"`apt-get {arguments[0]}` failed: {_last_line(result.stderr)}"
        if result.returncode
        else None
    )


def install_chromium() -> str | None:
    """Install Debian's ``chromium`` with apt-get; None on success, else why it was not."""
    if os.geteuid() != 0:
        return "not root, so it cannot be apt-get installed"
    if shutil.which("apt-get") is None:
        return "no apt-get to install it with"
    deadline = time.monotonic() + INSTALL_TIMEOUT_S
    # Wait for a concurrent apt instead of failing at once on its lock.
    lock = ["-o", "DPkg::Lock::Timeout=60"]
    install = ["install", "-y", "-q", "--no-install-recommends", *lock, "chromium"]
    if _apt_get(install, deadline) is None:
        return None
    # Stale or empty package lists: update them and try once more.
    return _apt_get(["update", "-q", *lock], deadline) or _apt_get(install, deadline)


class Chromium:
    """A headless Chromium with one page, driven over the DevTools Protocol.

    Events of the page (console, exceptions, log, network) are kept in :attr:`events`
    from the last :meth:`open` on.

    Parameters
    ----------
    executable
        The Chromium to run.
    """

    def __init__(self, executable: str) -> None:
        import websocket

        self._profile = Path(tempfile.mkdtemp(prefix="atlas-chromium-"))
        flags = [
            "--headless",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            # No request of Chromium's own: what the page asks for is all there is.
            "--disable-background-networking",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-port=0",
            f"--user-data-dir={self._profile}",
        ]
        # Chromium's sandbox refuses to run as root.
        if os.geteuid() == 0:
            flags.append("--no-sandbox")
        self._process = subprocess.Popen(
            [executable, *flags, "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.events: list[dict[str, Any]] = []
        self._next_id = 0
        self._socket = None
        try:
            port = self._port()
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/json/list", timeout=TIMEOUT_S
            ) as answer:
                targets = json.load(answer)
            page = next(target for target in targets if target["type"] == "page")
            self._socket = websocket.create_connection(
                page["webSocketDebuggerUrl"], timeout=TIMEOUT_S, suppress_origin=True
            )
            for domain in ("Page", "Runtime", "Log", "Network"):
                self.send(f"{domain}.enable")
        except BaseException:
            self._stop()
            raise

    def _port(self) -> int:
        """The DevTools port Chromium chose, from the file it writes in its profile."""
        marker = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"Chromium exited at start with status {self._process.returncode}"
                )
            if marker.is_file() and marker.read_text().strip():
                return int(marker.read_text().split()[0])
            time.sleep(0.05)
        raise TimeoutError(f"Chromium gave no DevTools port within {TIMEOUT_S} s")

    def _receive(self) -> dict[str, Any]:
        message = json.loads(self._socket.recv())
        if "method" in message:
            self.events.append(message)
        return message

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method and return its result (events meanwhile are kept)."""
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = self._receive()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event; events start afresh."""
        self.events = []
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + TIMEOUT_S
        while not any(event["method"] == "Page.loadEventFired" for event in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not load within {TIMEOUT_S} s")
            self._receive()

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page; a thrown error is raised."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (press and release) in the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, button="left", clickCount=1, **box)

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and logged errors since the last :meth:`open`."""
        found = []
        for event in self.events:
            params = event["params"]
            if event["method"] == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                found.append(details.get("exception", {}).get("description", details["text"]))
            elif event["method"] == "Runtime.consoleAPICalled" and params["type"] in (
                "error",
                "assert",
            ):
                found.append(
                    " ".join(
                        str(arg.get("value", arg.get("description"))) for arg in params["args"]
                    )
                )
            elif event["method"] == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def requests(self) -> list[str]:
        """The URLs the page requested since the last :meth:`open`."""
        return [
            event["params"]["request"]["url"]
            for event in self.events
            if event["method"] == "Network.requestWillBeSent"
        ]

    def _stop(self) -> None:
        """End Chromium's whole process group (it forks renderers and helpers) and its profile."""
        group = self._process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)
        # Whatever did not end on SIGTERM (the main process or a helper) ends now.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
        self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def close(self) -> None:
        """Close the connection and end the browser."""
        if self._socket is not None:
            self._socket.close()
        self._stop()
