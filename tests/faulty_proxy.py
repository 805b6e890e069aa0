"""A fault-injecting HTTP proxy on loopback in front of the moto server (a test double, named
as such): it forwards every request, and for chosen operations throws AWS's reply away after
AWS carried the call out, answering 500 instead — the lost reply a flaky network gives."""

from __future__ import annotations

import functools
import http.client
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import botocore.session

LOST = b'{"__type": "InternalFailure", "message": "reply lost by the test proxy"}'


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


class FaultyProxy:
    def __init__(self, upstream: str, lose: Callable[[str, int], bool]):
        """``lose(operation, nth call of it)`` decides whether that call's reply is lost."""
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.lose = lose
        self.calls: dict[str, int] = {}
        self.lost: list[str] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                operation = operation_of(self.command, self.path, headers, body)
                with proxy._lock:
                    proxy.calls[operation] = proxy.calls.get(operation, 0) + 1
                    nth = proxy.calls[operation]
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=30)
                connection.request(self.command, self.path, body, dict(self.headers))
                reply = connection.getresponse()
                data = reply.read()
                if proxy.lose(operation, nth):
                    with proxy._lock:
                        proxy.lost.append(operation)
                    self.send_response(500)
                    self.send_header("Content-Type", "application/x-amz-json-1.1")
                    self.send_header("Content-Length", str(len(LOST)))
                    self.end_headers()
                    self.wfile.write(LOST)
                    return
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
def faulty_proxy(upstream: str, lose: Callable[[str, int], bool]) -> Iterator[FaultyProxy]:
    proxy = FaultyProxy(upstream, lose)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
