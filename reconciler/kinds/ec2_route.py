"""AWS::EC2::Route: one route of a route table, to exactly one target (a gateway, NAT gateway,
peering connection, transit gateway, network interface, instance, endpoint...).

Not a resource of its own in AWS: a route is found in its table's DescribeRouteTables
answer (one call) by its destination, an IPv4 or IPv6 CIDR block or a prefix list. Its
physical ID is ``<RouteTableId>|<destination>``, known before the create, so a lost
CreateRoute reply is found again by it; the three kinds of destination never look alike
(dots, colons, ``pl-``). A changed target is one ReplaceRoute.
"""

from __future__ import annotations

from typing import Any

from reconciler.kinds.base import Observation, Props, is_intrinsic
from reconciler.kinds.declared import Call, DeclaredKind
from reconciler.kinds.ec2_vpc import default_vpc_ids
from reconciler.kinds.listing import pages

_REPLACE = "replace_route"
# What CreateRoute and ReplaceRoute take as the route's target: exactly one of them.
TARGETS = ("GatewayId", "NatGatewayId", "VpcPeeringConnectionId", "TransitGatewayId",
           "NetworkInterfaceId", "VpcEndpointId", "EgressOnlyInternetGatewayId", "InstanceId",
           "CarrierGatewayId", "LocalGatewayId", "CoreNetworkArn")
DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


def destination_member(destination: str) -> str:
    """The API member a physical ID's destination goes in."""
    if destination.startswith("pl-"):
        return "DestinationPrefixListId"
    return "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"


def _destination(route: dict[str, Any]) -> str | None:
    return next((route[d] for d in DESTINATIONS if route.get(d)), None)


class Route(DeclaredKind):
    type_name = "AWS::EC2::Route"
    managed_properties = frozenset({"RouteTableId", *DESTINATIONS, *TARGETS})

    service, identifier = "ec2", "RouteTableId"
    # read() picks the route by its destination; the result names the shape it answers.
    read_call = Call("DescribeRouteTables", id_member="RouteTableIds",
                     result="RouteTables[0].Routes[0]")
    readers = {"RouteTableId": "table_of"}  # from the physical ID, no call
    # A Gateway Load Balancer endpoint is answered as the route's GatewayId (properties_from).
    property_paths = {"VpcEndpointId": "GatewayId"}
    create_call = Call("CreateRoute")
    delete_call = Call("DeleteRoute")
    writers = dict.fromkeys(TARGETS, _REPLACE)  # one ReplaceRoute moves the route
    gone_codes = ("InvalidRouteTableID.NotFound", "InvalidRoute.NotFound")

    @classmethod
    def validate(cls, props: Props) -> list[tuple[str, str]]:
        """EC2 wants exactly one destination and one target (the schema requires neither)."""
        problems = []
        for names, what in ((DESTINATIONS, "destination"), (TARGETS, "target")):
            if sum(1 for n in names if n in props) != 1:
                problems.append(("", f"a route needs exactly one {what}: one of "
                                     f"{', '.join(names)}"))
        gateway = props.get("GatewayId")
        if isinstance(gateway, str) and not is_intrinsic(gateway) and gateway.startswith(
                "vpce-"):
            problems.append(("/GatewayId", "a VPC endpoint is a VpcEndpointId"))
        return problems

    def physical_id(self, props: Props) -> str | None:
        table, destination = props.get("RouteTableId"), _destination(props)
        ok = isinstance(table, str) and isinstance(destination, str)
        return f"{table}|{destination}" if ok else None

    def read(self, physical_id: str) -> dict[str, Any] | None:
        table, _, destination = physical_id.partition("|")
        answer = self.client.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        member = destination_member(destination)
        for route in answer[0].get("Routes", []) if answer else []:
            if route.get(member) == destination:
                return dict(route)
        return None

    def properties_from(self, resource: dict[str, Any], desired: Props) -> Props:
        props = super().properties_from(resource, desired)
        gateway = resource.get("GatewayId")
        endpoint = resource.get("VpcEndpointId") or (
            gateway if isinstance(gateway, str) and gateway.startswith("vpce-") else None)
        props["VpcEndpointId"] = endpoint
        if endpoint is not None and props.get("GatewayId") == endpoint:
            props["GatewayId"] = None
        return {k: v for k, v in props.items() if k in desired or v is not None}

    def table_of(self, physical_id: str, want: Any) -> str:
        return physical_id.partition("|")[0]

    def attributes_from(self, resource: dict[str, Any], physical_id: str) -> dict[str, Any]:
        return {"Ref": physical_id, "CidrBlock": _destination(resource)}

    def _where(self, physical_id: str) -> dict[str, str]:
        table, _, destination = physical_id.partition("|")
        return {"RouteTableId": table, destination_member(destination): destination}

    def replace_route(self, physical_id: str, values: Props,
                      observed: Observation | None) -> None:
        target = {k: v for k, v in values.items() if v}
        with self.transients("ReplaceRoute"):
            self.client.replace_route(**self._where(physical_id), **target)

    def delete(self, physical_id: str, desired: Props) -> None:
        with self.gone_is_done():
            self.client.delete_route(**self._where(physical_id))

    def list_physical_ids(self) -> list[str]:
        """Routes someone created (not the local route, not propagated), outside the default
        VPC."""
        defaults = default_vpc_ids(self.client)
        return [f"{t['RouteTableId']}|{_destination(r)}"
                for page in pages(self.client, "DescribeRouteTables", {})
                for t in page["RouteTables"] if t.get("VpcId") not in defaults
                for r in t.get("Routes", ())
                if r.get("Origin") == "CreateRoute" and _destination(r)]
