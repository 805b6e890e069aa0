"""AWS::WAFv2::WebACL: rate limiting and managed rule groups in front of the ALB (ADR-007).

A no-drift observe costs one GetWebACL and one ListTagsForResource. The physical ID is
CloudFormation's ``name|id|scope``; before the ID is known, ``name|scope`` finds the web ACL
by name (one ListWebACLs per 100 web ACLs), so a name conflict or a lost create reply
shows like any named kind's.

Rules are compared by rule name: the rules AWS has are read in the declared order of
their names (undeclared ones last), so a rule loosened out of band (a rate limit raised,
a managed group's override set to Count) is drift at its own path, and a rule added or
removed is drift of the list. UpdateWebACL replaces the whole configuration: it is built
from what GetWebACL answered with the changed properties laid over, and carries the
LockToken of that read. A stale token (someone changed the web ACL since) is retried
once with a fresh read; a second refusal is transient, retried by the engine.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from reconciler.aws.eventual import error_code
from reconciler.kinds import mapper
from reconciler.kinds.base import Observation, Props, TransientError, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing

_SEPARATOR = "|"
_UPDATE = "update_web_acl"
_STALE = "WAFOptimisticLockException"
_NAME_LIMIT = 128
_LIST_LIMIT = 100
# Rule statements that reference a rule group take OverrideAction; every other one Action.
_GROUP_STATEMENTS = frozenset({"ManagedRuleGroupStatement", "RuleGroupReferenceStatement"})
_ARGUMENTS = frozenset({"Name", "Scope", "Id", "LockToken"})


@dataclass
class WebAclObservation(Observation):
    """An observation that keeps what an update needs: the LockToken and the whole
    configuration GetWebACL answered."""

    lock_token: str | None = None
    current: dict[str, Any] = field(default_factory=dict)


class WebAcl(DeclaredKind):
    type_name = "AWS::WAFv2::WebACL"
    listing = Listing("wafv2", "ListWebACLs", "WebACLs[].join('|', [Name, Id, 'REGIONAL'])",
                      {"Scope": "REGIONAL"})
    managed_properties = frozenset({
        "Name", "Scope", "DefaultAction", "Rules", "VisibilityConfig", "Description", "Tags",
    })
    attributes_ref_is_id = False  # Ref is name|id|scope: the ID is AWS's

    service, identifier, name = "wafv2", "Id", "Name"
    read_call = Call("GetWebACL", result="WebACL")
    create_call = Call("CreateWebACL")
    delete_call = Call("DeleteWebACL")
    gone_codes = ("WAFNonexistentItemException",)
    # AWS refuses to delete a web ACL for a while after its last association went.
    transient_codes = {"WAFAssociatedItemException": ()}
    readers = {"Scope": "read_scope"}
    writers = {p: _UPDATE for p in ("DefaultAction", "Rules", "VisibilityConfig",
                                    "Description")}
    tag_calls = TagCalls("TagResource", "UntagResource", "ListTagsForResource",
                         result="TagInfoForResource.TagList", resource="ARN",
                         param="ResourceARN")
    attribute_paths = {"Arn": "ARN"}

    # --- identity ---------------------------------------------------------------------------

    def physical_id(self, props: Props) -> str | None:
        name, scope = props.get("Name"), props.get("Scope")
        if isinstance(name, str) and isinstance(scope, str):
            return f"{name}{_SEPARATOR}{scope}"  # a lookup by name until the ID is known
        return None

    def generated_name(self, logical_id: str, owner: str) -> Props:
        suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits)
                         for _ in range(12))
        stem = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-"
                       for c in f"{owner}-{logical_id}")
        return {"Name": f"{stem[: _NAME_LIMIT - len(suffix) - 1]}-{suffix}"}

    def _parts(self, physical_id: str) -> tuple[str, str, str] | None:
        """(name, id, scope), looking the ID up by name for a ``name|scope``."""
        parts = physical_id.split(_SEPARATOR)
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        name, scope = parts[0], parts[-1]
        args: dict[str, Any] = {"Scope": scope, "Limit": _LIST_LIMIT}
        while True:
            page = self.client.list_web_acls(**args)
            for summary in page.get("WebACLs", ()):
                if summary.get("Name") == name:
                    return name, str(summary["Id"]), scope
            if not page.get("NextMarker") or not page.get("WebACLs"):
                return None
            args["NextMarker"] = page["NextMarker"]

    # --- read -------------------------------------------------------------------------------

    def _get(self, name: str, acl_id: str, scope: str) -> dict[str, Any]:
        return dict(self.client.get_web_acl(Name=name, Id=acl_id, Scope=scope))

    def read(self, physical_id: str) -> dict[str, Any] | None:
        parts = self._parts(physical_id)
        return dict(self._get(*parts)["WebACL"]) if parts else None

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        try:
            parts = self._parts(physical_id)
            if parts is None:
                return None
            response = self._get(*parts)
            resource = dict(response["WebACL"])
            full = _SEPARATOR.join(parts)
            props = self.properties_from(resource, desired)
            props["Scope"] = parts[2]
            tags = self.read_tags(full, resource)
        except ClientError as exc:
            if self._gone(exc):
                return None
            raise
        return WebAclObservation(full, props, tags, self.attributes_from(resource, full),
                                 lock_token=response.get("LockToken"), current=resource)

    def read_scope(self, physical_id: str, want: Any) -> str:
        return physical_id.split(_SEPARATOR)[-1]

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, {k: v for k, v in desired.items()
                                                   if k != "Rules"})
        if "Rules" in desired:
            props["Rules"] = self._rules_as_declared(resource.get("Rules"), desired["Rules"])
        return props

    def _rules_as_declared(self, rules: Any, declared: Any) -> list[Any] | None:
        """AWS's rules in the declared order of their names, each read like the declared
        rule of its name; rules nobody declared come last, by priority, whole."""
        if rules is None:
            return None
        shape = self.operation("GetWebACL").output_shape.members["WebACL"].members["Rules"]
        wanted = {r.get("Name"): r for r in declared or () if isinstance(r, dict)}
        order = list(wanted)
        ranked = sorted(rules, key=lambda r: (
            order.index(r.get("Name")) if r.get("Name") in wanted else len(order),
            r.get("Priority", 0)))
        return [mapper.from_api(r, shape.member, wanted.get(r.get("Name")), path="/Rules/*")
                for r in ranked]

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out = super().attributes_from(resource, physical_id)
        out.pop("Capacity", None)  # CloudFormation documents Arn, Id and LabelNamespace
        return out

    # --- write ------------------------------------------------------------------------------

    def update_web_acl(self, physical_id: str, values: Props, observed: Observation | None,
                       ) -> None:
        """One UpdateWebACL: the whole configuration read, the changed properties over it."""
        name, acl_id, scope = physical_id.split(_SEPARATOR)
        shape = self.operation("UpdateWebACL").input_shape

        def update(current: dict[str, Any], token: str) -> None:
            args: dict[str, Any] = {"Name": name, "Id": acl_id, "Scope": scope,
                                    "LockToken": token}
            for member in shape.members:
                if member in _ARGUMENTS:
                    continue
                if member in values:
                    if values[member] is not None:
                        args[member] = mapper.to_api(values[member], shape.members[member],
                                                     path=f"/{member}")
                elif current.get(member) not in (None, ""):
                    args[member] = _without_nulls(current[member])
            self.client.update_web_acl(**args)

        self._with_lock_token(physical_id, observed, update)

    def delete(self, physical_id: str, desired: Props) -> None:
        name, acl_id, scope = physical_id.split(_SEPARATOR)

        def delete(current: dict[str, Any], token: str) -> None:
            with self.transients("DeleteWebACL"):
                self.client.delete_web_acl(Name=name, Id=acl_id, Scope=scope, LockToken=token)

        with self.gone_is_done():
            self._with_lock_token(physical_id, None, delete)

    def _with_lock_token(self, physical_id: str, observed: Observation | None,
                         change: Callable[[dict[str, Any], str], None]) -> None:
        """``change(configuration, token)`` with the observation's token (else a fresh read),
        once more with a fresh read if that token is stale."""
        if isinstance(observed, WebAclObservation) and observed.lock_token:
            current, token = observed.current, observed.lock_token
        else:
            current, token = self._fresh(physical_id)
        try:
            change(current, token)
            return
        except ClientError as exc:
            if error_code(exc) != _STALE:
                raise
        current, token = self._fresh(physical_id)
        try:
            change(current, token)
        except ClientError as exc:
            if error_code(exc) != _STALE:
                raise
            raise TransientError(f"web ACL {physical_id} keeps changing while being "
                                 "updated (stale LockToken twice)", delay=5) from exc

    def _fresh(self, physical_id: str) -> tuple[dict[str, Any], str]:
        name, acl_id, scope = physical_id.split(_SEPARATOR)
        response = self._get(name, acl_id, scope)
        return dict(response["WebACL"]), str(response["LockToken"])

    # --- validation -------------------------------------------------------------------------

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """What AWS refuses and the local emulator accepts: rule names or priorities used
        twice, a rule group statement with Action or a plain statement with OverrideAction."""
        rules = props.get("Rules")
        if not isinstance(rules, list):
            return []
        problems: list[tuple[str, str]] = []
        names: set[Any] = set()
        priorities: set[Any] = set()
        for i, rule in enumerate(rules):
            if not isinstance(rule, dict):
                continue
            path = f"/Rules/{i}"
            for key, seen in (("Name", names), ("Priority", priorities)):
                value = rule.get(key)
                if value is not None and not is_intrinsic(value):
                    if value in seen:
                        problems.append((f"{path}/{key}", f"{value} is used by another rule"))
                    seen.add(value)
            statement = rule.get("Statement")
            if not isinstance(statement, dict) or len(statement) != 1:
                continue
            group = next(iter(statement)) in _GROUP_STATEMENTS
            wanted, refused = ("OverrideAction", "Action") if group else ("Action",
                                                                          "OverrideAction")
            if refused in rule:
                problems.append((f"{path}/{refused}", f"a rule with a {next(iter(statement))} "
                                                      f"takes {wanted}, not {refused}"))
            elif wanted not in rule:
                problems.append((path, f"a rule with a {next(iter(statement))} needs "
                                       f"{wanted}"))
        return problems


def _without_nulls(value: Any) -> Any:
    """A read value fit to send back: members AWS answered as null left out."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
