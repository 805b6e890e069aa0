"""``plan --output markdown``: a plan as a pull-request comment.

A summary (counts per status and per action), one table row per resource that is not in
sync, then a collapsible ``<details>`` diff per resource. Values are the JSON plan's (secrets
already masked), shown as the text plan shows them; everything taken from the tree or AWS is
escaped (table cells for markdown and HTML, code blocks fenced longer than any backtick run
inside). The whole stays under GitHub's comment limit (65536 characters): what does not fit
is left out, saying how much.
"""

from __future__ import annotations

import html
import re
from typing import Any

from reconciler.engine.model import Action, Change, Plan, Result, Status
from reconciler.output.plan_text import _SYMBOL, summary_line, value_text

LIMIT = 65536  # characters in a GitHub comment
MARKER = "<!-- reconciler-plan -->"  # finds the comment to update
_NOTE_ROOM = 600  # kept free for the closing notes
_CELL = 300  # characters of a reason in the table
_SECTION = 12000  # characters of one resource's diff
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+!|~])")


def cell(text: Any, limit: int = _CELL) -> str:
    """One table cell: one line, markdown and HTML inert, bounded."""
    value = " ".join(str(text).split())
    if len(value) > limit:
        value = value[:limit - 1] + "…"
    return _MARKDOWN.sub(r"\\\1", html.escape(value, quote=False))


def fenced(lines: list[str], info: str = "") -> str:
    """A code block no line can close early."""
    body = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def shown(plan: Plan) -> list[Change]:
    """What the text plan lists: anything with an action, not in sync, or blocked."""
    return [c for c in plan.changes
            if c.action != Action.NONE or c.status != Status.IN_SYNC or c.blocked]


def _verb(change: Change) -> str:
    if change.status == Status.CONFLICT:
        return "conflict"
    return str(change.action) if change.action != Action.NONE else str(change.status)


def _note(change: Change) -> str:
    parts = []
    if change.blocked:
        parts.append("**blocked**")
    if change.result != Result.NOT_RUN:
        parts.append(str(change.result))
    why = change.error or change.reason
    if why:
        parts.append(cell(why))
    return "; ".join(parts)


def _counts(title: str, counts: dict[str, int]) -> list[str]:
    rows = [f"| {title} | Resources |", "|:--|--:|"]
    rows += [f"| {name} | {count} |" for name, count in counts.items() if count]
    return rows


def _summary_tables(plan: Plan) -> list[str]:
    statuses = {str(s): sum(1 for c in plan.changes if c.status == s) for s in Status}
    actions = {str(a): sum(1 for c in plan.changes if c.action == a and not c.blocked)
               for a in Action if a != Action.NONE}
    actions["blocked"] = sum(1 for c in plan.changes if c.blocked)
    lines = _counts("Status", statuses)
    if any(actions.values()):
        lines += [""] + _counts("Action", actions)
    return lines


def _row(change: Change) -> str:
    return (f"| `{_SYMBOL[change.action].strip() or '·'}` | {cell(change.resource)} | "
            f"{cell(change.type)} | {change.status} | {_verb(change)} | {_note(change)} |")


def _diff_lines(change: Change) -> list[str]:
    lines = []
    if change.physical_id and change.action != Action.CREATE:
        lines.append(f"  id: {change.physical_id}")
    for entry in change.to_json()["diff"]:
        if change.action == Action.CREATE:
            lines.append(f"+ {entry['path']}: {value_text(entry['new'])}")
        else:
            lines += [f"  {entry['path']}", f"- {value_text(entry['old'])}",
                      f"+ {value_text(entry['new'])}"]
    if change.error:
        lines.append(f"  error: {change.error}")
    elif change.reason:
        lines.append(f"  reason: {change.reason}")
    return lines


def _bounded(lines: list[str], limit: int) -> list[str]:
    out, used = [], 0
    for index, line in enumerate(lines):
        if len(line) > 2000:
            line = line[:1999] + "…"
        if used + len(line) + 1 > limit:
            out.append(f"  … {len(lines) - index} more line(s) not shown")
            break
        out.append(line)
        used += len(line) + 1
    return out


def _details(change: Change) -> str:
    summary = (f"<code>{html.escape(_SYMBOL[change.action].strip() or '·')} "
               f"{html.escape(change.resource)}</code> ({html.escape(change.type)}): "
               f"{html.escape(_verb(change))}{' — blocked' if change.blocked else ''}")
    body = fenced(_bounded(_diff_lines(change), _SECTION), "diff")
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def render_markdown(plan: Plan, base: Any = None, limit: int = LIMIT) -> str:
    """The comment; ``base`` (a plan_base.BaseComparison) says what was left out and why."""
    out: list[str] = [MARKER, f"### reconciler plan: {cell(summary_line(plan), 1000)}", ""]
    facts = []
    if plan.revision:
        facts.append(f"Revision `{cell(plan.revision, 80)}`")
    if base is not None:
        facts.append(cell(base.describe(), 1000))
    if facts:
        out += [" · ".join(facts), ""]
    for error in plan.errors:
        out += [f"> **Error:** {cell(error, 2000)}", ""]
    listed = shown(plan)
    if not listed:
        out.append(f"No changes. {len(plan.changes)} resource(s) in sync.")
        return "\n".join(out) + "\n"
    out += _summary_tables(plan) + [""]
    budget = limit - _NOTE_ROOM
    used = sum(len(line) + 1 for line in out)
    table = ["| | Resource | Type | Status | Action | Note |", "|:-:|:--|:--|:--|:--|:--|"]
    used += sum(len(line) + 1 for line in table)
    rows_shown = 0
    for change in listed:
        row = _row(change)
        if used + len(row) + 1 > budget * 0.6:  # keep room for diffs
            break
        table.append(row)
        used += len(row) + 1
        rows_shown += 1
    out += table
    if rows_shown < len(listed):
        out.append(f"\n_{len(listed) - rows_shown} more resource(s) not listed: the comment "
                   f"is limited to {limit} characters._")
    out.append("")
    details_shown = 0
    for change in listed[:rows_shown]:
        section = _details(change)
        if used + len(section) + 2 > budget:
            break
        out += [section, ""]
        used += len(section) + 2
        details_shown += 1
    left = len(listed) - details_shown
    if left:
        out.append(f"_{left} of {len(listed)} resource diff(s) not shown: the comment is "
                   f"limited to {limit} characters. Run `reconciler plan` for the whole "
                   "plan._")
    return "\n".join(out) + "\n"
