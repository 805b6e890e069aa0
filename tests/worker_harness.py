"""A real git remote and `reconciler run` as a subprocess, for end-to-end worker tests."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

SECRET = "e2e-webhook-secret"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


class Remote:
    """A bare repository plus a work tree that commits and pushes to it."""

    def __init__(self, root: Path):
        self.bare = root / "remote.git"
        self.work = root / "work"
        self.bare.mkdir(parents=True)
        git(self.bare, "init", "--bare", "-b", "main")
        self.work.mkdir()
        git(self.work, "init", "-b", "main")
        git(self.work, "remote", "add", "origin", str(self.bare))

    def push(self, files: dict[str, str | None], message: str) -> str:
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        git(self.work, "add", "-A")
        git(self.work, "commit", "-m", message)
        git(self.work, "push", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Worker:
    def __init__(self, remote: Remote, state: Path, *extra: str, interval: str = "3s",
                 source_interval: str = "2s", module: str = "reconciler",
                 env: dict[str, str] | None = None):
        """``module`` runs the CLI: ``tests.fake_kinds`` registers the test-only kinds first."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = state.parent / f"worker-{self.port}.log"
        root = str(Path(__file__).resolve().parents[1])
        env = {**os.environ, "RECONCILER_WEBHOOK_SECRET": SECRET,
               "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
               **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, "run", "--repo", str(remote.bare),
             "--branch", "main", "--path", "desired", "--state", str(state),
             "--interval", interval, "--source-interval", source_interval,
             "--listen", f"127.0.0.1:{self.port}", *extra],
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, env=env)

    def logs(self) -> str:
        return self.log.read_text()

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(self.url + path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return int(response.status)
        except urllib.error.HTTPError as err:
            return int(err.code)

    def post_announcing(self, path: str, length: int) -> int:
        """POST that announces a body of ``length`` bytes and waits for the verdict before
        sending it (``Expect: 100-continue``), as curl does for large bodies."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.putrequest("POST", path)
            connection.putheader("Content-Length", str(length))
            connection.putheader("Expect", "100-continue")
            connection.putheader("X-Signature-256", "sha256=0")
            connection.endheaders()
            return int(connection.getresponse().status)
        finally:
            connection.close()

    def hook(self, body: bytes = b'{"ref": "refs/heads/main"}',
             secret: str = SECRET) -> int:
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return self.post("/hooks/generic", body, {"X-Signature-256": signature,
                                                  "Content-Type": "application/json"})

    def status(self) -> dict[str, Any]:
        code, body = self.get("/status")
        assert code == 200, body
        return dict(json.loads(body))

    def metric(self, name: str, **labels: str) -> float | None:
        code, body = self.get("/metrics")
        assert code == 200
        for family in text_string_to_metric_families(body.decode()):
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v
                                               for k, v in labels.items()):
                    return float(sample.value)
        return None

    def wait_ready(self, timeout: float = 30) -> None:
        wait_until(lambda: self.get("/readyz")[0] == 200, timeout, self)

    def terminate(self, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def wait_until(predicate: Callable[[], Any], timeout: float, worker: Worker | None = None,
               what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except (urllib.error.URLError, ConnectionError, OSError):
            value = None
        if value:
            return value
        if worker is not None and worker.process.poll() is not None:
            raise AssertionError(f"worker exited ({worker.process.returncode}):\n"
                                 + worker.logs()[-4000:])
        if time.monotonic() > deadline:
            logs = worker.logs()[-4000:] if worker else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{logs}")
        time.sleep(0.2)


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    """Worker processes a test starts; each is killed at the end, whatever happened."""
    started: list[Worker] = []
    yield started
    for worker in started:
        worker.kill()
