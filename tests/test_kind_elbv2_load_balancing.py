"""What is particular to the ELBv2 kinds: load balancer, target group, listener (the contract
suite covers each one's round trip).

moto makes a load balancer ``active`` on the first describe, so the provisioning and failed
states are tested with ``botocore.stub.Stubber`` (which checks every request against the
ELBv2 model): the kind alone, then the engine with the load balancer stubbed and the rest
on the moto server. Everything else runs over HTTP against moto.
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
from reconciler.kinds.base import Kind
from reconciler.kinds.elbv2_common import NAME_LIMIT
from reconciler.kinds.elbv2_listener import Listener
from reconciler.kinds.elbv2_load_balancer import LoadBalancer, LoadBalancerFailed
from reconciler.kinds.elbv2_target_group import TargetGroup
from reconciler.state.store import StateStore
from reconciler.template.intrinsics import resolve
from reconciler.template.loader import load_tree
from tests.harness import Stack
from tests.stubbing import OneClient

ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/toron/50dc6c495c0c9188"
DESIRED = {"Name": "toron", "Type": "application", "Subnets": ["subnet-a", "subnet-b"]}


def _elbv2() -> Any:
    return boto3.client("elbv2", region_name="us-east-1", aws_access_key_id="x",
                        aws_secret_access_key="x")


def _balancer(state: str, **extra: Any) -> dict[str, Any]:
    return {"LoadBalancerArn": ARN, "LoadBalancerName": "toron", "Type": "application",
            "Scheme": "internet-facing", "DNSName": "toron-1.us-east-1.elb.amazonaws.com",
            "CanonicalHostedZoneId": "Z35SXDOTRQ7X7K", "VpcId": "vpc-1",
            "CreatedTime": datetime.datetime(2026, 1, 1), "State": {"Code": state, **extra},
            "AvailabilityZones": [{"ZoneName": "us-east-1a", "SubnetId": "subnet-a"},
                                  {"ZoneName": "us-east-1b", "SubnetId": "subnet-b"}],
            "SecurityGroups": ["sg-1"], "IpAddressType": "ipv4"}


def _described(stub: Stubber, state: str, **extra: Any) -> None:
    stub.add_response("describe_load_balancers", {"LoadBalancers": [_balancer(state, **extra)]},
                      {"LoadBalancerArns": [ARN]})
    stub.add_response("describe_tags", {"TagDescriptions": [{"ResourceArn": ARN, "Tags": [
        {"Key": "reconciler:owner", "Value": "reconciler"},
        {"Key": "reconciler:logical-id", "Value": "Alb"}]}]}, {"ResourceArns": [ARN]})


# --- the load balancer alone, stubbed ------------------------------------------------------

def test_a_provisioning_load_balancer_is_pending_until_active_stubbed() -> None:
    """Stubbed: AWS answers State provisioning for minutes after CreateLoadBalancer; moto
    makes it active on the first describe."""
    client = _elbv2()
    with Stubber(client) as stub:
        stub.add_response("create_load_balancer", {"LoadBalancers": [_balancer("provisioning")]},
                          {"Name": "toron", "Type": "application",
                           "Subnets": ["subnet-a", "subnet-b"], "Tags": ANY})
        _described(stub, "provisioning")  # read back after the create
        _described(stub, "provisioning")  # the next pass
        _described(stub, "active")
        kind = LoadBalancer(OneClient(client))
        created = kind.create(DESIRED, {"reconciler:owner": "reconciler"}, token="intent-1")
        still = kind.observe(ARN, DESIRED)
        ready = kind.observe(ARN, DESIRED)
        stub.assert_no_pending_responses()
    assert (created.physical_id, created.pending) == (ARN, "State provisioning")
    assert still is not None and still.pending == "State provisioning"
    assert ready is not None and ready.pending is None
    assert ready.properties["Subnets"] == ["subnet-a", "subnet-b"]
    assert ready.attributes["LoadBalancerFullName"] == "app/toron/50dc6c495c0c9188"
    assert ready.attributes["CanonicalHostedZoneID"] == "Z35SXDOTRQ7X7K"
    assert ready.attributes["Ref"] == ready.attributes["LoadBalancerArn"] == ARN


def test_a_failed_load_balancer_is_an_error_with_aws_reason_stubbed() -> None:
    client = _elbv2()
    with Stubber(client) as stub:
        _described(stub, "failed", Reason="Insufficient capacity in us-east-1a")
        with pytest.raises(LoadBalancerFailed) as failed:
            LoadBalancer(OneClient(client)).observe(ARN, DESIRED)
    assert "State failed: Insufficient capacity in us-east-1a" in str(failed.value)


# --- the engine: the load balancer stubbed, the rest on moto -------------------------------

ENGINE_TREE = """
Resources:
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Name: toron, Type: application, Subnets: [subnet-a, subnet-b]}
  # Stands in for a listener or the WAF association: it references the load balancer.
  Network:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.61.0.0/16
      Tags: [{Key: alb, Value: !Ref Alb}]
  Gateway:
    Type: AWS::EC2::InternetGateway
