"""What is particular to the EIP, NAT gateway and gateway attachment kinds (the contract
suite covers each one's round trip).

moto makes a NAT gateway ``available`` at once and never fails one, so the pending and
failed paths are tested with ``botocore.stub.Stubber`` (which checks every request against
the EC2 model): the kind alone, then the engine with the NAT gateway on a stubbed client
and everything else on the moto server over HTTP. The rest runs on moto.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from reconciler.aws.clients import AwsClients
from reconciler.engine import reconcile
from reconciler.engine.context import EngineSettings, Kinds
from reconciler.engine.model import Result, Status
from reconciler.kinds import registry
from reconciler.kinds.base import Kind, TransientError
from reconciler.kinds.ec2_eip import Eip
from reconciler.kinds.ec2_nat_gateway import NatGateway, NatGatewayFailed
from reconciler.kinds.ec2_vpc_gateway_attachment import VpcGatewayAttachment
from reconciler.state.store import StateStore
from reconciler.template.intrinsics import resolve
from reconciler.template.loader import load_tree
from tests.harness import Stack
from tests.stubbing import OneClient

NAT_ID = "nat-0123456789abcdef0"


def _ec2() -> Any:
    return boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _gateway(state: str, **extra: Any) -> dict[str, Any]:
    return {"NatGateways": [{
        "NatGatewayId": NAT_ID, "State": state, "SubnetId": "subnet-1", "VpcId": "vpc-1",
        "ConnectivityType": "public", "CreateTime": datetime.datetime(2026, 1, 1),
        "NatGatewayAddresses": [{"AllocationId": "eipalloc-1", "PublicIp": "198.51.100.7",
                                 "NetworkInterfaceId": "eni-1", "IsPrimary": True}],
        "Tags": [{"Key": "reconciler:owner", "Value": "reconciler"},
                 {"Key": "reconciler:logical-id", "Value": "Nat"}], **extra}]}


def _described(stub: Stubber, state: str, **extra: Any) -> None:
    stub.add_response("describe_nat_gateways", _gateway(state, **extra),
                      {"NatGatewayIds": [NAT_ID]})


DESIRED = {"SubnetId": "subnet-1", "AllocationId": "eipalloc-1", "ConnectivityType": "public"}


# --- the kind alone, stubbed -------------------------------------------------------------

def test_a_pending_gateway_is_observed_pending_and_an_available_one_ready_stubbed() -> None:
    """Stubbed: AWS answers State pending for minutes after CreateNatGateway; moto never."""
    client = _ec2()
    with Stubber(client) as stub:
        stub.add_response("create_nat_gateway", {"NatGateway": _gateway("pending")[
            "NatGateways"][0]}, {**DESIRED, "ClientToken": ANY, "TagSpecifications": ANY})
        _described(stub, "pending")
        _described(stub, "available")
        kind = NatGateway(OneClient(client))
        created = kind.create(DESIRED, {"reconciler:owner": "reconciler"}, token="intent-1")
        ready = kind.observe(NAT_ID, DESIRED)
        stub.assert_no_pending_responses()
    assert (created.physical_id, created.pending) == (NAT_ID, "State pending")
    assert created.properties == DESIRED  # the primary address's allocation ID
    assert ready is not None and ready.pending is None
    assert (ready.attributes["NatGatewayId"], ready.attributes["EniId"]) == (NAT_ID, "eni-1")


@pytest.mark.parametrize("state", ["deleting", "deleted"])
def test_a_deleting_or_deleted_gateway_does_not_exist_stubbed(state: str) -> None:
    client = _ec2()
    with Stubber(client) as stub:
        _described(stub, state)
        assert NatGateway(OneClient(client)).observe(NAT_ID, DESIRED) is None


def test_a_failed_gateway_is_an_error_with_aws_reason_stubbed() -> None:
    """Stubbed: AWS fails a gateway asynchronously (moto never does). Observing it raises
    with FailureCode and FailureMessage (and a hint for the usual cause) instead of
    reporting it missing, which would make a new failed gateway on every pass."""
    client = _ec2()
    with Stubber(client) as stub:
        _described(stub, "failed", FailureCode="Gateway.NotAttached",
                   FailureMessage="Network vpc-1 has no Internet gateway attached")
        with pytest.raises(NatGatewayFailed) as failed:
            NatGateway(OneClient(client)).observe(NAT_ID, DESIRED)
    message = str(failed.value)
    assert f"NAT gateway {NAT_ID} failed: Gateway.NotAttached: Network vpc-1 has no " \
           "Internet gateway attached" in message
    assert "DependsOn" in message and "VPCGatewayAttachment" in message


def test_removal_refusals_while_a_gateway_is_deleting_are_transient_stubbed() -> None:
    """Stubbed: moto releases an address and detaches a gateway a NAT gateway still holds;
    AWS refuses both until the NAT gateway is deleted (minutes). Retried later."""
    client = _ec2()
    with Stubber(client) as stub:
        stub.add_client_error("release_address", "InvalidIPAddress.InUse",
                              "Address 198.51.100.7 is in use.",
                              expected_params={"AllocationId": "eipalloc-1"})
        stub.add_client_error("detach_internet_gateway", "DependencyViolation",
                              "Network vpc-1 has some mapped public address(es). Please unmap "
                              "those public address(es) before detaching the gateway.",
                              expected_params={"InternetGatewayId": "igw-1", "VpcId": "vpc-1"})
        with pytest.raises(TransientError):
            Eip(OneClient(client)).delete("eipalloc-1", {"Domain": "vpc"})
        with pytest.raises(TransientError):
            VpcGatewayAttachment(OneClient(client)).delete("igw-1|vpc-1", {})


# --- the engine: the NAT gateway stubbed, the rest on moto ----------------------------------

ENGINE_TREE = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.41.0.0/16}
  Nat:
    Type: AWS::EC2::NatGateway
    Properties: {SubnetId: subnet-1, AllocationId: eipalloc-1, ConnectivityType: public}
  # Stands in for the AWS::EC2::Route through the NAT gateway (not a kind yet): it
  # references the gateway, so it must wait for it.
  PrivateRoutes:
    Type: AWS::EC2::RouteTable
    Properties:
      VpcId: !Ref Network
      Tags: [{Key: nat-gateway, Value: !Ref Nat}]
  Gateway:
    Type: AWS::EC2::InternetGateway
"""


