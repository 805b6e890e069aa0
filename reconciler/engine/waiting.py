"""``apply`` waiting for pending resources: passes over what is pending until all are ready.

The first pass applies everything; while something is pending, each later pass re-plans
and applies only the pending resources, what waits for them and what those reference.
Between passes it sleeps: 1 s at first, doubling up to the pending interval, and never
past a TransientError's retry time. The worker does not loop here: it schedules such
passes (see ``reconciler.daemon.worker``).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.engine.model import Action, Change, Plan, Result, Status
from reconciler.engine.pending import Holds
from reconciler.engine.reconcile import holds_of
from reconciler.engine.scope import pending_scope
from reconciler.template.model import Template

# One pass over a scope, with the holds of deferred changes: reconcile.apply, bound.
Pass = Callable[[frozenset[str], Holds], Plan]


@dataclass(frozen=True)
class WaitSettings:
    timeout: float  # seconds to wait after the first pass; 0: do not wait
    interval: float = 15.0  # the longest sleep between passes
    first_interval: float = 1.0


@dataclass
class Waited:
    plan: Plan  # every resource, as the last pass that looked at it left it
    ready: bool  # nothing pending any more
    elapsed: float


def wait_until_ready(first: Plan, template: Template, run_pass: Pass, settings: WaitSettings,
                     progress: Callable[[str], None] = lambda line: None,
                     sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic,
                     wall: Callable[[], float] = time.time) -> Waited:
    merged = first
    started = clock()
    gap = min(settings.first_interval, settings.interval)
    while merged.pending:
        elapsed = clock() - started
        left = settings.timeout - elapsed
        if left <= 0:
            return Waited(merged, False, elapsed)
        progress(f"{describe_pending(merged)}; {elapsed:.0f}s elapsed")
        sleep(min(_until_due(merged, wall(), gap), left))
        seeds = {c.resource for c in (*merged.pending, *merged.waiting)}
        later = run_pass(pending_scope(template, seeds), holds_of(merged))
        merged = merge(merged, later)
        gap = min(gap * 2, settings.interval)
    return Waited(merged, True, clock() - started)


def describe_pending(plan: Plan) -> str:
    """``waiting for 2 pending resources: A (state pending), B (TableStatus CREATING)``."""
    pending = plan.pending
    noun = "resource" if len(pending) == 1 else "resources"
    names = ", ".join(f"{c.resource} ({c.pending or 'in progress'})" for c in pending)
    return f"waiting for {len(pending)} pending {noun}: {names}"


def _until_due(plan: Plan, now: float, gap: float) -> float:
    """Seconds until some pending resource is worth looking at again."""
    due = [max(0.0, c.not_before - now) if c.not_before is not None else gap
           for c in plan.pending]
    return min(due, default=gap)


def merge(earlier: Plan, later: Plan) -> Plan:
    """The earlier plan with each resource the later pass looked at brought up to date."""
    newer = later.by_id()
    changes = [_merge_one(c, newer.pop(c.resource)) if c.resource in newer else c
               for c in earlier.changes]
    changes += list(newer.values())
    return Plan(changes, later.revision or earlier.revision,
                list(dict.fromkeys([*earlier.errors, *later.errors])))


def _merge_one(old: Change, new: Change) -> Change:
    went_through = old.result in (Result.SUCCESS, Result.PENDING) and old.not_before is None
    if not went_through:
        return new  # nothing of the earlier attempt reached AWS: the later pass tells it all
    if new.action == Action.NONE:
        # The earlier change reached AWS; the later pass says how it ended.
        result = Result.SUCCESS if new.status == Status.IN_SYNC else old.result
        return dataclasses.replace(new, action=old.action, diff=old.diff, result=result)
    return dataclasses.replace(new, diff=old.diff if new.action == old.action else new.diff)
