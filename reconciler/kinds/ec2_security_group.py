"""AWS::EC2::SecurityGroup: a VPC security group and, where declared, its rule lists.

A no-drift observe costs one DescribeSecurityGroups (rules and tags included). Each rule
list is read only when the template declares it, and is then exact, compared as a set:
a rule added, removed or widened out of band is drift. A group that declares no
``SecurityGroupIngress`` (or ``SecurityGroupEgress``) leaves that direction to standalone
``AWS::EC2::SecurityGroupIngress``/``Egress`` resources, which therefore never show as its
drift; declaring both on one group would make them fight, as in CloudFormation, so don't.
AWS's default egress rule (all traffic to 0.0.0.0/0) stays unless egress rules are
declared: then the declared list is the whole egress, and the default is revoked.
CreateSecurityGroup takes no token: a lost reply is found by the ownership tags it sets.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds import ec2_security_group_rules as rules
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing
from reconciler.kinds.model_shapes import method_name

_LISTS = {"SecurityGroupIngress": False, "SecurityGroupEgress": True}  # property -> egress
_MEMBERS = {"SecurityGroupIngress": "IpPermissions", "SecurityGroupEgress": "IpPermissionsEgress"}


class SecurityGroup(DeclaredKind):
    type_name = "AWS::EC2::SecurityGroup"
    listing = Listing("ec2", "DescribeSecurityGroups",
                      "SecurityGroups[?GroupName != 'default'].GroupId")
    managed_properties = frozenset({
        "GroupDescription", "GroupName", "VpcId", "SecurityGroupIngress",
        "SecurityGroupEgress", "Tags",
    })
    extra_attributes = frozenset({"VpcId"})
    exact_paths = frozenset({"/SecurityGroupIngress", "/SecurityGroupEgress"})
    extra_permissions = frozenset({"ec2:DescribeSecurityGroupRules"})

    service, identifier = "ec2", "GroupId"
    generated_property = "GroupName"
    read_call = Call("DescribeSecurityGroups", id_member="GroupIds", result="SecurityGroups[0]",
                     renames={"/GroupDescription": "Description", **{
                         f"/{p}": m for p, m in _MEMBERS.items()}})
    create_call = Call("CreateSecurityGroup", renames={"/GroupDescription": "Description"})
    created_id = "GroupId"
    tag_spec = "security-group"
    find_call = Call("DescribeSecurityGroups", result="SecurityGroups[].GroupId")
    delete_call = Call("DeleteSecurityGroup")
    gone_codes = ("InvalidGroup.NotFound",)
    writers = {"SecurityGroupIngress": "write_rules", "SecurityGroupEgress": "write_rules"}
    tag_calls = EC2_TAGS
    attribute_paths = {"Id": "GroupId"}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for prop, egress in _LISTS.items():
            items = props.get(prop)
            for i, rule in enumerate(items if isinstance(items, list) else ()):
                found += rules.problems(rule, egress, f"/{prop}/{i}")
        return found

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        plain = {k: v for k, v in desired.items() if k not in _LISTS}
        props = super().properties_from(resource, plain)
        for prop, egress in _LISTS.items():
            if prop in desired:  # read only what is declared
                observed = rules.from_permissions(resource.get(_MEMBERS[prop]), egress)
                props[prop] = rules.as_declared(observed, desired[prop] or (), egress)
        return props

    def write_rules(self, physical_id: str, values: Props, observed: Observation | None,
                    ) -> None:
        """Each declared list to exactly its rules: descriptions updated in place, then rules
        revoked (by rule ID), then the new ones authorized."""
        current = observed.properties if observed is not None else None
        if current is None:  # just created: the default egress rule is all there is
            current = self.properties_from(self.read(physical_id) or {}, dict(values))
        for prop, want in values.items():
            egress = _LISTS[prop]
            revoke, authorize, describe = rules.changes(current.get(prop) or [], want or [],
                                                        egress)
            direction = "Egress" if egress else "Ingress"
            if describe:
                self._call(f"UpdateSecurityGroupRuleDescriptions{direction}", GroupId=physical_id,
                           IpPermissions=[rules.to_permission(r, egress) for r in describe])
            if revoke:
                self._revoke(physical_id, revoke, egress)
            if authorize:
                self._call(f"AuthorizeSecurityGroup{direction}", GroupId=physical_id,
                           IpPermissions=[rules.to_permission(r, egress) for r in authorize])

    def delete(self, physical_id: str, desired: Props) -> None:
        super().delete(physical_id, {})  # by GroupId alone: EC2 takes the ID or the name

    def _revoke(self, group_id: str, revoke: list[rules.Rule], egress: bool) -> None:
        records = self._call("DescribeSecurityGroupRules",
                             Filters=[{"Name": "group-id", "Values": [group_id]}])
        ids = {rules.key(rules.from_record(r), egress): r["SecurityGroupRuleId"]
               for r in records.get("SecurityGroupRules", ())
               if bool(r.get("IsEgress")) == egress}
        by_id = [ids[k] for k in (rules.key(r, egress) for r in revoke) if k in ids]
        rest = [r for r in revoke if rules.key(r, egress) not in ids]
        operation = f"RevokeSecurityGroup{'Egress' if egress else 'Ingress'}"
        if by_id:
            self._call(operation, GroupId=group_id, SecurityGroupRuleIds=by_id)
        if rest:  # not listed as rule records (yet): revoke by permission
            self._call(operation, GroupId=group_id,
                       IpPermissions=[rules.to_permission(r, egress) for r in rest])

    def _call(self, operation: str, **args: Any) -> dict[str, Any]:
        with self.transients(operation):
            return dict(getattr(self.client, method_name(operation))(**args))
