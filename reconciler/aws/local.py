"""The embedded local AWS: a moto server on loopback for trying things out and for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from reconciler.errors import ReconcilerError

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


# Where `reconciler run --local` says which emulator it runs, inside its state directory.
RECORD_FILE = "local-aws.json"


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
        # No managed kind launches instances: loading moto's AMI catalogue into every
        # region's EC2 backend (again after each reset) only costs time.
        env.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        self._process = subprocess.Popen(
            # moto_server with the fix in local_server.py (tags on RDS proxy target groups)
            [sys.executable, "-m", "reconciler.aws.local_server", "-H", "127.0.0.1",
             "-p", str(self.port)],
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

    def attach(self) -> LocalAws:
        """Point boto3 at an emulator someone else started on ``port``; ``stop`` leaves it
        running."""
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

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

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


@dataclass(frozen=True)
class RunningEmulator:
    """An emulator recorded in a state directory by the worker that started it."""

    port: int
    pid: int  # the moto server's process
    region: str
    started_by: int  # the worker's process

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def record(server: LocalAws, state_dir: str | Path) -> Path:
    """Write ``<state>/local-aws.json`` so that commands given ``--local`` and this state find
    the running emulator instead of starting an empty one."""
    path = Path(state_dir) / RECORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"endpoint": server.endpoint, "port": server.port, "pid": server.pid,
            "region": server.region, "started_by": os.getpid()}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data) + "\n")
    temporary.replace(path)
    return path


def forget(server: LocalAws, state_dir: str | Path) -> None:
    """Remove the record, if it is still this server's (another worker may have replaced it)."""
    path = Path(state_dir) / RECORD_FILE
    found = _read_record(path)
    if found is not None and found.pid == server.pid:
        path.unlink(missing_ok=True)


def find_running(state_dir: str | Path) -> RunningEmulator | None:
    """The emulator recorded in ``state_dir``, if its process is alive and it answers."""
    found = _read_record(Path(state_dir) / RECORD_FILE)
    if found is None or not _alive(found.pid) or not _answers(found.endpoint):
        return None
    return found


def _read_record(path: Path) -> RunningEmulator | None:
    try:
        data = json.loads(path.read_text())
        return RunningEmulator(port=int(data["port"]), pid=int(data["pid"]),
                               region=str(data["region"]), started_by=int(data["started_by"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, alive
    return True


def _answers(endpoint: str) -> bool:
    """A moto server answers its read-only config endpoint with JSON."""
    try:
        with urllib.request.urlopen(endpoint + "/moto-api/config", timeout=2) as response:
            return isinstance(json.loads(response.read()), dict)
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False
