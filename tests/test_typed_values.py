"""Template values take the schema's type as CloudFormation coerces them, end to end on moto.

Each case was a defect found trying the tool as a new user would: strings that pass
validate and then fail in botocore, ``"false"`` applied as true, a numeric tag value
that kept even the ownership tags from being written.
"""

from __future__ import annotations

import boto3
import pytest

from reconciler.kinds.schema import schema_for
from reconciler.template.coerce import CoercionError, coerce_properties
from tests.harness import Stack


def test_string_numbers_reach_aws_as_integers(stack: Stack) -> None:
    stack.write("t.yaml", """
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              RoleName: typed-role
              MaxSessionDuration: "7200"
              AssumeRolePolicyDocument:
                Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},
                             Action: "sts:AssumeRole"}]
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: typed-table
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
              ProvisionedThroughput: {ReadCapacityUnits: "5", WriteCapacityUnits: "3"}
        """)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert boto3.client("iam").get_role(RoleName="typed-role")["Role"]["MaxSessionDuration"] == 7200
    throughput = boto3.client("dynamodb").describe_table(
        TableName="typed-table")["Table"]["ProvisionedThroughput"]
    assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 3)
    assert stack.plan().code == 0


def test_false_written_as_a_string_is_false(stack: Stack) -> None:
    stack.write("t.yaml", """
        Resources:
          Key:
            Type: AWS::KMS::Key
            Properties:
              Description: typed key
              EnableKeyRotation: "false"
              Enabled: "false"
          Table:
            Type: AWS::DynamoDB::Table
            Properties:
              TableName: typed-flags
              BillingMode: PAY_PER_REQUEST
              AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
              KeySchema: [{AttributeName: pk, KeyType: HASH}]
              DeletionProtectionEnabled: "false"
              PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: "false"}
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: typed-flags-bucket
              PublicAccessBlockConfiguration:
                BlockPublicAcls: "true"
                IgnorePublicAcls: "false"
                BlockPublicPolicy: "False"
                RestrictPublicBuckets: "TRUE"
        """)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    kms, ddb = boto3.client("kms"), boto3.client("dynamodb")
    key_id = next(c["physical_id"] for c in stack.plan().json["changes"]
                  if c["resource"] == "Key")
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is False
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    table = ddb.describe_table(TableName="typed-flags")["Table"]
    assert table.get("DeletionProtectionEnabled", False) is False
    pitr = ddb.describe_continuous_backups(TableName="typed-flags")[
        "ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert pitr["PointInTimeRecoveryStatus"] == "DISABLED"
    block = boto3.client("s3").get_public_access_block(
        Bucket="typed-flags-bucket")["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": False,
                     "BlockPublicPolicy": False, "RestrictPublicBuckets": True}
    assert stack.plan().code == 0


def test_a_number_as_tag_value_is_its_text(stack: Stack) -> None:
    stack.write("t.yaml", """
        Resources:
          Bucket:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: typed-tags-bucket
              Tags: [{Key: cost-center, Value: 1}, {Key: ratio, Value: 1.5}]
        """)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    tags = {t["Key"]: t["Value"] for t in boto3.client("s3").get_bucket_tagging(
        Bucket="typed-tags-bucket")["TagSet"]}
    assert tags == {"cost-center": "1", "ratio": "1.5", "reconciler:owner": "reconciler",
                    "reconciler:logical-id": "Bucket"}
    assert stack.plan().code == 0


def test_a_resolved_value_that_cannot_be_coerced_names_file_and_line(stack: Stack) -> None:
    path = stack.write("t.yaml", """
        Parameters:
          Duration: {Type: String, Default: long}
        Resources:
          Role:
            Type: AWS::IAM::Role
            Properties:
              MaxSessionDuration: !Ref Duration
              AssumeRolePolicyDocument:
                Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},
                             Action: "sts:AssumeRole"}]
        """)
    plan = stack.plan()
    assert plan.code == 1
    change = plan.change("Role")
    assert change["status"] == "Error"
    assert change["reason"] == (f"{path}:5: Role (AWS::IAM::Role) /MaxSessionDuration: "
                                "'long' is not an integer")
    assert boto3.client("iam").list_roles()["Roles"] == []


def test_a_literal_that_cannot_be_coerced_fails_validate_with_its_line(stack: Stack) -> None:
    path = stack.write("t.yaml", """
        Resources:
          Key:
            Type: AWS::KMS::Key
            Properties:
              EnableKeyRotation: "maybe"
        """)
    result = stack.cli("validate", str(stack.desired))
    assert result.code == 1
    assert f"{path}:6: Key (AWS::KMS::Key) EnableKeyRotation:" in result.err


@pytest.mark.parametrize(("type_name", "props", "typed"), [
    ("AWS::IAM::Role", {"MaxSessionDuration": "7200"}, {"MaxSessionDuration": 7200}),
    ("AWS::KMS::Key", {"Enabled": "FALSE", "PendingWindowInDays": 7.0},
     {"Enabled": False, "PendingWindowInDays": 7}),
    ("AWS::KMS::Key", {"Description": 12, "Tags": [{"Key": "n", "Value": True}]},
     {"Description": "12", "Tags": [{"Key": "n", "Value": "true"}]}),
    # A policy document is free-form JSON: nothing inside it is touched.
    ("AWS::KMS::Key", {"KeyPolicy": {"Statement": [{"Sid": 1, "Effect": "Allow"}]}},
     {"KeyPolicy": {"Statement": [{"Sid": 1, "Effect": "Allow"}]}}),
    ("AWS::DynamoDB::Table",
     {"GlobalSecondaryIndexes": [{"IndexName": "g", "ProvisionedThroughput": {
         "ReadCapacityUnits": "2", "WriteCapacityUnits": 2}}]},
     {"GlobalSecondaryIndexes": [{"IndexName": "g", "ProvisionedThroughput": {
         "ReadCapacityUnits": 2, "WriteCapacityUnits": 2}}]}),
    # Intrinsics left for later pass through as they are.
    ("AWS::IAM::Role", {"MaxSessionDuration": {"Ref": "Duration"}},
     {"MaxSessionDuration": {"Ref": "Duration"}}),
])
def test_coercion_table(type_name: str, props: dict, typed: dict) -> None:
    assert coerce_properties(props, schema_for(type_name)) == typed


@pytest.mark.parametrize(("props", "message"), [
    ({"EnableKeyRotation": "yes"}, "/EnableKeyRotation: 'yes' is not a boolean"),
    ({"PendingWindowInDays": "7.5"}, "/PendingWindowInDays: '7.5' is not an integer"),
    ({"PendingWindowInDays": True}, "/PendingWindowInDays: True is not an integer"),
])
def test_coercion_errors_name_the_path(props: dict, message: str) -> None:
    with pytest.raises(CoercionError) as caught:
        coerce_properties(props, schema_for("AWS::KMS::Key"))
    assert str(caught.value) == message
