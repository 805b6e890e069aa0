"""What is particular to AWS::EC2::Route (the contract suite covers the round trips to an
internet gateway and to a peering connection): exactly one destination and one target, and
destinations other than an IPv4 CIDR block, on the moto server over HTTP."""

from __future__ import annotations

import boto3
import pytest

from reconciler.kinds.ec2_route import Route, destination_member
from tests.harness import Stack

ROUTE = """
Parameters:
  TableId: {Type: String}
  TargetId: {Type: String}
Resources:
  Subject:
    Type: AWS::EC2::Route
    Properties:
      RouteTableId: !Ref TableId
%s
"""


@pytest.mark.parametrize(("body", "problem"), [
    ("      DestinationCidrBlock: 10.9.0.0/16\n      VpcPeeringConnectionId: !Ref TargetId",
     None),
    ("      DestinationCidrBlock: 10.9.0.0/16\n      TransitGatewayId: !Ref TargetId\n"
     "      GatewayId: igw-1", "exactly one target"),
    ("      DestinationCidrBlock: 10.9.0.0/16", "exactly one target"),
    ("      DestinationCidrBlock: 10.9.0.0/16\n      DestinationIpv6CidrBlock: ::/0\n"
     "      GatewayId: igw-1", "exactly one destination"),
    ("      DestinationCidrBlock: 10.9.0.0/16\n      GatewayId: vpce-1", "VpcEndpointId"),
])
def test_validate_wants_one_destination_and_one_target(stack: Stack, body: str,
                                                      problem: str | None) -> None:
    stack.write("route.yaml", ROUTE % body)
    result = stack.cli("validate", str(stack.desired), "--parameter=TableId=rtb-1",
                       "--parameter=TargetId=pcx-1")
    if problem is None:
        assert result.code == 0, result.out + result.err
    else:
        assert result.code == 1 and problem in result.out + result.err, result.out + result.err


def test_destination_members() -> None:
    assert destination_member("10.0.0.0/8") == "DestinationCidrBlock"
    assert destination_member("::/0") == "DestinationIpv6CidrBlock"
    assert destination_member("pl-63a5400a") == "DestinationPrefixListId"
    assert Route.physical_id(Route.__new__(Route), {
        "RouteTableId": "rtb-1", "DestinationIpv6CidrBlock": "::/0"}) == "rtb-1|::/0"


def test_an_ipv6_route_to_an_egress_only_gateway(stack: Stack) -> None:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    table = ec2.create_route_table(VpcId=vpc["VpcId"])["RouteTable"]["RouteTableId"]
    gateway = ec2.create_egress_only_internet_gateway(VpcId=vpc["VpcId"])[
        "EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    args = [f"--parameter=TableId={table}", f"--parameter=TargetId={gateway}"]
    stack.write("route.yaml", ROUTE % ("      DestinationIpv6CidrBlock: ::/0\n"
                                       "      EgressOnlyInternetGatewayId: !Ref TargetId"))
    applied = stack.apply(*args)
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan(*args)
    assert plan.code == 0, plan.out
    assert plan.change("Subject")["physical_id"] == f"{table}|::/0"
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    route = next(r for r in routes if r.get("DestinationIpv6CidrBlock") == "::/0")
    assert route["EgressOnlyInternetGatewayId"] == gateway

    stack.write("route.yaml", "Parameters: {TableId: {Type: String}, TargetId: {Type: String}}"
                "\nResources: {}\n")
    removed = stack.apply(*args, "--allow-empty")
    assert removed.code == 0, removed.out + removed.err
    routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
    assert not [r for r in routes if r.get("DestinationIpv6CidrBlock") == "::/0"]
