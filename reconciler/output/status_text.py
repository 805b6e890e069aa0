"""``reconciler status``: the last reconcile per resource, from the state store."""

from __future__ import annotations

import json
import time
from typing import Any

from reconciler.engine.reconcile import OUTPUTS_KEY
from reconciler.state.base import Store
from reconciler.state.recovery import rebuilt

REVISION_KEYS = ("last_fetched_revision", "last_attempted_revision", "last_applied_revision")


def status_json(store: Store) -> dict[str, Any]:
    runs = store.runs(limit=1)
    errors = store.get_meta("desired_errors")
    outputs = store.get_meta(OUTPUTS_KEY)
    return {
        "revisions": {key: store.get_meta(key) for key in REVISION_KEYS},
        "desired_valid": store.get_meta("desired_valid") != "0",
        "desired_errors": json.loads(errors) if errors else [],
        "last_run": runs[0] if runs else None,
        "outputs": json.loads(outputs) if outputs else {},
        "rebuilt": rebuilt(store),
        "resources": [
            {"resource": s.logical_id, "type": s.type, "physical_id": s.physical_id,
             "status": s.status, "action": s.action, "blocked": s.blocked, "reason": s.reason,
             "diff": s.diff, "revision": s.revision, "observed_at": s.observed_at}
            for s in store.statuses()
        ],
    }


def render_status(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data["revisions"].items():
        if value:
            lines.append(f"{key.replace('_', ' ')}: {value}")
    if not data["desired_valid"]:
        lines.append("desired state: INVALID (last good revision stays in force)")
        lines.extend(f"  {e}" for e in data["desired_errors"])
    if data.get("rebuilt"):
        lines.append(rebuilt_line(data["rebuilt"]))
    run = data["last_run"]
    if run:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run["started_at"]))
        lines.append(f"last run: #{run['id']} {run['command']} at {when}: {run['result']}")
    resources = data["resources"]
    if not resources:
        lines.append("no resources recorded")
    width = max((len(r["resource"]) for r in resources), default=0)
    for r in resources:
        flag = " (blocked)" if r["blocked"] else ""
        line = f"{r['resource']:<{width}}  {r['type']:<38} {r['status']}{flag}"
        if r["action"] != "none":
            line += f"  to do: {r['action']}"
        lines.append(line)
        if r["reason"] and r["status"] != "InSync":
            lines.append(f"{'':<{width}}  {r['reason']}")
    lines += output_lines(data.get("outputs") or {})
    return "\n".join(lines) + "\n"


def output_lines(outputs: dict[str, Any]) -> list[str]:
    """``Outputs:`` and one line per output (its export name after it), for text output."""
    if not outputs:
        return []
    lines = ["Outputs:"]
    for name, entry in outputs.items():
        value = entry.get("value")
        shown = json.dumps(value) if not isinstance(value, str) and value is not None \
            else value
        if value is None:
            shown = f"({entry.get('error') or entry.get('unknown') or 'unknown'})"
        export = f"  (export {entry['export']})" if entry.get("export") else ""
        lines.append(f"  {name} = {shown}{export}")
    return lines


def rebuilt_line(done: dict[str, Any]) -> str:
    cause = f" ({done['cause']})" if done.get("cause") else ""
    return (f"inventory rebuilt from ownership tags at {done.get('at')}: "
            f"{done.get('recovered', 0)} resources; the damaged store{cause} is kept as "
            f"{done.get('from')}")
