"""What is particular to the security group kinds (the contract suite covers each round trip):
the rule shape mapping (table-driven, pure), rule lists compared as sets on moto (a rule
added, removed or widened out of band), AWS's default egress rule, and ADR-003's groups
referencing each other through standalone ingress rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from reconciler.aws.clients import AwsClients
from reconciler.kinds import ec2_security_group_rules as rules
from reconciler.kinds.ec2_security_group import SecurityGroup
from reconciler.kinds.ec2_security_group_ingress import SecurityGroupIngress
from tests.harness import Stack

# --- the mapping, pure ----------------------------------------------------------------------

TO_PERMISSION = [
    ({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": "5432", "CidrIp": "10.0.0.0/24"}, False,
     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
      "IpRanges": [{"CidrIp": "10.0.0.0/24"}]}),
    ({"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv6": "::/0"}, False,
     {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}),
    ({"IpProtocol": "6", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": "sg-1",
      "Description": "proxy"}, False,
     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
      "UserIdGroupPairs": [{"GroupId": "sg-1", "Description": "proxy"}]}),
    ({"IpProtocol": "all", "DestinationPrefixListId": "pl-1"}, True,
     {"IpProtocol": "-1", "PrefixListIds": [{"PrefixListId": "pl-1"}]}),
    ({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationSecurityGroupId": "sg-2"},
     True, {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "UserIdGroupPairs": [{"GroupId": "sg-2"}]}),
    ({"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "SourceSecurityGroupId": "sg-2",
      "SourceSecurityGroupOwnerId": "123456789012"}, False,
     {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
      "UserIdGroupPairs": [{"GroupId": "sg-2", "UserId": "123456789012"}]}),
]


@pytest.mark.parametrize(("rule", "egress", "permission"), TO_PERMISSION)
def test_a_rule_becomes_one_permission(rule: dict[str, Any], egress: bool,
                                       permission: dict[str, Any]) -> None:
    assert rules.to_permission(rule, egress) == permission


def test_a_permission_becomes_one_rule_per_peer() -> None:
    permissions = [
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
         "IpRanges": [{"CidrIp": "10.0.1.0/24", "Description": "a"}, {"CidrIp": "10.0.2.0/24"}],
         "Ipv6Ranges": [], "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123"}],
         "PrefixListIds": [{"PrefixListId": "pl-1"}]},
        {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
    ]
    tcp = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432}
    assert rules.from_permissions(permissions, egress=False) == [
        {**tcp, "CidrIp": "10.0.1.0/24", "Description": "a"},
        {**tcp, "CidrIp": "10.0.2.0/24"},
        {**tcp, "SourceSecurityGroupId": "sg-1", "SourceSecurityGroupOwnerId": "123"},
        {**tcp, "SourcePrefixListId": "pl-1"},
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"},
    ]
    assert rules.from_permissions(permissions[:1], egress=True)[2] == {
        **tcp, "DestinationSecurityGroupId": "sg-1"}


RECORDS = [
    ({"IsEgress": False, "IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "CidrIpv4": "1.0.0.0/8",
      "Description": "d"}, {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 2, "CidrIp": "1.0.0.0/8",
                            "Description": "d"}),
    ({"IsEgress": True, "IpProtocol": "-1", "FromPort": -1, "ToPort": -1, "CidrIpv4": "0.0.0.0/0"},
     {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}),
    ({"IsEgress": False, "IpProtocol": "udp", "FromPort": 53, "ToPort": 53,
      "ReferencedGroupInfo": {"GroupId": "sg-1", "UserId": "123"}},
     {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "123"}),
    ({"IsEgress": True, "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
      "PrefixListId": "pl-1"},
     {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "DestinationPrefixListId": "pl-1"}),
]


@pytest.mark.parametrize(("record", "rule"), RECORDS)
def test_a_rule_record_becomes_a_rule(record: dict[str, Any], rule: dict[str, Any]) -> None:
    assert rules.from_record(record) == rule


SAME = [  # (declared, as AWS answers): one rule
    ({"IpProtocol": "6", "FromPort": "5432", "ToPort": 5432, "CidrIp": "10.0.0.0/8"},
     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.0.0/8"}),
    ({"IpProtocol": -1, "FromPort": -1, "ToPort": -1, "CidrIp": "0.0.0.0/0"},
     {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}),
    ({"IpProtocol": "all", "CidrIp": "0.0.0.0/0", "Description": ""},
     {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}),
    # AWS answers every group peer's owner: read only where declared.
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1"},
     {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "123"}),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "123"},
     {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "123"}),
]
DIFFERENT = [
    ({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.1.0/24"},
     {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.0.0/16"}),  # wider
    ({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.0.1.0/24"},
     {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": "10.0.1.0/24"}),  # ports
    ({"IpProtocol": "tcp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.1.0/24"},
     {"IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "CidrIp": "10.0.1.0/24"}),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIp": "10.0.1.0/24"},
     {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIp": "10.0.1.0/24",
      "Description": "added"}),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "999"},
     {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
      "SourceSecurityGroupOwnerId": "123"}),
]


@pytest.mark.parametrize(("declared", "observed"), SAME)
def test_equal_rules_read_back_as_declared(declared: dict[str, Any],
                                           observed: dict[str, Any]) -> None:
    assert rules.as_declared([observed], [declared], egress=False) == [declared]


@pytest.mark.parametrize(("declared", "observed"), DIFFERENT)
def test_different_rules_read_back_as_aws_has_them(declared: dict[str, Any],
                                                   observed: dict[str, Any]) -> None:
    assert rules.as_declared([observed], [declared], egress=False) == [observed]


def test_changes_revoke_authorize_and_describe_by_key() -> None:
    keep = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}
    gone = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}
    new = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "DestinationSecurityGroupId":
           "sg-1"}
    renamed = {**keep, "Description": "https"}
    assert rules.changes([keep, gone], [renamed, new], egress=True) == ([gone], [new], [renamed])
    assert rules.changes([keep], [{**keep, "IpProtocol": "6"}], egress=True) == ([], [], [])
    peer = {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupId": "sg-1",
            "SourceSecurityGroupOwnerId": "123"}
    elsewhere = {**peer, "SourceSecurityGroupOwnerId": "999"}
    # Another owner is another peer: revoked and authorized again, never "described".
    assert rules.changes([peer], [elsewhere], egress=False) == ([peer], [elsewhere], [])
    assert rules.changes([peer], [rules.without_owner(peer)], egress=False) == ([], [], [])


PROBLEMS = [
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1}, "needs exactly one of"),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIp": "1.0.0.0/8",
      "SourceSecurityGroupId": "sg-1"}, "needs exactly one of"),
    ({"IpProtocol": "tcp", "CidrIp": "1.0.0.0/8"}, "needs FromPort and ToPort"),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "SourceSecurityGroupName": "default"},
     "use SourceSecurityGroupId"),
    ({"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "CidrIp": "1.0.0.0/8",
      "SourceSecurityGroupOwnerId": "123"}, "declare both"),
]


@pytest.mark.parametrize(("rule", "message"), PROBLEMS)
def test_rules_ec2_would_refuse_are_refused_at_validate(rule: dict[str, Any],
                                                        message: str) -> None:
    found = SecurityGroup.validate({"GroupDescription": "d", "SecurityGroupIngress": [rule]})
    assert [p for p, _ in found][:1] and message in " ".join(m for _, m in found)


def test_a_standalone_rule_needs_its_group_id() -> None:
    found = SecurityGroupIngress.validate({"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"})
    assert found[0][0] == "/GroupId"


def test_a_standalone_rule_for_a_group_with_its_own_list_is_refused_at_validate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = Stack(tmp_path, capsys)
    stack.write("sg.yaml", """\
        Resources:
          Network:
            Type: AWS::EC2::VPC
            Properties: {CidrBlock: 10.41.0.0/16}
          Listed:
            Type: AWS::EC2::SecurityGroup
            Properties:
              GroupDescription: declares its ingress
              VpcId: !Ref Network
              SecurityGroupIngress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443,
                                      CidrIp: 10.0.0.0/8}]
          Unlisted:
            Type: AWS::EC2::SecurityGroup
            Properties: {GroupDescription: no lists, VpcId: !Ref Network}
          ExtraIngress:
            Type: AWS::EC2::SecurityGroupIngress
            Properties:
              GroupId: !GetAtt Listed.GroupId
              IpProtocol: tcp
              FromPort: 22
              ToPort: 22
              CidrIp: 10.0.0.0/8
          EgressIsFine:
            Type: AWS::EC2::SecurityGroupEgress
            Properties: {GroupId: !Ref Listed, IpProtocol: "-1", CidrIp: 10.0.0.0/8}
          StandaloneIsFine:
            Type: AWS::EC2::SecurityGroupIngress
            Properties: {GroupId: !Ref Unlisted, IpProtocol: "-1", CidrIp: 10.0.0.0/8}
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    problems = [line for line in (result.out + result.err).splitlines() if "sg.yaml" in line]
    assert len(problems) == 1, problems
    assert "sg.yaml:18:" in problems[0] and "ExtraIngress" in problems[0]
    assert "Listed declares SecurityGroupIngress itself" in problems[0]


