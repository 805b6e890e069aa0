"""AWS::EC2::Route: one route of a route table, to an internet gateway or a NAT gateway.

Not a resource of its own in AWS: a route is found in its table's DescribeRouteTables
answer (one call) by its destination. Its physical ID is ``<RouteTableId>|<destination>``,
known before the create, so a lost CreateRoute reply is found again by it.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import default_vpc_ids
from reconciler.kinds.listing import pages

_REPLACE = "replace_route"
_TARGETS = ("GatewayId", "NatGatewayId")


class Route(DeclaredKind):
    type_name = "AWS::EC2::Route"
    managed_properties = frozenset({"RouteTableId", "DestinationCidrBlock", *_TARGETS})

    service, identifier = "ec2", "RouteTableId"
    # read() picks the route by its destination; the result names the shape it answers.
    read_call = Call("DescribeRouteTables", id_member="RouteTableIds",
                     result="RouteTables[0].Routes[0]")
    readers = {"RouteTableId": "table_of"}  # from the physical ID, no call
    create_call = Call("CreateRoute")
    delete_call = Call("DeleteRoute")
    writers = dict.fromkeys(_TARGETS, _REPLACE)  # one ReplaceRoute moves the route
    gone_codes = ("InvalidRouteTableID.NotFound", "InvalidRoute.NotFound")

    def physical_id(self, props: Props) -> str | None:
        table, destination = props.get("RouteTableId"), props.get("DestinationCidrBlock")
        ok = isinstance(table, str) and isinstance(destination, str)
        return f"{table}|{destination}" if ok else None

    def read(self, physical_id: str) -> dict[str, Any] | None:
        table, _, destination = physical_id.partition("|")
        answer = self.client.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        for route in answer[0].get("Routes", []) if answer else []:
            if route.get("DestinationCidrBlock") == destination:
                return dict(route)
        return None

    def table_of(self, physical_id: str, want: Any) -> str:
        return physical_id.partition("|")[0]

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {"Ref": physical_id, "CidrBlock": resource.get("DestinationCidrBlock")}

    def replace_route(self, physical_id: str, values: Props,
                      observed: Observation | None) -> None:
        table, _, destination = physical_id.partition("|")
        target = {k: v for k, v in values.items() if v}
        self.client.replace_route(RouteTableId=table, DestinationCidrBlock=destination, **target)

    def delete(self, physical_id: str, desired: Props) -> None:
        table, _, destination = physical_id.partition("|")
        with self.gone_is_done():
            self.client.delete_route(RouteTableId=table, DestinationCidrBlock=destination)

    def list_physical_ids(self) -> list[str]:
        """Routes someone created (not the local route, not propagated), IPv4, outside the
        default VPC."""
        defaults = default_vpc_ids(self.client)
        return [f"{t['RouteTableId']}|{r['DestinationCidrBlock']}"
                for page in pages(self.client, "DescribeRouteTables", {})
                for t in page["RouteTables"] if t.get("VpcId") not in defaults
                for r in t.get("Routes", ())
                if r.get("Origin") == "CreateRoute" and r.get("DestinationCidrBlock")]
