"""Normalization table: equal-but-differently-written values are no drift; real changes are."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.engine.diff import PropertyDiff, same_scalar
from reconciler.kinds.base import Kind
from reconciler.template.model import Unknown


class RoleShape(Kind):
    """Diff metadata only (no AWS): IAM role's schema marks ManagedPolicyArns unordered."""

    type_name = "AWS::IAM::Role"
    schema_file = "aws-iam-role.json"
    managed_properties = frozenset({"AssumeRolePolicyDocument", "ManagedPolicyArns", "Policies",
                                    "MaxSessionDuration", "Description", "Path"})
    policy_paths = frozenset({"/AssumeRolePolicyDocument", "/Policies/*/PolicyDocument"})
    exact_paths = frozenset({"/Policies"})


class TableShape(Kind):
    type_name = "AWS::DynamoDB::Table"
    schema_file = "aws-dynamodb-table.json"
    managed_properties = frozenset({"SSESpecification", "AttributeDefinitions", "KeySchema",
                                    "ProvisionedThroughput", "BillingMode"})
    identifier_paths = frozenset({"/SSESpecification/KMSMasterKeyId"})
    secret_paths = frozenset({"/BillingMode"})  # not secret in AWS: stands in for masking


class LooseRoleShape(RoleShape):
    """Inline policies judged on declared keys only: an unordered list of dicts, not exact."""

    exact_paths = frozenset()
    unobservable = frozenset({"/Path"})


TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
     "Action": "sts:AssumeRole"}]}

EQUAL: list[tuple[str, type[Kind], dict[str, Any], dict[str, Any]]] = [
    ("policy as JSON text with other spacing and key order", RoleShape,
     {"AssumeRolePolicyDocument": TRUST},
     {"AssumeRolePolicyDocument": '{"Statement":[{"Action":["sts:AssumeRole"],'
      '"Principal":{"Service":["lambda.amazonaws.com"]},"Effect":"Allow"}],'
      '"Version":"2012-10-17"}'}),
    ("policy statement given as a single object", RoleShape,
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": TRUST["Statement"][0]}},
     {"AssumeRolePolicyDocument": TRUST}),
    ("unordered list in another order", RoleShape,
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]},
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/B", "arn:aws:iam::aws:policy/A"]}),
    ("integer against float", RoleShape, {"MaxSessionDuration": 3600},
     {"MaxSessionDuration": 3600.0}),
    ("numeric string against integer", RoleShape, {"MaxSessionDuration": "3600"},
     {"MaxSessionDuration": 3600}),
    ("key ID against key ARN", TableShape,
     {"SSESpecification": {"KMSMasterKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}},
     {"SSESpecification": {"KMSMasterKeyId":
      "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}}),
    ("alias name against alias ARN", TableShape,
     {"SSESpecification": {"KMSMasterKeyId": "alias/toron-data"}},
     {"SSESpecification": {"KMSMasterKeyId": "arn:aws:kms:us-east-1:1:alias/toron-data"}}),
    ("server defaults beside declared keys", TableShape,
     {"SSESpecification": {"SSEEnabled": True}},
     {"SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "Extra": 1}}),
    ("boolean string against boolean", TableShape, {"SSESpecification": {"SSEEnabled": "true"}},
     {"SSESpecification": {"SSEEnabled": True}}),
    ("single value against one-element list", RoleShape,
     {"ManagedPolicyArns": "arn:aws:iam::aws:policy/A"},
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A"]}),
    ("undeclared property is not judged", RoleShape, {"Path": "/"},
     {"Path": "/", "Description": "changed by hand"}),
    ("unordered items in another order, with server defaults inside", LooseRoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST},
                   {"PolicyName": "b", "PolicyDocument": TRUST}]},
     {"Policies": [{"PolicyName": "b", "PolicyDocument": TRUST, "Extra": 1},
                   {"PolicyName": "a", "PolicyDocument": TRUST, "Extra": 2}]}),
    ("empty extra key under an exact path", RoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST}]},
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST, "Extra": None}]}),
    ("policy condition values in another order and spelling", RoleShape,
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": [
         {**TRUST["Statement"][0], "Condition": {"NumericLessThan": {"k": [10, "5"]}}}]}},
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": [
         {**TRUST["Statement"][0], "Condition": {"NumericLessThan": {"k": [5, "10"]}}}]}}),
    ("one-element list declared for a single value", TableShape,
     {"SSESpecification": {"SSEType": ["KMS"]}}, {"SSESpecification": {"SSEType": "KMS"}}),
    ("unobservable path", LooseRoleShape, {"Path": "/a/"}, {"Path": "/"}),
    ("unordered items equal only by tolerance pair with their own partner, nulls too",
     RoleShape, {"ManagedPolicyArns": [None, "arn:aws:iam::aws:policy/A"]},
     {"ManagedPolicyArns": [["arn:aws:iam::aws:policy/A"], [None]]}),
    ("account principal against its root ARN, in the partition AWS names", RoleShape,
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": [
         {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "sts:AssumeRole"}]}},
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": [
         {"Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
          "Action": "sts:AssumeRole"}]}}),
    ("action names in another case", RoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": {"Statement": [
         {"Effect": "Allow", "Action": ["s3:GetObject", "kms:Decrypt"], "Resource": "*"}]}}]},
     {"Policies": [{"PolicyName": "a", "PolicyDocument": {"Statement": [
         {"Effect": "Allow", "Action": ["KMS:decrypt", "S3:getobject"], "Resource": "*"}]}}]}),
]

