"""Who changed a drifted resource: asked of an attribution source after plan, for drift only.

The source (CloudTrail, or the event that reported the change) lives outside the engine,
behind ``Attribution``; the engine only decides which changes to ask about.
"""

from __future__ import annotations

from typing import Protocol

from reconciler.engine.model import Change, Plan

# principal (ARN), event (API name), time (ISO 8601), source_ip (when CloudTrail has one)
ChangedBy = dict[str, str]
CHANGED_BY_KEYS = ("principal", "event", "time", "source_ip")


class Attribution(Protocol):
    def changed_by(self, change: Change) -> ChangedBy | None:
        """Who last changed ``change``'s resource out of band, or None when not known."""
        ...


def attribute(plan: Plan, source: Attribution | None) -> None:
    """Fill ``changed_by`` on drifted changes; resources in sync are never asked about."""
    if source is None:
        return
    for change in plan.changes:
        if not change.drifted or change.changed_by is not None:
            continue
        try:
            who = source.changed_by(change)
        except Exception:  # a nicety: never the reason a plan fails (sources log their own)
            who = None
        if who:
            change.changed_by = {k: str(who[k]) for k in CHANGED_BY_KEYS if who.get(k)}


def changed_by_text(who: ChangedBy) -> str:
    """``changed by ARN via EventName at TIME from IP``: one line for plans and logs."""
    text = f"changed by {who.get('principal', 'unknown principal')}"
    if who.get("event"):
        text += f" via {who['event']}"
    if who.get("time"):
        text += f" at {who['time']}"
    if who.get("source_ip"):
        text += f" from {who['source_ip']}"
    return text
