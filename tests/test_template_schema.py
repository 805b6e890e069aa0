"""Schema checks on one resource, read the way CloudFormation reads templates."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from reconciler.kinds.base import Kind
from reconciler.template.schema_check import _validator, check_properties
from reconciler.template.yaml_source import parse


class FakeRole(Kind):
    """Stands in for the real IAM role kind."""

    type_name = "AWS::IAM::Role"
    schema_file = "aws-iam-role.json"
    managed_properties = frozenset({"AssumeRolePolicyDocument", "MaxSessionDuration", "Path",
                                    "RoleName", "Tags", "ManagedPolicyArns", "Policies"})


class FakeTable(Kind):
    type_name = "AWS::DynamoDB::Table"
    schema_file = "aws-dynamodb-table.json"
    managed_properties = frozenset({"TableName", "BillingMode", "AttributeDefinitions",
                                    "KeySchema", "SSESpecification", "DeletionProtectionEnabled",
                                    "ProvisionedThroughput"})
    seen: ClassVar[list[dict[str, Any]]] = []

    @classmethod
    def validate(cls, props: dict[str, Any]) -> list[tuple[str, str]]:
        cls.seen.append(props)
        names = {a.get("AttributeName") for a in props.get("AttributeDefinitions", [])
                 if isinstance(a, dict)}
        return [(f"/KeySchema/{i}/AttributeName", "is not in AttributeDefinitions")
                for i, key in enumerate(props.get("KeySchema", []))
                if isinstance(key, dict) and key.get("AttributeName") not in names]


ROLE_HEAD = "Properties:\n  AssumeRolePolicyDocument: {Version: 2012-10-17, Statement: []}\n"
TABLE_HEAD = "Properties:\n  KeySchema: [{AttributeName: pk, KeyType: HASH}]\n" \
             "  AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n"


def _issues(kind: type[Kind], yaml_text: str) -> list[tuple[int, str]]:
    document, problems = parse(yaml_text)
    assert problems == []
    issues = check_properties("Res", kind.type_name, document["Properties"], kind,
                              "x.yaml", 1)
    return [(issue.line, issue.message) for issue in issues]


@pytest.mark.parametrize("kind, text", [
    # Intrinsics stand for any value: scalars, objects, list items, whole lists, required ones.
    (FakeRole, ROLE_HEAD + "  MaxSessionDuration: !Ref Duration\n"),
    (FakeRole, ROLE_HEAD + "  Tags: !If [IsProd, [{Key: a, Value: b}], !Ref AWS::NoValue]\n"),
    (FakeRole, ROLE_HEAD + "  Tags: [!Ref AWS::NoValue, {Key: !Sub '${A}', Value: x}]\n"),
    (FakeRole, "Properties:\n  AssumeRolePolicyDocument: !Ref Policy\n"),
    (FakeTable, TABLE_HEAD + "  SSESpecification: {SSEEnabled: !Ref On, SSEType: KMS, "
                             "KMSMasterKeyId: !GetAtt Key.Arn}\n"),
    # CloudFormation's lenient scalars.
    (FakeRole, ROLE_HEAD + "  MaxSessionDuration: '7200'\n"),
    (FakeTable, TABLE_HEAD + "  DeletionProtectionEnabled: 'true'\n"),
    (FakeRole, ROLE_HEAD + "  Tags: [{Key: cost-centre, Value: 1234}]\n"),
    # ECMA-262 \p{L} in the registry schema: unicode letters are fine.
    (FakeRole, ROLE_HEAD + "  Tags: [{Key: équipe, Value: données}]\n"),
])
def test_accepted(kind: type[Kind], text: str) -> None:
    assert _issues(kind, text) == []


@pytest.mark.parametrize("kind, text, expected", [
    (FakeRole, ROLE_HEAD + "  MaxSessionDuration: two hours\n",
     (3, "Res (AWS::IAM::Role) MaxSessionDuration: 'two hours' is not of type 'integer'")),
    (FakeRole, ROLE_HEAD + "  MaxSessionDuration: '60'\n",
     (3, "Res (AWS::IAM::Role) MaxSessionDuration: 60 is less than the minimum of 3600")),
    (FakeRole, ROLE_HEAD + "  Tags:\n    - {Key: a, Value: ok}\n    - {Key: 'bad#key', Value: x}\n",
     (5, "Res (AWS::IAM::Role) Tags[1].Key: 'bad#key' does not match")),
    (FakeTable, TABLE_HEAD + "  DeletionProtectionEnabled: maybe\n",
     (4, "Res (AWS::DynamoDB::Table) DeletionProtectionEnabled: 'maybe' is not of type "
         "'boolean'")),
    (FakeTable, "Properties:\n  KeySchema: [{AttributeName: pk, KeyType: HASH}]\n"
                "  AttributeDefinitions:\n    - AttributeName: pk\n      AttributeType: X\n",
     (5, "Res (AWS::DynamoDB::Table) AttributeDefinitions[0].AttributeType: 'X' is not one "
         "of ['B', 'N', 'S']")),
    (FakeTable, TABLE_HEAD + "  ProvisionedThroughput:\n    ReadCapacityUnits: 5\n",
     (4, "Res (AWS::DynamoDB::Table) ProvisionedThroughput: 'WriteCapacityUnits' is a "
         "required property")),
    (FakeTable, TABLE_HEAD + "  SSESpecification: {SSEEnabled: true, Extra: 1}\n",
     (4, "Res (AWS::DynamoDB::Table) SSESpecification: Additional properties are not allowed "
         "('Extra' was unexpected)")),
])
def test_rejected(kind: type[Kind], text: str, expected: tuple[int, str]) -> None:
    issues = _issues(kind, text)
    assert len(issues) == 1, issues
    assert issues[0][0] == expected[0]
    assert issues[0][1].startswith(expected[1])


def test_kind_validate_runs_on_schema_valid_properties_and_maps_pointers() -> None:
    FakeTable.seen.clear()
    text = ("Properties:\n  AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]\n"
            "  KeySchema:\n    - AttributeName: id\n      KeyType: HASH\n")
    assert _issues(FakeTable, text) == [
        (4, "Res (AWS::DynamoDB::Table) KeySchema[0].AttributeName: is not in "
            "AttributeDefinitions")]
    assert len(FakeTable.seen) == 1


def test_kind_validate_is_skipped_when_the_schema_fails() -> None:
    FakeTable.seen.clear()
    issues = _issues(FakeTable, "Properties:\n  KeySchema: [1]\n")
    assert len(issues) == 1 and issues[0][0] == 2
    assert FakeTable.seen == []


def test_unsupported_property_is_not_also_reported_missing() -> None:
    class NarrowAlias(Kind):
        type_name = "AWS::KMS::Alias"
        schema_file = "aws-kms-alias.json"
        managed_properties = frozenset({"AliasName"})

    issues = _issues(NarrowAlias, "Properties:\n  AliasName: alias/x\n  TargetKeyId: k\n")
    assert issues == [(3, "Res (AWS::KMS::Alias): property TargetKeyId of AWS::KMS::Alias is "
                          "not supported by the reconciler yet")]


def test_a_refused_property_names_its_reason() -> None:
    class RefusingAlias(Kind):
        type_name = "AWS::KMS::Alias"
        schema_file = "aws-kms-alias.json"
        managed_properties = frozenset({"AliasName"})
        refused = {"TargetKeyId": "aliases point nowhere here"}

    issues = _issues(RefusingAlias, "Properties:\n  AliasName: alias/x\n  TargetKeyId: k\n")
    assert issues == [(3, "Res (AWS::KMS::Alias): property TargetKeyId of AWS::KMS::Alias is "
                          "not managed: aliases point nowhere here")]


def test_validator_is_compiled_once_per_kind() -> None:
    assert _validator(FakeRole) is _validator(FakeRole)
    assert _validator(FakeRole) is not _validator(FakeTable)
