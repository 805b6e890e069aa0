"""``reconciler run`` as a process: configuration checks, the local emulator, the state store,
metrics, the HTTP endpoint and signals around one ``Worker`` (``daemon/worker.py``)."""

from __future__ import annotations

import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from reconciler.aws.clients import AwsClients, AwsUnreachable
from reconciler.daemon.events import DriftSources
from reconciler.daemon.http import HttpServer
from reconciler.daemon.leadership import leadership_for
from reconciler.daemon.logs import configure_logging
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.notify import check_url
from reconciler.daemon.source import GitSource
from reconciler.daemon.webhooks import WebhookVerifier
from reconciler.daemon.worker import Worker
from reconciler.errors import ReconcilerError
from reconciler.runtime import check_aws, worker_local_aws
from reconciler.settings import Settings
from reconciler.state.dynamodb_table import is_dynamodb
from reconciler.state.recovery import open_recovering


def _secret(env_name: str, file_name: str | None) -> str | None:
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ReconcilerError(f"cannot read {file_name}: {exc.strerror}") from exc
    return os.environ.get(env_name) or None


def _check_trust(source: Any) -> None:
    """--verify-commits needs the trusted keys, and the keys they name must be there."""
    if not source.verify_commits:
        if source.allowed_signers or source.gpg_home:
            raise ReconcilerError("--allowed-signers and --gpg-home take effect only with "
                                  "--verify-commits")
        return
    if not (source.allowed_signers or source.gpg_home):
        raise ReconcilerError("--verify-commits needs the trusted keys: --allowed-signers "
                              "FILE (SSH signatures) and/or --gpg-home DIR (OpenPGP)")
    if source.allowed_signers and not Path(source.allowed_signers).is_file():
        raise ReconcilerError(f"--allowed-signers {source.allowed_signers}: no such file")
    if source.gpg_home and not Path(source.gpg_home).is_dir():
        raise ReconcilerError(f"--gpg-home {source.gpg_home}: no such directory")


def run_worker(settings: Settings) -> int:
    log = configure_logging()
    worker_settings, source_settings = settings.worker, settings.worker.source
    if not source_settings.repo:
        raise ReconcilerError("reconciler run needs --repo (URL or path) or RECONCILER_REPO")
    _check_trust(source_settings)
    for url in worker_settings.notify:
        check_url(url)  # refused before anything starts, the URL's secret part not shown
    secret = _secret("RECONCILER_WEBHOOK_SECRET", worker_settings.webhook_secret_file)
    token = _secret("RECONCILER_GIT_TOKEN", source_settings.git_token_file)
    # The git clone and the local-AWS record live on this host; a shared store is elsewhere.
    local_dir = worker_settings.work_dir if is_dynamodb(settings.state) else settings.state
    with ExitStack() as stack:
        stop_local_aws = None
        if settings.local:
            stop_local_aws = stack.enter_context(worker_local_aws(local_dir))
        # A damaged store is set aside here; the worker rebuilds before its first plan.
        recovery = open_recovering(settings.state, settings.owner, log.error)
        store = recovery.store
        metrics = Metrics()
        clients = AwsClients()
        clients.on_call(metrics.aws_call)
        clients.on_throttle(metrics.aws_throttled)
        try:
            check_aws(clients)
        except AwsUnreachable as exc:
            # Not fatal for a worker: each cycle tries again, and the metric says so.
            metrics.set_aws_reachable(False)
            log.error("AWS unreachable at start; the worker keeps trying", error=str(exc))
        try:
            source = GitSource(source_settings.repo, source_settings.branch, settings.path,
                               Path(local_dir) / "source",
                               timeout=source_settings.fetch_timeout, token=token,
                               ssh_key_file=source_settings.ssh_key_file)
        except ValueError as exc:
            raise ReconcilerError(f"--path {settings.path!r}: {exc}") from exc
        worker = Worker(settings, store, clients, metrics, source, log)
        worker.recovery = recovery
        drift_sources = DriftSources(worker, clients, metrics, log, worker_settings.events_queue)
        leadership = leadership_for(store, clients, metrics, worker,
                                    settings.reconcile.lease_duration, log)
        server = HttpServer(worker_settings.listen, metrics, worker.status, worker.ready.is_set,
                            WebhookVerifier(secret.encode() if secret else None), worker.webhook)
        if leadership is not None:
            server.standby = leadership.standby_reason
        server.start()
        host, port = server.address
        log.info("worker started", repo=source_settings.repo, branch=source_settings.branch,
                 path=settings.path, metrics=f"http://{host}:{port}/metrics",
                 mode=settings.reconcile.mode, interval=worker_settings.interval,
                 source_interval=source_settings.interval,
                 pending_interval=settings.reconcile.pending_interval,
                 events_queue=worker_settings.events_queue)
        print(f"metrics: http://{host}:{port}/metrics  status: http://{host}:{port}/status",
              file=sys.stderr, flush=True)
        stopping = threading.Event()

        def on_signal(signum: int, _frame: Any) -> None:
            stopping.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        if leadership is None:
            worker.start()
        else:
            leadership.start()  # the worker starts once it holds the lease
        drift_sources.start()
        while not stopping.wait(1.0):
            pass
        worker.log.info("shutting down: finishing the resource in flight")
        drift_sources.stop()
        idle = worker.shutdown(worker_settings.shutdown_timeout)
        if leadership is not None:
            # Handed back only when nothing is in flight: a call still hanging could land
            # after a standby took over; then the lease runs out by itself.
            leadership.stop(release=idle)
        server.stop()
        if not idle:
            # A call still hanging after the bound: leave without waiting for it. The create
            # intent already recorded lets the next start find whatever it made.
            worker.log.warning("stopped before the resource in flight finished",
                               timeout=worker_settings.shutdown_timeout)
            if stop_local_aws is not None:
                stop_local_aws()  # os._exit skips the unwinding that would stop it
            sys.stdout.flush()
            os._exit(0)
        store.close()
        worker.log.info("stopped", clean=idle)
    return 0