DIFFERENT: list[tuple[str, type[Kind], dict[str, Any], dict[str, Any], str, Any, Any]] = [
    ("changed scalar", RoleShape, {"MaxSessionDuration": 3600}, {"MaxSessionDuration": 7200},
     "/MaxSessionDuration", 7200, 3600),
    ("statement added out of band", RoleShape, {"AssumeRolePolicyDocument": TRUST},
     {"AssumeRolePolicyDocument": {**TRUST, "Statement": [
         *TRUST["Statement"], {"Effect": "Deny", "Action": "*", "Resource": "*"}]}},
     "/AssumeRolePolicyDocument/Statement", None, None),
    ("another key", TableShape, {"SSESpecification": {"KMSMasterKeyId": "key-a"}},
     {"SSESpecification": {"KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/key-b"}},
     "/SSESpecification/KMSMasterKeyId", "arn:aws:kms:us-east-1:1:key/key-b", "key-a"),
    ("alias of the same last segment under another path", TableShape,
     {"SSESpecification": {"KMSMasterKeyId": "alias/team-a/data"}},
     {"SSESpecification": {"KMSMasterKeyId": "arn:aws:kms:us-east-1:1:alias/team-b/data"}},
     "/SSESpecification/KMSMasterKeyId", "arn:aws:kms:us-east-1:1:alias/team-b/data",
     "alias/team-a/data"),
    ("property absent in AWS", RoleShape, {"Description": "x"}, {"Description": None},
     "/Description", None, "x"),
    ("extra inline policy under an exact path", RoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST}]},
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST},
                   {"PolicyName": "b", "PolicyDocument": TRUST}]},
     "/Policies", None, None),
    ("order matters where the schema keeps insertion order", TableShape,
     {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}]},
     {"KeySchema": [{"AttributeName": "sk", "KeyType": "HASH"},
                    {"AttributeName": "pk", "KeyType": "RANGE"}]},
     "/KeySchema/0/AttributeName", "sk", "pk"),
    ("an unordered list with one item changed is reported whole", RoleShape,
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]},
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/C", "arn:aws:iam::aws:policy/A"]},
     "/ManagedPolicyArns", ["arn:aws:iam::aws:policy/C", "arn:aws:iam::aws:policy/A"],
     ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B"]),
    ("an unordered list with items repeated otherwise", RoleShape,
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/A",
                            "arn:aws:iam::aws:policy/B"]},
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/A", "arn:aws:iam::aws:policy/B",
                            "arn:aws:iam::aws:policy/B"]},
     "/ManagedPolicyArns", None, None),
    ("a changed declared key inside an unordered item", LooseRoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST}]},
     {"Policies": [{"PolicyName": "b", "PolicyDocument": TRUST, "Extra": 1}]},
     "/Policies", [{"PolicyName": "b", "PolicyDocument": TRUST, "Extra": 1}],
     [{"PolicyName": "a", "PolicyDocument": TRUST}]),
    ("a non-empty extra key under an exact path", RoleShape,
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST}]},
     {"Policies": [{"PolicyName": "a", "PolicyDocument": TRUST, "Extra": "x"}]},
     "/Policies", None, None),
    ("a single value against a one-element list of another value", RoleShape,
     {"ManagedPolicyArns": "arn:aws:iam::aws:policy/A"},
     {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/B"]},
     "/ManagedPolicyArns", "arn:aws:iam::aws:policy/B", "arn:aws:iam::aws:policy/A"),
    ("a true flag against 1", TableShape, {"SSESpecification": {"SSEEnabled": True}},
     {"SSESpecification": {"SSEEnabled": 1}}, "/SSESpecification/SSEEnabled", 1, True),
]


@pytest.mark.parametrize(("name", "kind", "desired", "actual"), EQUAL, ids=[c[0] for c in EQUAL])
def test_equal_values_are_not_drift(name: str, kind: type[Kind], desired: dict[str, Any],
                                    actual: dict[str, Any]) -> None:
    assert PropertyDiff(kind).diff(desired, actual) == []


