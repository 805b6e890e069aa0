"""Throttling: botocore's adaptive retries absorb it and every throttled attempt is counted.

Moto never throttles, so this talks to an in-process fake DynamoDB endpoint on loopback
(named as such) that answers ThrottlingException twice before succeeding.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.aws.clients import AwsClients
from reconciler.aws.local import LocalAws


class FakeThrottlingDynamoDB(BaseHTTPRequestHandler):
    calls = 0

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).calls += 1
        if type(self).calls <= 2:
            body = {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                    "message": "Rate of requests exceeds the allowed throughput."}
            status = 400
        else:
            body = {"TableNames": ["t"]}
            status = 200
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    FakeThrottlingDynamoDB.calls = 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeThrottlingDynamoDB)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    yield url
    server.shutdown()


def test_throttled_calls_are_retried_and_counted(endpoint: str) -> None:
    clients = AwsClients(region="us-east-1", max_attempts=5)
    throttled: list[str] = []
    calls: list[tuple[str, str, str]] = []
    clients.on_throttle(throttled.append)
    clients.on_call(lambda *call: calls.append(call))

    tables = clients.client("dynamodb").list_tables()["TableNames"]

    assert tables == ["t"]
    assert FakeThrottlingDynamoDB.calls == 3
    assert throttled == ["dynamodb", "dynamodb"]
    assert calls == [("dynamodb", "ListTables", "success")]


def test_throttling_past_the_retry_budget_is_a_clear_error(endpoint: str) -> None:
    clients = AwsClients(region="us-east-1", max_attempts=2)
    calls: list[tuple[str, str, str]] = []
    clients.on_call(lambda *call: calls.append(call))
    with pytest.raises(Exception, match="ThrottlingException.*ListTables"):
        clients.client("dynamodb").list_tables()
    assert calls == [("dynamodb", "ListTables", "error")]


THROTTLE_SHAPES = [  # service, call, the code botocore must read from the proxy's reply
    ("kms", lambda c: c.list_keys(), "ThrottlingException"),          # JSON
    ("iam", lambda c: c.list_roles(), "Throttling"),                   # Query
    ("ec2", lambda c: c.describe_vpcs(), "RequestLimitExceeded"),      # EC2
    ("s3", lambda c: c.list_buckets(), "SlowDown"),                    # S3, a 503
    ("lambda", lambda c: c.list_functions(), "TooManyRequestsException"),  # REST-JSON, a 429
]


@pytest.mark.parametrize(("service", "call", "code"), THROTTLE_SHAPES,
                         ids=[s[0] for s in THROTTLE_SHAPES])
def test_the_chaos_proxy_throttles_in_each_protocols_own_shape(
        aws: LocalAws, monkeypatch: pytest.MonkeyPatch, service: str,
        call: Callable[[Any], Any], code: str) -> None:
    """The fault-injecting proxy in front of moto (tests/faulty_proxy.py, a test double) must
    throttle as AWS does, or the chaos suite would test another retry path than production's:
    botocore reads each reply as that service's throttling code, and we count it."""
    from botocore.exceptions import ClientError

    from tests.aws_faults import THROTTLE
    from tests.faulty_proxy import FaultPlan, faulty_proxy

    with faulty_proxy(aws.endpoint, faults=FaultPlan(0.0, 0, script=[THROTTLE])) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        clients = AwsClients(region="us-east-1", max_attempts=1)
        throttled: list[str] = []
        clients.on_throttle(throttled.append)
        with pytest.raises(ClientError) as caught:
            call(clients.client(service))
    assert caught.value.response["Error"]["Code"] == code
    assert throttled == [service]
