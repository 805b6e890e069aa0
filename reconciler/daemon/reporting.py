"""One reconcile's outcome, told to the logs and the metrics in the change-set vocabulary."""

from __future__ import annotations

import time
from typing import Any

from reconciler.daemon.metrics import Metrics
from reconciler.engine.model import Action, Change, Plan, Result, Status
from reconciler.engine.reconcile import final_status

ResourceSeries = dict[str, tuple[str, str, str, bool]]  # logical ID -> (type, id, status, drift)


class RunReporter:
    def __init__(self, metrics: Metrics, log: Any, series: ResourceSeries,
                 full: bool = True):
        self.metrics = metrics
        self.log = log
        self.series = series  # every resource's last known status, across scoped runs
        self.full = full
        self._drifted: set[str] = set()  # drifted when apply started (Pending hides it after)

    def on_plan(self, plan: Plan) -> None:
        for change in plan.changes:
            if change.drifted:
                self.metrics.drift_detected(change.type)
                who = {"changed_by": change.changed_by} if change.changed_by else {}
                self.log.info("drift detected", resource=change.resource, type=change.type,
                              action=str(change.action), status=str(change.status),
                              fields=[d.path for d in change.diff], **who)
            if change.status == Status.ERROR:
                self.log.error("observe failed", resource=change.resource, type=change.type,
                               error=change.reason)
            elif change.blocked and change.action != Action.NONE:
                self.log.warning("change blocked", resource=change.resource, type=change.type,
                                 action=str(change.action), reason=change.reason)
        blocked_deletes = sum(1 for c in plan.changes if c.blocked and c.status == Status.BLOCKED
                              and c.action in (Action.DELETE, Action.ORPHAN))
        if blocked_deletes:
            self.metrics.deletions_blocked(blocked_deletes)

    def on_change(self, change: Change, phase: str) -> None:
        fields = {"resource": change.resource, "type": change.type,
                  "action": str(change.action)}
        if phase == "start":
            if change.drifted:
                self._drifted.add(change.resource)
            self.log.info("applying", **fields)
            return
        # A change AWS took and is still finishing reached AWS successfully; one deferred by a
        # TransientError (not_before) has not reached it yet and counts once it does.
        reached = change.result in (Result.SUCCESS, Result.PENDING) and change.not_before is None
        if reached or change.result == Result.ERROR:
            self.metrics.applied(change.type, str(change.action),
                                 "success" if reached else "error")
        if reached and (change.drifted or change.resource in self._drifted):
            self.metrics.drift_corrected(change.type)
        self._drifted.discard(change.resource)
        if change.result == Result.SUCCESS:
            self.log.info("applied", result="success", **fields)
        elif change.result == Result.PENDING:
            self.log.info("pending", result="pending", reason=change.reason, **fields)
        elif change.waiting_for:
            self.log.info("waiting", reason=change.reason, waiting_for=list(change.waiting_for),
                          **fields)
        elif change.result == Result.SKIPPED:
            self.log.warning("skipped", reason=change.reason, **fields)
        else:
            self.log.error("apply failed", result="error", error=change.error, **fields)

    def finished(self, plan: Plan, started: float) -> None:
        now = time.time()
        if self.full:
            self.series.clear()
        for c in plan.changes:
            status = final_status(c)
            gone = c.action in (Action.DELETE, Action.ORPHAN) and c.result == Result.SUCCESS
            if gone or (c.reason or "").endswith("already gone"):
                self.series.pop(c.resource, None)
                continue
            drifted = status in (Status.DRIFTED, Status.MISSING, Status.BLOCKED) and c.drifted
            self.series[c.resource] = (c.type, c.resource, str(status), drifted)
        self.metrics.set_resources(list(self.series.values()))
        # Blocked changes (detect mode, conflicts, guards) are reported elsewhere; a reconcile
        # that hit no error counts as successful for the staleness alert.
        self.metrics.reconcile_finished(now - started, not plan.has_errors, now)
        self.log.info("reconcile finished", converged=plan.converged, full=self.full,
                      duration=round(now - started, 3), **plan.summary())
