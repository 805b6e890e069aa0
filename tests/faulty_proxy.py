"""A fault-injecting HTTP proxy on loopback in front of the moto server (a test double, named
as such): it forwards every request, and for chosen operations throws AWS's reply away after
AWS carried the call out, answering 500 instead — the lost reply a flaky network gives.

With a ``FaultPlan`` (the chaos suite, tests/chaos/) it also injects, at a rate and from a
seed: AWS's server errors and throttling replies in each protocol's shape (tests/aws_faults.py),
delays, and replies lost or dropped after the call succeeded; and it runs actions at a given
call count (SIGKILL a process in mid-call, restart the emulator).
"""

from __future__ import annotations

import functools
import http.client
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import botocore.session

from tests.aws_faults import (
    DELAY,
    DROPPED,
    FAULT_KINDS,
    LOST,
    SERVER_ERROR,
    THROTTLE,
    Reply,
    protocol_of,
    server_error,
    throttling,
)

LOST_BODY = b'{"__type": "InternalFailure", "message": "reply lost by the test proxy"}'


def operation_of(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """The AWS operation a request calls: JSON protocols by X-Amz-Target, query protocols by
    Action; of the REST calls only those the tests lose (S3's PUT on a bucket, with or without
    ?policy; CloudFront's and Route 53's creates)."""
    target = headers.get("x-amz-target", "")
    if target:
        return target.rsplit(".", 1)[-1]
    action = parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]
    if action:
        return action
    route, _, query = path.partition("?")
    for verb, pattern, name in _REST_XML:
        if method == verb and re.fullmatch(pattern, route):
            return f"{name}WithTags" if query == "WithTags" else name
    if method == "PUT" and route.strip("/") and "/" not in route.strip("/"):
        return {"": "CreateBucket", "policy": "PutBucketPolicy"}.get(query, "")
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("authorization", ""))
    return _rest_operation(scope.group(1), method, route) if scope else ""


@functools.cache
def _routes(service: str) -> list[tuple[str, re.Pattern[str], str]]:
    """A REST service's (method, path pattern, operation), the most literal pattern first."""
    try:
        model = botocore.session.get_session().get_service_model(service)
    except Exception:  # not a service name botocore knows by its signing name
        return []
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        uri = http.get("requestUri", "/").partition("?")[0]
        pattern = re.sub(r"\\{[^}]+\\+\\}", ".+", re.escape(uri))
        pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", pattern)
        routes.append((len(re.sub(r"{[^}]+}", "", uri)), http.get("method", ""),
                       re.compile(f"^{pattern}/?$"), name))
    routes.sort(key=lambda r: -r[0])
    return [(method, pattern, name) for _, method, pattern, name in routes]


def _rest_operation(service: str, method: str, route: str) -> str:
    """REST protocols (Lambda's) name the operation by method and path only."""
    return next((name for verb, pattern, name in _routes(service)
                 if verb == method and pattern.match(route)), "")


# The REST-XML creates the tests lose (CloudFront, Route 53): method, path, operation.
_REST_XML = (
    ("POST", r"/2020-05-31/distribution", "CreateDistribution"),
    ("POST", r"/2013-04-01/hostedzone", "CreateHostedZone"),
    ("POST", r"/2013-04-01/hostedzone/[^/]+/rrset/?", "ChangeResourceRecordSets"),
)


@dataclass
class FaultPlan:
    """Which calls get a fault: each with probability ``rate``, the kind drawn from ``kinds``;
    seeded, so a run can be reproduced (up to the order of concurrent calls)."""

    rate: float
    seed: int
    kinds: tuple[str, ...] = FAULT_KINDS
    delay: tuple[float, float] = (0.05, 0.4)  # seconds, for DELAY
    enabled: bool = True
    script: list[str | None] = field(default_factory=list)  # the first calls' faults, in order
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def draw(self) -> str | None:
        if self.enabled and self.script:
            return self.script.pop(0)
        if not self.enabled or self._random.random() >= self.rate:
            return None
        return self._random.choice(self.kinds)

    def pause(self) -> float:
        return self._random.uniform(*self.delay)


