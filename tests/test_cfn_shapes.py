"""Shapes of real CloudFormation templates that the measured corpus (bench/cfn_corpus.py)
found refused or not converging, each fixed in general: on the moto server over HTTP,
through the CLI in-process."""

from __future__ import annotations

import json

import boto3
import pytest

from reconciler.aws.clients import AwsClients
from reconciler.kinds.base import TransientError
from reconciler.kinds.registry import catalog
from reconciler.kinds.s3_bucket import S3Bucket
from reconciler.template.loader import load_tree
from tests.harness import Stack


def _converges(stack: Stack, *extra: str, apply_only: tuple[str, ...] = ()) -> None:
    applied = stack.apply(*extra, *apply_only)
    assert applied.code == 0, applied.out + applied.err
    plan = stack.plan(*extra)
    assert plan.code == 0, [c for c in plan.json["changes"] if c["status"] != "InSync"]


def test_get_azs_of_null_is_this_region_as_in_awss_json_samples(stack: Stack) -> None:
    stack.write("t.json", json.dumps({"Resources": {"Bucket": {
        "Type": "AWS::S3::Bucket", "Properties": {
            "BucketName": "zoned-null",
            "Tags": [{"Key": "zone", "Value": {"Fn::Select": [0, {"Fn::GetAZs": None}]}}]}}}}))
    _converges(stack)
    tags = boto3.client("s3").get_bucket_tagging(Bucket="zoned-null")["TagSet"]
    assert {"Key": "zone", "Value": "us-east-1a"} in tags


def test_a_boolean_where_a_string_goes_is_its_text(stack: Stack) -> None:
    """``Value: true`` (a load balancer attribute, a tag) is "true", as CloudFormation
    reads it; it was refused as "True is not of type 'string'"."""
    stack.write("t.yaml", """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: flagged-bucket
              Tags: [{Key: enabled, Value: true}, {Key: retired, Value: false}]
        """)
    assert stack.cli("validate", str(stack.desired)).code == 0
    _converges(stack)
    tags = boto3.client("s3").get_bucket_tagging(Bucket="flagged-bucket")["TagSet"]
    assert sorted((t["Key"], t["Value"]) for t in tags if t["Key"] in ("enabled", "retired")) \
        == [("enabled", "true"), ("retired", "false")]


