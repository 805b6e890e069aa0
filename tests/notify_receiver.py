"""A real HTTP receiver on loopback for notification tests: records every POST, answers with
scripted statuses, and can hold its answers back (a receiver that hangs)."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOKEN = "T000/B000/XsecretTOKEN42"  # the secret part of the URL: must never be logged


class Receiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: deque[tuple[int, dict[str, str]]] = deque()  # then 200
        self.hold = threading.Event()
        self.hold.set()  # cleared: requests wait (a receiver that hangs)
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    receiver.arrived.notify_all()
                    code, headers = receiver.script.popleft() if receiver.script else (200, {})
                receiver.hold.wait(30)
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/services/{TOKEN}?key=query-secret"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    def wait_for(self, count: int, timeout: float = 15) -> list[dict[str, Any]]:
        """The first ``count`` requests, once that many have arrived."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.requests)} of {count} requests arrived: "
                                         f"{self.bodies()}")
                self.arrived.wait(left)
            return list(self.requests[:count])

    def bodies(self) -> list[dict[str, Any]]:
        with self.arrived:
            return [json.loads(r["body"]) for r in self.requests]

    def events(self) -> list[str]:
        return [b.get("event", "slack") for b in self.bodies()]

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()