# --- on moto ------------------------------------------------------------------------------

GROUP = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.40.0.0/16}
  Open:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: default egress kept
      VpcId: !Ref Network
  Database:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database
      VpcId: !Ref Network
      SecurityGroupIngress:
        - {IpProtocol: "6", FromPort: 5432, ToPort: "5432", CidrIp: 10.40.1.0/24}
      SecurityGroupEgress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.40.0.0/16}
"""


def _group(group_id: str) -> dict[str, Any]:
    return dict(boto3.client("ec2").describe_security_groups(GroupIds=[group_id])[
        "SecurityGroups"][0])


def _rule_id(group_id: str, cidr: str) -> str:
    records = boto3.client("ec2").describe_security_group_rules(Filters=[
        {"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    return next(r["SecurityGroupRuleId"] for r in records if r.get("CidrIpv4") == cidr)


def _drift(stack: Stack, lid: str) -> list[str]:
    plan = stack.plan()
    assert plan.code == 2, plan.out
    change = plan.change(lid)
    assert change["status"] == "Drifted", change
    return [d["path"] for d in change["diff"]]


def _converges(stack: Stack) -> None:
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert stack.plan().code == 0


def test_rule_lists_are_sets_a_rule_added_removed_or_widened_is_drift(stack: Stack) -> None:
    stack.write("sg.yaml", GROUP)
    _converges(stack)  # "6" and "5432" read back as declared: no drift after create
    db = stack.plan().change("Database")["physical_id"]
    ec2 = boto3.client("ec2")
    tcp = {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432}

    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {**tcp, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert _drift(stack, "Database") == ["/SecurityGroupIngress"]
    _converges(stack)

    ec2.revoke_security_group_ingress(GroupId=db, IpPermissions=[
        {**tcp, "IpRanges": [{"CidrIp": "10.40.1.0/24"}]}])
    assert _drift(stack, "Database") == ["/SecurityGroupIngress"]
    _converges(stack)

    ec2.modify_security_group_rules(GroupId=db, SecurityGroupRules=[{
        "SecurityGroupRuleId": _rule_id(db, "10.40.1.0/24"),
        "SecurityGroupRule": {**tcp, "CidrIpv4": "10.40.0.0/16"}}])
    assert _drift(stack, "Database") == ["/SecurityGroupIngress"]
    _converges(stack)
    ingress = _group(db)["IpPermissions"]
    assert [r["CidrIp"] for p in ingress for r in p["IpRanges"]] == ["10.40.1.0/24"]

    ec2.authorize_security_group_egress(GroupId=db, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    assert _drift(stack, "Database") == ["/SecurityGroupEgress"]
    _converges(stack)


def test_default_egress_stays_unless_egress_is_declared(stack: Stack) -> None:
    stack.write("sg.yaml", GROUP)
    _converges(stack)
    plan = stack.plan()
    everything = [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]
    open_egress = _group(plan.change("Open")["physical_id"])["IpPermissionsEgress"]
    assert rules.from_permissions(open_egress, egress=True) == everything
    db_egress = _group(plan.change("Database")["physical_id"])["IpPermissionsEgress"]
    assert rules.from_permissions(db_egress, egress=True) == [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.40.0.0/16"}]

    # Declaring the default rule itself keeps it (and is no drift).
    stack.write("sg.yaml", GROUP.replace(
        "GroupDescription: default egress kept\n",
        "GroupDescription: default egress kept\n"
        "      SecurityGroupEgress: [{IpProtocol: -1, CidrIp: 0.0.0.0/0}]\n"))
    assert stack.plan().code == 0


# No Description on these: moto 5.2.5 drops a group pair's description from
# DescribeSecurityGroupRules (AWS returns it), which would read as drift.
MUTUAL = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.41.0.0/16}
  Proxy:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: rds proxy, VpcId: !Ref Network}
  Database:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: aurora, VpcId: !Ref Network}
  DatabaseFromProxy:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !GetAtt Database.GroupId
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref Proxy
  ProxyFromDatabase:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Proxy
      IpProtocol: tcp
      FromPort: 5432
      ToPort: 5432
      SourceSecurityGroupId: !Ref Database
"""