"""


def test_dependents_wait_while_the_load_balancer_provisions_stubbed(aws: Any,
                                                                    tmp_path: Path) -> None:
    """Stubbed load balancer (provisioning at create and on the next pass, then active) in an
    engine whose other kinds talk to moto: what references it waits, the rest is made."""
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "tree.yaml").write_text(ENGINE_TREE)
    template = load_tree(desired, {}, registry.catalog(), pseudo={"AWS::Region": "us-east-1"})
    store = StateStore(tmp_path / "state")
    client, real = _elbv2(), AwsClients()

    def build(cls: type[Kind]) -> Kind:
        return cls(OneClient(client)) if cls is LoadBalancer else cls(real)

    kinds = Kinds(registry.catalog(), build)

    def run() -> dict[str, Any]:
        return reconcile.apply(template, store, kinds, resolve, {}, EngineSettings()).by_id()

    with Stubber(client) as stub:
        # The plan looks the name up first: no such load balancer yet.
        stub.add_client_error("describe_load_balancers", "LoadBalancerNotFound",
                              expected_params={"Names": ["toron"]})
        stub.add_response("create_load_balancer", {"LoadBalancers": [_balancer("provisioning")]},
                          {"Name": "toron", "Type": "application",
                           "Subnets": ["subnet-a", "subnet-b"], "Tags": ANY})
        _described(stub, "provisioning")
        first = run()
        _described(stub, "provisioning")
        second = run()
        _described(stub, "active")
        third = run()
        stub.assert_no_pending_responses()
    store.close()

    for changes in (first, second):
        assert (changes["Alb"].status, changes["Alb"].pending) == (Status.PENDING,
                                                                   "State provisioning")
        assert changes["Network"].result == Result.SKIPPED
        assert changes["Network"].reason == "waiting for Alb (pending: State provisioning)"
    assert first["Gateway"].result == Result.SUCCESS
    assert third["Alb"].status == Status.IN_SYNC
    assert third["Network"].result == Result.SUCCESS
    vpcs = boto3.client("ec2").describe_vpcs(Filters=[{"Name": "tag:alb", "Values": [ARN]}])
    assert len(vpcs["Vpcs"]) == 1


# --- on moto -------------------------------------------------------------------------------

NETWORK = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.62.0.0/16}
  SubnetA:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.62.0.0/24, AvailabilityZone: us-east-1a}
  SubnetB:
    Type: AWS::EC2::Subnet
    Properties: {VpcId: !Ref Network, CidrBlock: 10.62.1.0/24, AvailabilityZone: us-east-1b}
"""

BALANCER = NETWORK + """
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties:
      Name: toron-attributes
      Subnets: [!Ref SubnetA, !Ref SubnetB]
      LoadBalancerAttributes:
        - {Key: routing.http.drop_invalid_header_fields.enabled, Value: "true"}
        - {Key: idle_timeout.timeout_seconds, Value: 120}
        - {Key: deletion_protection.enabled, Value: "false"}
"""


def test_load_balancer_attributes_are_compared_by_key(stack: Stack) -> None:
    """Only the declared keys are read, in any order; an undeclared attribute changed out of
    band is AWS's business, a declared one is drift and corrected."""
    stack.write("alb.yaml", BALANCER)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0
    arn = stack.plan().change("Alb")["physical_id"]
    assert arn.startswith("arn:aws:elasticloadbalancing:")
    elbv2 = boto3.client("elbv2")
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "routing.http2.enabled", "Value": "false"}])
    assert stack.plan().code == 0  # undeclared

    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "idle_timeout.timeout_seconds", "Value": "4000"}])
    drifted = stack.plan()
    assert drifted.code == 2
    [entry] = drifted.change("Alb")["diff"]
    assert entry["path"] == "/LoadBalancerAttributes"
    assert {"Key": "idle_timeout.timeout_seconds", "Value": "4000"} in entry["old"]
    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    assert stack.plan().code == 0
    attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
        LoadBalancerArn=arn)["Attributes"]}
    assert attributes["idle_timeout.timeout_seconds"] == "120"
    assert attributes["routing.http2.enabled"] == "false"  # left as it was


def test_a_load_balancer_is_found_by_its_name_before_its_arn_is_known(stack: Stack,
                                                                     clients: Any) -> None:
    stack.write("alb.yaml", BALANCER)
    assert stack.apply().code == 0
    arn = stack.plan().change("Alb")["physical_id"]
    kind = LoadBalancer(clients)
    found = kind.observe("toron-attributes", {"Name": "toron-attributes"})
    assert found is not None and found.physical_id == arn
    assert found.properties["Name"] == "toron-attributes"
    assert kind.observe("toron-nobody", {}) is None
    generated = kind.generated_name("ToronApiTargetGroupWithALongName", "reconciler")["Name"]
    assert len(generated) <= NAME_LIMIT and generated.startswith("reconciler-ToronApi")


