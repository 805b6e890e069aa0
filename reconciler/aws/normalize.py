"""AWS value normalization shared by every kind and by the diff: tags, policies, ARN/ID.

No boto3 here: the engine uses these helpers to compare values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

OWNER_TAG = "reconciler:owner"
LOGICAL_ID_TAG = "reconciler:logical-id"
RESERVED_TAG_PREFIXES = ("aws:", "reconciler:")


def tags_to_dict(tags: Iterable[Mapping[str, Any]] | None, key: str = "Key",
                 value: str = "Value") -> dict[str, str]:
    """[{Key, Value}, ...] (or any key/value field names) to a dict."""
    return {str(t[key]): str(t.get(value, "")) for t in tags or ()}


def dict_to_tags(tags: Mapping[str, str], key: str = "Key",
                 value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def user_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """Tags a user declares: without ``aws:`` tags and the reconciler's own."""
    return {k: v for k, v in tags.items() if not k.startswith(RESERVED_TAG_PREFIXES)}


_POLICY_LIST_KEYS = frozenset({
    "Action", "NotAction", "Resource", "NotResource", "AWS", "Service", "Federated",
    "CanonicalUser",
})
_ACTION_KEYS = ("Action", "NotAction")
_PRINCIPAL_KEYS = ("Principal", "NotPrincipal")
_ACCOUNT_ID = re.compile(r"\d{12}")


def canonical_policy(document: Any, partition: str = "aws") -> Any:
    """An IAM-style policy in a canonical form: parsed JSON, Statement always a list,
    single values of Action/Resource/principals as sorted lists, Version kept; action
    names lowercased and a bare account principal as ``arn:<partition>:iam::<acct>:root``.

    AWS returns policies URL-encoded or re-serialized with other spacing and order, and
    treats action names case-insensitively and an account ID as that account's root;
    equal policies must compare equal.
    """
    document = _parsed(document)
    if not isinstance(document, dict):
        return document
    out = {k: _canonical_element(k, v) for k, v in document.items()}
    # The versions differ in policy variables only: without any, Version changes nothing
    # (IAM takes a missing one as 2008-10-17); with some, a missing one is that default.
    if not uses_policy_variables(document):
        out.pop("Version", None)
    else:
        out.setdefault("Version", "2008-10-17")
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        out["Statement"] = sorted(
            (_canonical_statement(s, partition) for s in statements),
            key=lambda s: json.dumps(s, sort_keys=True),
        )
    return out


def uses_policy_variables(document: Any) -> bool:
    """Whether a policy uses ``${...}`` variables (which only Version 2012-10-17 expands)."""
    return "${" in (document if isinstance(document, str) else json.dumps(document))


def policy_partition(document: Any) -> str | None:
    """The partition (``aws``, ``aws-cn``, ``aws-us-gov``) the policy's first ARN names."""
    document = _parsed(document)
    statements = document.get("Statement") if isinstance(document, dict) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, dict):
            continue
        for key in (*_PRINCIPAL_KEYS, "Resource", "NotResource"):
            for value in _strings(statement.get(key)):
                if value.startswith("arn:") and value.count(":") >= 5:
                    return value.split(":", 2)[1]
    return None


def _parsed(document: Any) -> Any:
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return document
    return document


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _canonical_statement(statement: Any, partition: str) -> Any:
    if not isinstance(statement, dict):
        return _canonical_element("", statement)
    out = {}
    for key, value in statement.items():
        if key in _ACTION_KEYS:
            out[key] = sorted(str(i).lower() for i in _as_list(value))
        elif key in _PRINCIPAL_KEYS and isinstance(value, dict):
            out[key] = {k: sorted(_principal(str(i), k, partition) for i in _as_list(v))
                        if k in _POLICY_LIST_KEYS else _canonical_element(k, v)
                        for k, v in value.items()}
        else:
            out[key] = _canonical_element(key, value)
    return out


def _principal(value: str, kind: str, partition: str) -> str:
    if kind == "AWS" and _ACCOUNT_ID.fullmatch(value):
        return f"arn:{partition}:iam::{value}:root"
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _canonical_element(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical_element(k, v) for k, v in value.items()}
    if key in _POLICY_LIST_KEYS:
        return sorted(str(i) for i in _as_list(value))
    if key in _PRINCIPAL_KEYS and value == "*":
        return {"AWS": ["*"]}
    if isinstance(value, list):
        return [_canonical_element("", v) for v in value]
    return value


def resource_id_tail(value: str) -> str:
    """The ID at the end of an ARN (``arn:aws:kms:...:key/ID`` -> ``ID``); IDs pass through.

    KMS aliases are whole names: an alias ARN yields its full ``alias/...`` resource part, so
    ``alias/team-a/data`` never equals ``alias/team-b/data`` or a key named ``data``."""
    if not isinstance(value, str):
        return value
    if value.startswith("arn:"):
        resource = value.split(":", 5)[-1]
        if resource.startswith("alias/"):
            return resource
        return resource.rsplit("/", 1)[-1] if "/" in resource else resource.rsplit(":", 1)[-1]
    return value


def same_identifier(a: Any, b: Any) -> bool:
    """True when a and b name the same resource, one as ARN and the other as ID or both alike."""
    if a == b:
        return True
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    return resource_id_tail(a) == resource_id_tail(b)
