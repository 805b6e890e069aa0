"""AWS::EC2::InternetGateway: a VPC's way to the internet (attached by VPCGatewayAttachment).

A no-drift observe costs one DescribeInternetGateways (tags included).
"""

from __future__ import annotations

from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS, default_vpc_ids
from reconciler.kinds.listing import pages


class InternetGateway(DeclaredKind):
    type_name = "AWS::EC2::InternetGateway"
    managed_properties = frozenset({"Tags"})

    service, identifier = "ec2", "InternetGatewayId"
    read_call = Call("DescribeInternetGateways", id_member="InternetGatewayIds",
                     result="InternetGateways[0]")
    create_call = Call("CreateInternetGateway")
    created_id = "InternetGateway.InternetGatewayId"
    tag_spec = "internet-gateway"
    find_call = Call("DescribeInternetGateways", result="InternetGateways[].InternetGatewayId")
    delete_call = Call("DeleteInternetGateway")
    gone_codes = ("InvalidInternetGatewayID.NotFound",)
    tag_calls = EC2_TAGS

    def list_physical_ids(self) -> list[str]:
        """Gateways but the default VPC's (AWS made it with the VPC)."""
        defaults = default_vpc_ids(self.client)
        return [str(g["InternetGatewayId"])
                for page in pages(self.client, "DescribeInternetGateways", {})
                for g in page["InternetGateways"]
                if not {a.get("VpcId") for a in g.get("Attachments", ())} & defaults]
