"""AWS::Lambda::Version: a version published from a function's current code and configuration.

A version is immutable: when the function's code or configuration changes, the published
version no longer matches it, which is drift, and the fix is a new version (a replace,
safe without AllowReplace). The old version is kept, as CloudFormation keeps published
versions around: aliases and callers may still point at it. A no-drift observe costs two
GetFunctionConfiguration calls (the version and ``$LATEST``).

Lambda never publishes two versions of unchanged code and configuration: PublishVersion
answers the newest version if it matches. So a version is found again by its function
alone (the physical ID the declared properties give, before the create): the newest
version matching ``$LATEST``. That is how a lost PublishVersion reply is found, with
ListVersionsByFunction. Its physical ID afterwards is the version's ARN (``Ref``).
A version AWS is still making (State Pending) is Pending; PublishVersion while the
function is being updated is refused (ResourceConflictException) and retried.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind

# What a version copies from $LATEST; a difference means it was published from other code
# or configuration. (Lambda's own comparison is internal; these are what users set.)
_COPIED = ("CodeSha256", "Runtime", "Handler", "Role", "MemorySize", "Timeout",
           "Environment", "KMSKeyArn", "TracingConfig", "Layers", "DeadLetterConfig",
           "EphemeralStorage", "LoggingConfig", "Architectures")
_VPC = ("SubnetIds", "SecurityGroupIds")  # moto answers a made-up VpcId: not compared


def _function_name(reference: str) -> str:
    """A function name from its name, ARN or partial ARN, without a version qualifier."""
    parts = reference.split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[6]
    if len(parts) >= 3 and parts[1] == "function":  # ACCOUNT:function:NAME[:QUALIFIER]
        return parts[2]
    return parts[0]


def _qualifier(physical_id: str) -> str | None:
    parts = physical_id.split(":")
    return parts[7] if len(parts) == 8 and parts[0] == "arn" else None


def differences(version: dict[str, Any], latest: dict[str, Any]) -> list[str]:
    """What of the function's code and configuration the version does not have."""
    names = [k for k in _COPIED if version.get(k) != latest.get(k)]
    ours, theirs = version.get("VpcConfig") or {}, latest.get("VpcConfig") or {}
    if any(sorted(ours.get(k) or []) != sorted(theirs.get(k) or []) for k in _VPC):
        names.append("VpcConfig")
    return names


class LambdaVersion(DeclaredKind):
    type_name = "AWS::Lambda::Version"
    unlisted = ("a published version is a snapshot of its function, not configured on its own; "
                "import the function and declare the versions to publish")
    managed_properties = frozenset({"FunctionName", "Description", "CodeSha256"})
    replacement_safe = True
    update_replace_policy = "Retain"
    # The physical ID the declared properties give is the function (see the docstring).
    attributes_ref_is_id = False

    service, identifier = "lambda", "FunctionName"
    read_call = Call("GetFunctionConfiguration")
    create_call = Call("PublishVersion")
    created_id = "FunctionArn"
    delete_call = Call("DeleteFunction")
    transient_codes = {"ResourceConflictException": ()}

    def physical_id(self, props: Props) -> str | None:
        function = props.get("FunctionName")
        return _function_name(function) if isinstance(function, str) else None

    def read(self, physical_id: str) -> dict[str, Any] | None:
        """The version (and, under ``$Latest``, the function's current configuration); for a
        function without a qualifier, the newest version matching it."""
        latest = self.client.get_function_configuration(FunctionName=_function_name(
            physical_id))
        if _qualifier(physical_id) is not None:
            version = dict(self.client.get_function_configuration(FunctionName=physical_id))
        else:
            found = self._matching_version(physical_id, latest)
            if found is None:
                return None
            version = found
        return {**version, "$Latest": latest}

    def _matching_version(self, function: str, latest: dict[str, Any]) -> dict[str, Any] | None:
        newest: dict[str, Any] | None = None
        for page in self.client.get_paginator("list_versions_by_function").paginate(
                FunctionName=function):
            for version in page.get("Versions", []):
                if version.get("Version", "$LATEST").isdigit() and (
                        newest is None or int(version["Version"]) > int(newest["Version"])):
                    newest = version
        if newest is None or differences(newest, latest):
            return None
        return dict(newest)

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        resource = self.read_or_none(physical_id)
        if resource is None:
            return None
        arn = str(resource["FunctionArn"])
        return Observation(arn, self.properties_from(resource, desired), None,
                           self.attributes_from(resource, arn),
                           pending=self.pending_reason(resource))

    def pending_reason(self, resource: dict[str, Any]) -> str | None:
        return "State Pending" if resource.get("State") == "Pending" else None

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        declared = desired.get("FunctionName")
        name = _function_name(str(resource["FunctionArn"]))
        function = declared if isinstance(declared, str) and _function_name(
            declared) == name else name
        stale = differences(resource, resource["$Latest"])
        if stale:
            # Published from other code or configuration: a new version is due (a replace).
            function = (f"{function} (version {resource.get('Version')} predates the "
                        f"function's {', '.join(stale)})")
        return {"FunctionName": function, "Description": resource.get("Description"),
                "CodeSha256": resource.get("CodeSha256")}

    def delete(self, physical_id: str, desired: Props) -> None:
        if _qualifier(physical_id) is None:
            return  # never published (a create intent): nothing of ours to delete
        super().delete(physical_id, desired)
