"""AWS::EC2::EIP: an Elastic IP address for use in a VPC (a NAT gateway's public address).

A no-drift observe costs one DescribeAddresses (tags included). AllocateAddress takes no
idempotency token: a lost reply is found by the ownership tags the call itself sets.

The physical ID is the AllocationId, not the schema's PublicIp|AllocationId pair: every
VPC call takes the allocation ID (ReleaseAddress, AssociateAddress, CreateNatGateway's
AllocationId, DescribeAddresses' AllocationIds), it is never reused, while a public IP
released by one account can later be allocated to another. The PublicIp stays known as
an attribute, and is what Ref returns (as in CloudFormation).
"""

from __future__ import annotations

from reconciler.kinds.base import Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing


class Eip(DeclaredKind):
    type_name = "AWS::EC2::EIP"
    listing = Listing("ec2", "DescribeAddresses", "Addresses[?Domain == 'vpc'].AllocationId")
    managed_properties = frozenset({"Domain", "Tags"})
    # No call moves an address between domains any more (EC2-Classic is gone).
    replace_on = frozenset({"Domain"})

    service, identifier = "ec2", "AllocationId"
    read_call = Call("DescribeAddresses", id_member="AllocationIds", result="Addresses[0]")
    create_call = Call("AllocateAddress")
    created_id = "AllocationId"
    tag_spec = "elastic-ip"
    find_call = Call("DescribeAddresses", result="Addresses[].AllocationId")
    delete_call = Call("ReleaseAddress")
    gone_codes = ("InvalidAllocationID.NotFound",)
    tag_calls = EC2_TAGS
    ref_attribute = "PublicIp"
    attributes_ref_is_id = False
    # Released while the NAT gateway holding it is still being deleted (minutes on AWS):
    # retried on a later pass, by when the gateway has let go of it.
    transient_codes = {"InvalidIPAddress.InUse": ()}

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        domain = props.get("Domain", "vpc")
        if is_intrinsic(domain) or str(domain).lower() == "vpc":
            return []
        return [("/Domain", "must be vpc (EC2-Classic addresses no longer exist)")]
