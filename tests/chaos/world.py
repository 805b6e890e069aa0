"""One chaos run's world: a moto server of its own (restartable, empty, mid-run), the
fault-injecting proxy in front of it, and the reconciler as subprocesses (``apply``,
``status``, ``plan``, the ``run`` worker) that reach AWS only through the proxy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import TracebackType

from reconciler.aws.local import LocalAws
from tests.chaos import tree
from tests.faulty_proxy import FaultPlan, FaultyProxy
from tests.worker_harness import free_port

ROOT = Path(__file__).resolve().parents[2]
KILLED = -signal.SIGKILL


class World:
    def __init__(self, root: Path, faults: FaultPlan) -> None:
        self.root = root
        self.faults = faults
        self.moto = LocalAws(managed_policies=False, set_environment=False).start()
        tree.plant_user_resources(self.moto.endpoint)
        self.proxy = FaultyProxy(self.moto.endpoint, faults=faults)
        threading.Thread(target=self.proxy.server.serve_forever, daemon=True).start()
        self.restarts = 0
        self.kills = 0
        self.process: subprocess.Popen[bytes] | None = None  # the one the proxy may kill
        self._cli_runs = 0
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """The emulator itself, for checks that must see AWS without faults."""
        return self.moto.endpoint

    def env(self, direct: bool = False) -> dict[str, str]:
        """The subprocess environment: AWS through the proxy (or straight, ``direct``), and
        nothing of the caller's own AWS or reconciler settings."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("AWS_", "RECONCILER_"))}
        env.update(AWS_ENDPOINT_URL=self.endpoint if direct else self.proxy.endpoint,
                   AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1",
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                            os.environ.get("PYTHONPATH")])))
        return env

    # --- what the proxy does at a call count ------------------------------------------------

    def kill_at(self, count: int) -> None:
        """SIGKILL the process in flight once AWS has carried out its ``count``-th call."""
        self.proxy.at_call(count, self._kill)

    def restart_at(self, count: int) -> None:
        """Restart the emulator empty just before the ``count``-th call reaches it."""
        self.proxy.at_call(count, self.restart, before=True)

    def _kill(self) -> None:
        with self._lock:
            process = self.process
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                self.kills += 1

    def restart(self) -> None:
        """AWS forgets everything (the state store still says the resources exist); the
        user's own resources are planted again in the new, empty account."""
        with self._lock:
            self.proxy.open.clear()  # calls wait meanwhile: AWS forgets, it is not down
            try:
                self.moto.stop()
                self.moto = LocalAws(managed_policies=False, set_environment=False).start()
                tree.plant_user_resources(self.moto.endpoint)
                self.proxy.upstream = ("127.0.0.1", self.moto.port)
                self.restarts += 1
            finally:
                self.proxy.open.set()

    def clear_triggers(self) -> None:
        with self.proxy._lock:
            self.proxy._triggers.clear()

    # --- the reconciler as subprocesses -------------------------------------------------------

    def cli(self, *args: str, direct: bool = False, timeout: float = 300
            ) -> subprocess.CompletedProcess[str]:
        """A CLI command; through the proxy unless ``direct``, killable by a trigger."""
        self._cli_runs += 1
        log = self.root / f"cli-{self._cli_runs}-{args[0]}.log"
        with log.open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", "reconciler", *args],
                                       env=self.env(direct), stdout=out,
                                       stderr=subprocess.STDOUT)
            with self._lock:
                self.process = process
            try:
                code = process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                code = process.wait()
            finally:
                with self._lock:
                    self.process = None
        return subprocess.CompletedProcess(args, code, log.read_text(), "")

    def start_worker(self, repo: str, state: Path) -> subprocess.Popen[bytes]:
        port = free_port()
        self.worker_url = f"http://127.0.0.1:{port}"
        log = (self.root / "worker.log").open("a")
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "run", "--repo", repo, "--branch", "main",
             "--path", "desired", "--state", str(state), "--interval", "3s",
             "--source-interval", "1s", "--fetch-timeout", "2s", "--pending-interval", "1s",
             "--shutdown-timeout", "20s", "--listen", f"127.0.0.1:{port}"],
            env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        with self._lock:
            self.process = process
        return process

    def close(self) -> None:
        with self._lock:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        self.proxy.server.shutdown()
        self.proxy.server.server_close()
        self.moto.stop()

    def __enter__(self) -> World:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
