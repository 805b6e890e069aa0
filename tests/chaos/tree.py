"""The chaos suite's desired tree (several kinds with dependencies, all fast on moto), the
user's own unowned resources planted beside it, and the census that says what AWS holds."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

OWNER = "reconciler"  # the CLI's default --owner

TREE = """\
Resources:
  DataBucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Delete
    Properties:
      BucketName: chaos-data
      VersioningConfiguration: {Status: Enabled}
      Tags: [{Key: revision, Value: LABEL}]
  DataBucketPolicy:
    Type: AWS::S3::BucketPolicy
    Properties:
      Bucket: !Ref DataBucket
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyInsecure
            Effect: Deny
            Principal: "*"
            Action: "s3:*"
            Resource: [!Sub "arn:aws:s3:::${DataBucket}/*"]
            Condition: {Bool: {"aws:SecureTransport": "false"}}
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: chaos-app
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: "sts:AssumeRole"}
  CacheTable:
    Type: AWS::DynamoDB::Table
    DeletionPolicy: Delete
    Properties:
      TableName: chaos-cache
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      Tags: [{Key: revision, Value: LABEL}]
  AppLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: /chaos/app
      RetentionInDays: 7
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.40.0.0/16
      Tags: [{Key: Name, Value: chaos-vpc}]
  Subnet:
    Type: AWS::EC2::Subnet
    Properties:
      VpcId: !Ref Vpc
      CidrBlock: 10.40.1.0/24
      Tags: [{Key: Name, Value: chaos-subnet}]
  AppSecurityGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupName: chaos-app
      GroupDescription: chaos app
      VpcId: !Ref Vpc
  DataKey:
    Type: AWS::KMS::Key
    Properties:
      Description: chaos data key
  DataKeyAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/chaos/data
      TargetKeyId: !Ref DataKey
