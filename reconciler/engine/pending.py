"""What is pending and who waits for it: the decisions behind the status Pending.

A resource is Pending while AWS is still working on it (its observation says so)
or while a change AWS refused as transient waits for its retry time (a hold).
A change that would be applied waits while something it depends on is Pending;
it names the pending resources it waits for, directly or through others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reconciler.engine.model import Change, Status, waiting_reason
from reconciler.kinds.base import TransientError

# Logical ID -> (Unix time before which its change is not retried, what is pending).
Holds = Mapping[str, tuple[float, str]]


def mark_transient(change: Change, exc: TransientError, now: float) -> None:
    """A TransientError leaves the resource Pending until ``now + exc.delay``."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    change.status, change.pending = Status.PENDING, text
    change.not_before = now + exc.delay
    change.reason = f"pending: {text}; retrying in {exc.delay:.0f}s"


def waiting_roots(depends_on: Iterable[str], changes: Mapping[str, Change]) -> list[Change]:
    """The pending resources behind ``depends_on``: pending themselves, or what a dependency
    that is itself waiting waits for."""
    roots: dict[str, Change] = {}
    for dep in depends_on:
        change = changes.get(dep)
        if change is None:
            continue
        if change.status == Status.PENDING:
            roots.setdefault(dep, change)
        for root in change.waiting_for:
            if root in changes:
                roots.setdefault(root, changes[root])
    return list(roots.values())


def mark_waiting(change: Change, depends_on: Iterable[str],
                 changes: Mapping[str, Change]) -> bool:
    """A change that would be applied waits while something it depends on is pending."""
    if not change.actionable or change.status in (Status.PENDING, Status.ERROR):
        return False
    roots = waiting_roots(depends_on, changes)
    if not roots:
        return False
    change.waiting_for = tuple(r.resource for r in roots)
    change.reason = waiting_reason(roots)
    return True
