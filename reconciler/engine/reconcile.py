"""One reconcile cycle: plan, optionally apply, and record the outcome in the state store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.engine.apply import Applier, ChangeListener
from reconciler.engine.attribution import Attribution, attribute
from reconciler.engine.context import EngineSettings, Kinds
from reconciler.engine.model import Action, Change, Plan, Result, Status
from reconciler.engine.outputs import merged_with, resolve_outputs
from reconciler.engine.pending import Holds
from reconciler.engine.plan import Planner, Resolver
from reconciler.errors import ReconcilerError
from reconciler.state.base import StatusRow, Store
from reconciler.state.exports import OUTPUTS_KEY, exports_in_use, record_imports
from reconciler.template.model import Template


def plan(template: Template, store: Store, kinds: Kinds, resolve: Resolver,
         pseudo: Mapping[str, Any], settings: EngineSettings,
         attribution: Attribution | None = None, scope: frozenset[str] | None = None) -> Plan:
    """Read AWS and decide; writes nothing anywhere (``attribution``: who caused drift; with
    ``scope``, only those logical IDs)."""
    planner = Planner(template, store.inventory(), kinds, resolve, pseudo, settings, scope)
    result = planner.plan()
    attribute(result, attribution)
    result.outputs = resolve_outputs(planner)
    _refuse_dropping_exports_in_use(store, result.outputs)
    return result


def _refuse_dropping_exports_in_use(store: Store, outputs: dict[str, Any]) -> None:
    in_use = exports_in_use(store, outputs)
    if in_use:
        named = "; ".join(f"'{name}' by {', '.join(owners)}" for name, owners in in_use.items())
        raise ReconcilerError(
            f"this tree stops exporting what other trees of the state store import "
            f"(Fn::ImportValue): {named}. Remove those imports first (as CloudFormation "
            "refuses to delete an export in use); nothing was applied")


def holds_of(plan: Plan) -> dict[str, tuple[float, str]]:
    """Changes a TransientError deferred, with their retry times, to pass to the next run."""
    return {c.resource: (c.not_before, c.pending or "retry") for c in plan.pending
            if c.not_before is not None}


def apply(template: Template, store: Store, kinds: Kinds, resolve: Resolver,
          pseudo: Mapping[str, Any], settings: EngineSettings, command: str = "apply",
          listener: ChangeListener | None = None,
          should_stop: Callable[[], bool] = lambda: False,
          on_planned: Callable[[Plan], None] | None = None,
          scope: frozenset[str] | None = None, holds: Holds | None = None,
          attribution: Attribution | None = None) -> Plan:
    """Plan, apply what is allowed, record history and the resulting status per resource.

    With ``scope``, only those logical IDs are planned and applied, and only their status
    rows are rewritten (a new revision's changes, pending resources and their dependents,
    ahead of the next full drift check). ``holds`` keeps changes a TransientError deferred
    Pending until their retry time; ``attribution`` names who caused each drift."""
    planner = Planner(template, store.inventory(), kinds, resolve, pseudo, settings, scope,
                      holds)
    result = planner.plan()
    attribute(result, attribution)
    _refuse_dropping_exports_in_use(store, resolve_outputs(planner))
    if on_planned is not None:
        on_planned(result)
    record_imports(store, template.imports)
    run_id = store.start_run(command, settings.revision)
    try:
        Applier(planner, store, run_id, listener, should_stop).apply()
        result.outputs = resolve_outputs(planner)
        recorded = store.get_meta(OUTPUTS_KEY)
        if scope is not None and recorded:
            result.outputs = merged_with(json.loads(recorded), result.outputs)
        store.set_meta(OUTPUTS_KEY, json.dumps(result.outputs, default=str))
    finally:
        store.put_statuses([status_row(c, settings.revision) for c in result.changes
                            if not _gone(c)], run_id, replace_all=scope is None)
        if scope is not None:
            store.drop_statuses([c.resource for c in result.changes if _gone(c)])
        store.finish_run(run_id, outcome(result), result.summary())
        store.trim_history(settings.history)
    return result


def outcome(result: Plan) -> str:
    """converged, pending (only waiting for AWS: nothing failed or blocked) or failed."""
    if result.converged:
        return "converged"
    return "pending" if result.settling else "failed"


def _gone(change: Change) -> bool:
    """Removed from git and now deleted, orphaned or already gone: no status to keep."""
    removal = change.action in (Action.DELETE, Action.ORPHAN) and change.result == Result.SUCCESS
    return removal or (change.reason or "").endswith("already gone")


def final_status(change: Change) -> Status:
    """A change applied successfully leaves the resource in sync (unless AWS is still at it)."""
    if change.status == Status.PENDING:
        return Status.PENDING
    if change.result == Result.SUCCESS and change.action != Action.NONE:
        return Status.IN_SYNC
    return change.status


def status_row(change: Change, revision: str | None) -> StatusRow:
    status = final_status(change)
    # Nothing left to do: in sync, or AWS took the change and is finishing it.
    settled = status == Status.IN_SYNC or (
        change.result == Result.PENDING and change.not_before is None)
    return StatusRow(
        logical_id=change.resource, type=change.type, physical_id=change.physical_id,
        status=str(status), action=str(Action.NONE if settled else change.action),
        blocked=change.blocked, reason=change.error or change.reason,
        diff=[] if settled else [d.to_json() for d in change.diff],
        revision=revision, observed_at=time.time())
