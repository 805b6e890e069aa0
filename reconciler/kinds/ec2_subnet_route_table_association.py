"""AWS::EC2::SubnetRouteTableAssociation: which route table a subnet uses.

A subnet has one association at most, so the subnet ID is the physical ID (known before
the create, so a lost AssociateRouteTable reply is found again by it). A no-drift observe
costs one DescribeRouteTables filtered by the subnet.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.listing import Listing


class SubnetRouteTableAssociation(DeclaredKind):
    type_name = "AWS::EC2::SubnetRouteTableAssociation"
    listing = Listing("ec2", "DescribeRouteTables",
                      "RouteTables[].Associations[] | [?!Main && SubnetId].SubnetId")
    managed_properties = frozenset({"SubnetId", "RouteTableId"})
    # CloudFormation replaces the association; ReplaceRouteTableAssociation moves it at once.
    in_place = frozenset({"RouteTableId"})
    name = "SubnetId"

    service, identifier = "ec2", "SubnetId"
    # read() finds the subnet's association; the result names the shape it answers.
    read_call = Call("DescribeRouteTables", result="RouteTables[0].Associations[0]")
    create_call = Call("AssociateRouteTable")
    delete_call = Call("DisassociateRouteTable")
    writers = {"RouteTableId": "move"}
    gone_codes = ("InvalidAssociationID.NotFound",)
    attribute_paths = {"Id": "RouteTableAssociationId"}

    def read(self, physical_id: str) -> dict[str, Any] | None:
        tables = self.client.describe_route_tables(Filters=[
            {"Name": "association.subnet-id", "Values": [physical_id]}])["RouteTables"]
        for table in tables:
            for association in table.get("Associations", []):
                if association.get("SubnetId") == physical_id:
                    return dict(association)
        return None

    def move(self, physical_id: str, values: Props, observed: Observation | None) -> None:
        association = self.read(physical_id)
        if association is None:
            raise ReconcilerError(f"subnet {physical_id} has no route table association")
        self.client.replace_route_table_association(
            AssociationId=association["RouteTableAssociationId"],
            RouteTableId=values["RouteTableId"])

    def delete(self, physical_id: str, desired: Props) -> None:
        association = self.read(physical_id)
        if association is not None:
            with self.gone_is_done():
                self.client.disassociate_route_table(
                    AssociationId=association["RouteTableAssociationId"])