def test_groups_referencing_each_other_through_standalone_rules(stack: Stack) -> None:
    stack.write("sg.yaml", MUTUAL)
    applied = stack.apply("--output", "json")
    assert applied.code == 0, applied.out + applied.err
    order = [c["resource"] for c in applied.json["changes"] if c["action"] == "create"]
    for rule, groups in (("DatabaseFromProxy", ("Database", "Proxy")),
                         ("ProxyFromDatabase", ("Database", "Proxy"))):
        assert all(order.index(g) < order.index(rule) for g in groups), order
    plan = stack.plan()
    assert plan.code == 0, plan.out  # the groups declare no ingress: standalone rules are theirs
    rule_id = plan.change("DatabaseFromProxy")["physical_id"]
    assert rule_id.startswith("sgr-")
    db, proxy = plan.change("Database")["physical_id"], plan.change("Proxy")["physical_id"]
    pairs = _group(db)["IpPermissions"][0]["UserIdGroupPairs"]
    assert [p["GroupId"] for p in pairs] == [proxy]

    # A rule revoked out of band is missing, and comes back.
    boto3.client("ec2").revoke_security_group_ingress(GroupId=db, SecurityGroupRuleIds=[rule_id])
    missing = stack.plan()
    assert missing.change("DatabaseFromProxy")["status"] == "Missing"
    _converges(stack)

    stack.write("sg.yaml", "Resources: {}\n")
    removed = stack.apply("--allow-empty", "--allow-mass-delete", "--output", "json")
    assert removed.code == 0, removed.out
    gone = [c["resource"] for c in removed.json["changes"] if c["action"] == "delete"]
    assert gone.index("DatabaseFromProxy") < gone.index("Database")
    assert gone.index("ProxyFromDatabase") < gone.index("Proxy")


