"""AWS::EC2::SecurityGroupEgress: one outbound rule of a group, apart from the group.

As AWS::EC2::SecurityGroupIngress (``ec2_security_group_ingress``), outbound. It leaves the
group's default egress rule alone, as CloudFormation does: a group whose only egress is
standalone rules should declare ``SecurityGroupEgress`` to drop the default.
"""

from __future__ import annotations

from reconciler.kinds.declared import Call
from reconciler.kinds.ec2_security_group_ingress import (
    _INTO_PERMISSIONS,
    _READ,
    SecurityGroupRule,
)


class SecurityGroupEgress(SecurityGroupRule):
    type_name = "AWS::EC2::SecurityGroupEgress"
    managed_properties = frozenset({"GroupId", "IpProtocol", "FromPort", "ToPort", "CidrIp",
                                    "CidrIpv6", "DestinationSecurityGroupId",
                                    "DestinationPrefixListId", "Description"})
    egress, direction = True, "Egress"
    read_call = _READ
    create_call = Call("AuthorizeSecurityGroupEgress", renames={
        k: v for k, v in _INTO_PERMISSIONS.items() if "Source" not in k})
    created_id = "SecurityGroupRules[0].SecurityGroupRuleId"
    delete_call = Call("RevokeSecurityGroupEgress", id_member="SecurityGroupRuleIds")
