"""Fn::If wherever CloudFormation allows it: as a resource's whole Properties, as an item of
a list (AWS::NoValue dropping it), and under one condition shared by an attribute list and
the index that uses it. Checked at validate with the branch taken, applied over moto."""

from __future__ import annotations

import boto3
import pytest

from tests.harness import Stack

TREE = """\
Parameters:
  WithIndex: {Type: String, Default: "true"}
  Env: {Type: String, Default: dev}
Conditions:
  HasIndex: !Equals [!Ref WithIndex, "true"]
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: !If
      - IsProd
      - {LogGroupName: cond-prod, RetentionInDays: 30}
      - {LogGroupName: cond-dev}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: cond-table
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - !If [HasIndex, {AttributeName: gsi, AttributeType: S}, !Ref AWS::NoValue]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      GlobalSecondaryIndexes: !If
        - HasIndex
        - - IndexName: by-gsi
            KeySchema: [{AttributeName: gsi, KeyType: HASH}]
            Projection: {ProjectionType: ALL}
        - !Ref AWS::NoValue
"""


@pytest.mark.parametrize(("parameters", "group", "retention", "indexes"), [
    ((), "cond-dev", None, ["by-gsi"]),
    (("Env=prod", "WithIndex=false"), "cond-prod", 30, []),
])
def test_each_branch_validates_applies_and_plans_clean(
        stack: Stack, parameters: tuple[str, ...], group: str, retention: int | None,
        indexes: list[str]) -> None:
    stack.write("app.yaml", TREE)
    extra = [arg for p in parameters for arg in ("--parameter", p)]
    assert stack.cli("validate", str(stack.desired), *extra).code == 0
    applied = stack.apply(*extra)
    assert applied.code == 0, applied.out + applied.err
    logs = boto3.client("logs").describe_log_groups()["logGroups"]
    assert [(g["logGroupName"], g.get("retentionInDays")) for g in logs] == [(group, retention)]
    table = boto3.client("dynamodb").describe_table(TableName="cond-table")["Table"]
    assert [i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])] == indexes
    assert len(table["AttributeDefinitions"]) == 1 + len(indexes)
    assert stack.plan(*extra).code == 0


def test_the_branch_taken_is_what_validate_checks(stack: Stack) -> None:
    stack.write("app.yaml", TREE.replace("RetentionInDays: 30", "RetentionInDays: 31"))
    assert stack.cli("validate", str(stack.desired)).code == 0  # the dev branch is taken
    prod = stack.cli("validate", str(stack.desired), "--parameter", "Env=prod")
    assert prod.code == 1
    assert "app.yaml:12: " in prod.out + prod.err and "RetentionInDays" in prod.out + prod.err
