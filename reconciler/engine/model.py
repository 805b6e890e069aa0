"""The change-set vocabulary shared by plan output, logs, metrics, history and status."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.template.intrinsics import SENSITIVE_MASK
from reconciler.template.model import Unknown


class Status(StrEnum):
    IN_SYNC = "InSync"
    DRIFTED = "Drifted"
    MISSING = "Missing"
    CONFLICT = "Conflict"
    BLOCKED = "Blocked"
    PENDING = "Pending"  # AWS is still working on it, or a transient refusal waits for a retry
    ERROR = "Error"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DELETE = "delete"
    ORPHAN = "orphan"
    NONE = "none"


class Result(StrEnum):
    """What happened to a change when apply reached it."""

    NOT_RUN = "not-run"  # apply has not reached it (or only planned); never shown
    SUCCESS = "success"
    PENDING = "pending"  # AWS took the change and is still at it, or asked to retry later
    ERROR = "error"
    SKIPPED = "skipped"


MASK = SENSITIVE_MASK


def mask_strings(value: Any, secrets: frozenset[str]) -> Any:
    """``value`` with every string containing one of ``secrets`` replaced by MASK."""
    if not secrets:
        return value
    if isinstance(value, str):
        return MASK if any(s in value for s in secrets) else value
    if isinstance(value, dict):
        return {k: mask_strings(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_strings(v, secrets) for v in value]
    return value


@dataclass(frozen=True)
class DiffEntry:
    """One drifted field: a JSON pointer into Properties, AWS's value and the desired one."""

    path: str
    old: Any
    new: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "old": _jsonable(self.old), "new": _jsonable(self.new)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Unknown):
        return "(known after apply)"
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass
class Change:
    """The plan's verdict for one resource, and later what apply made of it."""

    resource: str
    type: str
    status: Status
    action: Action = Action.NONE
    blocked: bool = False
    reason: str | None = None
    diff: list[DiffEntry] = field(default_factory=list)
    # Engine bookkeeping, not part of the JSON contract.
    physical_id: str | None = None
    mode: str = "enforce"
    adopt: bool = False  # apply takes ownership (writes tags, records inventory)
    managed: bool = False  # in the inventory before this run (a Missing one was lost out of band)
    changed: frozenset[str] = frozenset()  # top-level properties that drift
    result: Result = Result.NOT_RUN
    error: str | None = None
    # Status Pending: what AWS is still doing, in a few words ("TableStatus CREATING").
    pending: str | None = None
    # After a TransientError: Unix time before which the change is not tried again.
    not_before: float | None = None
    # Skipped this pass: the pending resources it waits for (directly or through others).
    waiting_for: tuple[str, ...] = ()
    # Drift only: who made the change out of band, where known (engine.attribution).
    changed_by: dict[str, str] | None = None

    @property
    def drifted(self) -> bool:
        """Changed or lost out of band (not: newly declared, or removed from git)."""
        if self.status == Status.MISSING:
            return self.managed
        if self.status not in (Status.DRIFTED, Status.BLOCKED):
            return False
        return bool(self.diff) and self.action in (Action.UPDATE, Action.REPLACE)

    @property
    def actionable(self) -> bool:
        return self.action != Action.NONE and not self.blocked

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "resource": self.resource,
            "type": self.type,
            "status": str(self.status),
            "action": str(self.action),
            "blocked": self.blocked,
            "reason": self.reason,
            "diff": [d.to_json() for d in self.diff],
        }
        if self.physical_id:
            out["physical_id"] = self.physical_id
        if self.result != Result.NOT_RUN:
            out["result"] = str(self.result)
        if self.error:
            out["error"] = self.error
        if self.changed_by:
            out["changed_by"] = dict(self.changed_by)
        return out


def pending_text(change: Change) -> str:
    """``A (pending: TableStatus CREATING)``: a pending resource as its dependents name it."""
    return f"{change.resource} (pending: {change.pending or 'in progress'})"


def waiting_reason(roots: list[Change]) -> str:
    return "waiting for " + ", ".join(pending_text(c) for c in roots)


@dataclass
class Plan:
    changes: list[Change]
    revision: str | None = None
    errors: list[str] = field(default_factory=list)  # whole-run problems (not per resource)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)  # the template's Outputs

    def by_id(self) -> dict[str, Change]:
        return {c.resource: c for c in self.changes}

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.status == Status.ERROR for c in self.changes)

    @property
    def has_changes(self) -> bool:
        """Something to do or to look at: an action, a conflict to resolve, or AWS at work."""
        return any(c.action != Action.NONE or c.status in (Status.CONFLICT, Status.PENDING)
                   for c in self.changes)

    @property
    def pending(self) -> list[Change]:
        """Resources AWS is still working on (or whose change waits for a retry)."""
        return [c for c in self.changes if c.status == Status.PENDING]

    @property
    def waiting(self) -> list[Change]:
        """Changes skipped this pass because something they depend on is pending."""
        return [c for c in self.changes if c.waiting_for and c.status != Status.PENDING]

    @property
    def converged(self) -> bool:
        """After apply: nothing failed, nothing blocked, nothing pending, nothing left to do."""
        return not self.has_errors and all(
            c.status != Status.PENDING
            and ((c.action == Action.NONE and not c.blocked) or c.result == Result.SUCCESS)
            for c in self.changes)

    @property
    def settling(self) -> bool:
        """After apply: not converged only because resources are pending (and their dependents
        wait); nothing failed or was blocked."""
        if self.converged or self.has_errors or not self.pending:
            return False
        return all(
            c.status == Status.PENDING or c.waiting_for
            or (c.action == Action.NONE and not c.blocked) or c.result == Result.SUCCESS
            for c in self.changes)

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.changes:
            if c.action != Action.NONE:
                counts[str(c.action)] = counts.get(str(c.action), 0) + 1
        counts["blocked"] = sum(1 for c in self.changes if c.blocked)
        counts["pending"] = len(self.pending)
        counts["errors"] = sum(1 for c in self.changes if c.status == Status.ERROR)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "revision": self.revision,
            "summary": self.summary(),
            "errors": list(self.errors),
            "changes": [c.to_json() for c in self.changes],
            "outputs": self.outputs,
        }
