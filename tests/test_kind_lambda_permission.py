"""What is particular to AWS::Lambda::Permission (the contract suite covers its round trip):
any change is a replace, applied without AllowReplace since a statement holds no data
(the kind-level ``replacement_safe``), where another kind's replace stays blocked. Over
moto."""

from __future__ import annotations

import json

import boto3

from reconciler.kinds.lambda_permission import LambdaPermission
from reconciler.kinds.registry import catalog
from tests.harness import Stack
from tests.lambda_stack import function_tree

PERMISSION = """
  Invoke:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !GetAtt Function.Arn
      Action: lambda:InvokeFunction
      Principal: secretsmanager.amazonaws.com
      SourceArn: !Sub "arn:aws:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}"
"""


def _statements() -> list[dict[str, object]]:
    policy = boto3.client("lambda").get_policy(FunctionName="lambda-tests")["Policy"]
    return list(json.loads(policy)["Statement"])


def test_a_changed_permission_is_replaced_without_allow_replace(stack: Stack) -> None:
    stack.write("tree.yaml", function_tree(resources=PERMISSION.format(name="one")))
    assert stack.apply().code == 0
    assert stack.plan().code == 0
    [before] = _statements()

    stack.write("tree.yaml", function_tree(resources=PERMISSION.format(name="two")))
    change = stack.plan().change("Invoke")
    assert (change["status"], change["action"], change["blocked"]) == (
        "Drifted", "replace", False)
    assert [d["path"] for d in change["diff"]] == ["/SourceArn"]
    assert stack.apply().code == 0
    [after] = _statements()
    assert after["Sid"] != before["Sid"]
    assert str(after["Condition"]).endswith(":secret:two'}}")
    assert stack.plan().code == 0


def test_only_kinds_without_data_replace_without_allow_replace() -> None:
    safe = {t for t, kind in catalog().items() if kind.replacement_safe}
    assert safe == {"AWS::Lambda::Permission", "AWS::Lambda::Version", "AWS::SQS::QueuePolicy"}
    assert LambdaPermission.create_only() == LambdaPermission.managed_properties
