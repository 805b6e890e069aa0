"""`reconciler permissions`: the registry schemas' handler and tagging permissions of the kinds
a tree uses, plus sts:GetCallerIdentity, as one IAM policy document."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import main
from reconciler.kinds.base import load_schema
from reconciler.kinds.registry import catalog
from reconciler.kinds.schema import schema_for
from reconciler.permissions import actions_for

ROOT = Path(__file__).resolve().parent.parent
DESIRED = ROOT / "desired"
DESIRED_TYPES = {
    "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::S3::Bucket", "AWS::S3::BucketPolicy",
    "AWS::DynamoDB::Table", "AWS::IAM::Role", "AWS::SecretsManager::Secret",
    "AWS::SecretsManager::RotationSchedule",
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EIP", "AWS::EC2::NatGateway",
    "AWS::EC2::RouteTable", "AWS::EC2::Route", "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::VPCEndpoint",
    "AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup",
    # The HTTPS listener is under a false Condition by default; the redirect listener is not.
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::WAFv2::WebACL", "AWS::WAFv2::WebACLAssociation",
    "AWS::Lambda::Function", "AWS::Lambda::Version", "AWS::Lambda::Alias",
    "AWS::Lambda::Permission",
    "AWS::CloudTrail::Trail", "AWS::Logs::LogGroup", "AWS::CloudFront::Distribution",
    "AWS::Route53::HostedZone", "AWS::Route53::RecordSet",
    "AWS::RDS::DBSubnetGroup", "AWS::RDS::DBCluster", "AWS::RDS::DBInstance",
    "AWS::RDS::DBProxy", "AWS::RDS::DBProxyTargetGroup",
}


def permissions(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any, str]:
    capsys.readouterr()
    code = main(["permissions", *args])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if code == 0 else captured.out, captured.err


def normalized(actions: list[str]) -> set[str]:
    return {a.split(":", 1)[0].lower() + ":" + a.split(":", 1)[1] for a in actions}


def vendored_types() -> set[str]:
    files = resources.files("reconciler.schemas")
    return {load_schema(f.name)["typeName"] for f in files.iterdir() if f.name.endswith(".json")}


def test_desired_needs_its_kinds_and_nothing_else(capsys: pytest.CaptureFixture[str],
                                                  aws: Any) -> None:
    """desired/'s conditions read the account: the CLI asks the emulator (``aws``)."""
    code, policy, err = permissions(capsys, str(DESIRED))
    assert code == 0, err
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert (statement["Effect"], statement["Resource"]) == ("Allow", "*")
    actions = statement["Action"]
    assert actions == sorted(actions, key=str.lower)
    assert len({a.lower() for a in actions}) == len(actions)
    assert "sts:GetCallerIdentity" in actions

    needed: set[str] = set()
    for type_name in DESIRED_TYPES:
        own = normalized(list(catalog()[type_name].permissions()))
        assert own <= set(actions), type_name
        needed |= own
    # Fn::GetAZs in desired/network reads the region's zones.
    always = {"sts:GetCallerIdentity", "cloudtrail:LookupEvents", "tag:GetResources",
              "ec2:DescribeAvailabilityZones"}
    assert set(actions) == needed | always
    for type_name in vendored_types() - DESIRED_TYPES:
        foreign = normalized(list(schema_for(type_name).permissions())) - needed - always
        assert not foreign & set(actions), type_name
    assert "cloudtrail:AddTags" in actions and "CloudTrail:AddTags" not in actions
    assert "rds:CreateDBCluster" in actions


KEY = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties: {}\n"
ALIAS = ("Resources:\n  Alias:\n    Type: AWS::KMS::Alias\n    Properties:\n"
         "      AliasName: alias/x\n      TargetKeyId: some-key\n")


@pytest.mark.parametrize(("type_name", "tree", "present", "absent"), [
    ("AWS::KMS::Alias", ALIAS, {"kms:CreateAlias", "kms:UpdateAlias"}, {"kms:CreateKey"}),
    ("AWS::KMS::Key", KEY, {"kms:CreateKey", "kms:ListResourceTags", "kms:ListKeys"},
     {"kms:CreateAlias"}),
])
def test_one_kind_one_tree(type_name: str, tree: str, present: set[str], absent: set[str],
                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "one.yaml").write_text(tree)
    code, policy, err = permissions(capsys, str(tmp_path))
    assert code == 0, err
    actions = set(policy["Statement"][0]["Action"])
    assert present <= actions and not absent & actions
    assert actions == normalized(list(catalog()[type_name].permissions())) | {
        "sts:GetCallerIdentity", "cloudtrail:LookupEvents",
        "tag:GetResources"}


def test_service_prefixes_are_lowercased_and_deduplicated() -> None:
    # The CloudTrail schema spells its tagging actions "CloudTrail:AddTags".
    actions = actions_for(["AWS::CloudTrail::Trail", "AWS::CloudTrail::Trail"])
    assert "cloudtrail:AddTags" in actions and "CloudTrail:AddTags" not in actions
    assert len(actions) == len({a.lower() for a in actions})


def test_an_invalid_tree_is_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.yaml").write_text("Resources:\n  X:\n    Type: AWS::Nope::Thing\n")
    code, out, err = permissions(capsys, str(tmp_path))
    assert code == 1 and out == ""
    assert f"{tmp_path}/bad.yaml:3:" in err


def test_rules_reading_aws_add_the_describe_calls(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A rule's Fn::ValueOf reads the subnet a parameter names (aws/parameter_attributes)."""
    (tmp_path / "one.yaml").write_text(
        "Parameters:\n  Vpc: {Type: 'AWS::EC2::VPC::Id', Default: vpc-0a}\n"
        "Rules:\n  R:\n    Assertions:\n"
        "      - Assert: !Equals [!ValueOf [Vpc, Tags.team], data]\n" + KEY)
    # Not checked here (the policy is for reading AWS, which this command does not).
    code, policy, err = permissions(capsys, str(tmp_path))
    assert code == 0, err
    assert {"ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeNetworkAcls"} <= set(
        policy["Statement"][0]["Action"])