@dataclass
class _Trigger:
    at: int  # the proxy's call count
    action: Callable[[], None]
    before: bool  # before the call reaches AWS, or after AWS answered (the reply then dropped)


def _service(headers: dict[str, str]) -> str:
    scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", headers.get("authorization", ""))
    return scope.group(1) if scope else ""


class FaultyProxy:
    def __init__(self, upstream: str, lose: Callable[[str, int], bool] | None = None,
                 faults: FaultPlan | None = None):
        """``lose(operation, nth call of it)`` decides whether that call's reply is lost;
        ``faults`` adds random faults of every kind."""
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.lose = lose or (lambda operation, nth: False)
        self.faults = faults
        self.calls: dict[str, int] = {}
        self.total = 0  # every request, in arrival order
        self.lost: list[str] = []
        self.injected: Counter[str] = Counter()  # fault kind -> times
        self.upstream_down = 0  # requests AWS could not be reached for (emulator restarting)
        self._triggers: list[_Trigger] = []
        self.open = threading.Event()  # cleared: requests wait before reaching AWS
        self.open.set()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def at_call(self, count: int, action: Callable[[], None], before: bool = False) -> None:
        """Run ``action`` at the ``count``-th request: before it reaches AWS, or once AWS has
        carried it out (its reply is then dropped: the caller was killed in mid-call)."""
        with self._lock:
            self._triggers.append(_Trigger(max(1, count), action, before))

    def _admit(self, operation: str) -> tuple[int, str | None, list[_Trigger]]:
        with self._lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            self.total += 1
            fault = self.faults.draw() if self.faults is not None else None
            # An "after" trigger waits for a call that reaches AWS (not one answered here).
            reaches = fault not in (THROTTLE, SERVER_ERROR)
            due: list[_Trigger] = []
            waiting: list[_Trigger] = []
            for t in self._triggers:
                (due if t.at <= self.total and (t.before or reaches) else waiting).append(t)
            self._triggers = waiting
            if fault is not None:
                self.injected[fault] += 1
            return self.calls[operation], fault, due

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _send(self, reply: Reply) -> None:
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def _drop(self) -> None:
                self.close_connection = True  # closed without a reply

            def _forward(self) -> None:
                try:
                    self._serve()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the caller is gone (killed in mid-call)

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                operation = operation_of(self.command, self.path, headers, body)
                protocol = protocol_of(_service(headers))
                nth, fault, due = proxy._admit(operation)
                for trigger in due:
                    if trigger.before:
                        trigger.action()
                if fault == THROTTLE:
                    return self._send(throttling(protocol))
                if fault == SERVER_ERROR:
                    return self._send(server_error(protocol, 503 if nth % 2 else 500))
                if fault == DELAY and proxy.faults is not None:
                    time.sleep(proxy.faults.pause())
                proxy.open.wait(60)
                try:
                    connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                    connection.request(self.command, self.path, body, dict(self.headers))
                    reply = connection.getresponse()
                    data = reply.read()
                except (OSError, http.client.HTTPException):  # AWS is down (emulator restarting)
                    with proxy._lock:
                        proxy.upstream_down += 1
                    return self._drop()
                after = [t for t in due if not t.before]
                for trigger in after:
                    trigger.action()
                if after:
                    return self._drop()
                if proxy.lose(operation, nth):
                    with proxy._lock:
                        proxy.lost.append(operation)
                    return self._send(Reply(500, {"Content-Type": "application/x-amz-json-1.1"},
                                            LOST_BODY))
                if fault == LOST:
                    return self._send(server_error(protocol))
                if fault == DROPPED:
                    return self._drop()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        return Handler


@contextmanager
def faulty_proxy(upstream: str, lose: Callable[[str, int], bool] | None = None,
                 faults: FaultPlan | None = None) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream, lose, faults)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
