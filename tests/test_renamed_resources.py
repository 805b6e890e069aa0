"""A name changed in git is a replacement, even for kinds that find the resource by its
name and so never report the name among what they read."""

from __future__ import annotations

import boto3

from tests.harness import Stack

BUCKET = """\
Resources:
  Data:
    Type: AWS::S3::Bucket
    Properties: {BucketName: %s}
    Metadata: {Reconciler: {AllowReplace: %s}}
"""


def test_a_renamed_bucket_is_a_replacement_blocked_until_allowed(stack: Stack) -> None:
    stack.write("b.yaml", BUCKET % ("rename-one", "false"))
    assert stack.apply().code == 0
    stack.write("b.yaml", BUCKET % ("rename-two", "false"))
    plan = stack.plan()
    assert plan.code == 2
    change = plan.change("Data")
    assert (change["action"], change["status"], change["blocked"]) == (
        "replace", "Blocked", True)
    assert change["diff"] == [{"path": "/BucketName", "old": "rename-one", "new": "rename-two"}]

    stack.write("b.yaml", BUCKET % ("rename-two", "true"))
    assert stack.apply().code == 0
    names = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert "rename-two" in names and "rename-one" not in names
    assert stack.plan().code == 0


def test_a_log_group_renamed_is_replaced_and_an_unchanged_name_is_not(stack: Stack) -> None:
    group = ("Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Properties:\n"
             "      LogGroupName: %s\n      RetentionInDays: 7\n"
             "    Metadata: {Reconciler: {AllowReplace: true}}\n")
    stack.write("l.yaml", group % "/app/one")
    assert stack.apply().code == 0
    assert stack.plan().code == 0  # the same name: nothing to do
    stack.write("l.yaml", group % "/app/two")
    assert stack.plan().change("Logs")["action"] == "replace"
    assert stack.apply().code == 0
    groups = {g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]}
    assert "/app/two" in groups and "/app/one" not in groups
