"""The worker of ``reconciler run``: follow a git branch and keep AWS converged (the process
around it: ``daemon/run.py``).

Threads: APScheduler runs the source poll and the periodic drift check; a
one-shot job drains reconcile requests so that one reconcile runs at a time
and a burst of pushes becomes one reconcile of the newest revision. While
resources are pending, a "pending" job asks every --pending-interval for a
reconcile of those whose retry time has come, with their dependents; it goes
through the same drain, so it never runs beside another reconcile. The main
thread only waits for a signal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from reconciler.aws.clients import AwsClients, AwsUnreachable
from reconciler.daemon.metrics import Metrics
from reconciler.daemon.notify import Notifications
from reconciler.daemon.notify_conditions import from_git, no_echo_values
from reconciler.daemon.reporting import ResourceSeries, RunReporter
from reconciler.daemon.source import GitSource, SourceError
from reconciler.engine import reconcile
from reconciler.engine.attribution import Attribution
from reconciler.engine.model import Plan
from reconciler.engine.scope import changed_scope, pending_scope
from reconciler.errors import ValidationFailed
from reconciler.output.status_text import status_json
from reconciler.rebuild import settings_after_rebuild
from reconciler.runtime import PseudoParameters, build_kinds, load
from reconciler.settings import Settings
from reconciler.state.base import Fenced, Store
from reconciler.state.exports import exports_of_others
from reconciler.state.recovery import Opened
from reconciler.template.intrinsics import resolve
from reconciler.template.model import Template


class Worker:
    def __init__(self, settings: Settings, store: Store, clients: AwsClients,
                 metrics: Metrics, source: GitSource, log: Any):
        self.settings = settings
        self.store = store
        self.clients = clients
        self.metrics = metrics
        self.source = source
        self._log = log
        self.kinds = build_kinds(clients)
        self.pseudo = self._pseudo()
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.scheduler = BackgroundScheduler(timezone=UTC)
        self._lock = threading.Lock()
        self._requested = False
        self._draining = False
        self._force_fetch = False
        self._idle = threading.Event()
        self._idle.set()
        self._good: tuple[str, Template] | None = None  # the revision in force
        self._good_path = Path()  # where its checkout is
        self._loaded: str | None = None  # newest revision loaded (valid or not)
        self._last_errors: list[str] = []
        self._full_due = True  # the next reconcile checks every resource
        self._series: ResourceSeries = {}
        # Pending resources -> retry time (None: any time) and what is pending; the "pending"
        # job looks at them again, with the changes waiting for them.
        self._pending_resources: dict[str, tuple[float | None, str]] = {}
        self._waiting: set[str] = set()
        self._pending_due: set[str] = set()  # asked for by the pending job, not yet reconciled
        self._event_due: set[str] = set()  # named by CloudTrail events (daemon.events)
        self.attribution: Attribution | None = None  # who caused drift (daemon.changed_by)
        self.on_reconciled: list[Callable[[Plan], None]] = []  # after every reconcile
        self.status_hooks: list[Callable[[dict[str, Any]], None]] = []  # add to /status
        self.recovery: Opened | None = None  # run.py: a replaced store, rebuilt before a plan
        self.notifications = Notifications(settings.worker.notify, store, metrics, log,
                                           settings.owner)
        self.leadership: Any = None  # daemon/leadership.py with a shared store: the lease

    def active(self) -> bool:
        """Whether this worker may reconcile: it holds the lease, or there is none."""
        return self.leadership is None or self.leadership.active()

    def became_active(self) -> None:
        """The lease is ours again: fetch, then check everything (the last holder may have
        stopped half-way)."""
        def catch_up() -> None:
            self.poll_source()
            self.request("took the lease")

        self.scheduler.add_job(catch_up, misfire_grace_time=None)

    @property
    def log(self) -> Any:
        """The logger, bound to the revision in force so every event names it."""
        return self._log.bind(revision=self._good[0] if self._good else None)

    # --- scheduling ---------------------------------------------------------------------------

    def start(self) -> None:
        poll, check = self.settings.worker.source.interval, self.settings.worker.interval
        current = self.source.current()
        if current is not None:
            self._load(current.revision, current.path)
        self.scheduler.add_job(
            self.poll_source, IntervalTrigger(seconds=poll, jitter=max(1, int(poll * 0.1))),
            id="source", max_instances=1, coalesce=True, next_run_time=_now())
        self.scheduler.add_job(
            lambda: self.request("interval"),
            IntervalTrigger(seconds=check, jitter=max(1, int(check * 0.1))),
            id="drift-check", max_instances=1, coalesce=True)
        self.scheduler.start()
        if current is not None:
            # A restart enforces what it had at once, whatever the remote says meanwhile.
            self.request("start")

    def request(self, why: str) -> None:
        """Ask for a reconcile; coalesces with one already queued or running. A new revision
        alone reconciles what it changed; anything else checks every resource."""
        with self._lock:
            self._requested = True
            if why not in ("new revision", "pending", "event"):
                self._full_due = True
            if self._draining or self.stop.is_set():
                return
            self._draining = True
            self._idle.clear()
        self.log.debug("reconcile requested", reason=why)
        self.scheduler.add_job(self._drain, id="reconcile", max_instances=1, coalesce=True,
                               replace_existing=True, misfire_grace_time=None)

    def request_resources(self, resources: Iterable[str]) -> None:
        """Reconcile these (declared) resources alone, coalesced like any request."""
        with self._lock:
            self._event_due |= set(resources)
        self.request("event")

    def webhook(self, provider: str) -> None:
        self.log.info("webhook received", provider=provider)
        with self._lock:
            self._force_fetch = True
        # A one-shot fetch of its own: the polling job may be mid-run and would skip a rerun.
        self.scheduler.add_job(self.poll_source, misfire_grace_time=None)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._requested or self.stop.is_set():
                    self._draining = False
                    self._idle.set()
                    return
                self._requested = False
            try:
                self.reconcile_once()
            except Fenced as exc:  # another worker took over: it finishes what this one began
                self.log.warning("fenced: another worker holds the lease; standing by",
                                 error=str(exc))
            except Exception as exc:  # the worker never dies of one bad cycle
                self.log.error("reconcile failed", error=str(exc), exc_info=True)

    def pending_tick(self) -> None:
        """The pending job: reconcile what is pending and due (retry time passed)."""
        now = time.time()
        with self._lock:
            due = {lid for lid, (not_before, _) in self._pending_resources.items()
                   if not_before is None or not_before <= now}
            if due:
                self._pending_due |= due | self._waiting
        if due:
            self.request("pending")

    def _track_pending(self, result: Plan, full: bool) -> None:
        """Remember what is pending after a reconcile; run the pending job only meanwhile."""
        with self._lock:
            if full:
                self._pending_resources.clear()
                self._waiting.clear()
            for change in result.changes:
                self._pending_resources.pop(change.resource, None)
                self._waiting.discard(change.resource)
            for change in result.pending:
                self._pending_resources[change.resource] = (change.not_before,
                                                            change.pending or "")
            self._waiting |= {c.resource for c in result.waiting}
            waiting = bool(self._pending_resources)
        job = self.scheduler.get_job("pending")
        if waiting and job is None and not self.stop.is_set():
            every = self.settings.reconcile.pending_interval
            self.scheduler.add_job(self.pending_tick, IntervalTrigger(seconds=every),
                                   id="pending", max_instances=1, coalesce=True)
            self.log.info("watching pending resources", interval=every,
                          pending=[c.resource for c in result.pending])
        elif not waiting and job is not None and not self.stop.is_set():
            job.remove()
            self.log.info("no pending resources left")

    # --- source -------------------------------------------------------------------------------

    def poll_source(self) -> None:
        if not self.active():
            return  # a standby neither fetches nor writes: the holder does
        with self._lock:
            forced, self._force_fetch = self._force_fetch, False
        try:
            revision = self.source.fetch()
        except SourceError as exc:
            self.metrics.source_fetched(False)
            self.log.warning("source fetch failed", error=str(exc))
            if forced:
                self.request("webhook")
            return
        self.metrics.source_fetched(True)
        self.metrics.set_source_revision(revision)
        self.store.set_meta("last_fetched_revision", revision)
        if revision != self._loaded:
            self.request("new revision")
        elif forced:
            self.request("webhook")

    def _load(self, revision: str, path: Path) -> None:
        self._loaded = revision
        source = self.settings.worker.source
        if source.verify_commits:
            # Unsigned or untrusted: not applied, exactly like an invalid revision.
            problem = self.source.signature_problem(revision, source.allowed_signers,
                                                    source.gpg_home)
            if problem is not None:
                self._invalid(revision, [problem])
                return
        try:
            template = load(path, self.settings.parameters, self.pseudo)
        except Exception as exc:  # any failure to load is an invalid revision, never a stall
            if isinstance(exc, ValidationFailed):
                errors = [_relative(str(i), path, self.settings.path) for i in exc.issues]
            else:
                self.log.exception("unexpected error loading the desired state",
                                   invalid_revision=revision)
                errors = [f"{self.settings.path}: unexpected error while loading: "
                          f"{type(exc).__name__}: {exc}"]
            self._invalid(revision, errors)
            return
        self._good, self._good_path = (revision, template), path
        self._last_errors = []
        self.notifications.revision_valid(revision)
        self.metrics.set_desired_valid(True)
        self.store.set_meta("desired_valid", "1")
        self.store.set_meta("desired_errors", "[]")

    def _invalid(self, revision: str, errors: list[str]) -> None:
        self._last_errors = errors
        self.metrics.set_desired_valid(False)
        self.store.set_meta("desired_valid", "0")
        self.store.set_meta("desired_errors", json.dumps(errors))
        for error in errors:
            self.log.error("invalid desired state", invalid_revision=revision, error=error)
        self.notifications.revision_invalid(revision, errors)

    # --- reconcile ----------------------------------------------------------------------------

    def reconcile_once(self) -> None:
        if not self.active():
            return
        # One cheap call first: with AWS unreachable, the cycle is skipped in a few seconds
        # (not every resource timing out) and the next one tries again.
        try:
            self.clients.probe()
        except AwsUnreachable as exc:
            self.metrics.set_aws_reachable(False)
            self.log.error("AWS unreachable; reconcile skipped until the next cycle",
                           error=str(exc))
            return
        self.metrics.set_aws_reachable(True)
        # Per-run values (availability zones) are read again in each run, once.
        self.pseudo = self._pseudo()
        with self._lock:
            full, self._full_due = self._full_due, False
            due, self._pending_due = self._pending_due, set()
            named, self._event_due = self._event_due, set()
            holds = {lid: (not_before, text)
                     for lid, (not_before, text) in self._pending_resources.items()
                     if not_before is not None}
        previous = self._good
        fetched = self.store.get_meta("last_fetched_revision")
        if fetched and fetched != self._loaded:
            try:
                checkout = self.source.checkout(fetched)
            except SourceError as exc:
                # The revision in force stays in force; the next fetch repairs the clone.
                self.log.warning("checkout failed", fetched_revision=fetched, error=str(exc))
            else:
                self._load(fetched, checkout.path)
                self.store.set_meta("last_attempted_revision", fetched)
        if self._good is None:
            self.log.warning("no valid revision yet; nothing to enforce")
            return
        if full and self._good[1].parameter_store and self._good[0] == self._loaded:
            self._load(self._good[0], self._good_path)  # Parameter Store values read again
        revision, template = self._good
        # Only declared resources: an event never makes a removed one's deletion run alone.
        due |= named & set(template.resources)
        scope = None if full else self._scope(previous, revision, template, due)
        settings = self.settings.engine(revision)
        if self.recovery is not None:
            settings = settings_after_rebuild(self.recovery, self.clients, settings,
                                              self.log.warning)
        reporter = RunReporter(self.metrics, self.log, self._series,
                               full=scope is None)
        notices = self.notifications.cycle(scope is None, from_git(previous, revision, template),
                                           no_echo_values(template))

        def planned(plan: Plan) -> None:
            reporter.on_plan(plan)
            notices.on_plan(plan)

        started = time.time()
        result = reconcile.apply(template, self.store, self.kinds, resolve, self.pseudo,
                                 settings, command="run", listener=reporter.on_change,
                                 should_stop=self.stop.is_set, on_planned=planned,
                                 scope=scope, holds=holds, attribution=self.attribution)
        reporter.finished(result, started)
        notices.finished(result)
        for hook in self.on_reconciled:
            hook(result)
        self.metrics.set_aws_reachable(self.clients.unreachable is None)
        self._track_pending(result, full=scope is None)
        if result.converged and not self._pending_resources:
            self.store.set_meta("last_applied_revision", revision)
            self.metrics.set_applied_revision(revision)
        self.ready.set()

    @staticmethod
    def _scope(previous: tuple[str, Template] | None, revision: str, template: Template,
               due: set[str]) -> frozenset[str] | None:
        """What a reconcile that is not a full check covers: the new revision's changes and
        the pending resources that are due, each with dependents and what they reference.
        None (everything) when there is neither."""
        pending = pending_scope(template, due) if due else frozenset()
        if previous is None or previous[0] == revision:
            return pending or None
        changed = changed_scope(previous[1], template)
        return None if changed is None else changed | pending

    def _pseudo(self) -> PseudoParameters:
        """Per run: the region's zones and the other trees' exports are read again, once."""
        return PseudoParameters(lambda: self.clients, self.settings.stack,
                                lambda: exports_of_others(self.store))

    def status(self) -> dict[str, Any]:
        data = status_json(self.store)
        data["revision_in_force"] = self._good[0] if self._good else None
        data["desired_errors"] = self._last_errors
        data["desired_valid"] = not self._last_errors
        data["ready"] = self.ready.is_set()
        for hook in self.status_hooks:
            hook(data)
        data.update(self.leadership.describe() if self.leadership is not None
                    else {"role": "active"})
        return data

    # --- shutdown -----------------------------------------------------------------------------

    def shutdown(self, timeout: float) -> bool:
        """No new work; let the resource in flight finish and be recorded. True if idle in time."""
        self.stop.set()
        if self.scheduler.running:  # a standby that never held the lease never started it
            self.scheduler.shutdown(wait=False)
        idle = self._idle.wait(timeout)
        self.notifications.close(min(5.0, timeout))  # what the last reconcile had to tell
        return idle


def _now() -> datetime:
    return datetime.now(UTC)


def _relative(issue: str, root: Path, subpath: str) -> str:
    """Issues name files as they are in the repository (desired/x.yaml), not in our clone."""
    prefix = str(root).rstrip("/") + "/"
    if not issue.startswith(prefix):
        return issue
    return subpath.strip("/") + "/" + issue[len(prefix):]
