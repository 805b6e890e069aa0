"""AWS::EC2::Subnet: a subnet of a VPC in one availability zone.

A no-drift observe costs one DescribeSubnets (tags included). A lost CreateSubnet reply is
found by the ownership tags the create call sets.
"""

from __future__ import annotations

from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing


class Subnet(DeclaredKind):
    type_name = "AWS::EC2::Subnet"
    listing = Listing("ec2", "DescribeSubnets", "Subnets[?!DefaultForAz].SubnetId")
    managed_properties = frozenset({
        "VpcId", "CidrBlock", "AvailabilityZone", "MapPublicIpOnLaunch", "Tags",
    })

    extra_attributes = frozenset({"AvailabilityZone", "AvailabilityZoneId", "CidrBlock",
                                  "VpcId"})

    service, identifier = "ec2", "SubnetId"
    read_call = Call("DescribeSubnets", id_member="SubnetIds", result="Subnets[0]")
    create_call = Call("CreateSubnet")
    created_id = "Subnet.SubnetId"
    tag_spec = "subnet"
    find_call = Call("DescribeSubnets", result="Subnets[].SubnetId")
    delete_call = Call("DeleteSubnet")
    gone_codes = ("InvalidSubnetID.NotFound",)
    writers = {"MapPublicIpOnLaunch": Call("ModifySubnetAttribute")}
    tag_calls = EC2_TAGS
    attribute_paths = {"Ipv6CidrBlocks": "Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock"}