"""

# What the tree declares, by type: logical ID -> name (None where AWS names it).
DECLARED: dict[str, dict[str, str | None]] = {
    "AWS::S3::Bucket": {"DataBucket": "chaos-data"},
    "AWS::S3::BucketPolicy": {"DataBucketPolicy": "chaos-data"},
    "AWS::IAM::Role": {"AppRole": "chaos-app"},
    "AWS::DynamoDB::Table": {"CacheTable": "chaos-cache"},
    "AWS::Logs::LogGroup": {"AppLogs": "/chaos/app"},
    "AWS::EC2::VPC": {"Vpc": None},
    "AWS::EC2::Subnet": {"Subnet": None},
    "AWS::EC2::SecurityGroup": {"AppSecurityGroup": "chaos-app"},
    "AWS::KMS::Key": {"DataKey": None},
    "AWS::KMS::Alias": {"DataKeyAlias": "alias/chaos/data"},
}
UNTAGGABLE = {"AWS::S3::BucketPolicy", "AWS::KMS::Alias"}  # owned through the inventory only

# The user's own resources in the account: never declared, never to be touched.
USER_BUCKET, USER_ROLE, USER_LOGS = "user-archive", "user-ops", "/user/audit"
USER_TAGS = {"team": "data"}


def tree(label: str) -> str:
    return TREE.replace("LABEL", label)


def clients(endpoint: str) -> dict[str, Any]:
    """boto3 clients straight at the emulator (never through the faulty proxy)."""
    return {name: boto3.client(name, endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="testing", aws_secret_access_key="testing")
            for name in ("s3", "iam", "dynamodb", "logs", "ec2", "kms")}


def plant_user_resources(endpoint: str) -> None:
    c = clients(endpoint)
    c["s3"].create_bucket(Bucket=USER_BUCKET)
    c["s3"].put_bucket_tagging(Bucket=USER_BUCKET, Tagging={
        "TagSet": [{"Key": k, "Value": v} for k, v in USER_TAGS.items()]})
    c["s3"].put_object(Bucket=USER_BUCKET, Key="ledger.csv", Body=b"a,b\n")
    c["iam"].create_role(RoleName=USER_ROLE, AssumeRolePolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'),
        Tags=[{"Key": k, "Value": v} for k, v in USER_TAGS.items()])
    c["logs"].create_log_group(logGroupName=USER_LOGS, tags=USER_TAGS)


@dataclass(frozen=True)
class Found:
    type: str
    name: str
    tags: dict[str, str]

    @property
    def logical_id(self) -> str | None:
        return self.tags.get("reconciler:logical-id")


def _tags(items: list[dict[str, str]] | None, key: str = "Key", value: str = "Value"
          ) -> dict[str, str]:
    return {t[key]: t[value] for t in items or []}


def census(endpoint: str) -> list[Found]:
    """Every resource of the tree's kinds in the account, with its tags (defaults apart: the
    default VPC, its subnets and security groups, AWS's own keys and aliases)."""
    c = clients(endpoint)
    found: list[Found] = []
    for bucket in c["s3"].list_buckets()["Buckets"]:
        name = bucket["Name"]
        try:
            tags = _tags(c["s3"].get_bucket_tagging(Bucket=name)["TagSet"])
        except ClientError:
            tags = {}
        found.append(Found("AWS::S3::Bucket", name, tags))
        try:
            c["s3"].get_bucket_policy(Bucket=name)
            found.append(Found("AWS::S3::BucketPolicy", name, {}))
        except ClientError:
            pass
    for role in c["iam"].list_roles()["Roles"]:
        tags = _tags(c["iam"].list_role_tags(RoleName=role["RoleName"])["Tags"])
        found.append(Found("AWS::IAM::Role", role["RoleName"], tags))
    for table in c["dynamodb"].list_tables()["TableNames"]:
        arn = c["dynamodb"].describe_table(TableName=table)["Table"]["TableArn"]
        tags = _tags(c["dynamodb"].list_tags_of_resource(ResourceArn=arn)["Tags"])
        found.append(Found("AWS::DynamoDB::Table", table, tags))
    for group in c["logs"].describe_log_groups()["logGroups"]:
        name = group["logGroupName"]
        found.append(Found("AWS::Logs::LogGroup", name,
                           c["logs"].list_tags_log_group(logGroupName=name)["tags"]))
    vpcs = [v for v in c["ec2"].describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    found += [Found("AWS::EC2::VPC", v["VpcId"], _tags(v.get("Tags"))) for v in vpcs]
    found += [Found("AWS::EC2::Subnet", s["SubnetId"], _tags(s.get("Tags")))
              for s in c["ec2"].describe_subnets()["Subnets"] if not s.get("DefaultForAz")]
    found += [Found("AWS::EC2::SecurityGroup", g["GroupName"], _tags(g.get("Tags")))
              for g in c["ec2"].describe_security_groups()["SecurityGroups"]
              if g["GroupName"] != "default"]
    for key in c["kms"].list_keys()["Keys"]:
        meta = c["kms"].describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if meta.get("KeyManager") == "AWS" or meta["KeyState"] == "PendingDeletion":
            continue  # a key scheduled for deletion is how a key is removed
        tags = _tags(c["kms"].list_resource_tags(KeyId=key["KeyId"])["Tags"], "TagKey",
                     "TagValue")
        found.append(Found("AWS::KMS::Key", key["KeyId"], tags))
    found += [Found("AWS::KMS::Alias", a["AliasName"], {})
              for a in c["kms"].list_aliases()["Aliases"]
              if not a["AliasName"].startswith("alias/aws/")]
    return found


USER_RESOURCES = {("AWS::S3::Bucket", USER_BUCKET), ("AWS::IAM::Role", USER_ROLE),
                  ("AWS::Logs::LogGroup", USER_LOGS)}


def problems(endpoint: str, label: str | None = None) -> list[str]:
    """What is wrong with the account: a declared resource missing or twice (by name and by
    ownership tags), one not declared (a leak), the user's own touched or gone, and (with
    ``label``) a bucket or table not carrying the revision's tag."""
    found = census(endpoint)
    wrong: list[str] = []
    for type_, declared in DECLARED.items():
        mine = [f for f in found if f.type == type_ and (f.type, f.name) not in USER_RESOURCES]
        names = Counter(f.name for f in mine)
        for logical_id, name in declared.items():
            if name is not None and names[name] != 1:
                wrong.append(f"{type_} {name}: {names[name]} in AWS, declared once")
            if type_ in UNTAGGABLE:
                continue
            owned = [f for f in mine if f.logical_id == logical_id]
            if len(owned) != 1:
                wrong.append(f"{type_} {logical_id}: {len(owned)} carry its ownership tags")
            elif owned[0].tags.get("reconciler:owner") != OWNER:
                wrong.append(f"{type_} {logical_id}: owner tag {owned[0].tags}")
        named = {n for n in declared.values() if n is not None}
        for f in mine:  # known by name where the tree names it, else by its ownership tags
            if (f.name not in named) if named else (f.logical_id not in declared):
                wrong.append(f"leak: {type_} {f.name} (tags {f.tags}) is not declared")
    for type_, name in sorted(USER_RESOURCES):
        theirs = [f for f in found if (f.type, f.name) == (type_, name)]
        if len(theirs) != 1:
            wrong.append(f"the user's {type_} {name} is gone")
        elif theirs[0].tags != USER_TAGS:
            wrong.append(f"the user's {type_} {name} was touched: tags {theirs[0].tags}")
    c = clients(endpoint)
    try:
        c["s3"].head_object(Bucket=USER_BUCKET, Key="ledger.csv")
    except ClientError:
        wrong.append(f"the user's object {USER_BUCKET}/ledger.csv is gone")
    if label is not None:
        for type_, name in (("AWS::S3::Bucket", "chaos-data"),
                            ("AWS::DynamoDB::Table", "chaos-cache")):
            tags = next((f.tags for f in found if (f.type, f.name) == (type_, name)), {})
            if tags.get("revision") != label:
                wrong.append(f"{type_} {name}: revision tag {tags.get('revision')!r}, the "
                             f"tip declares {label!r}")
    return wrong