LISTENERS = BALANCER + """
  Api:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {Name: toron-listener-api, TargetType: lambda}
  Https:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 443
      Protocol: HTTPS
      SslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06
      Certificates: [{CertificateArn: !Ref Certificate}]
      DefaultActions: [{Type: forward, TargetGroupArn: !Ref Api}]
  Redirect:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Alb
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - Type: redirect
          RedirectConfig: {Protocol: HTTPS, Port: "443", StatusCode: HTTP_301}
Parameters:
  Certificate: {Type: String}
"""


def test_listener_default_action_changed_out_of_band_is_drift_and_corrected(
        stack: Stack) -> None:
    """An HTTPS listener with an ACM certificate (moto checks that it exists in ACM) and an
    HTTP listener redirecting to it; the redirect replaced out of band by a fixed response."""
    certificate = boto3.client("acm").request_certificate(
        DomainName="api.example.com")["CertificateArn"]
    stack.write("alb.yaml", LISTENERS)
    parameter = f"--parameter=Certificate={certificate}"
    applied = stack.apply(parameter)
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan(parameter)
    assert plan.code == 0, plan.out
    https = plan.change("Https")["physical_id"]
    assert ":listener/app/toron-attributes/" in https
    redirect = plan.change("Redirect")["physical_id"]
    elbv2 = boto3.client("elbv2")
    elbv2.modify_listener(ListenerArn=redirect, DefaultActions=[{
        "Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200",
                                                          "MessageBody": "plain http"}}])
    drifted = stack.plan(parameter)
    assert drifted.code == 2
    paths = [d["path"] for d in drifted.change("Redirect")["diff"]]
    assert "/DefaultActions/0/Type" in paths and "/DefaultActions/0/RedirectConfig" in paths
    assert stack.apply(parameter).code == 0
    assert stack.plan(parameter).code == 0
    [action] = elbv2.describe_listeners(ListenerArns=[redirect])["Listeners"][0][
        "DefaultActions"]
    assert (action["Type"], action["RedirectConfig"]["Protocol"]) == ("redirect", "HTTPS")
    found = Listener(AwsClients()).find("reconciler", "Https")
    assert found == https


def test_targets_are_a_set_registered_and_deregistered_to_the_declared_ones(
        stack: Stack) -> None:
    stack.write("tg.yaml", NETWORK + """
  Ips:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties:
      Name: toron-ips
      TargetType: ip
      Protocol: HTTP
      Port: 80
      VpcId: !Ref Network
      Targets: [{Id: 10.62.0.10}, {Id: 10.62.1.10, Port: 8080}]
""")
    assert stack.apply().code == 0
    arn = stack.plan().change("Ips")["physical_id"]
    elbv2 = boto3.client("elbv2")
    # Another order is the same set.
    assert stack.plan().code == 0
    elbv2.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": "10.62.0.10", "Port": 80}])
    elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "10.62.0.99"}])
    drifted = stack.plan()
    assert drifted.code == 2
    assert [d["path"] for d in drifted.change("Ips")["diff"]] == ["/Targets"]
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    targets = {(d["Target"]["Id"], d["Target"]["Port"]) for d in elbv2.describe_target_health(
        TargetGroupArn=arn)["TargetHealthDescriptions"]}
    assert targets == {("10.62.0.10", 80), ("10.62.1.10", 8080)}


@pytest.mark.parametrize(("tree", "message"), [
    ("""
  Alb:
    Type: AWS::ElasticLoadBalancingV2::LoadBalancer
    Properties: {Subnets: [!Ref SubnetA]}
""", "Subnets: an application load balancer needs subnets in at least two availability "
     "zones"),
    ("""
  Api:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {TargetType: lambda, Port: 80}
""", "Port: is not allowed for a lambda target group"),
    ("""
  Api:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: {TargetType: ip, Port: 80, Protocol: HTTP}
""", "VpcId: is required for a ip target group"),
    ("""
  Https:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1
      Port: 443
      Protocol: HTTPS
      DefaultActions: [{Type: fixed-response, FixedResponseConfig: {StatusCode: "503"}}]
""", "Certificates: an HTTPS listener needs exactly one certificate"),
    ("""
  Http:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/1
      Port: 80
      Protocol: HTTP
      DefaultActions: [{Type: redirect}]
""", "DefaultActions[0]: a redirect action needs RedirectConfig"),
])
def test_what_the_emulator_accepts_and_aws_refuses_is_invalid(stack: Stack, tree: str,
                                                              message: str) -> None:
    stack.write("bad.yaml", NETWORK + tree)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert message in result.out + result.err, result.out + result.err
    assert "bad.yaml:" in result.out + result.err


def test_target_group_full_name_and_lambda_target_check() -> None:
    assert TargetGroup.validate({"TargetType": "lambda", "Targets": [
        {"Id": "arn:aws:lambda:us-east-1:123456789012:function:a", "Port": 80}]}) == [
        ("/Targets/0/Port", "is not allowed for a Lambda target")]
    assert TargetGroup.validate({"TargetType": "lambda", "Targets": [
        {"Id": "arn:aws:lambda:us-east-1:123456789012:function:a"}]}) == []
