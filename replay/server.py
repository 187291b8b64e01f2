"""A local HTTP server that replays recorded source responses with the real APIs' semantics.

Tests and `make demo` point the spiders at it (WATCH_BOAMP_URL=...) instead of the internet. Each source
registers its routes (see replay/boamp.py); the server adds what real networks do to clients: an optional
delay per request and injected faults (429 with Retry-After, 5xx, a truncated body, a dropped connection),
each matched by a substring of the request path and served a given number of times.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request], Response]


@dataclass
class Fault:
    """Answer requests whose path+query contains `match` with a failure, `times` times."""

    match: str
    status: int = 500
    times: int = 1
    retry_after: str | None = None
    truncate: Literal["body", "connection"] | None = None  # body: short but consistent; connection: cut off
    served: int = 0


class ReplayServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, delay: float = 0.0):
        self.routes: list[tuple[str, str, Handler]] = []
        self.faults: list[Fault] = []
        self.delay = delay
        self.log: list[str] = []
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                server._dispatch(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                server._dispatch(self, "POST")

            def log_message(self, format: str, *args: object) -> None:  # quiet: tests read server.log
                return

        self.httpd = ThreadingHTTPServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, prefix: str, handler: Handler) -> None:
        self.routes.append((method, prefix, handler))

    def add_fault(self, fault: Fault) -> Fault:
        self.faults.append(fault)
        return fault

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="replay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take_fault(self, target: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.match in target and fault.served < fault.times:
                    fault.served += 1
                    return fault
        return None

    def _dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self._lock:
            self.log.append(f"{method} {h.path}")
        if self.delay:
            time.sleep(self.delay)
        parts = urlsplit(h.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        fault = self._take_fault(h.path)
        if fault and not fault.truncate:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            msg = b'{"error_code": "InjectedFault", "message": "injected by the replay server"}'
            self._send(h, Response(fault.status, msg, headers=headers))
            return
        handler = next((fn for m, prefix, fn in self.routes if m == method and parts.path.startswith(prefix)), None)
        if handler is None:
            self._send(h, Response(404, b'{"error_code": "NotFound", "message": "no such endpoint"}'))
            return
        try:
            response = handler(Request(method, parts.path, query, body, dict(h.headers)))
        except Exception as exc:  # a replay bug must look like a server error, not hang the client
            response = Response(500, f'{{"error_code": "ReplayError", "message": "{type(exc).__name__}"}}'.encode())
        if fault and fault.truncate == "body":
            response.body = response.body[: max(1, len(response.body) // 2)]
        self._send(h, response, cut=fault is not None and fault.truncate == "connection")

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, response: Response, *, cut: bool = False) -> None:
        h.send_response(response.status)
        h.send_header("Content-Type", response.content_type)
        h.send_header("Content-Length", str(len(response.body)))
        for key, value in response.headers.items():
            h.send_header(key, value)
        h.end_headers()
        if cut:
            h.wfile.write(response.body[: len(response.body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(response.body)
