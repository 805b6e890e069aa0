"""A load balancer's SubnetMappings (elbv2_subnet_mappings): the mapping to and from AWS's
AvailabilityZones (pure), what AWS refuses (validate), and a network load balancer with
Elastic IPs on the moto server (with its addresses kept by reconciler/aws/local_server.py):
a subnet added in place, a subnet given another Elastic IP replaced."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from reconciler.kinds import elbv2_subnet_mappings as mappings
from reconciler.kinds.elbv2_load_balancer import LoadBalancer
from tests.harness import Stack

ZONES = [
    {"ZoneName": "us-east-1a", "SubnetId": "subnet-a",
     "LoadBalancerAddresses": [{"IpAddress": "3.3.3.3", "AllocationId": "eipalloc-a"}]},
    {"ZoneName": "us-east-1b", "SubnetId": "subnet-b",
     "LoadBalancerAddresses": [{"IpAddress": "4.4.4.4"}], "SourceNatIpv6Prefixes": ["2600::/80"]},
    {"ZoneName": "us-east-1c", "SubnetId": "subnet-c"},
]


def test_zones_read_back_as_the_declared_mappings() -> None:
    declared = [{"SubnetId": "subnet-a", "AllocationId": "eipalloc-a"},
                {"SubnetId": "subnet-b", "SourceNatIpv6Prefix": "auto_assigned"}]
    assert mappings.as_declared(ZONES, declared) == [
        {"SubnetId": "subnet-a", "AllocationId": "eipalloc-a"},
        {"SubnetId": "subnet-b", "SourceNatIpv6Prefix": "auto_assigned"},
        {"SubnetId": "subnet-c"},  # not declared: drift, shown by its subnet
    ]
    # An address AWS picked itself (the public IP of a subnet without an EIP) is no drift.
    assert mappings.as_declared(ZONES[1:2], [{"SubnetId": "subnet-b"}]) == [
        {"SubnetId": "subnet-b"}]
    assert mappings.as_declared(None, declared) is None


def test_a_kept_subnet_with_another_address_is_readdressed() -> None:
    have = [{"SubnetId": "subnet-a", "AllocationId": "eipalloc-a"}, {"SubnetId": "subnet-b"}]
    assert mappings.readdressed(
        [{"SubnetId": "subnet-a", "AllocationId": "eipalloc-x"}, {"SubnetId": "subnet-b"}],
        have) == ["subnet-a"]
    # Subnets added or removed: SetSubnets does it in place.
    assert mappings.readdressed([{"SubnetId": "subnet-c", "AllocationId": "eipalloc-c"}],
                                have) == []


@pytest.mark.parametrize(("props", "pointer"), [
    ({"Type": "network", "Subnets": ["subnet-a"], "SubnetMappings": [{"SubnetId": "subnet-a"}]},
     "/SubnetMappings"),
    ({"Type": "network"}, ""),
    ({"SubnetMappings": [{"SubnetId": "subnet-a", "AllocationId": "eipalloc-a"},
                         {"SubnetId": "subnet-b"}]}, "/SubnetMappings/0/AllocationId"),
    ({"Type": "application", "SubnetMappings": [{"SubnetId": "subnet-a"}]}, "/SubnetMappings"),
    ({"Type": "network", "Scheme": "internal",
      "SubnetMappings": [{"SubnetId": "subnet-a", "AllocationId": "eipalloc-a"}]},
     "/SubnetMappings/0/AllocationId"),
    ({"Type": "network",
      "SubnetMappings": [{"SubnetId": "subnet-a", "PrivateIPv4Address": "10.0.0.9"}]},
     "/SubnetMappings/0/PrivateIPv4Address"),
])
def test_what_aws_refuses_is_refused_at_validate(props: dict[str, Any], pointer: str) -> None:
    assert pointer in [p for p, _ in LoadBalancer.validate(props)]


@pytest.mark.parametrize("props", [
    {"Type": "network", "SubnetMappings": [{"SubnetId": "subnet-a",
                                            "AllocationId": "eipalloc-a"}]},
    {"Type": "network", "Scheme": "internal", "SubnetMappings": [
        {"SubnetId": "subnet-a", "PrivateIPv4Address": "10.0.0.9"}]},
    {"Type": "application", "SubnetMappings": [{"SubnetId": "subnet-a"},
                                               {"SubnetId": "subnet-b"}]},
])
def test_what_aws_takes_validates(props: dict[str, Any]) -> None:
    assert LoadBalancer.validate(props) == []


NLB = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.52.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.52.0.0/24, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.52.1.0/24, AvailabilityZone: us-east-1b}
  SubnetC:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.52.2.0/24, AvailabilityZone: us-east-1c}
  AddressA: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  AddressB: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  AddressC: {Type: AWS::EC2::EIP, Properties: {Domain: vpc}}
  Balancer:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Metadata: {Reconciler: {AllowReplace: %s}}
    Properties:
      Name: mapped-nlb
      Type: network
      SubnetMappings:
%s
"""


