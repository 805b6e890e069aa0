"""The embedded local AWS: a moto server on loopback for trying things out and for tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import TracebackType

from reconciler.errors import ReconcilerError

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalAws:
    """Starts ``moto_server`` as a child process on 127.0.0.1 and points boto3 at it.

    A separate process keeps the emulator's CPU and memory out of the reconciler's
    own (and its GIL). Used as a context manager; the server stops on exit.
    """

    def __init__(self, port: int | None = None, region: str = "us-east-1",
                 set_environment: bool = True, managed_policies: bool = True) -> None:
        self.port = port or _free_port()
        # AWS managed IAM policies make ManagedPolicyArns work, but each reset costs ~1 s.
        self.managed_policies = managed_policies
        self.region = region
        self.set_environment = set_environment
        self._process: subprocess.Popen[bytes] | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LocalAws:
        try:
            import moto.server  # noqa: F401
        except ImportError as exc:
            raise ReconcilerError(
                "--local needs the local AWS emulator: pip install 'reconciler[local]'"
            ) from exc
        env = dict(os.environ)
        env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true" if self.managed_policies else "false"
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise ReconcilerError(f"local AWS emulator exited at start (port {self.port})")
            try:
                self._post("/moto-api/config", b'{"lambda": {"use_docker": false}}')
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise ReconcilerError("local AWS emulator did not start in time") from None
                time.sleep(0.05)
        if self.set_environment:
            self._point_boto3_here()
        return self

    def _point_boto3_here(self) -> None:
        values = {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": self.region,
                  "AWS_REGION": self.region, **_FAKE_CREDENTIALS}
        for key, value in values.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        # A profile would override the fake credentials above.
        self._saved_env["AWS_PROFILE"] = os.environ.pop("AWS_PROFILE", None)

    def _post(self, path: str, body: bytes) -> bytes:
        request = urllib.request.Request(self.endpoint + path, data=body, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            return bytes(response.read())

    def reset(self) -> None:
        """Forget every emulated resource (tests)."""
        self._post("/moto-api/reset", b"")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
