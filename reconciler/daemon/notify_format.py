"""Notification payloads: the JSON schema (``reconciler.notification/v1``) and Slack's
incoming-webhook form; and webhook URLs as they may be shown (they are secrets).

JSON, one object per notice; every key is always present (null or empty when it does not
apply), so receivers can rely on the shape::

    schema, event, summary, owner, revision, time (RFC 3339, UTC), resource, type, status,
    action, reason, diff [{path, old, new}], changed_by, resources [...], errors [...]
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from reconciler.daemon.notify_conditions import (
    DELETION_BLOCKED,
    DRIFT_CLEARED,
    DRIFT_CORRECTED,
    DRIFT_DETECTED,
    RESOURCE_FAILED,
    RESOURCE_RECOVERED,
    REVISION_INVALID,
    REVISION_RECOVERED,
    Notice,
)
from reconciler.output.plan_text import value_text

SCHEMA = "reconciler.notification/v1"
_SLACK_HOSTS = ("hooks.slack.com", "hooks.slack-gov.com")
_SLACK_TEXT_LIMIT = 2900  # a section's text may hold 3000 characters
_TITLES = {
    DRIFT_DETECTED: (":warning:", "Drift detected"),
    DRIFT_CORRECTED: (":white_check_mark:", "Drift corrected"),
    DRIFT_CLEARED: (":white_check_mark:", "Drift cleared"),
    RESOURCE_FAILED: (":x:", "Resource failing"),
    RESOURCE_RECOVERED: (":white_check_mark:", "Resource recovered"),
    DELETION_BLOCKED: (":no_entry:", "Deletions blocked"),
    REVISION_INVALID: (":x:", "Invalid revision"),
    REVISION_RECOVERED: (":white_check_mark:", "Revision valid again"),
}


def masked_url(url: str) -> str:
    """Scheme, host and port only: the path and query of a webhook URL are its secret."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(unparsable URL)"
    hidden = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme or '?'}://{host}{port}{hidden}"


def is_slack(url: str) -> bool:
    try:
        return (urlsplit(url).hostname or "") in _SLACK_HOSTS
    except ValueError:
        return False


def summary(notice: Notice) -> str:
    title = _TITLES[notice.event][1]
    if notice.event == DELETION_BLOCKED and len(notice.resources) != 1:
        return f"{title}: {len(notice.resources)} deletions held back ({notice.reason})"
    if notice.resource:
        return f"{title}: {notice.resource} ({notice.type})"
    return f"{title}: {_short(notice.revision)}"


def _time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _short(revision: str | None) -> str:
    return (revision or "no revision")[:12]


def as_json(notice: Notice, owner: str) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "event": notice.event, "summary": summary(notice), "owner": owner,
        "revision": notice.revision, "time": _time(notice.time),
        "resource": notice.resource, "type": notice.type, "status": notice.status,
        "action": notice.action, "reason": notice.reason, "diff": list(notice.diff),
        "changed_by": notice.changed_by, "resources": list(notice.resources),
        "errors": list(notice.errors),
    }


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters, and no way out of a code block."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("```", "`\u200b``")


def _bounded(lines: list[str], limit: int = _SLACK_TEXT_LIMIT) -> str:
    out, used = [], 0
    for index, line in enumerate(lines):
        if used + len(line) + 1 > limit - 40:
            out.append(f"… {len(lines) - index} more line(s)")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _code(lines: list[str]) -> dict[str, Any]:
    return _section("```" + _bounded([_escape(line) for line in lines]) + "```")


def as_slack(notice: Notice, owner: str) -> dict[str, Any]:
    emoji, title = _TITLES[notice.event]
    about = (f": `{_escape(notice.resource)}` ({_escape(notice.type or '')})"
             if notice.resource else "")
    blocks: list[dict[str, Any]] = [_section(f"{emoji} *{title}*{about}")]
    fields = [("Status", notice.status), ("Action", notice.action),
              ("Revision", _short(notice.revision)), ("Owner", owner)]
    blocks.append({"type": "section", "fields": [
        {"type": "mrkdwn", "text": f"*{name}*\n{_escape(str(value))}"}
        for name, value in fields if value]})
    if notice.reason:
        blocks.append(_section(_escape(notice.reason)[:_SLACK_TEXT_LIMIT]))
    if notice.diff:
        blocks.append(_code([f"{d['path']}: {value_text(d.get('old'))} → "
                             f"{value_text(d.get('new'))}" for d in notice.diff]))
    if notice.resources and notice.event == DELETION_BLOCKED:
        blocks.append(_code([f"{r['action']} {r['resource']} ({r['type']})"
                             for r in notice.resources]))
    if notice.errors:
        blocks.append(_code(list(notice.errors)))
    if notice.changed_by:
        who = ", ".join(f"{k}: {v}" for k, v in notice.changed_by.items() if v)
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": _escape(f"changed by {who}")[:_SLACK_TEXT_LIMIT]}]})
    return {"text": _escape(summary(notice)), "blocks": blocks}


def payload(url: str, notice: Notice, owner: str) -> dict[str, Any]:
    return as_slack(notice, owner) if is_slack(url) else as_json(notice, owner)