def test_an_origin_id_from_a_parameter_is_checked_without_a_crash(stack: Stack) -> None:
    stack.write("t.yaml", """
        Parameters:
          OriginName: {Type: String, Default: site}
        Resources:
          Cdn:
            Type: AWS::CloudFront::Distribution
            Properties:
              DistributionConfig:
                Enabled: true
                Origins:
                  - {Id: !Ref OriginName, DomainName: site.example.com,
                     CustomOriginConfig: {OriginProtocolPolicy: https-only}}
                DefaultCacheBehavior:
                  TargetOriginId: site
                  ViewerProtocolPolicy: redirect-to-https
                  CachePolicyId: 4135ea2d-6df8-44a3-9df3-4b5a84be39ad
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 0, result.err


def test_a_group_rule_description_is_no_drift(stack: Stack) -> None:
    """A standalone rule whose peer is a group, with a Description: clean after apply (the
    local server answers the description as AWS does)."""
    stack.write("t.yaml", """
        Resources:
          Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.9.0.0/16}}
          Hosts: {Type: AWS::EC2::SecurityGroup,
                  Properties: {GroupDescription: hosts, VpcId: !Ref Vpc}}
          Balancer: {Type: AWS::EC2::SecurityGroup,
                     Properties: {GroupDescription: balancer, VpcId: !Ref Vpc}}
          FromBalancer:
            Type: AWS::EC2::SecurityGroupIngress
            Properties:
              Description: from the balancer
              GroupId: !Ref Hosts
              IpProtocol: -1
              SourceSecurityGroupId: !Ref Balancer
        """)
    _converges(stack)


def test_aws_specific_parameter_types_are_their_values(stack: Stack) -> None:
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    stack.write("t.yaml", """
        Parameters:
          VpcId: {Type: AWS::EC2::VPC::Id}
          Zones: {Type: List<AWS::EC2::AvailabilityZone::Name>, Default: "us-east-1a,us-east-1b"}
        Rules:
          TwoZones:
            Assertions:
              - Assert: !EachMemberIn [!Ref Zones, [us-east-1a, us-east-1b, us-east-1c]]
        Resources:
          Subnet:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: !Ref VpcId
              CidrBlock: 10.20.1.0/24
              AvailabilityZone: !Select [1, !Ref Zones]
        """)
    _converges(stack, "--parameter", f"VpcId={vpc}")
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    assert [(s["CidrBlock"], s["AvailabilityZone"]) for s in subnets] == [
        ("10.20.1.0/24", "us-east-1b")]


@pytest.mark.parametrize(("allowed", "error"), [
    ("[vpc-0aa, vpc-0bb]", None),
    ("[vpc-0aa]", "t.yaml:9: rule 'KnownVpcs': only the two shared VPCs"),
])
def test_ref_all_is_every_value_of_a_type(stack: Stack, allowed: str, error: str | None,
                                          ) -> None:
    stack.write("t.yaml", f"""
        Parameters:
          AppVpc: {{Type: AWS::EC2::VPC::Id, Default: vpc-0aa}}
          DataVpc: {{Type: AWS::EC2::VPC::Id, Default: vpc-0bb}}
          Name: {{Type: String, Default: vpc-0cc}}
        Rules:
          KnownVpcs:
            Assertions:
              - Assert: !EachMemberIn [!RefAll AWS::EC2::VPC::Id, {allowed}]
                AssertDescription: only the two shared VPCs
        Resources:
          Logs: {{Type: AWS::Logs::LogGroup}}
        """)
    result = stack.cli("validate", str(stack.desired))
    assert (result.code, error is None or error in result.err) == (
        0 if error is None else 1, True), result.err


def test_an_aws_specific_value_of_the_wrong_form_names_the_parameter(stack: Stack) -> None:
    stack.write("t.yaml", """
        Parameters:
          VpcId: {Type: AWS::EC2::VPC::Id}
          Subnets: {Type: List<AWS::EC2::Subnet::Id>, Default: "subnet-0a1b,sg-0a1b"}
          Ami: {Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default: /aws/ami}
        Resources:
          Bucket: {Type: AWS::S3::Bucket}
        """)
    result = stack.cli("validate", str(stack.desired), "--parameter", "VpcId=subnet-0a1b")
    assert result.code == 1
    assert "t.yaml:3: parameter 'VpcId' value 'subnet-0a1b' (from --parameter) is not a VPC " \
           "ID (AWS::EC2::VPC::Id)" in result.err
    assert "t.yaml:4: parameter 'Subnets' value 'subnet-0a1b,sg-0a1b' (the Default) is not " \
           "a subnet ID (AWS::EC2::Subnet::Id)" in result.err
    assert "t.yaml:5: parameter 'Ami' names Parameter Store parameter '/aws/ami' (the " \
           "Default), which does not exist in this account and region" in result.err


POLICY_BY_NAME = """
    Parameters:
      App: {Type: String, Default: named}
    Resources:
      Logs:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${App}-logs-${AWS::AccountId}"
      LogsPolicy:
        Type: AWS::S3::BucketPolicy
        Properties:
          Bucket: !Sub "${App}-logs-${AWS::AccountId}"
          PolicyDocument:
            Statement:
              - Effect: Allow
                Principal: {Service: [logging.s3.amazonaws.com]}
                Action: [s3:PutObject]
                Resource: [!Sub "arn:${AWS::Partition}:s3:::${App}-logs-${AWS::AccountId}/*"]
      Data:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${App}-data-${AWS::AccountId}"
          LoggingConfiguration: {DestinationBucketName: !Ref Logs, LogFilePrefix: data/}
