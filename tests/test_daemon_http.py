"""The worker's HTTP endpoint over real HTTP: routes, webhook signatures, body limits."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.daemon.http import HttpServer, ListenError, parse_listen
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.webhooks import NO_SECRET_MESSAGE, WebhookVerifier

SECRET = b"s3cret-webhook-key"
BODY = b'{"ref": "refs/heads/main", "after": "0a1b2c3"}'


def sign(body: bytes, secret: bytes = SECRET) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass
class Running:
    """A started server plus what its callbacks saw."""

    server: HttpServer
    metrics: Metrics
    ready: threading.Event
    hooks: list[str] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        host, port = self.server.address
        conn = http.client.HTTPConnection(host, port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., Running]]:
    started: list[HttpServer] = []

    def start(secret: bytes | None = SECRET, max_body: int = 1 << 20,
              status: Callable[[], dict] | None = None,
              on_webhook: Callable[[str], None] | None = None) -> Running:
        metrics = Metrics()
        ready = threading.Event()
        running: Running
        server = HttpServer(
            "127.0.0.1:0", metrics,
            status or (lambda: {"revision": "0a1b2c3", "resources": {"DataKey": "InSync"}}),
            ready.is_set, WebhookVerifier(secret),
            on_webhook or (lambda provider: running.hooks.append(provider)),
            max_body=max_body,
            log=lambda event, **fields: running.events.append((event, fields)))
        running = Running(server, metrics, ready)
        server.start()
        started.append(server)
        return running

    yield start
    for server in started:
        server.stop()


# --- plain routes ----------------------------------------------------------------------------

def test_healthz_answers_ok(serve: Callable[..., Running]) -> None:
    status, headers, body = serve().request("GET", "/healthz")
    assert (status, body) == (200, b"ok\n")
    assert headers["Content-Type"].startswith("text/plain")


def test_readyz_is_503_until_ready_then_200(serve: Callable[..., Running]) -> None:
    running = serve()
    status, _, body = running.request("GET", "/readyz")
    assert status == 503
    assert b"not ready" in body
    running.ready.set()
    assert running.request("GET", "/readyz")[0] == 200


def test_status_is_the_json_of_the_callback(serve: Callable[..., Running]) -> None:
    status, headers, body = serve().request("GET", "/status")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"revision": "0a1b2c3", "resources": {"DataKey": "InSync"}}


def test_metrics_scrape_parses_and_follows_the_metrics_object(
        serve: Callable[..., Running]) -> None:
    running = serve()
    running.metrics.set_resources([("AWS::KMS::Key", "DataKey", "Drifted", True)])
    running.metrics.set_applied_revision("0a1b2c3")
    status, headers, body = running.request("GET", "/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body.decode())
               for s in family.samples}
    assert samples[("reconciler_resource_drifted",
                    (("resource", "DataKey"), ("type", "AWS::KMS::Key")))] == 1.0
    assert samples[("reconciler_applied_revision_info", (("revision", "0a1b2c3"),))] == 1.0
    assert samples[("reconciler_desired_valid", ())] == 0.0


def test_query_strings_do_not_change_the_route(serve: Callable[..., Running]) -> None:
    assert serve().request("GET", "/healthz?verbose=1")[0] == 200


@pytest.mark.parametrize(("method", "path", "expected", "allow"), [
    ("GET", "/", 404, None),
    ("GET", "/metrics/extra", 404, None),
    ("GET", "/hooks/github/extra", 404, None),
    ("POST", "/nowhere", 404, None),
    ("PUT", "/nowhere", 404, None),
    ("POST", "/metrics", 405, "GET"),
    ("DELETE", "/healthz", 405, "GET"),
    ("PUT", "/status", 405, "GET"),
    ("GET", "/hooks/github", 405, "POST"),
    ("PATCH", "/hooks/gitlab", 405, "POST"),
    ("HEAD", "/hooks/github", 405, "POST"),
    ("BREW", "/healthz", 405, "GET"),
])
def test_other_paths_404_and_other_methods_405(serve: Callable[..., Running], method: str,
                                               path: str, expected: int,
                                               allow: str | None) -> None:
    running = serve()
    status, headers, _ = running.request(method, path)
    assert status == expected
    assert headers.get("Allow") == allow
    assert running.hooks == []


def test_a_kept_alive_connection_serves_several_requests(serve: Callable[..., Running]) -> None:
    running = serve()
    conn = http.client.HTTPConnection(*running.server.address, timeout=10)
    try:
        for path in ("/healthz", "/status", "/metrics"):
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, path
    finally:
        conn.close()


# --- webhooks --------------------------------------------------------------------------------

@pytest.mark.parametrize(("provider", "headers", "expected", "woken"), [
    ("github", {"X-Hub-Signature-256": sign(BODY), "X-GitHub-Event": "push"}, 202, True),
    ("github", {"X-Hub-Signature-256": sign(BODY).upper().replace("SHA256", "sha256")}, 202, True),
    ("github", {"X-Hub-Signature-256": sign(BODY, b"wrong-secret")}, 401, False),
    ("github", {"X-Hub-Signature-256": sign(BODY + b" ")}, 401, False),  # tampered body
    ("github", {"X-Hub-Signature-256": sign(BODY).removeprefix("sha256=")}, 401, False),
    ("github", {"X-Hub-Signature-256": "sha1=" + hmac.new(
        SECRET, BODY, hashlib.sha1).hexdigest()}, 401, False),
    ("github", {}, 401, False),
    ("github", {"X-Hub-Signature-256": sign(BODY), "X-GitHub-Event": "ping"}, 200, False),
    ("github", {"X-Hub-Signature-256": sign(BODY, b"x"), "X-GitHub-Event": "ping"}, 401, False),
    ("gitlab", {"X-Gitlab-Token": SECRET.decode()}, 202, True),
    ("gitlab", {"X-Gitlab-Token": "not-the-secret"}, 401, False),
    ("gitlab", {"X-Gitlab-Token": SECRET.decode() + "x"}, 401, False),
    ("gitlab", {}, 401, False),
    ("generic", {"X-Signature-256": sign(BODY)}, 202, True),
    ("generic", {"X-Signature-256": sign(BODY, b"wrong-secret")}, 401, False),
    ("generic", {"X-Hub-Signature-256": sign(BODY)}, 401, False),  # GitHub's header name
    ("generic", {}, 401, False),
])
def test_webhook_signatures(serve: Callable[..., Running], provider: str,
                            headers: dict[str, str], expected: int, woken: bool) -> None:
    running = serve()
    status, _, body = running.request("POST", f"/hooks/{provider}", BODY, headers)
    assert status == expected, body
    assert running.hooks == ([provider] if woken else [])
    # Answers never repeat the secret or the signature that was sent.
    assert SECRET not in body
    assert sign(BODY).removeprefix("sha256=").encode() not in body


def test_missing_signature_says_which_header(serve: Callable[..., Running]) -> None:
    status, _, body = serve().request("POST", "/hooks/github", BODY)
    assert status == 401
    assert b"missing X-Hub-Signature-256" in body


def test_unknown_provider_is_404_and_wakes_nothing(serve: Callable[..., Running]) -> None:
    running = serve()
    status, _, _ = running.request("POST", "/hooks/bitbucket", BODY,
                                   {"X-Signature-256": sign(BODY)})
    assert status == 404
    assert running.hooks == []


def test_without_a_secret_every_webhook_is_refused(serve: Callable[..., Running]) -> None:
    running = serve(secret=None)
    for provider, headers in (("github", {"X-Hub-Signature-256": sign(BODY, b"")}),
                              ("gitlab", {"X-Gitlab-Token": ""}),
                              ("generic", {"X-Signature-256": sign(BODY, b"")})):
        status, _, body = running.request("POST", f"/hooks/{provider}", BODY, headers)
        assert status == 401, provider
        assert body.decode().strip() == NO_SECRET_MESSAGE
    assert running.hooks == []


def test_empty_secret_counts_as_no_secret(serve: Callable[..., Running]) -> None:
    running = serve(secret=b"")
    status, _, _ = running.request("POST", "/hooks/generic", BODY,
                                   {"X-Signature-256": sign(BODY, b"")})
    assert status == 401
    assert running.hooks == []


def test_oversize_body_is_413_and_not_read(serve: Callable[..., Running]) -> None:
    running = serve(max_body=64)
    big = b"x" * 100
    status, _, body = running.request("POST", "/hooks/generic", big,
                                      {"X-Signature-256": sign(big)})
    assert status == 413
    assert b"limit of 64 bytes" in body
    assert running.hooks == []


def test_head_answers_as_get_without_a_body(serve: Callable[..., Running]) -> None:
    running = serve()
    conn = http.client.HTTPConnection(*running.server.address, timeout=5)
    try:
        conn.request("HEAD", "/healthz")
        response = conn.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Length") == "3"  # that of GET's "ok\n"
        assert response.read() == b""
        conn.request("GET", "/healthz")  # the connection stays usable: nothing was sent
        assert conn.getresponse().read() == b"ok\n"
    finally:
        conn.close()


def test_an_oversize_body_sent_without_asking_gets_the_413_not_a_reset(
        serve: Callable[..., Running]) -> None:
    """urllib (like many CI senders) sends the whole body before reading the answer."""
    running = serve(max_body=1 << 20)
    big = b"x" * (30 << 20)
    request = urllib.request.Request(f"http://{running.server.address[0]}:"
                                     f"{running.server.address[1]}/hooks/generic", data=big,
                                     headers={"X-Signature-256": sign(big)}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 413
    assert b"exceeds the limit" in refused.value.read()
    assert running.hooks == []


def test_oversize_content_length_is_refused_before_the_body_arrives(
        serve: Callable[..., Running]) -> None:
    running = serve(max_body=1024)
    conn = http.client.HTTPConnection(*running.server.address, timeout=5)
    try:
        # Announce 10 MB and send none of it: an answer proves the server did not wait.
        conn.putrequest("POST", "/hooks/github")
        conn.putheader("Content-Length", str(10 << 20))
        conn.putheader("X-Hub-Signature-256", sign(b""))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert response.getheader("Connection") == "close"
    finally:
        conn.close()
    assert running.hooks == []


def test_body_without_content_length_is_413(serve: Callable[..., Running]) -> None:
    running = serve()
    conn = http.client.HTTPConnection(*running.server.address, timeout=5)
    try:
        # Enough chunks to overflow the socket buffers: unread, they would reset the link
        # before the client reads the answer.
        conn.request("POST", "/hooks/generic", body=iter([b"x" * 65536] * 64),
                     headers={"X-Signature-256": sign(BODY)}, encode_chunked=True)
        assert conn.getresponse().status == 413
    finally:
        conn.close()
    assert running.hooks == []


def raw_exchange(running: Running, head: bytes, body: bytes = b"") -> list[bytes]:
    """Send a request head, read the first answer; send ``body`` only if told to continue."""
    with socket.create_connection(running.server.address, timeout=5) as raw:
        raw.sendall(head)
        answers = [raw.recv(4096)]
        if answers[0].startswith(b"HTTP/1.1 100"):
            raw.sendall(body)
            answers.append(raw.recv(4096))
        return answers


def test_expect_100_continue_with_oversize_body_gets_413_instead(
        serve: Callable[..., Running]) -> None:
    running = serve(max_body=1024)
    answers = raw_exchange(running, (
        "POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: 5000000\r\n"
        f"X-Signature-256: {sign(b'')}\r\nExpect: 100-continue\r\n\r\n").encode())
    assert len(answers) == 1
    assert answers[0].startswith(b"HTTP/1.1 413")
    assert running.hooks == []


def test_expect_100_continue_within_the_limit_is_invited(serve: Callable[..., Running]) -> None:
    running = serve()
    answers = raw_exchange(running, (
        f"POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: {len(BODY)}\r\n"
        f"X-Signature-256: {sign(BODY)}\r\nExpect: 100-continue\r\n\r\n").encode(), BODY)
    assert answers[0].startswith(b"HTTP/1.1 100")
    assert answers[1].startswith(b"HTTP/1.1 202")
    assert running.hooks == ["generic"]


def test_invalid_content_length_is_400(serve: Callable[..., Running]) -> None:
    running = serve()
    answers = raw_exchange(running, (
        "POST /hooks/generic HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n"
        f"X-Signature-256: {sign(b'')}\r\n\r\n").encode())
    assert answers[0].startswith(b"HTTP/1.1 400")
    assert running.hooks == []


def test_body_at_the_limit_is_accepted(serve: Callable[..., Running]) -> None:
    running = serve(max_body=len(BODY))
    status, _, _ = running.request("POST", "/hooks/generic", BODY,
                                   {"X-Signature-256": sign(BODY)})
    assert status == 202
    assert running.hooks == ["generic"]


# --- failures and logging --------------------------------------------------------------------

def test_failing_status_callback_is_a_bare_500_and_logged(serve: Callable[..., Running]) -> None:
    def broken() -> dict:
        raise RuntimeError("database is locked at /var/lib/reconciler/state.db")

    running = serve(status=broken)
    status, _, body = running.request("GET", "/status")
    assert (status, body) == (500, b"internal error\n")
    errors = [fields for event, fields in running.events if event == "http_handler_error"]
    assert errors and errors[0]["error"] == "RuntimeError"


def test_failing_webhook_callback_is_500(serve: Callable[..., Running]) -> None:
    def broken(provider: str) -> None:
        raise RuntimeError("scheduler is shut down")

    running = serve(on_webhook=broken)
    status, _, _ = running.request("POST", "/hooks/generic", BODY,
                                   {"X-Signature-256": sign(BODY)})
    assert status == 500


def test_requests_go_to_the_log_callback_not_stderr(serve: Callable[..., Running],
                                                    capfd: pytest.CaptureFixture[str]) -> None:
    running = serve()
    running.request("GET", "/healthz")
    running.request("GET", "/missing")
    with socket.create_connection(running.server.address, timeout=5) as raw:
        raw.sendall(b"NONSENSE\r\n\r\n")  # a malformed request line
        raw.recv(1024)
    assert capfd.readouterr().err == ""
    logged = [(f["method"], f["path"], f["status"]) for e, f in running.events
              if e == "http_request"]
    assert ("GET", "/healthz", 200) in logged
    assert ("GET", "/missing", 404) in logged
    assert any(event == "http_protocol_error" for event, _ in running.events)


# --- binding ---------------------------------------------------------------------------------

def test_address_reports_the_real_port_and_stop_closes_it(serve: Callable[..., Running]) -> None:
    running = serve()
    host, port = running.server.address
    assert host == "127.0.0.1"
    assert port > 0
    running.server.stop()
    running.server.stop()  # a second stop is harmless
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=2).close()


def test_a_taken_port_fails_start_with_a_clear_error(serve: Callable[..., Running]) -> None:
    host, port = serve().server.address
    second = HttpServer(f"{host}:{port}", Metrics(), dict, lambda: True,
                        WebhookVerifier(SECRET), lambda provider: None)
    with pytest.raises(ListenError, match=f"cannot listen on {host}:{port}: .*already in use"):
        second.start()


def test_ipv6_loopback() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this Python")
    server = HttpServer("[::1]:0", Metrics(), dict, lambda: True, WebhookVerifier(None),
                        lambda provider: None)
    try:
        server.start()
    except ListenError as exc:
        pytest.skip(f"no IPv6 loopback here: {exc}")
    try:
        host, port = server.address
        assert host == "::1"
        conn = http.client.HTTPConnection("::1", port, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        server.stop()


@pytest.mark.parametrize(("listen", "family", "host", "port"), [
    ("127.0.0.1:9108", socket.AF_INET, "127.0.0.1", 9108),
    ("0.0.0.0:9108", socket.AF_INET, "0.0.0.0", 9108),
    (":9108", socket.AF_INET, "0.0.0.0", 9108),
    ("localhost:0", socket.AF_INET, "localhost", 0),
    ("[::1]:9108", socket.AF_INET6, "::1", 9108),
    ("[::]:9108", socket.AF_INET6, "::", 9108),
])
def test_parse_listen(listen: str, family: socket.AddressFamily, host: str, port: int) -> None:
    assert parse_listen(listen) == (family, host, port)


@pytest.mark.parametrize("listen", ["9108", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
                                    "::1:9108", "127.0.0.1:70000", "127.0.0.1:\u00b2"])
def test_parse_listen_refuses(listen: str) -> None:
    with pytest.raises(ListenError, match="invalid listen address"):
        parse_listen(listen)


# --- the verifier on its own -----------------------------------------------------------------

@pytest.mark.parametrize(("provider", "headers", "status", "trigger"), [
    ("github", {"x-hub-signature-256": sign(BODY)}, 202, True),  # header names any case
    ("github", {"X-HUB-SIGNATURE-256": sign(BODY), "x-github-event": "PING"}, 200, False),
    ("gitlab", {"x-gitlab-token": SECRET.decode()}, 202, True),
    ("generic", {"x-signature-256": f"  {sign(BODY)}  "}, 202, True),
    ("generic", {"X-Signature-256": "sha256="}, 401, False),
    ("generic", {"X-Signature-256": "sha256=caf\u00e9"}, 401, False),  # non-hex, non-ASCII
    ("gitlab", {"X-Gitlab-Token": "s3cret-webhook-k\u00e9y"}, 401, False),
    ("svn", {}, 404, False),
])
def test_verifier_verdicts(provider: str, headers: dict[str, str], status: int,
                           trigger: bool) -> None:
    verdict = WebhookVerifier(SECRET).verify(provider, headers, BODY)
    assert (verdict.status, verdict.trigger) == (status, trigger)