def test_dependents_wait_while_the_gateway_is_pending_and_the_rest_applies_stubbed(
        aws: Any, tmp_path: Path) -> None:
    """Stubbed NAT gateway (pending for the create and one more pass, then available) in
    an engine whose other kinds talk to moto: the route table referencing it waits, the VPC
    and the internet gateway are made at once, and the route table follows once ready."""
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "tree.yaml").write_text(ENGINE_TREE)
    template = load_tree(desired, {}, registry.catalog(), pseudo={"AWS::Region": "us-east-1"})
    store = StateStore(tmp_path / "state")
    client, real = _ec2(), AwsClients()

    def build(cls: type[Kind]) -> Kind:
        return cls(OneClient(client)) if cls is NatGateway else cls(real)

    kinds = Kinds(registry.catalog(), build)

    def run() -> dict[str, Any]:
        return reconcile.apply(template, store, kinds, resolve, {}, EngineSettings()).by_id()

    with Stubber(client) as stub:
        stub.add_response("create_nat_gateway", {"NatGateway": _gateway("pending")[
            "NatGateways"][0]}, {**DESIRED, "ClientToken": ANY, "TagSpecifications": ANY})
        _described(stub, "pending")  # read back after the create
        first = run()
        _described(stub, "pending")  # the next pass
        second = run()
        _described(stub, "available")
        third = run()
        stub.assert_no_pending_responses()
    store.close()

    for changes in (first, second):
        assert (changes["Nat"].status, changes["Nat"].pending) == (Status.PENDING,
                                                                   "State pending")
        routes = changes["PrivateRoutes"]
        assert routes.result == Result.SKIPPED
        assert routes.reason == "waiting for Nat (pending: State pending)"
    assert first["Nat"].result == Result.PENDING
    assert first["Network"].result == first["Gateway"].result == Result.SUCCESS
    assert third["Nat"].status == Status.IN_SYNC
    assert third["PrivateRoutes"].result == Result.SUCCESS
    tables = boto3.client("ec2").describe_route_tables(Filters=[
        {"Name": "tag:nat-gateway", "Values": [NAT_ID]}])["RouteTables"]
    assert len(tables) == 1


