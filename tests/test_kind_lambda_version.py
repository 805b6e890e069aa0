"""What is particular to AWS::Lambda::Version (the contract suite covers its round trip):
a version is published from the function as it is, and a function changed since is a new
version — a replace that needs no AllowReplace and keeps the old version. Over moto."""

from __future__ import annotations

import boto3

from tests.harness import Stack
from tests.lambda_stack import function_tree

VERSION = """
  Version:
    Type: AWS::Lambda::Version
    Properties: {FunctionName: !Ref Function}
  Live:
    Type: AWS::Lambda::Alias
    Properties:
      FunctionName: !Ref Function
      FunctionVersion: !GetAtt Version.Version
      Name: live
"""


def _versions() -> list[str]:
    answer = boto3.client("lambda").list_versions_by_function(FunctionName="lambda-tests")
    return [v["Version"] for v in answer["Versions"]]


def test_a_changed_function_is_a_new_version_the_old_one_kept(stack: Stack) -> None:
    stack.write("tree.yaml", function_tree(resources=VERSION))
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    assert _versions() == ["$LATEST", "1"]

    stack.write("tree.yaml", function_tree(memory=256, resources=VERSION))
    applied = stack.apply("--output", "json")
    assert applied.code == 0, applied.out
    # moto never leaves the function InProgress, so the version follows on the next pass;
    # on AWS the update is Pending and the same apply's next pass publishes.
    drifted = stack.plan()
    change = drifted.change("Version")
    assert (change["status"], change["action"], change["blocked"]) == (
        "Drifted", "replace", False)
    assert [d["path"] for d in change["diff"]] == ["/FunctionName"]
    assert "MemorySize" in change["diff"][0]["old"]

    replaced = stack.apply("--output", "json")
    assert replaced.code == 0, replaced.out
    assert replaced.change("Live")["action"] == "update"
    assert _versions() == ["$LATEST", "1", "2"]  # version 1 kept
    # The alias referencing the replaced version was planned against the new one.
    assert stack.plan().code == 0
    alias = boto3.client("lambda").get_alias(FunctionName="lambda-tests", Name="live")
    assert alias["FunctionVersion"] == "2"
