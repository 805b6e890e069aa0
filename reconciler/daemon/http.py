"""The worker's HTTP endpoint: metrics, health, status and webhooks, on the standard library.

Routes: ``GET /metrics``, ``GET /healthz``, ``GET /readyz``, ``GET /status`` (``HEAD``
answers as ``GET`` without the body) and ``POST /hooks/<github|gitlab|generic>``. Request
bodies are only accepted on webhooks, only with a ``Content-Length`` no larger than
``max_body``; a refused body is never parsed (one sent without asking first is drained).
"""

from __future__ import annotations

import contextlib
import errno
import json
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from reconciler.daemon.metrics import Metrics
from reconciler.daemon.webhooks import PROVIDERS, WebhookVerifier
from reconciler.errors import ReconcilerError

#: ``log(event, **fields)``, the shape of a structlog bound logger method.
LogCallback = Callable[..., None]

GET_ROUTES = ("/metrics", "/healthz", "/readyz", "/status")
# A refused body sent without asking first is read and discarded up to this much, for so long.
DRAIN_BYTES = 64 << 20
DRAIN_SECONDS = 10.0
HOOK_PREFIX = "/hooks/"
TEXT = "text/plain; charset=utf-8"


class ListenError(ReconcilerError):
    """The listen address is malformed or cannot be bound."""


def parse_listen(listen: str) -> tuple[socket.AddressFamily, str, int]:
    """``HOST:PORT``, ``[IPv6]:PORT`` or ``:PORT`` (all IPv4 interfaces) as (family, host, port)."""
    text = listen.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep or not _is_decimal(port_text):
        raise ListenError(f"invalid listen address {listen!r}: use HOST:PORT, e.g. "
                          "127.0.0.1:9108, 0.0.0.0:9108 or [::1]:9108")
    port = int(port_text)
    if port > 65535:
        raise ListenError(f"invalid listen address {listen!r}: port {port} is out of range")
    if host.startswith("[") and host.endswith("]"):
        return socket.AF_INET6, host[1:-1], port
    if ":" in host:
        raise ListenError(f"invalid listen address {listen!r}: write IPv6 hosts in "
                          "brackets, e.g. [::1]:9108")
    return socket.AF_INET, host or "0.0.0.0", port


def _is_decimal(text: str) -> bool:
    # str.isdigit alone accepts characters such as "²" that int() rejects.
    return text.isascii() and text.isdigit()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, family: socket.AddressFamily, address: tuple[str, int],
                 app: HttpServer) -> None:
        self.address_family = family
        self.app = app
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, a reverse DNS lookup that can
        # stall start-up for seconds in containers; the name is only used for CGI.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; route it to the worker's log instead.
        error = sys.exc_info()[1]
        self.app.log("http_connection_error", client=str(client_address[0]),
                     error=type(error).__name__ if error else None)