# --- on moto ---------------------------------------------------------------------------

NETWORK = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.42.0.0/16}
  Public:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.42.0.0/24, AvailabilityZone: us-east-1a}
  Gateway:
    Type: AWS::EC2::InternetGateway
  Attachment:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Network, InternetGatewayId: !Ref Gateway}
  AddressA:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc}
  AddressB:
    Type: AWS::EC2::EIP
    Properties: {Domain: vpc, Tags: [{Key: public-ip, Value: !Ref AddressA}]}
  NatA:
    Type: AWS::EC2::NatGateway
    DependsOn: Attachment
    Properties: {SubnetId: !Ref Public, AllocationId: !GetAtt AddressA.AllocationId}
  NatB:
    Type: AWS::EC2::NatGateway
    DependsOn: Attachment
    Properties: {SubnetId: !Ref Public, AllocationId: !GetAtt AddressB.AllocationId}
"""


def test_eip_ref_is_its_public_ip_and_find_tells_gateways_apart(stack: Stack,
                                                                 clients: Any) -> None:
    """Ref of an EIP is its public address (as in CloudFormation), its physical ID the
    allocation ID; a NAT gateway's find checks the ownership tags itself, since moto
    ignores tag filters on DescribeNatGateways."""
    stack.write("net.yaml", NETWORK)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out
    ec2 = boto3.client("ec2")
    a, b = (plan.change(lid)["physical_id"] for lid in ("AddressA", "AddressB"))
    assert a.startswith("eipalloc-")
    addresses = {x["AllocationId"]: x for x in ec2.describe_addresses()["Addresses"]}
    tags = {t["Key"]: t["Value"] for t in addresses[b]["Tags"]}
    assert tags["public-ip"] == addresses[a]["PublicIp"]

    kind = NatGateway(clients)
    assert kind.find("reconciler", "NatB") == plan.change("NatB")["physical_id"]
    assert kind.find("reconciler", "NatA") == plan.change("NatA")["physical_id"]
    assert kind.find("reconciler", "NatC") is None
    assert plan.change("Attachment")["physical_id"] == "|".join((
        plan.change("Gateway")["physical_id"], plan.change("Network")["physical_id"]))


def test_attachment_refuses_a_vpn_gateway_and_wants_an_internet_gateway(stack: Stack) -> None:
    stack.write("net.yaml", """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.43.0.0/16}
  Vpn:
    Type: AWS::EC2::VPCGatewayAttachment
    Properties: {VpcId: !Ref Network, VpnGatewayId: vgw-1}
""")
    plan = stack.plan()
    assert plan.code != 0
    output = plan.out + plan.err
    assert "property VpnGatewayId of AWS::EC2::VPCGatewayAttachment is not supported" in output
    assert "InternetGatewayId is required" not in output  # schema issues come first
    assert VpcGatewayAttachment.validate({"VpcId": "vpc-1"}) == [
        ("", "InternetGatewayId is required (VpnGatewayId is not supported)")]
    assert Eip.validate({"Domain": "standard"}) == [
        ("/Domain", "must be vpc (EC2-Classic addresses no longer exist)")]
