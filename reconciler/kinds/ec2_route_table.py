"""AWS::EC2::RouteTable: a VPC's route table (its routes are AWS::EC2::Route resources).

A no-drift observe costs one DescribeRouteTables (tags included). CreateRouteTable takes an
idempotency token, derived from the recorded create intent.
"""

from __future__ import annotations

from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import EC2_TAGS
from reconciler.kinds.listing import Listing


class RouteTable(DeclaredKind):
    type_name = "AWS::EC2::RouteTable"
    listing = Listing("ec2", "DescribeRouteTables",
                      "RouteTables[?!(Associations[?Main])].RouteTableId")
    managed_properties = frozenset({"VpcId", "Tags"})

    service, identifier = "ec2", "RouteTableId"
    read_call = Call("DescribeRouteTables", id_member="RouteTableIds", result="RouteTables[0]")
    create_call = Call("CreateRouteTable")
    created_id = "RouteTable.RouteTableId"
    tag_spec = "route-table"
    find_call = Call("DescribeRouteTables", result="RouteTables[].RouteTableId")
    delete_call = Call("DeleteRouteTable")
    gone_codes = ("InvalidRouteTableID.NotFound",)
    tag_calls = EC2_TAGS
