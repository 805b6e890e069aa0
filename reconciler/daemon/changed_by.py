"""The worker's answer to "who caused this drift": the CloudTrail event that reported it
(event mode), else CloudTrail ``LookupEvents``; and the last answer per resource for /status.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from reconciler.engine.attribution import Attribution, ChangedBy
from reconciler.engine.model import Change, Plan


class EventAuthors(Protocol):
    def changed_by(self, logical_id: str) -> ChangedBy | None: ...


class WorkerAttribution:
    """Event first, then the lookup; remembers who caused each resource's last drift."""

    def __init__(self, lookup: Attribution | None, events: EventAuthors | None = None):
        self.lookup = lookup
        self.events = events
        self._lock = threading.Lock()
        self._last: dict[str, ChangedBy] = {}

    def changed_by(self, change: Change) -> ChangedBy | None:
        who = self.events.changed_by(change.resource) if self.events is not None else None
        if who is None and self.lookup is not None:
            who = self.lookup.changed_by(change)
        return who

    def reconciled(self, plan: Plan) -> None:
        with self._lock:
            for change in plan.changes:
                if change.changed_by:
                    self._last[change.resource] = dict(change.changed_by)

    def annotate(self, status: dict[str, Any]) -> None:
        """/status: each resource's ``changed_by`` is who caused the last drift found on it
        (since the worker started), also after it was corrected."""
        with self._lock:
            last = dict(self._last)
        for resource in status.get("resources", ()):
            who = last.get(resource.get("resource"))
            if who:
                resource["changed_by"] = who
