"""The Rules section: assertions over parameters, checked at validate (long and short
forms), each failure named at its line with its AssertDescription; Fn::ValueOf and
Fn::ValueOfAll read the subnets, VPCs and security groups parameters name from the moto
server."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from tests.harness import Stack

TREE = """\
Parameters:
  Env: {Type: String, Default: dev}
  DbClass: {Type: String, Default: db.t4g.medium}
  Zones: {Type: CommaDelimitedList, Default: "us-east-1a,us-east-1b"}
Rules:
  ProdNeedsBigDb:
    RuleCondition: !Equals [!Ref Env, prod]
    Assertions:
      - Assert: !Contains [[db.r6g.large, db.r6g.xlarge], !Ref DbClass]
        AssertDescription: production uses a large instance class
  ZonesInRegion:
    Assertions:
      - Assert:
          Fn::EachMemberIn: [!Ref Zones, [us-east-1a, us-east-1b, us-east-1c]]
        AssertDescription: zones of us-east-1 only
      - Assert: !Not [!EachMemberEquals [!Ref Zones, us-east-1c]]
  Either:
    Assertions:
      - Assert: !Or [!Equals [!Ref Env, dev], !Equals [!Ref Env, prod]]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
"""


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
              *parameters: str) -> tuple[int, str]:
    stack = Stack(tmp_path, capsys)
    stack.write("app.yaml", text)
    extra = [arg for p in parameters for arg in ("--parameter", p)]
    result = stack.cli("validate", str(stack.desired), *extra)
    return result.code, result.out + result.err


def test_rules_that_hold_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _validate(tmp_path, capsys, TREE)[0] == 0
    # The condition makes the first rule apply; a large class satisfies it.
    assert _validate(tmp_path, capsys, TREE, "Env=prod", "DbClass=db.r6g.large")[0] == 0


@pytest.mark.parametrize(("parameters", "line", "message"), [
    (("Env=prod",), 9, "rule 'ProdNeedsBigDb': production uses a large instance class"),
    (("Zones=us-east-1a,eu-west-1a",), 13, "rule 'ZonesInRegion': zones of us-east-1 only"),
    (("Zones=us-east-1c,us-east-1c",), 16, "rule 'ZonesInRegion': assertion failed"),
    (("Env=qa",), 19, "rule 'Either': assertion failed"),
])
def test_a_failed_assertion_is_named_at_its_line(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 parameters: tuple[str, ...], line: int,
                                                 message: str) -> None:
    code, text = _validate(tmp_path, capsys, TREE, *parameters)
    assert code == 1
    assert f"app.yaml:{line}: {message}" in text, text


@pytest.mark.parametrize(("rule", "message"), [
    ("    Assertions:\n      - Assert: !Equals [!ValueOf [Subnet, VpcId], vpc-1]\n",
     "Fn::ValueOf names parameter 'Subnet', which is not declared"),
    ("    Assertions:\n      - Assert: !Contains [!RefAll String, x]\n",
     "Fn::RefAll takes an AWS-specific parameter type (AWS::EC2::VPC::Id, ...), not 'String'"),
    ("    Assertions:\n      - Assert: !Equals [!Ref Nope, x]\n",
     "Ref to unknown parameter 'Nope'"),
    ("    Assertions:\n      - Assert: !GetAZs ''\n", "Fn::GetAZs is not a rule function"),
    ("    Assertions: {Assert: x}\n", "a rule takes Assertions (a list)"),
    ("    Assertions:\n      - {Assert: !Equals [a, a], Why: x}\n",
     "an assertion takes Assert and an optional AssertDescription"),
])
def test_malformed_rules_are_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    rule: str, message: str) -> None:
    text = "Rules:\n  R:\n" + rule + "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n"
    code, output = _validate(tmp_path, capsys, text)
    assert code == 1
    assert "rule 'R': " + message in output, output
    assert "YAML syntax error" not in output


# --- Fn::ValueOf / Fn::ValueOfAll, over the moto server ----------------------------------

NETWORK_RULES = """\
Parameters:
  VpcId: {Type: "AWS::EC2::VPC::Id"}
  Subnets: {Type: "List<AWS::EC2::Subnet::Id>"}
  Zone: {Type: "AWS::EC2::Subnet::Id"}
