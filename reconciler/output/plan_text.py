"""Plans and results as text, in the shape Terraform users read every day."""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine.attribution import changed_by_text
from reconciler.engine.model import Action, Change, Plan, Result, Status
from reconciler.output.status_text import output_lines

_SYMBOL = {
    Action.CREATE: "+",
    Action.UPDATE: "~",
    Action.REPLACE: "-/+",
    Action.DELETE: "-",
    Action.ORPHAN: "-",
    Action.NONE: " ",
}


def value_text(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, str):
        return json.dumps(value)
    return json.dumps(value, sort_keys=True, default=str)


def render_change(change: Change) -> list[str]:
    head = f"{_SYMBOL[change.action]:>3} {change.resource} ({change.type})"
    verb = str(change.action) if change.action != Action.NONE else str(change.status)
    if change.status == Status.CONFLICT:
        verb = "conflict"
    notes = []
    if change.blocked:
        notes.append("blocked")
    if change.result != Result.NOT_RUN:
        notes.append(str(change.result))
    if (change.status == Status.PENDING and change.action != Action.NONE
            and change.result != Result.PENDING):
        notes.append("pending")  # planned, but AWS is still at work on the resource
    line = f"{head}: {verb}" + (f" [{', '.join(notes)}]" if notes else "")
    lines = [line]
    if change.physical_id and change.action != Action.CREATE:
        lines.append(f"      id: {change.physical_id}")
    for entry in change.to_json()["diff"]:
        old, new = entry["old"], entry["new"]
        if change.action == Action.CREATE:
            lines.append(f"      + {entry['path']}: {value_text(new)}")
        else:
            lines.append(f"      ~ {entry['path']}: {value_text(old)} -> {value_text(new)}")
    if change.changed_by:
        lines.append(f"      {changed_by_text(change.changed_by)}")
    if change.error:
        lines.append(f"      error: {change.error}")
    elif change.reason:
        lines.append(f"      reason: {change.reason}")
    return lines


def render_plan(plan: Plan, applied: bool = False) -> str:
    shown = [c for c in plan.changes
             if c.action != Action.NONE or c.status != Status.IN_SYNC or c.blocked]
    lines: list[str] = []
    if plan.revision:
        lines.append(f"Revision: {plan.revision}")
    for error in plan.errors:
        lines.append(f"error: {error}")
    if not shown:
        lines.append(f"No changes. {len(plan.changes)} resources in sync.")
        lines += output_lines(plan.outputs)
        return "\n".join(lines) + "\n"
    lines.append("Applied:" if applied else "The reconciler will perform these actions:")
    lines.append("")
    for change in shown:
        lines.extend(render_change(change))
        lines.append("")
    lines.append(summary_line(plan, applied))
    lines += output_lines(plan.outputs)
    return "\n".join(lines) + "\n"


_DONE = {Action.CREATE: "created", Action.UPDATE: "updated", Action.REPLACE: "replaced",
         Action.DELETE: "deleted", Action.ORPHAN: "orphaned"}


def summary_line(plan: Plan, applied: bool = False) -> str:
    counts = dict.fromkeys(_DONE, 0)
    for change in plan.changes:
        if change.action not in counts or change.blocked:
            continue
        if not applied or change.result == Result.SUCCESS:
            counts[change.action] += 1
    blocked = sum(1 for c in plan.changes if c.blocked)
    errors = sum(1 for c in plan.changes if c.status == Status.ERROR)
    # Shown only when there are some, so scripts reading the line see it unchanged otherwise.
    pending = f"{len(plan.pending)} pending, " if plan.pending else ""
    if applied:
        skipped = sum(1 for c in plan.changes if c.result == Result.SKIPPED)
        parts = [f"{n} {_DONE[a]}" for a, n in counts.items()]
        return (f"Apply: {', '.join(parts)}; {blocked} blocked, {skipped} skipped, "
                f"{pending}{errors} failed.")
    parts = [f"{n} to {a}" for a, n in counts.items()]
    return f"Plan: {', '.join(parts)}; {blocked} blocked, {pending}{errors} errors."
