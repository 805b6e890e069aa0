"""A dead AWS endpoint fails fast with one clear error: refused connections within 30 s,
silently dropped ones within 60 s (not minutes of retries per resource); the worker keeps
running, reports reconciler_aws_reachable 0 and recovers when AWS is back."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.worker_harness import Remote, Worker, free_port, wait_until

ROOT = Path(__file__).resolve().parents[1]
TREE = """\
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: unreachable-logs}
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: unreachable-bucket}
"""


@pytest.fixture
def dropping() -> Iterator[str]:
    """An endpoint whose connections are never completed: a listener whose accept queue is
    full, so the kernel drops further SYNs, as a firewall that drops packets would."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(8):  # fill the queue (its length is backlog + 1 on Linux)
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    for filler in fillers:
        filler.close()
    listener.close()


def _apply(tmp_path: Path, endpoint: str) -> tuple[subprocess.CompletedProcess[str], float]:
    desired = tmp_path / "desired"
    desired.mkdir(exist_ok=True)
    (desired / "app.yaml").write_text(TREE)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "reconciler", "apply", str(desired), "--state",
                           str(tmp_path / "state")], capture_output=True, text=True, env=env,
                          timeout=180)
    return done, time.monotonic() - started


def test_refused_connections_fail_the_apply_within_30_seconds(tmp_path: Path) -> None:
    done, took = _apply(tmp_path, f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert took < 30, took
    errors = [line for line in done.stderr.splitlines() if "cannot reach AWS" in line]
    assert len(errors) == 1, done.stderr
    assert "3 connection failures in a row" in errors[0]
    assert "Traceback" not in done.stderr


def test_dropped_connections_fail_the_apply_within_60_seconds(tmp_path: Path,
                                                              dropping: str) -> None:
    done, took = _apply(tmp_path, dropping)
    assert done.returncode == 1
    assert took < 60, took
    assert "3 connection failures in a row" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_the_worker_reports_aws_unreachable_and_recovers(aws: Any, tmp_path: Path) -> None:
    remote = Remote(tmp_path)
    remote.push({"desired/app.yaml": TREE}, "tree")
    port = free_port()
    # The worker's AWS is a port where nothing listens yet; later a proxy to moto opens it.
    worker = Worker(remote, tmp_path / "state", interval="2s",
                    env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}"})
    try:
        wait_until(lambda: worker.metric("reconciler_aws_reachable") == 0, 30, worker,
                   "reconciler_aws_reachable 0")
        assert worker.process.poll() is None
        assert "AWS unreachable" in worker.logs()
        with _forward(port, aws.endpoint):
            wait_until(lambda: worker.metric("reconciler_aws_reachable") == 1, 30, worker,
                       "reconciler_aws_reachable 1")
            wait_until(lambda: {r["resource"]: r["status"] for r in
                                worker.status()["resources"]}
                       == {"Logs": "InSync", "Bucket": "InSync"}, 30, worker, "in sync")
    finally:
        worker.terminate()


class _forward:
    """A plain TCP forwarder from ``port`` to ``upstream`` (AWS coming back on that port)."""

    def __init__(self, port: int, upstream: str):
        host, _, upstream_port = upstream.rpartition("//")[2].partition(":")
        self.target = (host, int(upstream_port.rstrip("/")))
        self.listener = socket.create_server(("127.0.0.1", port))
        self.closed = False

    def __enter__(self) -> _forward:
        import threading

        def pump(source: socket.socket, sink: socket.socket) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
            except OSError:
                pass
            finally:
                for s in (source, sink):
                    with contextlib.suppress(OSError):
                        s.shutdown(socket.SHUT_RDWR)

        def serve() -> None:
            while not self.closed:
                try:
                    client, _ = self.listener.accept()
                except OSError:
                    return
                upstream = socket.create_connection(self.target)
                threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
                threading.Thread(target=pump, args=(upstream, client), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed = True
        self.listener.close()


def test_answers_between_dropped_connections_prove_aws_is_reachable(
        aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by the chaos suite: connection failures were reset only when a whole call ended,
    so one call retried through drop, 503, drop, 500, drop counted "3 in a row" and
    the run stopped as if AWS were down, though AWS had answered in between. Through the
    fault-injecting proxy (tests/faulty_proxy.py); botocore's backoff sleeps are patched to
    zero to keep the test fast, the retries themselves are botocore's."""
    from reconciler.aws.clients import AwsClients
    from tests.aws_faults import DROPPED, SERVER_ERROR
    from tests.faulty_proxy import FaultPlan, faulty_proxy

    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount",
                        lambda self, context: 0)
    script: list[str | None] = [DROPPED, SERVER_ERROR, DROPPED, SERVER_ERROR, DROPPED]
    with faulty_proxy(aws.endpoint, faults=FaultPlan(0.0, 0, script=script)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        clients = AwsClients(region="us-east-1", max_attempts=10)
        groups = clients.client("logs").describe_log_groups()["logGroups"]
    assert proxy.injected == {DROPPED: 3, SERVER_ERROR: 2}
    assert proxy.calls["DescribeLogGroups"] == 6  # the sixth attempt was answered
    assert groups == [] and clients.unreachable is None
