"""AWS value normalization shared by every kind and by the diff: tags, policies, ARN/ID.

No boto3 here: the engine uses these helpers to compare values.
"""

from __future__ import annotations

import json
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


def canonical_policy(document: Any) -> Any:
    """An IAM-style policy in a canonical form: parsed JSON, Statement always a list,
    single values of Action/Resource/principals as sorted lists, Version kept.

    AWS returns policies URL-encoded or re-serialized with other spacing and order;
    equal policies must compare equal.
    """
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return document
    if not isinstance(document, dict):
        return document
    out = {k: _canonical_element(k, v) for k, v in document.items()}
    statements = out.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if isinstance(statements, list):
        out["Statement"] = sorted(
            (_canonical_element("", s) for s in statements),
            key=lambda s: json.dumps(s, sort_keys=True),
        )
    return out


def _canonical_element(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _canonical_element(k, v) for k, v in value.items()}
    if key in _POLICY_LIST_KEYS:
        items = value if isinstance(value, list) else [value]
        return sorted(str(i) for i in items)
    if key == "Principal" and value == "*":
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