def _mapping(subnet: str, address: str) -> str:
    return (f"        - {{SubnetId: !Ref Subnet{subnet}, "
            f"AllocationId: !GetAtt Address{address}.AllocationId}}")


def _zones(arn: str) -> dict[str, str | None]:
    balancer = boto3.client("elbv2").describe_load_balancers(LoadBalancerArns=[arn])[
        "LoadBalancers"][0]
    return {z["SubnetId"]: next((a.get("AllocationId") for a in z.get(
        "LoadBalancerAddresses", ())), None) for z in balancer["AvailabilityZones"]}


def test_a_network_load_balancer_with_elastic_ips(stack: Stack) -> None:
    stack.write("nlb.yaml", NLB % ("false", "\n".join([_mapping("A", "A"), _mapping("B", "B")])))
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out
    ids = {c["resource"]: c["physical_id"] for c in plan.json["changes"]}
    arn = ids["Balancer"]
    assert _zones(arn) == {ids["SubnetA"]: ids["AddressA"], ids["SubnetB"]: ids["AddressB"]}

    # A subnet added: SetSubnets, the same load balancer.
    three = [_mapping("A", "A"), _mapping("B", "B"), _mapping("C", "C")]
    stack.write("nlb.yaml", NLB % ("false", "\n".join(three)))
    added = stack.plan()
    assert added.change("Balancer")["action"] == "update", added.out
    assert stack.apply().code == 0
    assert _zones(arn)[ids["SubnetC"]] == ids["AddressC"]
    assert stack.plan().code == 0

    # A kept subnet with another Elastic IP: a network load balancer cannot, so a replace.
    swapped = [_mapping("A", "C"), _mapping("B", "B")]
    stack.write("nlb.yaml", NLB % ("false", "\n".join(swapped)))
    blocked = stack.plan()
    assert (blocked.change("Balancer")["action"], blocked.change("Balancer")["status"]) == (
        "replace", "Blocked"), blocked.out
    stack.write("nlb.yaml", NLB % ("true", "\n".join(swapped)))
    replaced = stack.apply()
    assert replaced.code == 0, replaced.out + replaced.err
    after = stack.plan()
    assert after.code == 0, after.out
    new_arn = after.change("Balancer")["physical_id"]
    assert new_arn != arn
    assert _zones(new_arn) == {ids["SubnetA"]: ids["AddressC"], ids["SubnetB"]: ids["AddressB"]}


def test_the_emulator_refuses_two_subnets_of_one_zone_as_aws_does(aws: Any) -> None:
    """reconciler/aws/local_server.py: moto as released makes such a load balancer."""
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.53.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.53.{n}.0/24",
                                 AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
               for n in (0, 1)]
    with pytest.raises(ClientError, match="InvalidConfigurationRequest"):
        boto3.client("elbv2").create_load_balancer(
            Name="one-zone", Type="network",
            SubnetMappings=[{"SubnetId": s} for s in subnets])
