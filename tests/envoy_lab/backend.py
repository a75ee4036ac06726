"""The lab's HTTP backend: answers every request 200 with a JSON body naming the Host, path and headers it
got (repeated headers as lists), and a response header ``x-lab-upstream: 1``. A request header
``x-lab-delay-ms`` delays the answer (for timeouts).

It runs as daemon threads inside the lab's child process (so it lives exactly as long as the lab run)
and binds only the loopback addresses it is given.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "envoy-lab-backend/1"
    sys_version = ""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        delay = self.headers.get("x-lab-delay-ms")
        if delay and delay.isdigit():
            time.sleep(min(int(delay), 3000) / 1000)
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        body = json.dumps({
            "backend": "{}:{}".format(*self.server.server_address[:2]),
            "host": self.headers.get("host"),
            "path": self.requestline.split(" ")[1],  # as sent (self.path collapses a leading "//")
            "method": self.command,
            "headers": headers,
        }).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("x-lab-upstream", "1")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _answer  # noqa: N815

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
        return


class Backends:
    """Start HTTP servers on loopback addresses; ``close()`` stops them."""

    def __init__(self, addresses: list[tuple[str, int]]) -> None:
        self._servers: list[ThreadingHTTPServer] = []
        for ip, port in addresses:
            if not (ip.startswith("127.") or ip.startswith("10.")):
                raise ValueError(f"backend must bind a namespace-local address, not {ip}")
            srv = ThreadingHTTPServer((ip, port), _Handler)
            srv.daemon_threads = True
            threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
            self._servers.append(srv)

    def close(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
