"""``reconciler permissions``: the IAM policy the worker needs for the kinds in a tree.

CloudFormation's registry schemas list what each handler (create, read, update,
delete, list) calls and what tagging takes; the worker does the same work, so the
union of those, plus the identity check every command makes, is its policy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import load_schema

POLICY_VERSION = "2012-10-17"
HANDLERS = ("create", "read", "update", "delete", "list")
# check_aws and AWS::AccountId.
ALWAYS = ("sts:GetCallerIdentity",)


def schema_file(type_name: str) -> str:
    """``AWS::KMS::Key`` -> ``aws-kms-key.json``, as reconciler.schemas.vendor names them."""
    return type_name.lower().replace("::", "-") + ".json"


def handler_permissions(schema: Mapping[str, Any]) -> list[str]:
    """The actions a registry schema's handlers and its tagging declare, as written."""
    actions: list[str] = []
    handlers = schema.get("handlers") or {}
    for handler in HANDLERS:
        actions += (handlers.get(handler) or {}).get("permissions", [])
    actions += (schema.get("tagging") or {}).get("permissions", [])
    return actions


def actions_for(types: Iterable[str]) -> list[str]:
    """Sorted and de-duplicated; service prefixes lowercased (IAM matches actions without
    regard to case, and the schemas are not consistent: ``CloudTrail:AddTags``)."""
    actions = list(ALWAYS)
    for type_name in sorted(set(types)):
        try:
            actions += handler_permissions(load_schema(schema_file(type_name)))
        except FileNotFoundError:
            raise ReconcilerError(f"no vendored schema for {type_name}") from None
    found: dict[str, str] = {}
    for action in actions:
        service, _, name = action.partition(":")
        spelled = f"{service.lower()}:{name}"
        found.setdefault(spelled.lower(), spelled)
    return [found[key] for key in sorted(found)]


def policy(types: Iterable[str]) -> dict[str, Any]:
    """An IAM policy document allowing every action the worker may call for ``types``."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [{"Effect": "Allow", "Action": actions_for(types), "Resource": "*"}],
    }