Rules:
  SubnetsInVpc:
    Assertions:
      - Assert: !EachMemberEquals [!ValueOf [Subnets, VpcId], !Ref VpcId]
        AssertDescription: All subnets must be in the VPC
  TeamVpcs:
    Assertions:
      - Assert:
          Fn::EachMemberEquals: [{Fn::ValueOfAll: ["AWS::EC2::VPC::Id", Tags.team]}, data]
        AssertDescription: VPCs of the data team only
  FirstZone:
    Assertions:
      - Assert: !Equals [!ValueOf [Zone, AvailabilityZone], us-east-1a]
        AssertDescription: the first subnet is in us-east-1a
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
"""


def _network() -> dict[str, str]:
    ec2 = boto3.client("ec2")
    ours = ec2.create_vpc(CidrBlock="10.61.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "team", "Value": "data"}]}])["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    subnet = {name: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)
              ["Subnet"]["SubnetId"] for name, vpc, cidr, zone in (
                  ("a", ours, "10.61.1.0/24", "us-east-1a"),
                  ("b", ours, "10.61.2.0/24", "us-east-1b"),
                  ("elsewhere", other, "10.62.1.0/24", "us-east-1a"))}
    return {"ours": ours, "other": other, **subnet}


def test_value_of_reads_what_the_parameters_name(stack: Stack) -> None:
    ids = _network()
    stack.write("app.yaml", NETWORK_RULES)
    good = [f"--parameter=VpcId={ids['ours']}", f"--parameter=Subnets={ids['a']},{ids['b']}",
            f"--parameter=Zone={ids['a']}"]
    result = stack.cli("validate", str(stack.desired), *good)
    assert result.code == 0, result.out + result.err
    wrong = [f"--parameter=VpcId={ids['ours']}",
             f"--parameter=Subnets={ids['a']},{ids['elsewhere']}",
             f"--parameter=Zone={ids['b']}"]
    failed = stack.cli("validate", str(stack.desired), *wrong)
    assert failed.code == 1
    assert "app.yaml:8: rule 'SubnetsInVpc': All subnets must be in the VPC" in failed.err
    assert "app.yaml:17: rule 'FirstZone': the first subnet is in us-east-1a" in failed.err
    untagged = stack.cli("validate", str(stack.desired), f"--parameter=VpcId={ids['other']}",
                         f"--parameter=Subnets={ids['elsewhere']}",
                         f"--parameter=Zone={ids['a']}")
    assert "rule 'TeamVpcs': VPCs of the data team only" in untagged.err
    assert "SubnetsInVpc" not in untagged.err
    # plan checks the same rules before anything else: a log group to create, or nothing.
    assert stack.plan(*good).code == 2
    assert stack.plan(*wrong).code == 1


def test_value_of_a_resource_that_does_not_exist_names_it(stack: Stack) -> None:
    ids = _network()
    stack.write("app.yaml", NETWORK_RULES)
    result = stack.cli("validate", str(stack.desired), f"--parameter=VpcId={ids['ours']}",
                       "--parameter=Subnets=subnet-0123456789abcdef0",
                       f"--parameter=Zone={ids['a']}")
    assert result.code == 1
    assert "rule 'SubnetsInVpc': subnet-0123456789abcdef0 (AWS::EC2::Subnet::Id) does not " \
        "exist" in result.err, result.err


@pytest.mark.parametrize(("assertion", "message"), [
    ("!Equals [!ValueOf [Zone, CidrBlock], x]",
     "AWS::EC2::Subnet::Id has no attribute 'CidrBlock' (attributes: AvailabilityZone, "
     "VpcId, Tags.<key>)"),
    ("!Equals [!ValueOf [Name, VpcId], x]",
     "rules read attributes of parameters of type AWS::EC2::VPC::Id, AWS::EC2::Subnet::Id, "
     "AWS::EC2::SecurityGroup::Id (or a List of them), not String"),
])
def test_value_of_what_aws_has_no_attribute_for_is_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], assertion: str,
        message: str) -> None:
    text = ("Parameters:\n  Zone: {Type: 'AWS::EC2::Subnet::Id', Default: subnet-0a}\n"
            "  Name: {Type: String, Default: x}\nRules:\n  R:\n    Assertions:\n"
            f"      - Assert: {assertion}\nResources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n")
    code, output = _validate(tmp_path, capsys, text)
    assert code == 1
    assert "rule 'R': " + message in output, output
