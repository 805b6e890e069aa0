"""AWS::EC2::VPC: the network, its CIDR block, tenancy and DNS attributes.

A no-drift observe costs DescribeVpcs (tags included), plus one DescribeVpcAttribute per
declared DNS attribute. The ``DefaultSecurityGroup`` attribute (the group EC2 makes with
the VPC, which templates often give to a function or a load balancer) costs one
DescribeSecurityGroups the first time a VPC is seen: it never changes for the VPC's life,
so the kind (one per worker) remembers it. CreateVpc takes no idempotency token: a lost
reply is found by the ownership tags the create call itself sets.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.declared import Call, DeclaredKind, TagCalls
from reconciler.kinds.listing import Listing

EC2_TAGS = TagCalls("CreateTags", "DeleteTags", result="Tags", param="Resources")


class Vpc(DeclaredKind):
    type_name = "AWS::EC2::VPC"
    listing = Listing("ec2", "DescribeVpcs", "Vpcs[?!IsDefault].VpcId")
    managed_properties = frozenset({
        "CidrBlock", "EnableDnsHostnames", "EnableDnsSupport", "InstanceTenancy", "Tags",
    })

    extra_attributes = frozenset({"CidrBlock", "DefaultSecurityGroup"})

    service, identifier = "ec2", "VpcId"
    read_call = Call("DescribeVpcs", id_member="VpcIds", result="Vpcs[0]")
    create_call = Call("CreateVpc")
    created_id = "Vpc.VpcId"
    tag_spec = "vpc"
    find_call = Call("DescribeVpcs", result="Vpcs[].VpcId")
    delete_call = Call("DeleteVpc")
    gone_codes = ("InvalidVpcID.NotFound",)
    readers = {
        "EnableDnsSupport": Call("DescribeVpcAttribute", {"Attribute": "enableDnsSupport"},
                                 result="EnableDnsSupport.Value"),
        "EnableDnsHostnames": Call("DescribeVpcAttribute", {"Attribute": "enableDnsHostnames"},
                                   result="EnableDnsHostnames.Value"),
    }
    # EC2 changes one VPC attribute per ModifyVpcAttribute call.
    writers = {
        "EnableDnsSupport": Call("ModifyVpcAttribute"),
        "EnableDnsHostnames": Call("ModifyVpcAttribute"),
        "InstanceTenancy": Call("ModifyVpcTenancy"),
    }
    tag_calls = EC2_TAGS
    attribute_paths = {
        "CidrBlockAssociations": "CidrBlockAssociationSet[].AssociationId",
        "Ipv6CidrBlocks": "Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock",
    }

    def __init__(self, aws: Any):
        super().__init__(aws)
        self._default_groups: dict[str, str] = {}  # VPC ID -> its default group's ID

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        out = super().attributes_from(resource, physical_id)
        if physical_id not in self._default_groups:
            groups = self.client.describe_security_groups(Filters=[
                {"Name": "vpc-id", "Values": [physical_id]},
                {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
            if groups:
                self._default_groups[physical_id] = str(groups[0]["GroupId"])
        if physical_id in self._default_groups:
            out["DefaultSecurityGroup"] = self._default_groups[physical_id]
        return out


def default_vpc_ids(client: Any) -> set[str]:
    """The region's default VPC (AWS made it, and what comes with it): never imported."""
    answer = client.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])
    return {str(v["VpcId"]) for v in answer.get("Vpcs", ())}