def test_a_changed_rule_is_a_replace_and_blocked_without_allow_replace(stack: Stack) -> None:
    stack.write("sg.yaml", MUTUAL)
    _converges(stack)
    stack.write("sg.yaml", MUTUAL.replace("ToPort: 5432\n      SourceSecurityGroupId: !Ref Proxy",
                         "ToPort: 5433\n      SourceSecurityGroupId: !Ref Proxy"))
    change = stack.plan().change("DatabaseFromProxy")
    assert (change["status"], change["action"]) == ("Blocked", "replace")


def test_the_emulator_refuses_a_group_in_a_vpc_that_does_not_exist(aws: Any) -> None:
    """As AWS does (reconciler/aws/local_server.py): moto as released made the group, and the
    chaos suite then found one stuck in a VPC the emulator had forgotten mid-run."""
    ec2 = boto3.client("ec2")
    with pytest.raises(ec2.exceptions.ClientError, match="InvalidVpcID.NotFound"):
        ec2.create_security_group(GroupName="ghost", Description="d", VpcId="vpc-0123456789abcdef0")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    made = ec2.create_security_group(GroupName="real", Description="d", VpcId=vpc)
    assert made["GroupId"].startswith("sg-")
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert sorted(g["GroupName"] for g in groups["SecurityGroups"]) == ["default", "real"]


OWNED = """
Resources:
  Network:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.33.0.0/16}
  Proxy:
    Type: AWS::EC2::SecurityGroup
    Properties: {GroupDescription: proxy, VpcId: !Ref Network}
  Database:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: database
      VpcId: !Ref Network
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 5432, ToPort: 5432, SourceSecurityGroupId: !Ref Proxy,
           SourceSecurityGroupOwnerId: !Ref AWS::AccountId}
  ProxyFromItself:
    Type: AWS::EC2::SecurityGroupIngress
    Properties:
      GroupId: !Ref Proxy
      IpProtocol: "-1"
      SourceSecurityGroupId: !GetAtt Proxy.GroupId
      SourceSecurityGroupOwnerId: !Ref AWS::AccountId
"""


def test_a_group_peer_with_its_owner_as_eks_templates_write_it(stack: Stack) -> None:
    """SourceSecurityGroupOwnerId inline and standalone: sent as the pair's UserId, read back
    from UserIdGroupPairs[].UserId and ReferencedGroupInfo.UserId, no drift."""
    stack.write("sg.yaml", OWNED)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan()
    assert plan.code == 0, plan.out
    account = boto3.client("sts").get_caller_identity()["Account"]
    db, proxy = plan.change("Database")["physical_id"], plan.change("Proxy")["physical_id"]
    assert _group(db)["IpPermissions"][0]["UserIdGroupPairs"][0]["UserId"] == account
    standalone = SecurityGroupIngress(AwsClients(region="us-east-1")).observe(
        plan.change("ProxyFromItself")["physical_id"], {
            "GroupId": proxy, "IpProtocol": "-1", "SourceSecurityGroupId": proxy,
            "SourceSecurityGroupOwnerId": "000000000000"})
    assert standalone is not None
    assert standalone.properties["SourceSecurityGroupOwnerId"] == account


def test_a_prefix_list_rule_keeps_its_description_in_the_emulator(stack: Stack) -> None:
    """As AWS answers it (reconciler/aws/local_server.py): moto as released drops a
    prefix-list peer's description, which read as drift on every plan."""
    stack.write("sg.yaml", """
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties: {CidrBlock: 10.44.0.0/16}
  Web:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: from the CloudFront origin-facing prefix list
      VpcId: !Ref Vpc
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, SourcePrefixListId: pl-3b927c52,
           Description: HTTPS from CloudFront}
""")
    assert stack.apply().code == 0
    group = stack.plan().change("Web")["physical_id"]
    assert stack.plan().code == 0
    (permission,) = boto3.client("ec2").describe_security_groups(
        GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert permission["PrefixListIds"] == [{"PrefixListId": "pl-3b927c52",
                                            "Description": "HTTPS from CloudFront"}]
