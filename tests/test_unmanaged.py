"""`reconciler unmanaged`: what exists of the managed types (on the moto server) that neither
the tree nor the inventory holds; AWS's own defaults never count."""

from __future__ import annotations

import boto3

from tests.harness import Stack

BUCKET = """\
Resources:
  Declared:
    Type: AWS::S3::Bucket
    Properties: {BucketName: declared-bucket}
"""


def _unmanaged(stack: Stack, *args: str) -> object:
    return stack.cli("unmanaged", str(stack.desired), "--state", str(stack.state), *args)


def test_a_fresh_account_has_nothing_unmanaged_in_any_type(stack: Stack) -> None:
    """moto's default VPC, its subnets, security group, route table and gateway, and the
    AWS managed keys' aliases are AWS's own: none of them is listed."""
    boto3.client("kms").describe_key(KeyId="alias/aws/s3")
    stack.write("empty.yaml", "Resources: {}\n")
    result = _unmanaged(stack, "--output", "json")
    assert result.code == 0, result.out + result.err
    assert result.json["unmanaged"] == [] and result.json["errors"] == []
    assert "AWS::EC2::VPC" in result.json["types"] and len(result.json["types"]) > 30


def test_what_no_tree_declares_is_listed_and_exits_2(stack: Stack) -> None:
    stack.write("bucket.yaml", BUCKET)
    assert stack.apply().code == 0
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="stray-bucket")
    s3.create_bucket(Bucket="team-b-bucket")
    s3.put_bucket_tagging(Bucket="team-b-bucket", Tagging={"TagSet": [
        {"Key": "reconciler:owner", "Value": "team-b"}]})
    vpc = boto3.client("ec2").create_vpc(CidrBlock="10.9.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "stray-net"}]}])["Vpc"]["VpcId"]

    result = _unmanaged(stack, "--type", "AWS::S3::Bucket", "--type", "AWS::EC2::VPC",
                        "--output", "json")
    assert result.code == 2, result.out + result.err
    assert result.json["unmanaged"] == [
        {"type": "AWS::S3::Bucket", "physical_id": "stray-bucket", "name": None, "owner": None},
        {"type": "AWS::EC2::VPC", "physical_id": vpc, "name": "stray-net", "owner": None}]
    assert result.json["owned_by_other_instances"] == {"team-b": 1}
    text = _unmanaged(stack, "--type", "AWS::S3::Bucket")
    assert text.code == 2
    assert "AWS::S3::Bucket stray-bucket\n" in text.out
    assert "1 owned by reconciler instance 'team-b' (left out)" in text.out

    # Declared but not applied yet: the tree's plan finds it, so it is not unmanaged.
    stack.write("stray.yaml", "Resources:\n  Stray:\n    Type: AWS::S3::Bucket\n"
                              "    Properties: {BucketName: stray-bucket}\n")
    assert _unmanaged(stack, "--type", "AWS::S3::Bucket").code == 0


def test_a_leaked_resource_tagged_by_this_owner_is_listed_with_its_tag(stack: Stack) -> None:
    stack.write("bucket.yaml", BUCKET)
    assert stack.apply().code == 0
    stack.write("bucket.yaml", "Resources: {}\n")  # the store forgets nothing; a copy does
    boto3.client("s3").create_bucket(Bucket="leaked-bucket")
    boto3.client("s3").put_bucket_tagging(Bucket="leaked-bucket", Tagging={"TagSet": [
        {"Key": "reconciler:owner", "Value": "reconciler"},
        {"Key": "reconciler:logical-id", "Value": "Old"}]})
    result = _unmanaged(stack, "--type", "AWS::S3::Bucket", "--output", "json")
    assert result.code == 2
    # declared-bucket is in the inventory (Retain keeps it there until applied): not listed.
    assert result.json["unmanaged"] == [{"type": "AWS::S3::Bucket",
                                         "physical_id": "leaked-bucket", "name": None,
                                         "owner": "reconciler"}]


def test_a_type_that_cannot_be_listed_is_refused(stack: Stack) -> None:
    stack.write("empty.yaml", "Resources: {}\n")
    refused = _unmanaged(stack, "--type", "AWS::Lambda::Version")
    assert refused.code == 1
    assert "--type AWS::Lambda::Version: cannot be listed: a published version" in refused.err


def test_every_kind_lists_itself_or_says_why_not() -> None:
    """A kind registered without a listing decision would make `unmanaged` silently blind."""
    from reconciler.kinds.base import Kind
    from reconciler.kinds.registry import catalog

    for type_name, cls in catalog().items():
        assert cls.listable() or cls.unlisted != Kind.unlisted, type_name
