"""Fn::ImportValue between trees sharing one state store (each under its own --owner):
the network tree exports, the app tree imports; unknown and duplicate exports are named at
validate, and a changed export reaches the importing tree as drift."""

from __future__ import annotations

import boto3

from tests.harness import Stack

NETWORK = """\
Parameters:
  Env: {Type: String, Default: prod}
  Tier: {Type: String, Default: gold}
Resources:
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/${Env}/shared", RetentionInDays: 7}
Outputs:
  LogGroupName:
    Value: !Ref Logs
    Export: {Name: !Sub "${Env}-shared-logs"}
  LogGroupArn:
    Value: !GetAtt Logs.Arn
    Export: {Name: !Sub "${Env}-shared-logs-arn"}
  Tier:
    Value: !Ref Tier
    Export: {Name: prod-tier}
"""

APP = """\
Parameters:
  Env: {Type: String, Default: prod}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: app
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      Tags:
        - {Key: logs, Value: !ImportValue {"Fn::Sub": "${Env}-shared-logs"}}
        - {Key: logs-arn, Value: !ImportValue prod-shared-logs-arn}
        - {Key: tier, Value: !ImportValue prod-tier}
"""


def _tree(stack: Stack, name: str, text: str) -> str:
    path = stack.root / name
    path.mkdir(exist_ok=True)
    (path / "main.yaml").write_text(text)
    return str(path)


def _run(stack: Stack, command: str, tree: str, owner: str, *extra: str):  # type: ignore[no-untyped-def]
    return stack.cli(command, tree, "--state", str(stack.state), "--owner", owner, *extra)


def test_a_tree_imports_what_another_tree_of_the_store_exports(stack: Stack) -> None:
    network = _tree(stack, "network", NETWORK)
    app = _tree(stack, "app", APP)
    assert _run(stack, "apply", network, "network").code == 0

    applied = _run(stack, "apply", app, "app")
    assert applied.code == 0, applied.out + applied.err
    tags = boto3.client("dynamodb").list_tags_of_resource(
        ResourceArn=boto3.client("dynamodb").describe_table(TableName="app")["Table"]
        ["TableArn"])["Tags"]
    values = {t["Key"]: t["Value"] for t in tags}
    assert values["logs"] == "/prod/shared"
    assert values["logs-arn"].startswith("arn:aws:logs:") and "/prod/shared" in values["logs-arn"]
    assert _run(stack, "plan", app, "app").code == 0
    # Each tree sees only its own resources: the network plan has no table to delete.
    network_plan = _run(stack, "plan", network, "network", "--output", "json")
    assert [c["resource"] for c in network_plan.json["changes"]] == ["Logs"]

    # The exporting tree changes what it exports: the importing tree's next plan drifts.
    assert _run(stack, "apply", network, "network", "--parameter", "Tier=silver").code == 0
    drifted = _run(stack, "plan", app, "app", "--output", "json")
    assert drifted.code == 2
    (change,) = [c for c in drifted.json["changes"] if c["resource"] == "Table"]
    assert change["status"] == "Drifted"
    assert "silver" in str(change["diff"]) and "gold" in str(change["diff"])


def test_an_unknown_export_is_named_at_validate(stack: Stack) -> None:
    network = _tree(stack, "network", NETWORK)
    assert _run(stack, "apply", network, "network").code == 0
    app = _tree(stack, "app", APP.replace("prod-shared-logs-arn", "prod-shared-queue"))
    result = _run(stack, "validate", app, "app")
    assert result.code == 1
    assert "main.yaml:13" in result.err
    assert "no other tree of this state store exports 'prod-shared-queue'" in result.err
    assert "prod-shared-logs" in result.err  # the exports it could have meant


def test_an_export_name_is_the_property_of_one_tree(stack: Stack) -> None:
    network = _tree(stack, "network", NETWORK)
    assert _run(stack, "apply", network, "network").code == 0
    copy = _tree(stack, "copy", NETWORK.replace("/shared", "/copy"))
    result = _run(stack, "validate", copy, "copy")
    assert result.code == 1
    assert "export name 'prod-shared-logs' is already exported by another tree of this " \
           "state store (tree network)" in result.err


def test_an_import_cannot_name_a_resource(stack: Stack) -> None:
    app = _tree(stack, "app", APP.replace('{"Fn::Sub": "${Env}-shared-logs"}',
                                          '{"Fn::Sub": "${Table}-logs"}'))
    result = _run(stack, "validate", app, "app")
    assert result.code == 1
    assert "Fn::ImportValue cannot depend on resources (Table)" in result.err


def test_before_any_store_validate_passes_and_plan_names_the_missing_export(
        stack: Stack) -> None:
    app = _tree(stack, "app", APP)
    assert _run(stack, "validate", app, "app").code == 0  # no store: nothing to check against
    result = _run(stack, "plan", app, "app")
    assert result.code == 1
    assert "main.yaml:12: resource 'Table': Fn::ImportValue: no other tree of this state " \
           "store exports 'prod-shared-logs' (exports: none)" in result.err


def test_an_export_another_tree_imports_cannot_be_dropped(stack: Stack) -> None:
    """As CloudFormation refuses to delete an export in use: the exporting tree's plan and
    apply fail naming the importer and change nothing, until the import is gone."""
    network = _tree(stack, "network", NETWORK)
    app = _tree(stack, "app", APP)
    assert _run(stack, "apply", network, "network").code == 0
    assert _run(stack, "apply", app, "app").code == 0
    # The tier export goes, and the log group with its two exports.
    _tree(stack, "network", NETWORK.split("Outputs:")[0].replace("Logs:", "Other:", 1)
          .replace("/shared", "/other"))
    for command in ("plan", "apply"):
        refused = _run(stack, command, network, "network")
        assert refused.code == 1, refused.out
        assert "'prod-shared-logs' by app; 'prod-shared-logs-arn' by app; 'prod-tier' by " \
               "app" in refused.err, refused.err
    names = [g["logGroupName"] for g in boto3.client("logs").describe_log_groups()["logGroups"]]
    assert names == ["/prod/shared"]  # nothing applied: no /prod/other, nothing deleted
    # The app tree stops importing the tier; the tier export may go, the others not yet.
    _tree(stack, "app", APP.replace("        - {Key: tier, Value: !ImportValue prod-tier}\n",
                                    ""))
    assert _run(stack, "apply", app, "app").code == 0
    _tree(stack, "network", NETWORK.replace("  Tier:\n    Value: !Ref Tier\n"
                                            "    Export: {Name: prod-tier}\n", ""))
    assert _run(stack, "apply", network, "network").code == 0
