"""AWS::IAM::Role: trust policy, inline policies (an exact set), attached managed policies.

A no-drift observe costs one GetRole (tags included), plus ListRolePolicies and one
GetRolePolicy per inline policy when Policies is declared, plus ListAttachedRolePolicies
when ManagedPolicyArns is declared. IAM is eventually consistent: a role just created
may be "NoSuchEntity" for its own follow-up calls, and a trust policy naming a brand-new
principal is refused for a while; both are transient, retried by the engine.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found
from reconciler.aws.normalize import canonical_policy, uses_policy_variables
from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls, owned_by
from reconciler.kinds.policy_checks import policy_issues

_MIN_SESSION = 3600
_UPDATE_ROLE = "update_role_settings"


class IamRole(DeclaredKind):
    type_name = "AWS::IAM::Role"
    managed_properties = frozenset({
        "RoleName", "Path", "AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns",
        "Description", "MaxSessionDuration", "PermissionsBoundary", "Tags",
    })
    # An inline policy added out of band grants access nobody declared: drift.
    exact_paths = frozenset({"/Policies"})
    policy_paths = frozenset({"/AssumeRolePolicyDocument", "/Policies/*/PolicyDocument"})
    # Beyond CloudFormation's handlers: a role leaves its instance profiles before deletion.
    extra_permissions = frozenset({"iam:ListInstanceProfilesForRole",
                                   "iam:RemoveRoleFromInstanceProfile"})

    service, identifier = "iam", "RoleName"
    read_call = Call("GetRole", result="Role")
    create_call = Call("CreateRole")
    readers = {"Policies": "read_inline_policies", "ManagedPolicyArns": "read_attached"}
    writers = {
        "AssumeRolePolicyDocument": Call(
            "UpdateAssumeRolePolicy", renames={"/AssumeRolePolicyDocument": "PolicyDocument"}),
        "Description": _UPDATE_ROLE,
        "MaxSessionDuration": _UPDATE_ROLE,
        "PermissionsBoundary": Call("PutRolePermissionsBoundary",
                                    off="DeleteRolePermissionsBoundary"),
        "Policies": "converge_inline",
        "ManagedPolicyArns": "converge_attached",
    }
    delete_call = Call("DeleteRole")
    tag_calls = TagCalls("TagRole", "UntagRole")
    # A role just created is "not found" for a while (AWS: "The role with name X cannot be
    # found", moto: "Role X not found"); a missing managed policy "does not exist": final.
    transient_codes = {"MalformedPolicyDocument": ("Invalid principal",),
                       "NoSuchEntity": ("role with name", "not found")}

    # --- read -------------------------------------------------------------------------------

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        if props.get("Description") is None and desired.get("Description") == "":
            props["Description"] = ""  # IAM drops an empty description; "" and absent match
        props["Path"] = resource.get("Path", "/")
        props["AssumeRolePolicyDocument"] = _document(resource.get("AssumeRolePolicyDocument"))
        props["MaxSessionDuration"] = int(resource.get("MaxSessionDuration", _MIN_SESSION))
        boundary = resource.get("PermissionsBoundary") or {}
        props["PermissionsBoundary"] = boundary.get("PermissionsBoundaryArn")
        return props

    def read_inline_policies(self, role_name: str, declared: Any) -> list[dict[str, Any]]:
        names = self._paged("list_role_policies", "PolicyNames", role_name)
        wanted = [p.get("PolicyName") for p in declared or [] if isinstance(p, dict)]
        policies = []
        for name in _desired_order(names, wanted):
            doc = self.client.get_role_policy(RoleName=role_name, PolicyName=name)
            policies.append({"PolicyName": name,
                             "PolicyDocument": _document(doc["PolicyDocument"])})
        return policies

    def read_attached(self, role_name: str, declared: Any) -> list[str]:
        attached = self._paged("list_attached_role_policies", "AttachedPolicies", role_name)
        return _desired_order([p["PolicyArn"] for p in attached], declared or [])

    def _paged(self, operation: str, key: str, role_name: str) -> list[Any]:
        pages = self.client.get_paginator(operation).paginate(RoleName=role_name)
        return [item for page in pages for item in page.get(key, [])]

    def find(self, owner: str, logical_id: str) -> str | None:
        """The role a generated name gave this resource, proved by its ownership tags. IAM
        filters roles by neither tag nor name (and the Tagging API does not list roles):
        ListRoles pages, then one GetRole per name with this resource's stem."""
        stem = self.generated_stem(logical_id, owner)
        if stem is None:
            return None
        for page in self.client.get_paginator("list_roles").paginate():
            for role in page["Roles"]:
                name = str(role["RoleName"])
                if not name.startswith(stem + "-"):
                    continue
                tags = self.client.get_role(RoleName=name)["Role"].get("Tags", [])
                if owned_by({t["Key"]: t["Value"] for t in tags}, owner, logical_id):
                    return name
        return None

    # --- write ------------------------------------------------------------------------------

    def update_role_settings(self, role_name: str, values: Props,
                             observed: Observation | None) -> None:
        """UpdateRole with both settings, the unchanged one as observed: moto (unlike IAM)
        resets whichever one is left out."""
        current = observed.properties if observed is not None else {}
        settings = {**current, **values}
        duration = settings.get("MaxSessionDuration")
        self.client.update_role(RoleName=role_name, Description=settings.get("Description") or "",
                                MaxSessionDuration=int(duration or _MIN_SESSION))

    def converge_inline(self, role_name: str, values: Props,
                        observed: Observation | None) -> None:
        wanted = values.get("Policies") or []
        if observed is None:
            current: list[dict[str, Any]] = []  # a role created a moment ago has none
        elif "Policies" in observed.properties:
            current = observed.properties["Policies"] or []
        else:
            current = self.read_inline_policies(role_name, wanted)
        have = {p["PolicyName"]: canonical_policy(p["PolicyDocument"]) for p in current}
        with self.transients("PutRolePolicy"):
            for policy in wanted:
                if have.get(policy["PolicyName"]) != canonical_policy(policy["PolicyDocument"]):
                    self.client.put_role_policy(
                        RoleName=role_name, PolicyName=policy["PolicyName"],
                        PolicyDocument=_text(_versioned(policy["PolicyDocument"])))
            for name in have.keys() - {p["PolicyName"] for p in wanted}:
                self.client.delete_role_policy(RoleName=role_name, PolicyName=name)

    def converge_attached(self, role_name: str, values: Props,
                          observed: Observation | None) -> None:
        wanted = values.get("ManagedPolicyArns") or []
        have = set(self.read_attached(role_name, wanted)) if observed is not None else set()
        with self.transients("AttachRolePolicy"):
            for arn in wanted:
                if arn not in have:
                    self.client.attach_role_policy(RoleName=role_name, PolicyArn=arn)
            for arn in sorted(have - set(wanted)):
                self.client.detach_role_policy(RoleName=role_name, PolicyArn=arn)

    def delete(self, physical_id: str, desired: Props) -> None:
        # IAM refuses to delete a role that still has policies or instance profiles.
        try:
            self.converge_attached(physical_id, {}, Observation(physical_id, {}))
            self.converge_inline(physical_id, {}, Observation(physical_id, {}))
            for profile in self._paged("list_instance_profiles_for_role", "InstanceProfiles",
                                       physical_id):
                self.client.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=physical_id)
            self.client.delete_role(RoleName=physical_id)
        except ClientError as exc:
            if not is_not_found(exc):
                raise

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems = policy_issues(props.get("AssumeRolePolicyDocument"),
                                 "/AssumeRolePolicyDocument", "trust")
        policies = props.get("Policies")
        seen: set[str] = set()
        for i, policy in enumerate(policies if isinstance(policies, list) else []):
            if not isinstance(policy, dict) or is_intrinsic(policy):
                continue
            name = policy.get("PolicyName")
            if isinstance(name, str) and name in seen:
                problems.append((f"/Policies/{i}/PolicyName", f"duplicate inline policy {name!r}"))
            seen.add(str(name))
            problems += policy_issues(policy.get("PolicyDocument"),
                                      f"/Policies/{i}/PolicyDocument", "identity")
        arns = props.get("ManagedPolicyArns")
        if isinstance(arns, list):
            problems += [(f"/ManagedPolicyArns/{i}", "must be a policy ARN")
                         for i, arn in enumerate(arns)
                         if isinstance(arn, str) and not arn.startswith("arn:")]
            plain = [a for a in arns if isinstance(a, str)]
            if len(plain) != len(set(plain)):
                problems.append(("/ManagedPolicyArns", "lists the same policy twice"))
        path = props.get("Path")
        if isinstance(path, str) and not (path.startswith("/") and path.endswith("/")):
            problems.append(("/Path", "must begin and end with /"))
        return problems


def _versioned(document: Any) -> Any:
    """A policy without Version and without variables, stated as 2012-10-17: the same policy
    (the versions differ in variables only), in the form every IAM API takes."""
    document = _document(document)
    if isinstance(document, dict) and "Version" not in document \
            and not uses_policy_variables(document):
        return {"Version": "2012-10-17", **document}
    return document


def _document(value: Any) -> Any:
    """IAM returns policies URL-encoded JSON (botocore usually decodes them already)."""
    if not isinstance(value, str):
        return value
    for text in (value, unquote(value)):
        try:
            return json.loads(text)
        except ValueError:
            continue
    return value


def _desired_order(items: Iterable[str], wanted: Iterable[Any]) -> list[str]:
    """Declared items first in declared order, extras after: a set compared as a list."""
    present = list(dict.fromkeys(items))
    first = [w for w in dict.fromkeys(wanted) if w in present]
    return first + sorted(i for i in present if i not in first)


def _text(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)
