"""AWS::EC2::SecurityGroupIngress: one inbound rule of a group, apart from the group (how two
groups that reference each other are declared without a cycle).

The physical ID is the rule's ID (``sgr-...``) from the Authorize answer; a no-drift observe
costs one DescribeSecurityGroupRules. Every property but ``Description`` is create-only.
The kind is untaggable (CloudFormation's schema says so, although the API now takes
``security-group-rule`` TagSpecifications), so the engine hands it no ownership tags: what
identifies a rule before its ID is known is its content, which EC2 keeps unique per group
(``InvalidPermission.Duplicate``). That content is the rule's name here (``physical_id``),
and a lost create reply is found by it, as a named kind is found by its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from reconciler.kinds import ec2_security_group_rules as rules
from reconciler.kinds.base import Observation, Props, TransientError
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.model_shapes import method_name

_FIELDS = ("IpProtocol", "FromPort", "ToPort", "Description")


def _group_named(value: Any) -> str | None:
    """The logical ID a ``GroupId`` of ``!Ref G`` or ``!GetAtt G.GroupId`` names."""
    if not isinstance(value, dict) or len(value) != 1:
        return None
    if isinstance(value.get("Ref"), str):
        return str(value["Ref"])
    target = value.get("Fn::GetAtt")
    if isinstance(target, str):
        target = target.split(".", 1)
    if isinstance(target, list) and len(target) == 2 and target[1] == "GroupId":
        return str(target[0])
    return None


class SecurityGroupRule(DeclaredKind):
    unlisted = ("a group's rules are imported inside it, as its SecurityGroupIngress and "
                "SecurityGroupEgress (import AWS::EC2::SecurityGroup)")
    """The standalone rule kinds: ``egress`` says which direction."""

    egress: ClassVar[bool]
    direction: ClassVar[str]
    service, identifier = "ec2", "SecurityGroupRuleId"
    gone_codes = ("InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound",
                  "InvalidGroup.NotFound")
    writers = {"Description": "write_description"}
    attribute_paths = {"Id": "SecurityGroupRuleId"}
    attributes_ref_is_id = False  # the content key is no Ref: the rule ID is

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        found = [("/GroupId", "is required (rules of default-VPC groups by GroupName are not "
                  "supported)")] if props.get("GroupId") is None else []
        return found + rules.problems(props, cls.egress, "")

    @classmethod
    def validate_with(cls, props: Props, declared: Mapping[str, tuple[str, Props]],
                      ) -> list[tuple[str, str]]:
        """A group that declares its own rule list in this direction keeps exactly that list,
        so a standalone rule for it would be revoked on every pass: refused."""
        group = _group_named(props.get("GroupId"))
        target = declared.get(group) if group else None
        if target is None or target[0] != "AWS::EC2::SecurityGroup":
            return []
        listed = "SecurityGroupEgress" if cls.egress else "SecurityGroupIngress"
        if listed not in (target[1] or {}):
            return []
        return [("/GroupId", f"security group {group} declares {listed} itself, and that list "
                 f"is exact: this rule would be revoked on every pass (move it into "
                 f"{group}'s {listed}, or declare all of {group}'s rules as standalone "
                 "resources)")]

    def rule(self, props: Props) -> rules.Rule:
        owner = () if self.egress else (rules.OWNER,)
        return {k: props[k] for k in (*_FIELDS, *rules.peers(self.egress), *owner)
                if k in props}

    def physical_id(self, props: Props) -> str | None:
        """The rule's content, unique in its group: what names it until its ID is known."""
        group = props.get("GroupId")
        if not isinstance(group, str) or not all(
                isinstance(v, str | int) for v in self.rule(props).values()):
            return None
        proto, low, high, peer, value = rules.key(self.rule(props), self.egress)
        return f"{group}/{self.direction.lower()}/{proto}/{low}-{high}/{peer}={value}"

    def observe(self, physical_id: str, desired: Props) -> Observation | None:
        if not physical_id.startswith("sgr-"):  # the content key: find the rule by it
            found = self._matching(desired)
            if found is None:
                return None
            physical_id = found
        return super().observe(physical_id, desired)

    def _matching(self, desired: Props) -> str | None:
        if not isinstance(desired.get("GroupId"), str):
            return None
        want = rules.key(self.rule(desired), self.egress)
        records = self._call("DescribeSecurityGroupRules", Filters=[
            {"Name": "group-id", "Values": [desired["GroupId"]]}])["SecurityGroupRules"]
        return next((r["SecurityGroupRuleId"] for r in records
                     if bool(r.get("IsEgress")) == self.egress
                     and rules.key(rules.from_record(r), self.egress) == want), None)

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        observed = {**rules.from_record(resource), "GroupId": resource.get("GroupId")}
        if rules.key(observed, self.egress) == rules.key(self.rule(desired), self.egress):
            # The same rule: as declared (protocol "6" is "tcp"); description and owner as
            # they are.
            observed = {**{k: v for k, v in desired.items()
                           if k not in ("Description", rules.OWNER)},
                        "GroupId": observed["GroupId"],
                        "Description": observed.get("Description"),
                        rules.OWNER: observed.get(rules.OWNER)}
        return {k: observed.get(k) for k in {*desired, *_FIELDS, "GroupId"}
                if k in desired or observed.get(k) is not None}

    def create(self, desired: Props, tags: dict[str, str], token: str | None = None,
               ) -> Observation:
        # No token: botocore must not retry it (a lost reply is found by the rule's content).
        client = self.aws.client(self.service, retries=False)
        operation = f"AuthorizeSecurityGroup{self.direction}"
        with self.transients(operation):
            response = getattr(client, method_name(operation))(
                GroupId=desired["GroupId"],
                IpPermissions=[rules.to_permission(self.rule(desired), self.egress)])
        rule_id = str(response["SecurityGroupRules"][0]["SecurityGroupRuleId"])
        observed = self.observe(rule_id, desired)
        if observed is None:
            raise TransientError(f"{self.type_name} {rule_id} was created but cannot be read "
                                 "back yet")
        return observed

    def write_description(self, physical_id: str, values: Props, observed: Observation | None,
                          ) -> None:
        # By permission, not by rule ID: both are in the API; moto ignores the rule-ID form.
        props = observed.properties if observed is not None else {}
        rule = {**self.rule(props), "Description": values.get("Description") or ""}
        self._call(f"UpdateSecurityGroupRuleDescriptions{self.direction}",
                   GroupId=props["GroupId"],
                   IpPermissions=[rules.to_permission(rule, self.egress)])

    def delete(self, physical_id: str, desired: Props) -> None:
        group = desired.get("GroupId")
        if group is None:
            resource = self.read(physical_id) if physical_id.startswith("sgr-") else None
            group = (resource or {}).get("GroupId")
        if group is None:
            return  # nothing left to revoke
        super().delete(physical_id, {"GroupId": group})

    def _call(self, operation: str, **args: Any) -> dict[str, Any]:
        with self.transients(operation):
            return dict(getattr(self.client, method_name(operation))(**args))


