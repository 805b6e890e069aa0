"""`reconciler import --type`: existing resources (made with boto3 on the moto server) become
a tree that plans as adoption only and applies as ownership tags only."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from reconciler.adopt.properties import observe_all
from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import user_tags
from reconciler.kinds.registry import catalog
from reconciler.state.store import StateStore
from tests.harness import Stack

TYPES = ["AWS::S3::Bucket", "AWS::S3::BucketPolicy", "AWS::IAM::Role", "AWS::DynamoDB::Table",
         "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup", "AWS::Logs::LogGroup",
         "AWS::KMS::Key", "AWS::KMS::Alias", "AWS::Lambda::Function"]
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}


def _made() -> dict[str, str]:
    """A small account, made out of band: the physical IDs by what they are."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="team-data")
    s3.put_bucket_versioning(Bucket="team-data", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_tagging(Bucket="team-data", Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    s3.put_bucket_policy(Bucket="team-data", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": "arn:aws:s3:::team-data/*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    role = boto3.client("iam").create_role(RoleName="team-fn", Description="runs the fn",
                                            AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    boto3.client("dynamodb").create_table(
        TableName="team-cache", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "team-net"}]}])["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24",
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(VpcId=vpc, GroupName="team-web",
                                      Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
    kms = boto3.client("kms")
    key = kms.create_key(Description="team key")["KeyMetadata"]
    kms.create_alias(AliasName="alias/team", TargetKeyId=key["KeyId"])
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/team/app", kmsKeyId=key["Arn"])
    logs.put_retention_policy(logGroupName="/team/app", retentionInDays=14)
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return 1\n")
    boto3.client("lambda").create_function(
        FunctionName="team-fn", Runtime="python3.12", Role=role["Arn"], Handler="index.handler",
        Code={"ZipFile": code.getvalue()}, MemorySize=256,
        Environment={"Variables": {"TABLE": "team-cache"}})
    return {"vpc": vpc, "subnet": subnet, "group": group, "key": key["KeyId"]}


def _live(types: list[str]) -> dict[tuple[str, str], Any]:
    """Everything the kinds read of every listed resource: properties and user tags."""
    clients = AwsClients()
    out = {}
    for type_name in types:
        kind = catalog()[type_name](clients)
        for physical_id in kind.list_physical_ids():
            observed, props = observe_all(kind, physical_id, clients.account_id(), "aws")
            assert observed is not None
            out[(type_name, physical_id)] = (props, user_tags(observed.tags or {}))
    return out


def _import(stack: Stack, *args: str) -> Any:
    flags = [x for t in TYPES for x in ("--type", t)]
    return stack.cli("import", *flags, "--state", str(stack.state), *args)


def test_imported_resources_plan_as_adoption_and_apply_changes_only_ownership(
        stack: Stack) -> None:
    made = _made()
    out = stack.desired / "imported.yaml"
    imported = _import(stack, "--out", str(out))
    assert imported.code == 0, imported.err
    resources = yaml.safe_load(out.read_text())["Resources"]
    by_type = {body["Type"]: (lid, body) for lid, body in resources.items()}
    assert set(by_type) == set(TYPES) and len(resources) == len(TYPES)
    assert all(b["Metadata"]["Reconciler"]["Adopt"] is True for b in resources.values())
    # Logical IDs from names (the Name tag for the VPC), the bucket keeping its own.
    assert by_type["AWS::S3::Bucket"][0] == "TeamData"
    assert by_type["AWS::EC2::VPC"][0] == "TeamNet"
    assert by_type["AWS::DynamoDB::Table"][0] == "TeamCache"
    # What no property names carries its ID; named resources do not need it.
    ids = {t: b["Metadata"]["Reconciler"].get("PhysicalId") for t, (_, b) in by_type.items()}
    assert ids["AWS::EC2::VPC"] == made["vpc"] and ids["AWS::KMS::Key"] == made["key"]
    assert ids["AWS::EC2::Subnet"] == made["subnet"] and ids["AWS::S3::Bucket"] is None

    def props(type_name: str) -> dict[str, Any]:
        return dict(by_type[type_name][1]["Properties"])

    vpc, key, role, table = (by_type[t][0] for t in (
        "AWS::EC2::VPC", "AWS::KMS::Key", "AWS::IAM::Role", "AWS::DynamoDB::Table"))
    assert props("AWS::EC2::Subnet")["VpcId"] == {"Ref": vpc}
    assert props("AWS::EC2::SecurityGroup")["VpcId"] == {"Ref": vpc}
    assert props("AWS::S3::BucketPolicy")["Bucket"] == {"Ref": "TeamData"}
    assert props("AWS::KMS::Alias")["TargetKeyId"] == {"Ref": key}
    assert props("AWS::Logs::LogGroup")["KmsKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
    function = props("AWS::Lambda::Function")
    assert function["Role"] == {"Fn::GetAtt": [role, "Arn"]}
    assert function["Environment"]["Variables"]["TABLE"] == {"Ref": table}
    # Only what differs from the defaults: no MaxSessionDuration 3600, no Enabled true.
    assert props("AWS::IAM::Role") == {"RoleName": "team-fn", "Description": "runs the fn",
                                       "AssumeRolePolicyDocument": TRUST}
    assert props("AWS::KMS::Key") == {"Description": "team key"}
    assert props("AWS::S3::Bucket") == {"BucketName": "team-data",
                                        "VersioningConfiguration": {"Status": "Enabled"},
                                        "Tags": [{"Key": "team", "Value": "a"}]}
    assert props("AWS::EC2::SecurityGroup")["SecurityGroupIngress"] == [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}]
    assert "SecurityGroupEgress" not in props("AWS::EC2::SecurityGroup")  # AWS's default
    assert by_type["AWS::Lambda::Function"][1]["Metadata"]["Reconciler"]["IgnoreDrift"] == [
        "/Code"]
    assert "Code cannot be read back" in imported.err

    before = _live(TYPES)
    plan = stack.plan()
    assert plan.code == 2, plan.err
    for change in plan.json["changes"]:  # adoption only: the ownership tags, nothing else
        assert change["status"] in ("InSync", "Drifted"), change
        assert all(d["path"].startswith("/Tags/reconciler:") for d in change["diff"]), change
        if change["diff"]:
            assert change["reason"] == "adopting an existing resource (Adopt: true)"
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert _live(TYPES) == before  # the same properties and user tags
    again = stack.plan()
    assert again.code == 0, [c for c in again.json["changes"] if c["status"] != "InSync"]
    store = StateStore(stack.state)
    try:
        assert set(store.inventory()) == set(resources)
    finally:
        store.close()
    tags = boto3.client("ec2").describe_vpcs(VpcIds=[made["vpc"]])["Vpcs"][0]["Tags"]
    assert {"Key": "reconciler:logical-id", "Value": vpc} in tags

    # Now owned: a second import skips every one of them, saying so.
    second = _import(stack)
    assert second.code == 1 and "nothing to import" in second.err
    assert f"skipped AWS::EC2::VPC {made['vpc']}: already owned by this owner (reconciler) " \
           f"as {vpc}" in second.err


def test_filters_and_owners_and_what_aws_made_itself(stack: Stack) -> None:
    s3 = boto3.client("s3")
    for name, tags in (("app-logs", {"env": "prod"}), ("app-tmp", {"env": "dev"}),
                       ("other-x", {"env": "prod"}),
                       ("app-theirs", {"env": "prod", "reconciler:owner": "team-b"})):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [
            {"Key": k, "Value": v} for k, v in tags.items()]})
    result = stack.cli("import", "--type", "AWS::S3::Bucket", "--name-prefix", "app-",
                       "--tag", "env=prod", "--state", str(stack.state))
    assert result.code == 0, result.err
    tree = yaml.safe_load(result.out)  # standard output is the YAML alone
    assert list(tree["Resources"]) == ["AppLogs"]
    assert "skipped AWS::S3::Bucket app-theirs: owned by reconciler instance 'team-b'" \
        in result.err
    # moto's default VPC, its subnets and security group, and alias/aws/ aliases: not listed.
    boto3.client("kms").describe_key(KeyId="alias/aws/s3")  # makes the AWS managed key
    for type_name in ("AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::SecurityGroup",
                      "AWS::KMS::Alias", "AWS::KMS::Key", "AWS::EC2::InternetGateway",
                      "AWS::EC2::RouteTable"):
        nothing = stack.cli("import", "--type", type_name, "--state", str(stack.state))
        assert nothing.code == 1 and "nothing to import" in nothing.err, (type_name,
                                                                          nothing.out)


@pytest.mark.parametrize("args,message", [
    (["--type", "AWS::SNS::Topic"], "--type AWS::SNS::Topic: not a type the reconciler manages"),
    (["--type", "AWS::EC2::SecurityGroupIngress"],
     "--type AWS::EC2::SecurityGroupIngress: cannot be listed: a group's rules are imported "
     "inside it"),
    (["--type", "AWS::Lambda::Permission"], "cannot be listed: a permission is a statement"),
    (["--type", "AWS::S3::Bucket", "--stack", "s"], "--stack NAME or --type TYPE, not both"),
])
def test_bad_requests_are_refused_naming_the_type(stack: Stack, args: list[str],
                                                  message: str) -> None:
    refused = stack.cli("import", *args, "--state", str(stack.state))
    assert refused.code == 1 and message in refused.err, refused.err
    assert "Traceback" not in refused.err


def test_types_come_from_the_environment_one_a_line(stack: Stack,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    boto3.client("s3").create_bucket(Bucket="env-bucket")
    boto3.client("dynamodb").create_table(
        TableName="env-table", BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    monkeypatch.setenv("RECONCILER_TYPE", "AWS::S3::Bucket\nAWS::DynamoDB::Table\n")
    result = stack.cli("import", "--state", str(stack.state), "--out", str(tmp_path / "t.yaml"))
    assert result.code == 0, result.err
    assert set(yaml.safe_load((tmp_path / "t.yaml").read_text())["Resources"]) == {
        "EnvBucket", "EnvTable"}


def test_a_physical_id_that_is_no_string_is_a_validation_error(stack: Stack) -> None:
    stack.write("vpc.yaml", """\
        Resources:
          Net:
            Type: AWS::EC2::VPC
            Metadata: {Reconciler: {Adopt: true, PhysicalId: [vpc-1]}}
            Properties: {CidrBlock: 10.0.0.0/16}
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert "vpc.yaml:4: resource 'Net': Metadata.Reconciler.PhysicalId must be" in result.err