class HttpServer:
    """Serves the worker's endpoints from a background thread."""

    def __init__(self, listen: str, metrics: Metrics, status: Callable[[], dict],
                 ready: Callable[[], bool], verifier: WebhookVerifier,
                 on_webhook: Callable[[str], None], max_body: int = 1 << 20,
                 log: LogCallback | None = None) -> None:
        self.listen = listen
        self.metrics = metrics
        self.status = status
        self.ready = ready
        # Why this worker is a standby (another holds the lease), or None: it is not one.
        self.standby: Callable[[], str | None] = lambda: None
        self.verifier = verifier
        self.on_webhook = on_webhook
        self.max_body = max_body
        self._log = log
        self._family, self._host, self._port = parse_listen(listen)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def log(self, event: str, **fields: Any) -> None:
        if self._log is None:
            return
        # A failing log sink must not turn a sent answer into a second, broken one.
        with contextlib.suppress(Exception):
            self._log(event, **fields)

    def start(self) -> None:
        """Bind now, so a taken port fails the caller at once, then serve in a thread."""
        if self._server is not None:
            raise RuntimeError("HTTP server already started")
        try:
            server = _Server(self._family, (self._host, self._port), self)
        except OSError as exc:
            reason = ("the address is already in use (another reconciler or exporter "
                      "on that port?)" if exc.errno == errno.EADDRINUSE
                      else exc.strerror or str(exc))
            raise ListenError(f"cannot listen on {self.listen}: {reason}") from exc
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={
            "poll_interval": 0.2}, name="reconciler-http", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The bound host and port (the real port when ``listen`` asked for port 0)."""
        if self._server is None:
            raise RuntimeError("HTTP server not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def stop(self) -> None:
        """Stop accepting requests and close the socket; safe to call twice."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "reconciler"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    # A client that stops sending mid-request must not hold a thread forever.
    timeout = 30

    # --- dispatch ----------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # BaseHTTPRequestHandler answers 501 to methods without a do_<METHOD>; here any
        # method but GET and POST is refused per route: 405 on a route, 404 elsewhere.
        if name.startswith("do_"):
            return self._other_method
        raise AttributeError(name)

    def do_GET(self) -> None:
        path = self._path()
        if path == "/metrics":
            self._guarded(self._metrics)
        elif path == "/healthz":
            self._reply(200, b"ok\n")
        elif path == "/readyz":
            self._guarded(self._readyz)
        elif path == "/status":
            self._guarded(self._status)
        elif self._is_hook(path):
            self._method_not_allowed()
        else:
            self._not_found()

    def do_HEAD(self) -> None:
        self.do_GET()  # the same answer without its body (_reply leaves it out)

    def do_POST(self) -> None:
        path = self._path()
        if self._is_hook(path):
            self._guarded(lambda: self._webhook(path[len(HOOK_PREFIX):]))
        elif path in GET_ROUTES:
            self._method_not_allowed()
        else:
            self._not_found()

    # --- routes ------------------------------------------------------------------------------

    def _metrics(self) -> None:
        body, content_type = self.app.metrics.render()
        self._reply(200, body, content_type)

    def _readyz(self) -> None:
        standby = self.app.standby()
        if standby is not None:  # not ready for webhooks: the active worker takes them
            self._reply(503, f"standby: {standby}\n".encode())
        elif self.app.ready():
            self._reply(200, b"ready\n")
        else:
            self._reply(503, b"not ready: no reconcile has completed yet\n")

    def _status(self) -> None:
        body = json.dumps(self.app.status(), default=str, sort_keys=True).encode()
        self._reply(200, body + b"\n", "application/json")

    def _webhook(self, provider: str) -> None:
        refusal = self._refusal(provider)
        if refusal is not None:
            self._close_unread(*refusal)
            return
        size = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(size)
        self._body_read = True
        if len(body) < size:
            self._close_unread(400, "body shorter than its Content-Length")
            return
        verdict = self.app.verifier.verify(provider, dict(self.headers.items()), body)
        if verdict.trigger:
            # Called before answering so that a 202 means the wake-up was handed over.
            self.app.on_webhook(provider)
        self.app.log("webhook", provider=provider, status=verdict.status,
                     triggered=verdict.trigger)
        self._reply(verdict.status, (verdict.message + "\n").encode())

    def _refusal(self, provider: str) -> tuple[int, str] | None:
        """Why a webhook body must not be read, judged from the request line and headers."""
        verifier = self.app.verifier
        if provider not in PROVIDERS:
            return 404, f"unknown webhook provider; use /hooks/{{{','.join(PROVIDERS)}}}"
        if not verifier.configured:
            return 401, verifier.verify(provider, {}, b"").message
        length = self.headers.get("Content-Length")
        if length is None:
            # Chunked bodies have no size up front; refuse rather than read blind.
            return (413, "a webhook body needs a Content-Length") if self.headers.get(
                "Transfer-Encoding") else None
        if not _is_decimal(length.strip()):
            return 400, "invalid Content-Length"
        if int(length) > self.app.max_body:
            return 413, (f"body of {int(length)} bytes exceeds the limit of "
                         f"{self.app.max_body} bytes")
        return None

    def handle_expect_100(self) -> bool:
        # Clients such as curl ask before sending a large body: refuse before it is sent
        # rather than inviting it with "100 Continue".
        path = self._path()
        if self.command == "POST" and self._is_hook(path):
            refusal = self._refusal(path[len(HOOK_PREFIX):])
            if refusal is not None:
                self._body_read = True  # asked first: the client will not send it
                self._close_unread(*refusal)
                return False
        return super().handle_expect_100()

    # --- plumbing ----------------------------------------------------------------------------

    @property
    def app(self) -> HttpServer:
        return self.server.app

    def _path(self) -> str:
        return urlsplit(self.path).path

    @staticmethod
    def _is_hook(path: str) -> bool:
        return path.startswith(HOOK_PREFIX) and "/" not in path[len(HOOK_PREFIX):]

    def _guarded(self, route: Callable[[], None]) -> None:
        try:
            route()
        except Exception as exc:
            # The worker's callbacks may fail; the client gets a bare 500, the log the cause.
            self.app.log("http_handler_error", path=self._path(), error=type(exc).__name__,
                         detail=str(exc))
            self._close_unread(500, "internal error")

    def _not_found(self) -> None:
        self._close_unread(404, "not found")

    def _other_method(self) -> None:
        path = self._path()
        if path in GET_ROUTES or self._is_hook(path):
            self._method_not_allowed()
        else:
            self._not_found()

    def _method_not_allowed(self) -> None:
        allow = "POST" if self._is_hook(self._path()) else "GET"
        self._close_unread(405, "method not allowed", {"Allow": allow})

    def _close_unread(self, status: int, message: str,
                      headers: dict[str, str] | None = None) -> None:
        # Any request body stays unread, so the connection cannot be reused for another.
        self.close_connection = True
        self._reply(status, (message + "\n").encode(), TEXT,
                    {"Connection": "close", **(headers or {})})
        self._drain()

    def _drain(self) -> None:
        """Read and discard a body the client sends without asking first (urllib, most CI
        senders), up to a bound: closing with unread data makes the kernel answer with a
        reset, and the client would see that instead of the refusal."""
        length = self.headers.get("Content-Length") if self.headers else None
        chunked = bool(self.headers) and "chunked" in (
            self.headers.get("Transfer-Encoding") or "").lower()
        if self._body_read or not (chunked or (length is not None and
                                               _is_decimal(length.strip()))):
            return
        # A chunked body ends with its empty last chunk; read up to it (or the bound).
        remaining = DRAIN_BYTES if chunked else min(int(length or 0), DRAIN_BYTES)
        deadline = time.monotonic() + DRAIN_SECONDS
        tail = b""
        with contextlib.suppress(OSError, ValueError):
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)  # the answer is complete: say so
            self.connection.settimeout(DRAIN_SECONDS)
            while remaining > 0 and time.monotonic() < deadline:
                chunk = self.rfile.read1(min(remaining, 1 << 16))
                if not chunk:
                    break
                remaining -= len(chunk)
                tail = (tail + chunk)[-5:]
                if chunked and tail == b"0\r\n\r\n":
                    break

    def _reply(self, status: int, body: bytes, content_type: str = TEXT,
               headers: dict[str, str] | None = None) -> None:
        self.send_response_only(status)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.app.log("http_request", method=self.command, path=self._path(), status=status,
                     duration_seconds=round(time.monotonic() - self._started, 6))

    _started = 0.0
    _body_read = False

    def parse_request(self) -> bool:
        self._started = time.monotonic()
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        # Access lines go through the callback in _reply; the stdlib would write to stderr.
        return None

    def log_error(self, format: str, *args: Any) -> None:
        self.app.log("http_protocol_error", detail=format % args if args else format)
