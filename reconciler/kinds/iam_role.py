"""AWS::IAM::Role: trust policy, inline policies (an exact set), attached managed policies.

A no-drift observe costs one GetRole, plus ListRolePolicies and one GetRolePolicy per
inline policy when Policies is declared, plus ListAttachedRolePolicies when
ManagedPolicyArns is declared.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote

from botocore.exceptions import ClientError

from reconciler.aws.eventual import is_not_found, retry_while_propagating
from reconciler.aws.normalize import canonical_policy, dict_to_tags, tags_to_dict
from reconciler.kinds.base import Kind, Observation, Props, is_intrinsic

T = TypeVar("T")

# IAM is eventually consistent: a role just created may be "NoSuchEntity" for its own
# follow-up calls, and a trust policy naming a brand-new principal is refused for a while.
_ROLE_PROPAGATION = frozenset({"NoSuchEntity"})
# Only the role itself may be missing for a while; a missing managed policy is a real error.
_ROLE_MISSING = ("role with name", "Role ")  # AWS and moto wordings
_PRINCIPAL_PROPAGATION = frozenset({"MalformedPolicyDocument"})
_INVALID_PRINCIPAL = ("Invalid principal",)

_NAME_CHARS = re.compile(r"[^\w+=,.@-]")
_MIN_SESSION, _MAX_SESSION = 3600, 43200
_POLICY_VERSIONS = ("2012-10-17", "2008-10-17")


class IamRole(Kind):
    type_name = "AWS::IAM::Role"
    managed_properties = frozenset({
        "RoleName", "Path", "AssumeRolePolicyDocument", "Policies", "ManagedPolicyArns",
        "Description", "MaxSessionDuration", "PermissionsBoundary", "Tags",
    })
    # IAM cannot rename a role or move it to another path.
    replace_on = frozenset({"RoleName", "Path"})
    # An inline policy added out of band grants access nobody declared: drift.
    exact_paths = frozenset({"/Policies"})
    policy_paths = frozenset({"/AssumeRolePolicyDocument", "/Policies/*/PolicyDocument"})
    # Beyond CloudFormation's handlers: a role leaves its instance profiles before deletion.
    extra_permissions = frozenset({"iam:ListInstanceProfilesForRole",
                                   "iam:RemoveRoleFromInstanceProfile"})

    @property
    def _iam(self) -> Any:
        return self.aws.client("iam")

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        name = props.get("RoleName")
        return name if isinstance(name, str) else None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        # CloudFormation's shape: <stack>-<logical id>-<random>, at most 64 characters.
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits)
                         for _ in range(12))
        prefix = _NAME_CHARS.sub("", f"{owner}-{logical_id}")[: 64 - len(suffix) - 1]
        return {"RoleName": f"{prefix}-{suffix}"}

    # --- read -------------------------------------------------------------------------------

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            role = self._iam.get_role(RoleName=physical_id)["Role"]
            props = _role_properties(role, desired)
            if "Policies" in desired:
                props["Policies"] = self._inline_policies(physical_id, desired["Policies"])
            if "ManagedPolicyArns" in desired:
                props["ManagedPolicyArns"] = _desired_order(
                    self._attached_arns(physical_id), desired["ManagedPolicyArns"])
        except ClientError as exc:
            # A role deleted between two of these reads is simply gone.
            if is_not_found(exc):
                return None
            raise
        return Observation(
            physical_id=role["RoleName"],
            properties=props,
            tags=tags_to_dict(role.get("Tags")),
            attributes={"Ref": role["RoleName"], "Arn": role["Arn"], "RoleId": role["RoleId"]},
        )

    def _inline_policies(self, role_name: str, declared: Any) -> list[dict[str, Any]]:
        names = _paginate(self._iam.get_paginator("list_role_policies"),
                          "PolicyNames", RoleName=role_name)
        wanted = [p.get("PolicyName") for p in declared or [] if isinstance(p, dict)]
        policies = []
        for name in _desired_order(names, wanted):
            doc = self._iam.get_role_policy(RoleName=role_name, PolicyName=name)
            policies.append({"PolicyName": name,
                             "PolicyDocument": _document(doc["PolicyDocument"])})
        return policies

    def _attached_arns(self, role_name: str) -> list[str]:
        attached = _paginate(self._iam.get_paginator("list_attached_role_policies"),
                             "AttachedPolicies", RoleName=role_name)
        return [p["PolicyArn"] for p in attached]

    # --- write ------------------------------------------------------------------------------

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        name = desired.get("RoleName")
        if not name:
            raise ValueError("AWS::IAM::Role create needs RoleName (see generated_name)")
        args: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": _policy_text(desired["AssumeRolePolicyDocument"]),
            "Tags": dict_to_tags(tags),
        }
        for prop in ("Path", "Description", "MaxSessionDuration", "PermissionsBoundary"):
            if desired.get(prop) is not None:
                args[prop] = desired[prop]
        role = retry_while_propagating(lambda: self._iam.create_role(**args),
                                       codes=_PRINCIPAL_PROPAGATION,
                                       message_contains=_INVALID_PRINCIPAL)["Role"]
        for policy in desired.get("Policies") or []:
            self._until_visible(lambda p=policy: self._put_inline(name, p))
        for arn in desired.get("ManagedPolicyArns") or []:
            self._until_visible(
                lambda a=arn: self._iam.attach_role_policy(RoleName=name, PolicyArn=a))
        return Observation(
            physical_id=name, properties={}, tags=dict(tags),
            attributes={"Ref": name, "Arn": role["Arn"], "RoleId": role["RoleId"]},
        )

    def update(self, physical_id: str, desired: Props, observed: Observation,
               changed: frozenset[str]) -> None:
        iam = self._iam
        if "AssumeRolePolicyDocument" in changed:
            text = _policy_text(desired["AssumeRolePolicyDocument"])
            retry_while_propagating(
                lambda: iam.update_assume_role_policy(RoleName=physical_id, PolicyDocument=text),
                codes=_PRINCIPAL_PROPAGATION, message_contains=_INVALID_PRINCIPAL)
        if changed & {"Description", "MaxSessionDuration"}:
            iam.update_role(RoleName=physical_id, **_role_settings(desired, observed, changed))
        if "PermissionsBoundary" in changed:
            if desired.get("PermissionsBoundary"):
                iam.put_role_permissions_boundary(
                    RoleName=physical_id, PermissionsBoundary=desired["PermissionsBoundary"])
            else:
                iam.delete_role_permissions_boundary(RoleName=physical_id)
        if "Policies" in changed:
            self._converge_inline(physical_id, desired.get("Policies") or [], observed)
        if "ManagedPolicyArns" in changed:
            self._converge_attached(physical_id, desired.get("ManagedPolicyArns") or [])

    def _converge_inline(self, role_name: str, wanted: list[dict[str, Any]],
                         observed: Observation) -> None:
        current = observed.properties.get("Policies")
        if current is None:  # observed without Policies declared: read them now
            current = self._inline_policies(role_name, wanted)
        have = {p["PolicyName"]: canonical_policy(p["PolicyDocument"]) for p in current}
        for policy in wanted:
            if have.get(policy["PolicyName"]) != canonical_policy(policy["PolicyDocument"]):
                self._put_inline(role_name, policy)
        wanted_names = {p["PolicyName"] for p in wanted}
        for name in have.keys() - wanted_names:
            self._iam.delete_role_policy(RoleName=role_name, PolicyName=name)

    def _converge_attached(self, role_name: str, wanted: list[str]) -> None:
        have = set(self._attached_arns(role_name))
        for arn in wanted:
            if arn not in have:
                self._iam.attach_role_policy(RoleName=role_name, PolicyArn=arn)
        for arn in sorted(have - set(wanted)):
            self._iam.detach_role_policy(RoleName=role_name, PolicyArn=arn)

    def _put_inline(self, role_name: str, policy: dict[str, Any]) -> None:
        self._iam.put_role_policy(RoleName=role_name, PolicyName=policy["PolicyName"],
                                  PolicyDocument=_policy_text(policy["PolicyDocument"]))

    def _until_visible(self, call: Callable[[], T]) -> T:
        return retry_while_propagating(call, codes=_ROLE_PROPAGATION,
                                       message_contains=_ROLE_MISSING)

    def set_tags(self, physical_id: str, add: dict[str, str], remove: list[str]) -> None:
        if remove:
            self._iam.untag_role(RoleName=physical_id, TagKeys=remove)
        if add:
            self._iam.tag_role(RoleName=physical_id, Tags=dict_to_tags(add))

    def delete(self, physical_id: str, desired: Props) -> None:
        # IAM refuses to delete a role that still has policies or instance profiles.
        iam = self._iam
        try:
            for arn in self._attached_arns(physical_id):
                iam.detach_role_policy(RoleName=physical_id, PolicyArn=arn)
            for name in _paginate(iam.get_paginator("list_role_policies"), "PolicyNames",
                                  RoleName=physical_id):
                iam.delete_role_policy(RoleName=physical_id, PolicyName=name)
            for profile in _paginate(iam.get_paginator("list_instance_profiles_for_role"),
                                     "InstanceProfiles", RoleName=physical_id):
                iam.remove_role_from_instance_profile(
                    InstanceProfileName=profile["InstanceProfileName"], RoleName=physical_id)
            iam.delete_role(RoleName=physical_id)
        except ClientError as exc:
            if not is_not_found(exc):
                raise

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        if "AssumeRolePolicyDocument" in props:
            problems += _policy_problems(props["AssumeRolePolicyDocument"],
                                         "/AssumeRolePolicyDocument", trust=True)
        policies = props.get("Policies")
        if isinstance(policies, list):
            seen: set[str] = set()
            for i, policy in enumerate(policies):
                if not isinstance(policy, dict) or is_intrinsic(policy):
                    continue
                name = policy.get("PolicyName")
                if isinstance(name, str):
                    if name in seen:
                        problems.append((f"/Policies/{i}/PolicyName",
                                         f"duplicate inline policy name {name!r}"))
                    seen.add(name)
                if "PolicyDocument" in policy:
                    problems += _policy_problems(policy["PolicyDocument"],
                                                 f"/Policies/{i}/PolicyDocument", trust=False)
        arns = props.get("ManagedPolicyArns")
        if isinstance(arns, list):
            for i, arn in enumerate(arns):
                if isinstance(arn, str) and not arn.startswith("arn:"):
                    problems.append((f"/ManagedPolicyArns/{i}", "must be a policy ARN"))
            plain = [a for a in arns if isinstance(a, str)]
            if len(plain) != len(set(plain)):
                problems.append(("/ManagedPolicyArns", "lists the same policy twice"))
        problems += _scalar_problems(props)
        return problems


def _role_settings(desired: Props, observed: Observation, changed: frozenset[str]) -> Props:
    """UpdateRole arguments. Both values are always sent, the unchanged one as observed:
    moto (unlike IAM) resets whichever one is left out."""
    def value(prop: str) -> Any:
        return desired.get(prop) if prop in changed else observed.properties.get(prop)

    settings: Props = {"Description": value("Description") or ""}
    duration = value("MaxSessionDuration")
    settings["MaxSessionDuration"] = int(duration) if duration is not None else _MIN_SESSION
    return settings


# --- observe helpers ------------------------------------------------------------------------

def _role_properties(role: dict[str, Any], desired: Props) -> Props:
    description = role.get("Description")
    if description is None and desired.get("Description") == "":
        description = ""  # IAM drops an empty description; "" and absent are the same
    boundary = role.get("PermissionsBoundary") or {}
    return {
        "RoleName": role["RoleName"],
        "Path": role.get("Path", "/"),
        "AssumeRolePolicyDocument": _document(role.get("AssumeRolePolicyDocument")),
        "Description": description,
        "MaxSessionDuration": int(role.get("MaxSessionDuration", _MIN_SESSION)),
        "PermissionsBoundary": boundary.get("PermissionsBoundaryArn"),
    }


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


def _paginate(paginator: Any, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in paginator.paginate(**kwargs) for item in page.get(key, [])]


def _policy_text(policy: Any) -> str:
    return policy if isinstance(policy, str) else json.dumps(policy)


# --- validation helpers ---------------------------------------------------------------------

def _policy_problems(doc: Any, pointer: str, *, trust: bool) -> list[tuple[str, str]]:
    """What IAM would reject as MalformedPolicyDocument (moto accepts most of it)."""
    if is_intrinsic(doc):
        return []
    if isinstance(doc, str):
        try:
            doc = json.loads(doc)
        except ValueError:
            return [(pointer, "is not valid JSON")]
    if not isinstance(doc, dict):
        return [(pointer, "must be a policy document (an object with Statement)")]
    problems = [(f"{pointer}/{key}", f"unknown policy element {key!r}")
                for key in doc if key not in ("Version", "Id", "Statement")]
    version = doc.get("Version")
    if not trust and version != _POLICY_VERSIONS[0] and not is_intrinsic(version):
        # IAM: "Policy document must be version 2012-10-17 or greater" (moto agrees).
        problems.append((f"{pointer}/Version", f"must be {_POLICY_VERSIONS[0]}"))
    elif version is not None and not is_intrinsic(version) and version not in _POLICY_VERSIONS:
        problems.append((f"{pointer}/Version", f"must be one of {', '.join(_POLICY_VERSIONS)}"))
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        return problems + _statement_problems(statements, f"{pointer}/Statement", trust)
    if not isinstance(statements, list) or not statements:
        return problems + [(f"{pointer}/Statement", "a policy needs at least one statement")]
    sids = [s.get("Sid") for s in statements if isinstance(s, dict) and "Sid" in s]
    if len(sids) != len(set(map(str, sids))):
        problems.append((f"{pointer}/Statement", "statement IDs (Sid) must be unique"))
    for i, statement in enumerate(statements):
        problems += _statement_problems(statement, f"{pointer}/Statement/{i}", trust)
    return problems


def _statement_problems(statement: Any, pointer: str, trust: bool) -> list[tuple[str, str]]:
    if is_intrinsic(statement):
        return []
    if not isinstance(statement, dict):
        return [(pointer, "a statement must be an object")]
    problems = []
    if statement.get("Effect") not in ("Allow", "Deny") and not is_intrinsic(
            statement.get("Effect")):
        problems.append((f"{pointer}/Effect", "must be Allow or Deny"))
    if ("Action" in statement) == ("NotAction" in statement):
        problems.append((pointer, "needs exactly one of Action and NotAction"))
    actions = statement.get("Action", statement.get("NotAction"))
    for action in actions if isinstance(actions, list) else [actions]:
        if isinstance(action, str) and action != "*" and ":" not in action:
            problems.append((pointer, f"action {action!r} needs a service prefix (s3:...)"))
        elif trust and isinstance(action, str) and not action.startswith("sts:"):
            problems.append((pointer, f"a trust policy allows only sts: actions, not {action!r}"))
    has_principal = "Principal" in statement or "NotPrincipal" in statement
    has_resource = "Resource" in statement or "NotResource" in statement
    if trust:
        if not has_principal:
            problems.append((pointer, "a trust policy statement needs a Principal"))
        if has_resource:
            problems.append((pointer, "a trust policy statement cannot name a Resource"))
    else:
        if has_principal:
            problems.append((pointer, "an identity policy cannot name a Principal"))
        if not has_resource:
            problems.append((pointer, "needs Resource or NotResource"))
    return problems


def _scalar_problems(props: Props) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    duration = props.get("MaxSessionDuration")
    if duration is not None and not is_intrinsic(duration):
        try:
            seconds = int(duration)
        except (TypeError, ValueError):
            seconds = -1
        if not _MIN_SESSION <= seconds <= _MAX_SESSION:
            problems.append(("/MaxSessionDuration",
                             f"must be between {_MIN_SESSION} and {_MAX_SESSION} seconds"))
    name = props.get("RoleName")
    if isinstance(name, str) and (len(name) > 64 or _NAME_CHARS.search(name) or not name):
        problems.append(("/RoleName", "must be 1-64 characters of letters, digits and +=,.@_-"))
    path = props.get("Path")
    if isinstance(path, str) and not (path.startswith("/") and path.endswith("/")
                                      and len(path) <= 512):
        problems.append(("/Path", "must begin and end with / (at most 512 characters)"))
    description = props.get("Description")
    if isinstance(description, str) and len(description) > 1000:
        problems.append(("/Description", "must be at most 1000 characters"))
    return problems
