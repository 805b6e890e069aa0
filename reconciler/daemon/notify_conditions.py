"""Which notifications a reconcile calls for: each resource's conditions (drift, failure,
blocked deletion) and the revision's validity, compared with what was last notified.

Once per new condition: a resource that stays Drifted with the same diff, or keeps failing,
is not told again; it is told again when the condition changes (another diff) or ends
(drift corrected or cleared, the resource recovered). What was last notified lives in the
state store's meta key/value (``NOTIFIED_KEY``), so a restarted worker does not repeat it.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from reconciler.engine.model import Action, Change, Plan, Result, Status, mask_strings
from reconciler.engine.reconcile import final_status
from reconciler.engine.scope import differing
from reconciler.state.base import Store
from reconciler.template.model import Template

NOTIFIED_KEY = "notify_conditions"
_REVISION = "@revision"  # not a logical ID (those are alphanumeric)

DRIFT_DETECTED = "drift_detected"
DRIFT_CORRECTED = "drift_corrected"
DRIFT_CLEARED = "drift_cleared"
RESOURCE_FAILED = "resource_failed"
RESOURCE_RECOVERED = "resource_recovered"
DELETION_BLOCKED = "deletion_blocked"
REVISION_INVALID = "revision_invalid"
REVISION_RECOVERED = "revision_recovered"
EVENTS = (DRIFT_DETECTED, DRIFT_CORRECTED, DRIFT_CLEARED, RESOURCE_FAILED, RESOURCE_RECOVERED,
          DELETION_BLOCKED, REVISION_INVALID, REVISION_RECOVERED)


@dataclass(frozen=True)
class Notice:
    """One thing to tell people, in the change-set vocabulary (secrets already masked)."""

    event: str
    revision: str | None
    time: float
    resource: str | None = None
    type: str | None = None
    status: str | None = None
    action: str | None = None
    reason: str | None = None
    diff: tuple[dict[str, Any], ...] = ()
    changed_by: dict[str, Any] | None = None
    # deletion_blocked: every deletion held back (one notice for one guard decision).
    resources: tuple[dict[str, Any], ...] = ()
    errors: tuple[str, ...] = ()  # revision_invalid: file:line: message


def from_git(previous: tuple[str, Template] | None, revision: str,
             template: Template) -> frozenset[str] | None:
    """What the step from the revision in force to ``revision`` declares differently: their
    differences from AWS are the push's, not drift. None: all (parameters or conditions
    changed)."""
    if previous is None or previous[0] == revision:
        return frozenset()
    old = previous[1]
    if old.parameters != template.parameters or old.conditions != template.conditions:
        return None
    return frozenset(differing(old, template))


def no_echo_values(template: Template) -> frozenset[str]:
    """NoEcho parameter values, masked wherever they would end up (as the planner does)."""
    return frozenset(str(template.parameters[name]) for name in template.no_echo_parameters
                     if template.parameters.get(name) not in (None, ""))


def _about(change: Change, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """The fields of a notice about one resource, from its JSON form (the masked diff that the
    text and JSON plans show; ``changed_by`` when the change carries one)."""
    data = data if data is not None else change.to_json()
    return {"resource": change.resource, "type": change.type, "status": data["status"],
            "action": data["action"], "reason": change.error or data.get("reason"),
            "diff": tuple(data.get("diff") or ()), "changed_by": data.get("changed_by")}


def _fingerprint(diff: Iterable[dict[str, Any]]) -> str:
    text = json.dumps(list(diff), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _reached(change: Change) -> bool:
    """The change reached AWS (done, or AWS is finishing it): drift corrected."""
    return (change.action != Action.NONE and change.not_before is None
            and change.result in (Result.SUCCESS, Result.PENDING))


def _blocked_deletion(change: Change) -> bool:
    return (change.blocked and change.status == Status.BLOCKED
            and change.action in (Action.DELETE, Action.ORPHAN))


class Conditions:
    """What was last notified, per resource and for the revision. Thread-safe: the revision
    is loaded on the main thread at start and on the reconcile thread afterwards."""

    def __init__(self, store: Store, clock: Any = time.time):
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        try:
            loaded = json.loads(store.get_meta(NOTIFIED_KEY) or "{}")
        except ValueError:
            loaded = {}  # unreadable: worst case, current conditions are told once more
        self._state: dict[str, dict[str, str]] = {
            k: dict(v) for k, v in loaded.items() if isinstance(v, dict)} \
            if isinstance(loaded, dict) else {}
        self._saved = json.dumps(self._state, sort_keys=True)

    def _save(self) -> None:
        text = json.dumps(self._state, sort_keys=True)
        if text != self._saved:
            self.store.set_meta(NOTIFIED_KEY, text)
            self._saved = text

    def _masked(self, notices: list[Notice]) -> list[Notice]:
        """Defence in depth: the engine masks diffs; reasons and errors are masked here."""
        if not self._secrets:
            return notices
        s = self._secrets
        return [replace(n, reason=mask_strings(n.reason, s), diff=tuple(mask_strings(
            list(n.diff), s)), changed_by=mask_strings(n.changed_by, s),
            resources=tuple(mask_strings(list(n.resources), s)),
            errors=tuple(mask_strings(list(n.errors), s))) for n in notices]

    # --- the revision -------------------------------------------------------------------------

    def revision_invalid(self, revision: str, errors: list[str]) -> list[Notice]:
        with self._lock:
            told = self._state.get(_REVISION, {}).get("invalid")
            if told == revision:
                return []
            self._state[_REVISION] = {"invalid": revision}
            self._save()
            return self._masked([Notice(REVISION_INVALID, revision, self.clock(),
                                        reason=f"{len(errors)} error(s); the last good "
                                               "revision stays in force",
                                        errors=tuple(errors))])

    def revision_valid(self, revision: str) -> list[Notice]:
        with self._lock:
            told = self._state.pop(_REVISION, None)
            if told is None:
                return []
            self._save()
            return [Notice(REVISION_RECOVERED, revision, self.clock(),
                           reason=f"valid again (invalid was {told.get('invalid')})")]

    # --- resources ----------------------------------------------------------------------------

    def cycle(self, full: bool, from_git: frozenset[str] | None,
              secrets: frozenset[str] = frozenset()) -> Cycle:
        """One reconcile. ``from_git``: resources whose declaration this revision changed (None:
        all of them, parameters changed): their differences are git's, not drift."""
        with self._lock:
            self._secrets = secrets
        return Cycle(self, full, from_git)

    def _finished(self, cycle: Cycle, result: Plan) -> list[Notice]:
        now, notices, blocked = self.clock(), [], []
        revision = result.revision
        with self._lock:
            for change in result.changes:
                data = change.to_json()
                was = self._state.get(change.resource, {})
                new: dict[str, str] = {}
                notices += self._drift(cycle, change, data, was, new, revision, now)
                failing = final_status(change) == Status.ERROR
                if failing:
                    new["error"] = "1"
                    if "error" not in was:
                        notices.append(Notice(RESOURCE_FAILED, revision, now,
                                              **_about(change, data)))
                elif "error" in was:
                    notices.append(Notice(RESOURCE_RECOVERED, revision, now,
                                          **_about(change, data)))
                if _blocked_deletion(change):
                    new["deletion"] = "blocked"
                    if "deletion" not in was:
                        blocked.append(change)
                if new:
                    self._state[change.resource] = new
                else:
                    self._state.pop(change.resource, None)
            if cycle.full:  # gone from the tree and the inventory: nothing left to tell
                seen = {c.resource for c in result.changes}
                for lid in [k for k in self._state if k != _REVISION and k not in seen]:
                    del self._state[lid]
            if blocked:
                notices.append(_deletions(blocked, revision, now))
            self._save()
            return self._masked(notices)

    def _drift(self, cycle: Cycle, change: Change, data: dict[str, Any], was: dict[str, str],
               new: dict[str, str], revision: str | None, now: float) -> list[Notice]:
        planned = cycle.planned.get(change.resource)
        if planned is not None and not cycle.from_git_includes(change.resource):
            fingerprint, planned_data = planned
            out = []
            if was.get("drift") != fingerprint:
                out.append(Notice(DRIFT_DETECTED, revision, now, **_about(change, planned_data)))
            if _reached(change):
                out.append(Notice(DRIFT_CORRECTED, revision, now, **_about(change, data)))
            else:
                new["drift"] = fingerprint
            return out
        if "drift" not in was:
            return []
        if _reached(change):
            return [Notice(DRIFT_CORRECTED, revision, now, **_about(change, data))]
        if final_status(change) == Status.IN_SYNC:
            return [Notice(DRIFT_CLEARED, revision, now, **_about(change, data))]
        new["drift"] = was["drift"]  # not known to have ended (unreadable, pending, blocked)
        return []


