"""`reconciler import --stack`: a live CloudFormation stack (made with boto3 on the moto
server, which implements stacks) moves to the reconciler without recreating anything."""

from __future__ import annotations

import json
from typing import Any

import boto3
import yaml

from tests.harness import Stack

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: a team's stack
Parameters:
  Env: {Type: String, Default: dev}
Resources:
  Named:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "imported-${Env}"
  Unnamed:
    Type: AWS::S3::Bucket
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: imported-table
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Topic:
    Type: AWS::SNS::Topic
  Role:
    Type: AWS::IAM::Role
    DependsOn: Topic
    Properties:
      RoleName: imported-role
      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}
      Description: !Sub "reads ${Named} and sends to ${Topic.TopicName}"
      Tags: [{Key: TopicArn, Value: !Ref Topic}]
Outputs:
  BucketName:
    Value: !Ref Named
"""


def _create_stack() -> dict[str, str]:
    cf = boto3.client("cloudformation")
    cf.create_stack(StackName="team", TemplateBody=TEMPLATE, Parameters=[
        {"ParameterKey": "Env", "ParameterValue": "prod"}], Capabilities=["CAPABILITY_NAMED_IAM"])
    return {r["LogicalResourceId"]: r["PhysicalResourceId"]
            for r in cf.describe_stack_resources(StackName="team")["StackResources"]}


def test_import_writes_the_tree_and_release_keeps_every_resource(stack: Stack) -> None:
    physical = _create_stack()
    out = stack.root / "moved"
    imported = stack.cli("import", "--stack", "team", "--out", str(out), "--state",
                         str(stack.state))
    assert imported.code == 0, imported.out + imported.err
    tree = yaml.safe_load((out / "team.yaml").read_text())
    assert set(tree["Resources"]) == {"Named", "Unnamed", "Table", "Role"}
    assert all(r["Metadata"]["Reconciler"]["Adopt"] is True for r in tree["Resources"].values())
    assert tree["Parameters"]["Env"]["Default"] == "prod"  # the stack's value
    role = tree["Resources"]["Role"]
    assert "DependsOn" not in role  # the topic is not managed
    assert role["Properties"]["Tags"] == [{"Key": "TopicArn", "Value": physical["Topic"]}]
    assert role["Properties"]["Description"] == {
        "Fn::Sub": "reads ${Named} and sends to ${TopicTopicName}"}
    assert "left out (type not managed, kept in AWS): Topic AWS::SNS::Topic" in imported.out
    assert "parameter without a value, give it with --parameter: TopicTopicName" in imported.out
    assert "4 resources recorded as owned" in imported.out

    released = stack.cli("import", "--stack", "team", "--out", str(out), "--state",
                         str(stack.state), "--release", "--yes")
    assert released.code == 0, released.out + released.err
    stacks = boto3.client("cloudformation").list_stacks()["StackSummaries"]
    assert [s["StackStatus"] for s in stacks if s["StackName"] == "team"] == ["DELETE_COMPLETE"]

    # What the stack resolved Topic.TopicName to (moto makes up a new name at each stack update,
    # the release's included).
    topic_name = boto3.client("iam").get_role(RoleName="imported-role")["Role"][
        "Description"].rsplit(" ", 1)[1]
    plan = stack.cli("plan", str(out), "--state", str(stack.state), "--output", "json",
                     "--parameter", f"TopicTopicName={topic_name}")
    assert plan.code == 0, [(c["resource"], c["diff"]) for c in plan.json["changes"]
                            if c["status"] != "InSync"]
    changes: dict[str, Any] = {c["resource"]: c for c in plan.json["changes"]}
    # Nothing recreated: the same physical IDs the stack had.
    assert {lid: changes[lid]["physical_id"] for lid in changes} == {
        lid: physical[lid] for lid in ("Named", "Unnamed", "Table", "Role")}
    assert plan.json["outputs"]["BucketName"]["value"] == "imported-prod"
    # What the reconciler does not manage is kept.
    topics = [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]]
    assert len(topics) == 1 and topics[0].endswith(f":{topic_name}")  # moto remade it
    tags = boto3.client("s3").get_bucket_tagging(Bucket=physical["Unnamed"])["TagSet"]
    assert {"Key": "reconciler:logical-id", "Value": "Unnamed"} in tags


def test_a_missing_stack_or_a_transform_is_refused_with_the_reason(stack: Stack) -> None:
    missing = stack.cli("import", "--stack", "nope", "--state", str(stack.state))
    assert missing.code == 1 and "error: stack nope:" in missing.err
    assert "Traceback" not in missing.err
    boto3.client("cloudformation").create_stack(StackName="sam", TemplateBody=json.dumps({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"B": {"Type": "AWS::S3::Bucket"}}}))
    refused = stack.cli("import", "--stack", "sam", "--state", str(stack.state))
    assert refused.code == 1 and "a template with a Transform" in refused.err
