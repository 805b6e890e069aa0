"""What is particular to the EC2 network kinds, on the moto server over HTTP (the contract
suite covers each kind's round trip): attributes other resources reference, removal in
reverse dependency order, and AWS's dependency violations failing one resource alone."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from reconciler.kinds.ec2_subnet import Subnet
from tests.harness import Stack
from tests.stubbing import OneClient

TREE = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.30.0.0/16
      EnableDnsSupport: true
  Private:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Network
      CidrBlock: 10.30.1.0/24
      AvailabilityZone: us-east-1a
      Tags: [{Key: vpc-cidr, Value: !GetAtt Network.CidrBlock}]
  Gateway:
    Type: AWS::EC2::InternetGateway
"""


def _vpcs() -> list[str]:
    return [v["VpcId"] for v in boto3.client("ec2").describe_vpcs(Filters=[
        {"Name": "tag:reconciler:owner", "Values": ["reconciler"]}])["Vpcs"]]


def test_attributes_reach_dependents_and_removal_runs_in_reverse(stack: Stack) -> None:
    stack.write("net.yaml", TREE)
    assert stack.apply().code == 0
    plan = stack.plan()
    assert plan.code == 0, plan.out
    subnet = plan.change("Private")["physical_id"]
    ec2 = boto3.client("ec2")
    tags = {t["Key"]: t["Value"] for t in ec2.describe_subnets(SubnetIds=[subnet])[
        "Subnets"][0]["Tags"]}
    assert tags["vpc-cidr"] == "10.30.0.0/16"

    stack.write("net.yaml", "Resources: {}\n")
    removed = stack.apply("--allow-empty", "--allow-mass-delete", "--output", "json")
    assert removed.code == 0, removed.out
    order = [c["resource"] for c in removed.json["changes"] if c["action"] == "delete"]
    # The subnet goes before the VPC it lives in (EC2 refuses the other order).
    assert order.index("Private") < order.index("Network")
    assert _vpcs() == []


def test_a_dependency_violation_is_the_resources_own_error_stubbed() -> None:
    """Stubbed: moto deletes a subnet that still holds an ENI, AWS refuses. The kind passes
    AWS's reason on (the engine fails that resource alone and retries it next cycle, as
    tests/test_apply_failures.py shows for any failing call)."""
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("delete_subnet", "DependencyViolation",
                              "The subnet 'subnet-1' has dependencies and cannot be deleted.",
                              expected_params={"SubnetId": "subnet-1"})
        with pytest.raises(ClientError, match="has dependencies"):
            Subnet(OneClient(client)).delete("subnet-1", {})


ENDPOINT = """
Parameters:
  Group: {Type: String}
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.31.0.0/16}
  Private:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.31.1.0/24, AvailabilityZone: us-east-1a}
  Secrets:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Network
      ServiceName: com.amazonaws.us-east-1.secretsmanager
      VpcEndpointType: Interface
      SubnetIds: [!Ref Private]
      SecurityGroupIds: [!Ref Group]
      PrivateDnsEnabled: true
"""


def test_an_interface_endpoints_security_groups_are_an_exact_set(stack: Stack) -> None:
    ec2 = boto3.client("ec2")
    default_vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    first = ec2.create_security_group(GroupName="ep-a", Description="a",
                                      VpcId=default_vpc)["GroupId"]
    stack.write("ep.yaml", ENDPOINT)
    assert stack.apply(f"--parameter=Group={first}").code == 0
    plan = stack.plan(f"--parameter=Group={first}")
    assert plan.code == 0, plan.out
    endpoint = plan.change("Secrets")["physical_id"]

    extra = ec2.create_security_group(GroupName="ep-b", Description="b",
                                      VpcId=default_vpc)["GroupId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint, AddSecurityGroupIds=[extra])
    drifted = stack.plan(f"--parameter=Group={first}").change("Secrets")
    assert [d["path"] for d in drifted["diff"]] == ["/SecurityGroupIds"]

    assert stack.apply(f"--parameter=Group={first}").code == 0
    groups = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint])["VpcEndpoints"][0]["Groups"]
    assert [g["GroupId"] for g in groups] == [first]


def test_a_vpcs_default_group_is_read_once_per_vpc(clients: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """It never changes for the VPC's life: a worker's every cycle does not ask again."""
    from reconciler.kinds.ec2_vpc import Vpc

    vpc = boto3.client("ec2").create_vpc(CidrBlock="10.47.0.0/16")["Vpc"]["VpcId"]
    kind = Vpc(clients)
    ec2 = kind.client
    asked: list[object] = []
    describe = ec2.describe_security_groups
    monkeypatch.setattr(ec2, "describe_security_groups",
                        lambda **kw: asked.append(kw) or describe(**kw))
    seen = [kind.observe(vpc, {}) for _ in range(3)]
    groups = {o.attributes.get("DefaultSecurityGroup") for o in seen if o is not None}
    assert len(groups) == 1 and next(iter(groups)).startswith("sg-")
    assert len(asked) == 1