def _deletions(changes: list[Change], revision: str | None, now: float) -> Notice:
    rows = tuple({"resource": c.resource, "type": c.type, "action": str(c.action),
                  "reason": c.reason} for c in changes)
    one = changes[0] if len(changes) == 1 else None
    return Notice(DELETION_BLOCKED, revision, now,
                  resource=one.resource if one else None, type=one.type if one else None,
                  status=str(Status.BLOCKED), action=str(one.action) if one else None,
                  reason=changes[0].reason, resources=rows)


class Cycle:
    """One reconcile's view: what drifted when it was planned (apply may turn a Drifted
    resource Pending), then the notices its outcome calls for."""

    def __init__(self, conditions: Conditions, full: bool, from_git: frozenset[str] | None):
        self.conditions = conditions
        self.full = full
        self.from_git = from_git
        self.planned: dict[str, tuple[str, dict[str, Any]]] = {}

    def from_git_includes(self, lid: str) -> bool:
        return self.from_git is None or lid in self.from_git

    def on_plan(self, plan: Plan) -> None:
        for change in plan.changes:
            if change.drifted:
                data = change.to_json()
                self.planned[change.resource] = (_fingerprint(data["diff"]), data)

    def finished(self, result: Plan) -> list[Notice]:
        return self.conditions._finished(self, result)