_READ = Call("DescribeSecurityGroupRules", id_member="SecurityGroupRuleIds",
             result="SecurityGroupRules[0]",
             renames={"/CidrIp": "CidrIpv4", "/SourceSecurityGroupId": "ReferencedGroupInfo",
                      "/DestinationSecurityGroupId": "ReferencedGroupInfo",
                      "/SourcePrefixListId": "PrefixListId",
                      "/SourceSecurityGroupOwnerId": "ReferencedGroupInfo",
                      "/DestinationPrefixListId": "PrefixListId"})
# What the create call's IpPermissions carries (the static contract checks name it).
_INTO_PERMISSIONS = {f"/{p}": "IpPermissions" for p in (
    "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId", "DestinationSecurityGroupId",
    "DestinationPrefixListId", "Description", "CidrIp", "FromPort", "ToPort", "IpProtocol",
    "SourceSecurityGroupOwnerId")}


class SecurityGroupIngress(SecurityGroupRule):
    type_name = "AWS::EC2::SecurityGroupIngress"
    managed_properties = frozenset({"GroupId", "IpProtocol", "FromPort", "ToPort", "CidrIp",
                                    "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId",
                                    "SourceSecurityGroupOwnerId", "Description"})
    egress, direction = False, "Ingress"
    read_call = _READ
    create_call = Call("AuthorizeSecurityGroupIngress", renames={
        k: v for k, v in _INTO_PERMISSIONS.items() if "Destination" not in k})
    created_id = "SecurityGroupRules[0].SecurityGroupRuleId"
    delete_call = Call("RevokeSecurityGroupIngress", id_member="SecurityGroupRuleIds")
