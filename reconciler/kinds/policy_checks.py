"""What AWS would refuse as a malformed policy document, checked before any call.

moto stores almost any policy; AWS answers MalformedPolicyDocument. One checker for the
three shapes the kinds take: an identity policy (IAM inline policies: no Principal,
needs Resource, Version 2012-10-17), a trust policy (a role's AssumeRolePolicyDocument:
needs a Principal, no Resource, only sts: actions) and a resource policy (bucket and key
policies: Principal, Action and Resource each required).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from reconciler.kinds.base import is_intrinsic

PolicyKind = Literal["identity", "trust", "resource"]
Issues = list[tuple[str, str]]

VERSIONS = ("2012-10-17", "2008-10-17")
_ELEMENTS = ("Version", "Id", "Statement")
# (element, its negation, whether each policy kind requires (True) or forbids (False) it)
_PAIRS: tuple[tuple[str, str, dict[str, bool]], ...] = (
    ("Principal", "NotPrincipal", {"identity": False, "trust": True, "resource": True}),
    ("Action", "NotAction", {"identity": True, "trust": True, "resource": True}),
    ("Resource", "NotResource", {"identity": True, "trust": False, "resource": True}),
)


def policy_issues(document: Any, pointer: str, kind: PolicyKind) -> Issues:
    """Issues as (JSON pointer, message); values still holding intrinsics are skipped."""
    if document is None or is_intrinsic(document):
        return []
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return [(pointer, "policy document is not valid JSON")]
    if not isinstance(document, dict):
        return [(pointer, "must be a policy document (an object with Statement)")]
    issues: Issues = [(f"{pointer}/{key}", f"unknown policy element {key!r}")
                      for key in document if key not in _ELEMENTS]
    version = document.get("Version")
    # Without a Version IAM takes 2008-10-17, valid for inline policies (not managed ones).
    if kind == "identity" and version is not None and version != VERSIONS[0] \
            and not is_intrinsic(version):
        # IAM: "Policy document must be version 2012-10-17 or greater" (moto agrees).
        issues.append((f"{pointer}/Version", f"must be {VERSIONS[0]}"))
    elif version is not None and not is_intrinsic(version) and version not in VERSIONS:
        issues.append((f"{pointer}/Version", f"Version must be one of {', '.join(VERSIONS)}"))
    statements = document.get("Statement")
    if is_intrinsic(statements):
        return issues
    if isinstance(statements, dict):
        return issues + _statement_issues(statements, f"{pointer}/Statement", kind)
    if not isinstance(statements, list) or not statements:
        return issues + [(f"{pointer}/Statement", "a policy needs at least one statement")]
    sids = [s.get("Sid") for s in statements if isinstance(s, dict) and "Sid" in s]
    if len(sids) != len(set(map(str, sids))):
        issues.append((f"{pointer}/Statement", "statement IDs (Sid) must be unique"))
    for index, statement in enumerate(statements):
        issues += _statement_issues(statement, f"{pointer}/Statement/{index}", kind)
    return issues


def _statement_issues(statement: Any, pointer: str, kind: PolicyKind) -> Issues:
    if is_intrinsic(statement):
        return []
    if not isinstance(statement, dict):
        return [(pointer, "a statement must be an object")]
    issues: Issues = []
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny") and not is_intrinsic(effect):
        issues.append((f"{pointer}/Effect", "Effect must be Allow or Deny"))
    for one, other, rule in _PAIRS:
        present = [k for k in (one, other) if k in statement]
        if not rule[kind]:
            if present:
                issues.append((pointer, f"a{'n' if kind == 'identity' else ''} {kind} policy "
                                        f"statement cannot name a {one}"))
        elif not present:
            issues.append((pointer, f"statement needs {one} or {other}"))
        elif len(present) == 2:
            issues.append((pointer, f"statement may not have both {one} and {other}"))
        elif statement[present[0]] in ("", [], {}, None):
            issues.append((f"{pointer}/{present[0]}", f"{present[0]} must not be empty"))
    actions = statement.get("Action", statement.get("NotAction"))
    for action in actions if isinstance(actions, list) else [actions]:
        if isinstance(action, str) and action != "*" and ":" not in action:
            issues.append((pointer, f"action {action!r} needs a service prefix (s3:...)"))
        elif kind == "trust" and isinstance(action, str) and not action.startswith("sts:"):
            issues.append((pointer, f"a trust policy allows only sts: actions, not {action!r}"))
    return issues
