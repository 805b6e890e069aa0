"""A failing AWS call fails its resource alone: dependents are skipped with the reason,
independent resources still apply, and what was applied is recorded."""

from __future__ import annotations

import boto3

from tests.harness import Stack

TREE = """
Resources:
  Independent:
    Type: AWS::S3::Bucket
    Properties: {BucketName: independent-bucket}
  Worker:
    Type: AWS::IAM::Role
    Properties:
      RoleName: failing-role
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com},
                     Action: "sts:AssumeRole"}]
      ManagedPolicyArns: [MANAGED]
  WorkerKey:
    Type: AWS::KMS::Key
    Properties:
      Description: key for the worker
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {AWS: !GetAtt Worker.Arn}, Action: "kms:*",
             Resource: "*"}
  WorkerKeyAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/worker, TargetKeyId: !Ref WorkerKey}
"""

MISSING = "arn:aws:iam::123456789012:policy/does-not-exist"


def test_failure_is_isolated_and_dependents_are_skipped_with_the_reason(stack: Stack) -> None:
    stack.write("tree.yaml", TREE.replace("MANAGED", MISSING))
    result = stack.apply("--output", "json")
    assert result.code == 1
    role, key, alias = (result.change(i) for i in ("Worker", "WorkerKey", "WorkerKeyAlias"))
    assert role["result"] == "error" and role["status"] == "Error"
    assert "AttachRolePolicy" in role["error"] and "does-not-exist" in role["error"]
    assert key["result"] == "skipped" and "Worker" in key["reason"]
    assert alias["result"] == "skipped" and "WorkerKey" in alias["reason"]
    assert result.change("Independent")["result"] == "success"
    assert boto3.client("kms").list_aliases()["Aliases"] == [] or all(
        a["AliasName"] != "alias/worker" for a in boto3.client("kms").list_aliases()["Aliases"])

    status = {r["resource"]: r for r in stack.cli("status", "--state", str(stack.state),
                                                   "--output", "json").json["resources"]}
    assert status["Independent"]["status"] == "InSync"
    assert status["Worker"]["status"] == "Error"

    # Fixed in git: the next apply converges, with one role (the half-made one is reused).
    iam = boto3.client("iam")
    policy = iam.create_policy(PolicyName="worker-extra", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:List*",'
        ' "Resource": "*"}]}'))["Policy"]["Arn"]
    stack.write("tree.yaml", TREE.replace("MANAGED", policy))
    fixed = stack.apply("--output", "json")
    assert fixed.code == 0, fixed.out
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["failing-role"]
    assert stack.plan().code == 0
