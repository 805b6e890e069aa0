"""The worker's Prometheus metrics: the names, types and labels DESIGN.md promises.

``Metrics`` owns its registry (no process-global state, so tests and several instances
in one process never collide) and offers one method per event the worker reports.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from reconciler.engine.model import Status

#: Every status a resource can report; ``reconciler_resource_status`` has one series each.
STATUSES: tuple[str, ...] = tuple(status.value for status in Status)

#: Whole reconcile cycles: sub-second for a no-op on a small tree, up to half an hour for
#: thousands of resources or a database created from scratch.
DURATION_BUCKETS: tuple[float, ...] = (
    0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 900, 1200, 1800,
)

FETCH_RESULTS = ("success", "error")
NOTIFICATION_RESULTS = ("sent", "failed", "dropped")

#: The classic text format that ``generate_latest`` writes; every Prometheus version reads it.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """Every ``reconciler_*`` metric, updated through cheap, thread-safe methods."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        # Guards the bookkeeping of which labelled series exist; the metric objects
        # themselves are already thread-safe.
        self._lock = threading.Lock()
        self._resources: set[tuple[str, str]] = set()
        self._revisions: dict[str, str | None] = {"source": None, "applied": None}
        r = self.registry

        self.resource_drifted = Gauge(
            "reconciler_resource_drifted",
            "1 while the resource differs from its declaration, else 0",
            ["type", "resource"], registry=r)
        self.resource_status = Gauge(
            "reconciler_resource_status",
            "1 for the resource's current status, 0 for the others",
            ["type", "resource", "status"], registry=r)
        self.drift_detected_total = Counter(
            "reconciler_drift_detected_total",
            "Drift found on a resource, per check", ["type"], registry=r)
        self.drift_corrected_total = Counter(
            "reconciler_drift_corrected_total",
            "Drift corrected by an apply", ["type"], registry=r)
        self.apply_total = Counter(
            "reconciler_apply_total",
            "Changes applied to AWS by action and result",
            ["type", "action", "result"], registry=r)
        self.reconcile_duration = Histogram(
            "reconciler_reconcile_duration_seconds",
            "Duration of whole reconcile cycles", buckets=DURATION_BUCKETS, registry=r)
        self.last_reconcile = Gauge(
            "reconciler_last_reconcile_timestamp_seconds",
            "Unix time the last reconcile finished (0: none yet)", registry=r)
        self.last_successful_reconcile = Gauge(
            "reconciler_last_successful_reconcile_timestamp_seconds",
            "Unix time the last successful reconcile finished (0: none yet)", registry=r)
        self.source_revision_info = Gauge(
            "reconciler_source_revision_info",
            "The newest revision fetched from the source (value 1)", ["revision"], registry=r)
        self.applied_revision_info = Gauge(
            "reconciler_applied_revision_info",
            "The revision in force on AWS (value 1)", ["revision"], registry=r)
        self.source_fetch_total = Counter(
            "reconciler_source_fetch_total",
            "Fetches of the git source by result", ["result"], registry=r)
        self.desired_valid = Gauge(
            "reconciler_desired_valid",
            "1 if the newest fetched revision is valid, 0 if invalid or none fetched yet",
            registry=r)
        self.aws_api_calls_total = Counter(
            "reconciler_aws_api_calls_total",
            "AWS API calls by service, operation and result",
            ["service", "operation", "result"], registry=r)
        self.aws_api_throttled_total = Counter(
            "reconciler_aws_api_throttled_total",
            "AWS API calls answered with a throttling error", ["service"], registry=r)
        self.aws_reachable = Gauge(
            "reconciler_aws_reachable",
            "0 while AWS cannot be reached (connections refused or dropped), else 1",
            registry=r)
        self.aws_reachable.set(1)
        self.leader = Gauge(
            "reconciler_leader",
            "1 on the worker holding the lease (the active one), 0 on a standby; always 1 "
            "with a state directory (no lease)", registry=r)
        self.leader.set(1)
        self.deletions_blocked_total = Counter(
            "reconciler_deletions_blocked_total",
            "Deletions held back by the deletion guard", registry=r)
        self.notifications_total = Counter(
            "reconciler_notifications_total",
            "Notifications per destination by result: sent, failed (given up after retries, "
            "or refused), dropped (queue full, or left at shutdown)", ["result"], registry=r)

        # Alerts use increase() on these; a series born at its first error hides that error.
        for result in FETCH_RESULTS:
            self.source_fetch_total.labels(result=result)
        for result in NOTIFICATION_RESULTS:
            self.notifications_total.labels(result=result)

    # --- resources ---------------------------------------------------------------------------

    def set_resources(self, resources: Iterable[tuple[str, str, str, bool]]) -> None:
        """Replace the per-resource series with the outcome of the last reconcile.

        Takes ``(type, logical_id, status, drifted)`` for every resource; series of
        resources absent from the list are removed, so a deleted resource stops reporting.
        """
        rows = list(resources)
        for _, logical_id, status, _ in rows:
            if status not in STATUSES:
                raise ValueError(f"unknown status {status!r} for {logical_id}")
        with self._lock:
            current: set[tuple[str, str]] = set()
            for type_name, logical_id, status, drifted in rows:
                current.add((type_name, logical_id))
                # The per-type counters exist at 0 from the first report on: alerts use
                # increase() on them, which cannot see a series born at its first drift.
                self.drift_detected_total.labels(type=type_name)
                self.drift_corrected_total.labels(type=type_name)
                self.resource_drifted.labels(type_name, logical_id).set(1 if drifted else 0)
                for name in STATUSES:
                    self.resource_status.labels(type_name, logical_id, name).set(
                        1 if name == status else 0)
            for type_name, logical_id in self._resources - current:
                self.resource_drifted.remove(type_name, logical_id)
                for name in STATUSES:
                    self.resource_status.remove(type_name, logical_id, name)
            self._resources = current

    def drift_detected(self, type_name: str) -> None:
        self.drift_detected_total.labels(type=type_name).inc()

    def drift_corrected(self, type_name: str) -> None:
        self.drift_corrected_total.labels(type=type_name).inc()

    def applied(self, type_name: str, action: str, result: str) -> None:
        """One change reached AWS: action create/update/replace/delete, result success/error."""
        self.apply_total.labels(type=type_name, action=action, result=result).inc()

    # --- cycles and source -------------------------------------------------------------------

    def reconcile_finished(self, duration_seconds: float, succeeded: bool, at: float) -> None:
        """A whole cycle ended at Unix time ``at``."""
        self.reconcile_duration.observe(max(duration_seconds, 0.0))
        self.last_reconcile.set(at)
        if succeeded:
            self.last_successful_reconcile.set(at)

    def source_fetched(self, ok: bool) -> None:
        self.source_fetch_total.labels(result="success" if ok else "error").inc()

    def set_source_revision(self, revision: str | None) -> None:
        self._switch_revision("source", self.source_revision_info, revision)

    def set_applied_revision(self, revision: str | None) -> None:
        self._switch_revision("applied", self.applied_revision_info, revision)

    def _switch_revision(self, key: str, gauge: Gauge, revision: str | None) -> None:
        # Only the current revision may have a series: otherwise every past commit would
        # keep reporting 1 and break joins on the revision label.
        with self._lock:
            old = self._revisions[key]
            if old == revision:
                return
            if old is not None:
                gauge.remove(old)
            if revision is not None:
                gauge.labels(revision=revision).set(1)
            self._revisions[key] = revision

    def set_desired_valid(self, valid: bool) -> None:
        self.desired_valid.set(1 if valid else 0)

    # --- AWS and guards ----------------------------------------------------------------------

    def aws_call(self, service: str, operation: str, result: str) -> None:
        self.aws_api_calls_total.labels(
            service=service, operation=operation, result=result).inc()

    def set_aws_reachable(self, reachable: bool) -> None:
        self.aws_reachable.set(1 if reachable else 0)

    def aws_throttled(self, service: str) -> None:
        self.aws_api_throttled_total.labels(service=service).inc()

    def set_leader(self, leader: bool) -> None:
        self.leader.set(1 if leader else 0)

    def deletions_blocked(self, count: int) -> None:
        if count > 0:
            self.deletions_blocked_total.inc(count)

    def notification(self, result: str) -> None:
        self.notifications_total.labels(result=result).inc()

    # --- exposition --------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The text exposition of every metric and its content type."""
        return generate_latest(_WithoutCreated(self.registry)), CONTENT_TYPE


class _WithoutCreated(Collector):
    """A view of a registry without the ``*_created`` samples of counters and histograms.

    The text format exposes them as extra gauge series, one per labelled counter series,
    that DESIGN.md does not promise and no alert here uses.
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            # collect() builds fresh Metric objects, so trimming them leaves the registry intact.
            family.samples = [s for s in family.samples
                              if s.name != f"{family.name}_created"]
            yield family
