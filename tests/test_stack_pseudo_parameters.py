"""AWS::StackName and AWS::StackId without a stack: the tree's name (--stack-name, default
the owner) and a stable ARN made from it."""

from __future__ import annotations

import re
from pathlib import Path

import boto3

from tests.harness import Stack

TREE = """\
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties:
      LogGroupName: !Sub "${AWS::StackName}-logs"
  Described:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: !Join ["-", [!Ref AWS::StackName, described]]
      Description: !Ref AWS::StackId
"""
STACK_ID = re.compile(r"arn:aws:cloudformation:us-east-1:123456789012:stack/(?P<name>[\w-]+)/"
                      r"[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _description(name: str) -> str:
    return str(boto3.client("secretsmanager").describe_secret(SecretId=name)["Description"])


def test_the_stack_name_is_the_owner_unless_given_and_the_id_is_stable(stack: Stack) -> None:
    stack.write("app.yaml", TREE)
    assert stack.apply().code == 0
    logs = boto3.client("logs").describe_log_groups()["logGroups"]
    assert [g["logGroupName"] for g in logs] == ["reconciler-logs"]
    first = _description("reconciler-described")
    assert (match := STACK_ID.match(first)) and match["name"] == "reconciler"
    assert stack.plan().code == 0  # the same ID in the next run: no drift

    other = stack.root / "other-state"
    named = stack.cli("apply", str(stack.desired), "--state", str(other), "--stack-name",
                      "shop", "--owner", "shop-owner")
    assert named.code == 0, named.out + named.err
    described = _description("shop-described")
    assert (match := STACK_ID.match(described)) and match["name"] == "shop"
    assert described != first


def test_validate_accepts_them(stack: Stack) -> None:
    stack.write("app.yaml", TREE)
    assert stack.cli("validate", str(stack.desired)).code == 0


def test_a_condition_on_the_account_without_aws_is_a_clear_error(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "a.yaml").write_text(
        "Conditions:\n  Local: !Equals [!Ref AWS::AccountId, '123456789012']\n"
        "Resources:\n  Logs:\n    Type: AWS::Logs::LogGroup\n    Condition: Local\n")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") or k == "AWS_REGION"}
    env.update(HOME=str(tmp_path), AWS_CONFIG_FILE=str(tmp_path / "none"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
               AWS_EC2_METADATA_DISABLED="true")
    done = subprocess.run([sys.executable, "-m", "reconciler", "validate", str(desired)],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert "a.yaml:2: condition 'Local': AWS::AccountId is read from AWS" in done.stderr
    assert "--local" in done.stderr and "Traceback" not in done.stderr