"""


def test_a_policy_naming_its_bucket_by_the_same_expression_comes_after_it(stack: Stack,
                                                                         ) -> None:
    """No Ref, the same Sub: ordered as if it were a Ref; the logging bucket's permission
    comes from that policy (its lists read as AWS reads them, by the local server), so its
    logging waits (Pending) for it rather than failing."""
    path = stack.write("t.yaml", POLICY_BY_NAME)
    template = load_tree(path.parent, {}, catalog(), pseudo={"AWS::AccountId": "1",
                                                             "AWS::Partition": "aws"})
    assert template.resources["LogsPolicy"].depends_on == ("Logs",)
    assert template.order.index("Logs") < template.order.index("LogsPolicy")
    _converges(stack, apply_only=("--pending-interval", "1"))
    logging = boto3.client("s3").get_bucket_logging(Bucket="named-data-123456789012")
    assert logging["LoggingEnabled"]["TargetBucket"] == "named-logs-123456789012"


def test_ordering_by_name_never_closes_a_cycle(stack: Stack) -> None:
    """The bucket already refers to the policy's resource; the name edge back is left out."""
    path = stack.write("t.yaml", """
        Resources:
          Key:
            Type: AWS::KMS::Key
            Properties:
              Description: shop-orders
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: shop-orders
              BillingMode: PAY_PER_REQUEST
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
              SSESpecification: {SSEEnabled: true, SSEType: KMS, KMSMasterKeyId: !Ref Key}
          Alias:
            Type: AWS::KMS::Alias
            Properties:
              AliasName: alias/shop-orders
              TargetKeyId: !Ref Key
        """)
    template = load_tree(path.parent, {}, catalog())
    # The key's Description equals the table's name, but the table refers to the key.
    assert template.resources["Key"].depends_on == ()
    assert template.resources["Table"].depends_on == ("Key",)


def test_logging_to_a_bucket_not_yet_allowing_it_is_pending(clients: AwsClients) -> None:
    """The target's permission comes from a bucket policy that may be applied later in the
    same pass: "not yet", retried, rather than an error."""
    s3 = boto3.client("s3")
    for name in ("quiet-logs", "quiet-data"):
        s3.create_bucket(Bucket=name)
    kind = S3Bucket(clients)
    with pytest.raises(TransientError, match="PutBucketLogging: You must either provide"):
        kind.write_logging("quiet-data", {"LoggingConfiguration": {
            "DestinationBucketName": "quiet-logs"}}, None)


def test_the_vpcs_default_security_group_is_an_attribute(stack: Stack) -> None:
    """``!GetAtt Vpc.DefaultSecurityGroup`` (given to functions and load balancers) is read;
    an attribute that is not read names itself in the skip reason."""
    stack.write("t.yaml", """
        Resources:
          Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.30.0.0/16}}
          Subnet:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: !Ref Vpc
              CidrBlock: 10.30.1.0/24
              Tags: [{Key: group, Value: !GetAtt Vpc.DefaultSecurityGroup}]
        """)
    _converges(stack)
    ec2 = boto3.client("ec2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.30.1.0/24"]}])
    vpc = subnet["Subnets"][0]["VpcId"]
    default = ec2.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])
    tags = {t["Key"]: t["Value"] for t in subnet["Subnets"][0]["Tags"]}
    assert tags["group"] == default["SecurityGroups"][0]["GroupId"]

    stack.write("t.yaml", """
        Resources:
          Vpc: {Type: AWS::EC2::VPC, Properties: {CidrBlock: 10.30.0.0/16}}
          Other:
            Type: AWS::EC2::Subnet
            Properties:
              VpcId: !Ref Vpc
              CidrBlock: 10.30.2.0/24
              Tags: [{Key: acl, Value: !GetAtt Vpc.DefaultNetworkAcl}]
        """)
    applied = stack.apply("--output", "json", "--allow-mass-delete")
    assert applied.change("Other")["reason"] == (
        "skipped: a referenced value is still unknown: Vpc.DefaultNetworkAcl (its resource "
        "was not created, or that attribute is not read)")