@pytest.mark.parametrize(("name", "kind", "desired", "actual", "path", "old", "new"), DIFFERENT,
                         ids=[c[0] for c in DIFFERENT])
def test_real_differences_are_drift(name: str, kind: type[Kind], desired: dict[str, Any],
                                    actual: dict[str, Any], path: str, old: Any,
                                    new: Any) -> None:
    entries = PropertyDiff(kind).diff(desired, actual)
    assert entries, "expected drift"
    assert entries[0].path == path
    if old is not None or new is not None:
        assert (entries[0].old, entries[0].new) == (old, new)


def test_entries_follow_the_declared_order_index_by_index() -> None:
    desired = {"MaxSessionDuration": 3600, "Description": "x", "Policies": [
        {"PolicyName": "a", "PolicyDocument": TRUST}]}
    actual = {"Description": "y", "MaxSessionDuration": 7200, "Policies": [
        {"PolicyName": "a", "PolicyDocument": TRUST, "Extra": "x"}]}
    entries = PropertyDiff(RoleShape).diff(desired, actual)
    assert [e.path for e in entries] == ["/MaxSessionDuration", "/Description", "/Policies"]
    table = PropertyDiff(TableShape).diff(
        {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "RANGE"}]},
        {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"},
                       {"AttributeName": "sk", "KeyType": "HASH"}]})
    assert [(e.path, e.old, e.new) for e in table] == [
        ("/KeySchema/0/AttributeName", "id", "pk"), ("/KeySchema/1/KeyType", "HASH", "RANGE")]


def test_ignore_drift_pointer_hides_the_subtree() -> None:
    differ = PropertyDiff(TableShape)
    desired = {"ProvisionedThroughput": {"ReadCapacityUnits": 5}, "SSESpecification":
               {"SSEEnabled": True}}
    actual = {"ProvisionedThroughput": {"ReadCapacityUnits": 50}, "SSESpecification":
              {"SSEEnabled": False}}
    entries = differ.diff(desired, actual, ignore=["/ProvisionedThroughput"])
    assert [e.path for e in entries] == ["/SSESpecification/SSEEnabled"]


def test_secret_paths_are_masked_in_diffs_and_state() -> None:
    differ = PropertyDiff(TableShape)
    entries = differ.diff({"BillingMode": "hunter2"}, {"BillingMode": "other"})
    assert [(e.old, e.new) for e in entries] == [("(sensitive value)", "(sensitive value)")]
    assert differ.mask_properties({"BillingMode": "hunter2"}) == {
        "BillingMode": "(sensitive value)"}


def test_unknown_values_show_as_pending() -> None:
    entries = PropertyDiff(TableShape).diff(
        {"SSESpecification": {"KMSMasterKeyId": Unknown("DataKey")}},
        {"SSESpecification": {"KMSMasterKeyId": "arn:aws:kms:us-east-1:1:key/x"}})
    assert entries[0].to_json()["new"] == "(known after apply)"
    inside = PropertyDiff(RoleShape).diff(
        {"ManagedPolicyArns": [Unknown("Policy"), "arn:aws:iam::aws:policy/A"]},
        {"ManagedPolicyArns": ["arn:aws:iam::aws:policy/B", "arn:aws:iam::aws:policy/A"]})
    assert [e.path for e in inside] == ["/ManagedPolicyArns"]


@pytest.mark.parametrize(("a", "b", "equal"), [
    (1, 1.0, True), ("1", 1, True), (True, "true", True), (False, "False", True),
    (True, 1, False), ("abc", "ABC", False), (None, "", False), (0, False, False),
])
def test_same_scalar(a: Any, b: Any, equal: bool) -> None:
    assert same_scalar(a, b) is equal


def test_an_enum_the_schema_marks_case_insensitive_is_compared_ignoring_case() -> None:
    """AWS::EC2::EIP Domain is enumCaseInsensitive: a template's "VPC" is AWS's "vpc"."""
    from reconciler.kinds.ec2_eip import Eip

    differ = PropertyDiff(Eip)
    assert differ.diff({"Domain": "VPC"}, {"Domain": "vpc"}) == []
    assert [e.path for e in differ.diff({"Domain": "standard"}, {"Domain": "vpc"})] == \
        ["/Domain"]


def test_a_kinds_any_case_paths_compare_ignoring_case() -> None:
    """RDS keeps engine names in lower case (DBInstance.any_case_paths), other values as they
    are."""
    from reconciler.kinds.rds_db_instance import DBInstance

    differ = PropertyDiff(DBInstance)
    assert differ.diff({"Engine": "MySQL"}, {"Engine": "mysql"}) == []
    assert [e.path for e in differ.diff({"Engine": "MySQL", "DBName": "Orders"},
                                        {"Engine": "mysql", "DBName": "orders"})] == ["/DBName"]
