"""AWS::Lambda::Permission: one statement of a function's resource policy.

Not a resource of its own in AWS: a statement of the policy GetPolicy answers (one call),
found by its statement ID. The physical ID is ``<function>|<statement ID>``; the statement
ID (``Id``) is generated before the create, so a lost AddPermission reply is found again
by it. Every property is create-only: any change is a replace (the old statement
removed, a new one added under a new ID), which needs no AllowReplace since a statement
holds no data.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.kinds.base import Props
from reconciler.kinds.declared import Call, DeclaredKind

# Condition keys AddPermission writes each property as.
_CONDITIONS = {
    "SourceArn": ("ArnLike", "AWS:SourceArn"),
    "SourceAccount": ("StringEquals", "AWS:SourceAccount"),
    "PrincipalOrgID": ("StringEquals", "aws:PrincipalOrgID"),
    "EventSourceToken": ("StringEquals", "lambda:EventSourceToken"),
    "FunctionUrlAuthType": ("StringEquals", "lambda:FunctionUrlAuthType"),
}
_STATEMENT = ("Action", "Principal", *_CONDITIONS)
_ACCOUNT_ROOT = re.compile(r"^arn:[\w-]+:iam::(\d{12}):root$")
_MAX_ID = 100  # AddPermission's StatementId limit (the schema allows 256)


def _function(reference: str) -> str:
    """The function part of a name, ARN or partial ARN (a qualifier kept)."""
    parts = reference.split(":")
    if parts[0] == "arn" and len(parts) >= 7:
        return ":".join(parts[6:])
    if len(parts) >= 3 and parts[1] == "function":
        return ":".join(parts[2:])
    return reference


def _principal(principal: Any, declared: Any) -> Any:
    """A policy principal as AddPermission's Principal string."""
    if isinstance(principal, dict):
        value = principal.get("Service") or principal.get("AWS")
        match = _ACCOUNT_ROOT.match(value) if isinstance(value, str) else None
        if match and declared == match.group(1):
            return declared  # an account ID is written as the account's root ARN
        return value
    return principal


class LambdaPermission(DeclaredKind):
    type_name = "AWS::Lambda::Permission"
    unlisted = ("a permission is a statement of its function's resource policy, with no ID "
                "outside it; not listed yet, declare it next to the imported function")
    managed_properties = frozenset({"FunctionName", *_STATEMENT})
    replacement_safe = True

    service, identifier = "lambda", "FunctionName"
    # read() answers the statement flattened into CloudFormation's properties.
    read_call = Call("GetPolicy")
    property_paths = {"FunctionName": "Resource", **{name: name for name in _STATEMENT}}
    create_call = Call("AddPermission", renames={"/Id": "StatementId"})
    delete_call = Call("RemovePermission")
    generated_property = "Id"
    attribute_paths = {"Id": "Sid"}

    def physical_id(self, props: Props) -> str | None:
        function, sid = props.get("FunctionName"), props.get("Id")
        ok = isinstance(function, str) and isinstance(sid, str)
        return f"{function}|{sid}" if ok else None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits)
                         for _ in range(12))
        stem = "".join(c for c in f"{owner}-{logical_id}" if c.isascii() and (
            c.isalnum() or c in "-_"))
        return {"Id": f"{stem[:_MAX_ID - len(suffix) - 1]}-{suffix}"}

    def read(self, physical_id: str) -> dict[str, Any] | None:
        function, _, sid = physical_id.partition("|")
        try:
            policy = json.loads(self.client.get_policy(FunctionName=function)["Policy"])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None  # no policy at all (or no function): no statement
            raise
        for statement in policy.get("Statement", []):
            if statement.get("Sid") == sid:
                return dict(statement)
        return None

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        declared = desired.get("FunctionName")
        resource_function = _function(str(resource.get("Resource", "")))
        # The statement was read from the policy of the declared (maybe qualified) function;
        # moto writes an alias's statement with the unqualified ARN as its Resource.
        same = isinstance(declared, str) and resource_function in (
            _function(declared), _function(declared).split(":")[0])
        props: Props = {"FunctionName": declared if same else resource.get("Resource"),
                        "Action": resource.get("Action"),
                        "Principal": _principal(resource.get("Principal"),
                                                desired.get("Principal"))}
        if "Id" in desired:  # the generated statement ID, at create
            props["Id"] = resource.get("Sid")
        conditions = resource.get("Condition") or {}
        for name, (operator, key) in _CONDITIONS.items():
            value = (conditions.get(operator) or {}).get(key)
            if value is not None or name in desired:
                props[name] = value
        return props

    def delete(self, physical_id: str, desired: Props) -> None:
        function, _, sid = physical_id.partition("|")
        with self.gone_is_done():
            self.client.remove_permission(FunctionName=function, StatementId=sid)
