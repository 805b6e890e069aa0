"""Every class of validation error, with the exact file and line it is reported at."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import Issue, ValidationFailed
from reconciler.kinds.base import Kind
from reconciler.template import files
from reconciler.template.loader import load_tree


class FakeKey(Kind):
    """Stands in for the real KMS key kind (kinds are tested on their own)."""

    type_name = "AWS::KMS::Key"
    schema_file = "aws-kms-key.json"
    managed_properties = frozenset({"Description", "EnableKeyRotation", "KeyPolicy",
                                    "PendingWindowInDays", "Tags"})
    attributes = frozenset({"Arn", "KeyId"})


class FakeAlias(Kind):
    type_name = "AWS::KMS::Alias"
    schema_file = "aws-kms-alias.json"
    managed_properties = frozenset({"AliasName", "TargetKeyId"})

    @classmethod
    def validate(cls, props: dict[str, Any]) -> list[tuple[str, str]]:
        name = props.get("AliasName")
        if isinstance(name, str) and name.startswith("alias/aws/"):
            return [("/AliasName", "alias/aws/ is reserved for AWS managed keys")]
        return []


class FakeTable(Kind):
    type_name = "AWS::DynamoDB::Table"
    schema_file = "aws-dynamodb-table.json"
    managed_properties = frozenset({"TableName", "BillingMode", "AttributeDefinitions",
                                    "KeySchema", "SSESpecification"})
    attributes = frozenset({"Arn", "StreamArn"})


class FakeBucket(Kind):
    type_name = "AWS::S3::Bucket"
    schema_file = "aws-s3-bucket.json"
    managed_properties = frozenset({"BucketName", "VersioningConfiguration", "Tags",
                                    "MetadataTableConfiguration"})
    attributes = frozenset({"Arn", "DomainName"})


CATALOG = {kind.type_name: kind for kind in (FakeKey, FakeAlias, FakeTable, FakeBucket)}

KEY = "Resources:\n  Key:\n    Type: AWS::KMS::Key\n"

Load = Callable[..., list[Issue]]


@pytest.fixture
def invalid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Load:
    """Write files under ./desired and return the issues loading it raises."""
    monkeypatch.chdir(tmp_path)

    def load(contents: dict[str, str | bytes], parameters: dict[str, str] | None = None,
             **options: Any) -> list[Issue]:
        for name, content in contents.items():
            path = tmp_path / "desired" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        with pytest.raises(ValidationFailed) as failed:
            load_tree("desired", parameters or {}, CATALOG, **options)
        return failed.value.issues

    return load


def _laughs(levels: int) -> str:
    lines = ["Metadata:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, levels):
        lines.append(f"  a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 10)}]")
    return "\n".join(lines) + "\n"


# (files, --parameter values, expected [(file, line, part of the message)])
CASES = {
    "yaml syntax error": (
        {"a.yaml": KEY + "    Properties:\n      Description: [unclosed\n  Other: 1\n"},
        {}, [("desired/a.yaml", 6, "YAML syntax error")]),
    "unknown type": (
        {"a.yaml": "Resources:\n  Net:\n    Type: AWS::EC2::VPC\n"},
        {}, [("desired/a.yaml", 3, "type AWS::EC2::VPC is not supported")]),
    "unknown property": (
        {"a.yaml": KEY + "    Properties:\n      Description: x\n      EnableKeyRotaton: true\n"},
        {}, [("desired/a.yaml", 6, "unknown property EnableKeyRotaton for AWS::KMS::Key "
                                   "(did you mean EnableKeyRotation?)")]),
    "unsupported property": (
        {"a.yaml": KEY + "    Properties:\n      MultiRegion: true\n"},
        {}, [("desired/a.yaml", 5, "property MultiRegion of AWS::KMS::Key is not supported "
                                   "by the reconciler yet")]),
    "read-only property": (
        {"a.yaml": KEY + "    Properties:\n      Arn: arn:aws:kms:x\n"},
        {}, [("desired/a.yaml", 5, "property Arn of AWS::KMS::Key is read-only")]),
    "nested read-only property": (
        {"a.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                   "      MetadataTableConfiguration:\n        S3TablesDestination:\n"
                   "          TableBucketArn: arn:x\n          TableName: t\n"
                   "          TableNamespace: ns\n"},
        {}, [("desired/a.yaml", 9, "MetadataTableConfiguration.S3TablesDestination."
                                   "TableNamespace: read-only")]),
    "wrong property type": (
        {"a.yaml": KEY + "    Properties:\n      Description: ok\n      PendingWindowInDays:"
                         " [7]\n"},
        {}, [("desired/a.yaml", 6, "Key (AWS::KMS::Key) PendingWindowInDays: [7] is not of "
                                   "type 'integer'")]),
    "out of range": (
        {"a.yaml": KEY + "    Properties:\n      PendingWindowInDays: '3'\n"},
        {}, [("desired/a.yaml", 5, "PendingWindowInDays: 3 is less than the minimum of 7")]),
    "wrong enum value": (
        {"a.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                   "      VersioningConfiguration:\n        Status: Enable\n"},
        {}, [("desired/a.yaml", 6, "B (AWS::S3::Bucket) VersioningConfiguration.Status: "
                                   "'Enable' is not one of ['Enabled', 'Suspended']")]),
    "missing required nested property": (
        {"a.yaml": "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n"
                   "      BucketName: my-bucket\n      VersioningConfiguration: {}\n"},
        {}, [("desired/a.yaml", 6, "VersioningConfiguration: 'Status' is a required property")]),
    "missing required property": (
        {"a.yaml": KEY + "  Alias:\n    Type: AWS::KMS::Alias\n    Properties:\n"
                         "      AliasName: alias/x\n"},
        {}, [("desired/a.yaml", 6, "Alias (AWS::KMS::Alias): 'TargetKeyId' is a required "
                                   "property")]),
    "missing Properties altogether": (
        {"a.yaml": "Resources:\n  Alias:\n    Type: AWS::KMS::Alias\n"},
        {}, [("desired/a.yaml", 2, "'AliasName' is a required property"),
             ("desired/a.yaml", 2, "'TargetKeyId' is a required property")]),
    "kind semantic check": (
        {"a.yaml": KEY + "  Alias:\n    Type: AWS::KMS::Alias\n    Properties:\n"
                         "      TargetKeyId: !Ref Key\n      AliasName: alias/aws/x\n"},
        {}, [("desired/a.yaml", 8, "Alias (AWS::KMS::Alias) AliasName: alias/aws/ is reserved "
                                   "for AWS managed keys")]),
    "reference to unknown resource": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Ref Nope\n"},
        {}, [("desired/a.yaml", 5, "Ref to unknown resource or parameter 'Nope'")]),
    "Sub to unknown resource": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Sub '${Nope.Arn}'\n"},
        {}, [("desired/a.yaml", 5, "Fn::Sub to unknown resource 'Nope'")]),
    "GetAtt unknown attribute": (
        {"a.yaml": KEY + "    Properties:\n      Description: x\n  Alias:\n"
                         "    Type: AWS::KMS::Alias\n    Properties:\n      AliasName: alias/x\n"
                         "      TargetKeyId: !GetAtt Key.KeyArn\n"},
        {}, [("desired/a.yaml", 10, "AWS::KMS::Key has no attribute 'KeyArn' (it has: Arn, "
                                    "KeyId)")]),
    "DependsOn unknown resource": (
        {"a.yaml": KEY + "    DependsOn: [Ghost]\n"},
        {}, [("desired/a.yaml", 4, "DependsOn unknown resource 'Ghost'")]),
    "dependency cycle": (
        {"a.yaml": "Resources:\n"
                   "  C:\n    Type: AWS::KMS::Key\n    DependsOn: A\n"
                   "  A:\n    Type: AWS::KMS::Key\n    Properties:\n"
                   "      Description: !GetAtt B.Arn\n"
                   "  B:\n    Type: AWS::KMS::Key\n    Properties:\n"
                   "      Description: !Sub '${C}'\n"},
        {}, [("desired/a.yaml", 5, "dependency cycle: A -> B -> C -> A")]),
    "duplicate logical ID across files": (
        {"a.yaml": KEY, "sub/b.yaml": "\n" + KEY},
        {}, [("desired/sub/b.yaml", 3, "duplicate logical ID 'Key': also declared at "
                                       "desired/a.yaml:2")]),
    "duplicate parameter across files": (
        {"a.yaml": "Parameters:\n  Env: {Type: String, Default: a}\n",
         "b.yaml": "Parameters:\n  Env: {Type: String, Default: b}\n"},
        {}, [("desired/b.yaml", 2, "duplicate parameter 'Env': also declared at "
                                   "desired/a.yaml:2")]),
    "file over size limit": (
        {"a.yaml": KEY, "big.yaml": "#" * 2048 + "\n"},
        {}, [("desired/big.yaml", 1, "file is 2049 bytes, over the limit of 1024 bytes")]),
    "alias bomb": (
        {"a.yaml": _laughs(8)},
        {}, [("desired/a.yaml", 6, "more than 100000 nodes")]),
    "duplicate key": (
        {"a.yaml": KEY + "    Properties:\n      Description: a\n      Description: b\n"},
        {}, [("desired/a.yaml", 6, "duplicate key 'Description' (first at line 5)")]),
    "unsupported top-level section": (
        {"a.yaml": KEY + "Transform: AWS::Serverless-2016-10-31\n"},
        {}, [("desired/a.yaml", 4, "top-level section 'Transform' is not supported")]),
    "bad Metadata.Reconciler": (
        {"a.yaml": KEY + "    Metadata:\n      Reconciler:\n        Mode: yolo\n"
                         "        IgnoreDrift: [Description]\n        Adpot: true\n"},
        {}, [("desired/a.yaml", 6, "Mode must be one of enforce, detect, observe"),
             ("desired/a.yaml", 7, "IgnoreDrift entry 'Description' must be a JSON pointer"),
             ("desired/a.yaml", 8, "Metadata.Reconciler.Adpot is not a setting")]),
    "unsupported resource attribute": (
        {"a.yaml": KEY + "    CreationPolicy: {}\n    DeletionPolicy: Snapshot\n"},
        {}, [("desired/a.yaml", 4, "resource attribute 'CreationPolicy' is not supported"),
             ("desired/a.yaml", 5, "DeletionPolicy Snapshot is not supported by AWS::KMS::Key")]),
    "bad logical ID": (
        {"a.yaml": "Resources:\n  my-key:\n    Type: AWS::KMS::Key\n"},
        {}, [("desired/a.yaml", 2, "logical ID 'my-key' must be alphanumeric")]),
    "unsupported intrinsic": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Base64 Shared\n"},
        {}, [("desired/a.yaml", 5, "intrinsic function Fn::Base64 is not supported")]),
    "unsupported pseudo parameter": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Join [',', !Ref "
                         "AWS::NotificationARNs]\n"},
        {}, [("desired/a.yaml", 5, "pseudo parameter AWS::NotificationARNs is not supported")]),
    "condition function in Properties": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Equals [a, b]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Equals cannot be used outside Conditions")]),
    "malformed Fn::Join": (
        {"a.yaml": KEY + "    Properties:\n      Description: !Join [',', a, b]\n"},
        {}, [("desired/a.yaml", 5, "Fn::Join takes [delimiter, [values]]")]),
    "Fn::If with unknown condition": (
        {"a.yaml": KEY + "    Properties:\n      Description: !If [Nope, a, b]\n"},
        {}, [("desired/a.yaml", 5, "Fn::If uses unknown condition 'Nope'")]),
    "undeclared --parameter override": (
        {"a.yaml": KEY}, {"Envv": "prod"},
        [("--parameter", 0, "parameter 'Envv' is given a value but no template declares it")]),
    "missing parameter value": (
        {"a.yaml": "Parameters:\n  Env:\n    Type: String\n" + KEY
                   + "    Properties:\n      Description: !Sub 'key ${Env}'\n"},
        {}, [("desired/a.yaml", 2, "parameter 'Env' has no Default and no value was given")]),
    "parameter value not allowed": (
        {"a.yaml": "Parameters:\n  Env: {Type: String, AllowedValues: [prod, dev]}\n"},
        {"Env": "qa"}, [("desired/a.yaml", 2, "value 'qa' (from --parameter) is not one of the "
                                              "AllowedValues ['prod', 'dev']")]),
    "boolean allowed values are named as written": (
        {"a.yaml": "Parameters:\n  On: {Type: String, AllowedValues: [true, false]}\n"},
        {"On": "True"}, [("desired/a.yaml", 2, "value 'True' (from --parameter) is not one of "
                                               "the AllowedValues ['true', 'false']")]),
    "unsupported parameter type": (
        {"a.yaml": "Parameters:\n  Key: {Type: 'AWS::EC2::KeyPair::Id', Default: k}\n"},
        {}, [("desired/a.yaml", 2, "has Type 'AWS::EC2::KeyPair::Id'; supported types are")]),
    "condition cycle": (
        {"a.yaml": "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\n"},
        {}, [("desired/a.yaml", 2, "condition cycle: A -> B -> A")]),
    "condition referencing a resource": (
        {"a.yaml": KEY + "Conditions:\n  HasKey: !Equals [!Ref Key, x]\n"},
        {}, [("desired/a.yaml", 5, "conditions can only use parameters")]),
    "resource with unknown condition": (
        {"a.yaml": KEY + "    Condition: Nope\n"},
        {}, [("desired/a.yaml", 4, "unknown condition 'Nope'")]),
    "reference to a resource left out by its condition": (
        {"a.yaml": "Conditions:\n  Never: !Equals [a, b]\n" + KEY + "    Condition: Never\n"
                   "  Alias:\n    Type: AWS::KMS::Alias\n    Properties:\n"
                   "      AliasName: alias/x\n      TargetKeyId: !Ref Key\n"},
        {}, [("desired/a.yaml", 11, "Ref to 'Key', which is left out because its Condition "
                                    "Never is false")]),
    "non-mapping fragment": (
        {"a.yaml": "- just\n- a list\n"},
        {}, [("desired/a.yaml", 1, "a template fragment must be a mapping of sections")]),
    "invalid utf-8": (
        {"a.yaml": b"Resources:\n  # caf\xe9\n"},
        {}, [("desired/a.yaml", 2, "not valid UTF-8")]),
}


@pytest.mark.parametrize("contents, parameters, expected", CASES.values(), ids=CASES.keys())
def test_issue_is_reported_at_its_line(invalid: Load, contents: dict[str, str],
                                       parameters: dict[str, str],
                                       expected: list[tuple[str, int, str]]) -> None:
    issues = invalid(contents, parameters, max_file_bytes=1024)
    assert [(i.file, i.line) for i in issues] == [(f, line) for f, line, _ in expected], issues
    for issue, (_, _, message) in zip(issues, expected, strict=True):
        assert message in issue.message


def test_all_issues_are_collected_across_files(invalid: Load) -> None:
    issues = invalid({
        "a.yaml": KEY + "    Properties:\n      Bogus: 1\n",
        "b.yaml": "Transform: {}\n",
        "c.yaml": "Resources:\n  X:\n    Type: AWS::Nope::Nope\n",
    })
    assert [(i.file, i.line) for i in issues] == [
        ("desired/a.yaml", 5), ("desired/b.yaml", 1), ("desired/c.yaml", 3)]


def test_unreadable_file_does_not_cause_unknown_reference_noise(invalid: Load) -> None:
    # b.yaml declares Key but cannot be parsed: only its own error is worth reporting.
    issues = invalid({
        "a.yaml": "Resources:\n  Alias:\n    Type: AWS::KMS::Alias\n    Properties:\n"
                  "      AliasName: alias/x\n      TargetKeyId: !Ref Key\n",
        "b.yaml": KEY + "    Properties: [\n",
    })
    assert [(i.file, i.line) for i in issues] == [("desired/b.yaml", 5)]


def test_nonexistent_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(ValidationFailed) as failed:
        load_tree(missing, {}, CATALOG)
    assert failed.value.issues == [Issue(str(missing), 0, "no such file or directory")]


def test_condition_needing_a_pseudo_parameter_that_is_not_given(invalid: Load) -> None:
    issues = invalid({"a.yaml": "Conditions:\n  East: !Equals [!Ref 'AWS::Region', us-east-1]\n"})
    assert [(i.file, i.line) for i in issues] == [("desired/a.yaml", 2)]
    assert "AWS::Region has no value" in issues[0].message


def test_issues_print_as_file_line_message(invalid: Load) -> None:
    issues = invalid({"a.yaml": "Resources:\n  Net:\n    Type: AWS::EC2::VPC\n"})
    assert str(issues[0]) == ("desired/a.yaml:3: resource 'Net': type AWS::EC2::VPC is not "
                              "supported by the reconciler")


def test_size_limit_constant_applies_by_default(invalid: Load,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "MAX_FILE_BYTES", 10)
    issues = invalid({"a.yaml": KEY})
    assert [(i.file, i.line) for i in issues] == [("desired/a.yaml", 1)]
    assert "over the limit of 10 bytes" in issues[0].message
