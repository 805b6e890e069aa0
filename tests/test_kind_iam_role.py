"""AWS::IAM::Role against the moto server over HTTP: the kind directly, then through the CLI."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import LOGICAL_ID_TAG, OWNER_TAG, canonical_policy
from reconciler.kinds.iam_role import IamRole
from reconciler.template.schema_check import check_properties

TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]},
                   "Action": ["sts:AssumeRole"]}],
}
READ_LOGS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["logs:GetLogEvents"], "Resource": ["*"]}],
}
TAGS = {OWNER_TAG: "test", LOGICAL_ID_TAG: "AppRole", "team": "core"}


@pytest.fixture
def kind(clients: AwsClients) -> IamRole:
    return IamRole(clients)


@pytest.fixture
def iam(aws: Any) -> Any:
    """Plain boto3, for checking and for changes made out of band."""
    return boto3.client("iam")


def managed_policy(iam: Any, name: str) -> str:
    return str(iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(READ_LOGS))
               ["Policy"]["Arn"])


def full_role(iam: Any) -> dict[str, Any]:
    return {
        "RoleName": "app-role",
        "Path": "/app/",
        "AssumeRolePolicyDocument": TRUST,
        "Description": "the app",
        "MaxSessionDuration": 7200,
        "PermissionsBoundary": managed_policy(iam, "boundary"),
        "Policies": [{"PolicyName": "logs", "PolicyDocument": READ_LOGS}],
        "ManagedPolicyArns": [managed_policy(iam, "extra")],
    }


def test_create_then_observe_returns_declared_values(kind: IamRole, iam: Any) -> None:
    desired = full_role(iam)
    created = kind.create(desired, TAGS)
    assert created.physical_id == "app-role"
    assert created.attributes["Arn"] == "arn:aws:iam::123456789012:role/app/app-role"

    seen = kind.observe("app-role", desired)
    assert seen is not None
    for prop in ("RoleName", "Path", "Description", "MaxSessionDuration",
                 "PermissionsBoundary", "ManagedPolicyArns"):
        assert seen.properties[prop] == desired[prop], prop
    assert canonical_policy(seen.properties["AssumeRolePolicyDocument"]) == canonical_policy(TRUST)
    assert [p["PolicyName"] for p in seen.properties["Policies"]] == ["logs"]
    assert canonical_policy(seen.properties["Policies"][0]["PolicyDocument"]) == \
        canonical_policy(READ_LOGS)
    assert seen.tags == TAGS
    assert seen.attributes["Ref"] == "app-role"
    assert seen.attributes["RoleId"] == created.attributes["RoleId"]


def test_observe_reads_only_what_is_declared(kind: IamRole, clients: AwsClients) -> None:
    desired = {"RoleName": "lean", "AssumeRolePolicyDocument": TRUST,
               "Policies": [{"PolicyName": "logs", "PolicyDocument": READ_LOGS}]}
    kind.create(desired, TAGS)
    before = clients.calls
    kind.observe("lean", desired)
    # GetRole, ListRolePolicies, GetRolePolicy: no managed-policy read when none declared.
    assert clients.calls - before == 3
    before = clients.calls
    seen = kind.observe("lean", {"RoleName": "lean", "AssumeRolePolicyDocument": TRUST})
    assert clients.calls - before == 1
    assert seen is not None and "Policies" not in seen.properties


def test_observe_missing_role_is_none(kind: IamRole) -> None:
    assert kind.observe("no-such-role", {"RoleName": "no-such-role"}) is None


def test_absent_optional_values_observe_as_none(kind: IamRole) -> None:
    desired = {"RoleName": "bare", "AssumeRolePolicyDocument": TRUST,
               "Description": "x", "PermissionsBoundary": "arn:aws:iam::aws:policy/x"}
    kind.create({"RoleName": "bare", "AssumeRolePolicyDocument": TRUST}, TAGS)
    seen = kind.observe("bare", desired)
    assert seen is not None
    assert seen.properties["Description"] is None
    assert seen.properties["PermissionsBoundary"] is None
    assert seen.properties["MaxSessionDuration"] == 3600


def test_out_of_band_inline_policy_is_observed(kind: IamRole, iam: Any) -> None:
    desired = {"RoleName": "r", "AssumeRolePolicyDocument": TRUST,
               "Policies": [{"PolicyName": "logs", "PolicyDocument": READ_LOGS}]}
    kind.create(desired, TAGS)
    iam.put_role_policy(RoleName="r", PolicyName="aaa-sneaky", PolicyDocument=json.dumps(READ_LOGS))
    seen = kind.observe("r", desired)
    assert seen is not None
    # Declared policies keep their declared position; the extra one comes after.
    assert [p["PolicyName"] for p in seen.properties["Policies"]] == ["logs", "aaa-sneaky"]


UPDATES = [
    ("AssumeRolePolicyDocument",
     {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                               "Principal": {"Service": "ec2.amazonaws.com"}}]}),
    ("Description", "changed"),
    ("Description", ""),
    ("MaxSessionDuration", 43200),
    ("Policies", [{"PolicyName": "logs", "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}},
        {"PolicyName": "second", "PolicyDocument": READ_LOGS}]),
    ("Policies", []),
]


@pytest.mark.parametrize(("prop", "value"), UPDATES,
                         ids=[f"{p}-{i}" for i, (p, _) in enumerate(UPDATES)])
def test_update_brings_one_property_to_desired(kind: IamRole, iam: Any, prop: str,
                                               value: Any) -> None:
    desired = full_role(iam)
    kind.create(desired, TAGS)
    new = {**desired, prop: value}
    kind.update("app-role", new, kind.observe("app-role", desired), frozenset({prop}))
    seen = kind.observe("app-role", new)
    assert seen is not None
    if prop in ("AssumeRolePolicyDocument", "Policies"):
        got = json.dumps(canonical_policy(seen.properties[prop]), sort_keys=True)
        assert got == json.dumps(canonical_policy(value), sort_keys=True)
    else:
        assert seen.properties[prop] == value
    untouched = {k for k in ("Description", "MaxSessionDuration", "Path") if k != prop}
    assert all(seen.properties[k] == desired[k] for k in untouched)


def test_update_removes_out_of_band_inline_policy(kind: IamRole, iam: Any) -> None:
    desired = {"RoleName": "r", "AssumeRolePolicyDocument": TRUST,
               "Policies": [{"PolicyName": "logs", "PolicyDocument": READ_LOGS}]}
    kind.create(desired, TAGS)
    iam.put_role_policy(RoleName="r", PolicyName="sneaky", PolicyDocument=json.dumps(READ_LOGS))
    kind.update("r", desired, kind.observe("r", desired), frozenset({"Policies"}))
    assert iam.list_role_policies(RoleName="r")["PolicyNames"] == ["logs"]


def test_update_attaches_and_detaches_managed_policies(kind: IamRole, iam: Any) -> None:
    desired = full_role(iam)
    kind.create(desired, TAGS)
    other = managed_policy(iam, "other")
    new = {**desired, "ManagedPolicyArns": [other]}
    kind.update("app-role", new, kind.observe("app-role", desired),
                frozenset({"ManagedPolicyArns"}))
    attached = iam.list_attached_role_policies(RoleName="app-role")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [other]


def test_update_puts_and_removes_permissions_boundary(kind: IamRole, iam: Any) -> None:
    desired = full_role(iam)
    kind.create({k: v for k, v in desired.items() if k != "PermissionsBoundary"}, TAGS)
    kind.update("app-role", desired, kind.observe("app-role", desired),
                frozenset({"PermissionsBoundary"}))
    role = iam.get_role(RoleName="app-role")["Role"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == desired["PermissionsBoundary"]
    without = {**desired, "PermissionsBoundary": None}
    kind.update("app-role", without, kind.observe("app-role", desired),
                frozenset({"PermissionsBoundary"}))
    assert "PermissionsBoundary" not in iam.get_role(RoleName="app-role")["Role"]


def test_set_tags_adds_and_removes(kind: IamRole) -> None:
    kind.create({"RoleName": "t", "AssumeRolePolicyDocument": TRUST}, TAGS)
    kind.set_tags("t", {"team": "platform", "cost": "1"}, ["cost-center"])
    kind.set_tags("t", {}, ["cost"])
    seen = kind.observe("t", {"RoleName": "t"})
    assert seen is not None and seen.tags == {**TAGS, "team": "platform"}


def test_delete_clears_policies_and_instance_profiles(kind: IamRole, iam: Any) -> None:
    desired = full_role(iam)
    kind.create(desired, TAGS)
    iam.create_instance_profile(InstanceProfileName="ip")
    iam.add_role_to_instance_profile(InstanceProfileName="ip", RoleName="app-role")
    kind.delete("app-role", desired)
    assert kind.observe("app-role", desired) is None
    assert iam.get_instance_profile(InstanceProfileName="ip")["InstanceProfile"]["Roles"] == []
    kind.delete("app-role", desired)  # already gone: no error


def test_generated_name_fits_iam_rules(kind: IamRole) -> None:
    name = kind.generated_name("AppRole" * 20, "my owner!")["RoleName"]
    assert len(name) <= 64 and check_properties(
        "R", "AWS::IAM::Role", {"RoleName": name, "AssumeRolePolicyDocument": TRUST}, IamRole,
        "f.yaml", 1) == []
    assert name.startswith("myowner-AppRole")
    assert kind.generated_name("AppRole", "o") != kind.generated_name("AppRole", "o")


def test_physical_id_is_the_role_name(kind: IamRole) -> None:
    assert kind.physical_id({"RoleName": "x"}) == "x"
    assert kind.physical_id({}) is None


VALID = {"RoleName": "ok", "AssumeRolePolicyDocument": TRUST,
         "Policies": [{"PolicyName": "p", "PolicyDocument": READ_LOGS}],
         "MaxSessionDuration": 3600}
INVALID = [
    ("short session", {"MaxSessionDuration": 3599}, "/MaxSessionDuration"),
    ("long session", {"MaxSessionDuration": 43201}, "/MaxSessionDuration"),
    ("trust without principal",
     {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
         {"Effect": "Allow", "Action": "sts:AssumeRole"}]}},
     "/AssumeRolePolicyDocument/Statement/0"),
    ("trust not a document", {"AssumeRolePolicyDocument": ["sts:AssumeRole"]},
     "/AssumeRolePolicyDocument"),
    ("trust bad JSON text", {"AssumeRolePolicyDocument": "{nope"}, "/AssumeRolePolicyDocument"),
    ("bad effect", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Statement": [{"Effect": "Permit", "Action": "s3:*", "Resource": "*"}]}}]},
     "/Policies/0/PolicyDocument/Statement/0/Effect"),
    ("policy without resource", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Statement": {"Effect": "Allow", "Action": "s3:*"}}}]},
     "/Policies/0/PolicyDocument/Statement"),
    ("policy with principal", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                       "Principal": "*"}]}}]},
     "/Policies/0/PolicyDocument/Statement/0"),
    ("no statements", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": []}}]},
     "/Policies/0/PolicyDocument/Statement"),
    ("bad version", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        **READ_LOGS, "Version": "2020-01-01"}}]}, "/Policies/0/PolicyDocument/Version"),
    ("duplicate policy name", {"Policies": [{"PolicyName": "p", "PolicyDocument": READ_LOGS},
                                            {"PolicyName": "p", "PolicyDocument": READ_LOGS}]},
     "/Policies/1/PolicyName"),
    ("duplicate sid", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [{**READ_LOGS["Statement"][0], "Sid": "A"},
                                               {**READ_LOGS["Statement"][0], "Sid": "A"}]}}]},
     "/Policies/0/PolicyDocument/Statement"),
    ("action without service", {"Policies": [{"PolicyName": "p", "PolicyDocument": {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "GetObject", "Resource": "*"}]}}]},
     "/Policies/0/PolicyDocument/Statement/0"),
    ("trust with a non-sts action", {"AssumeRolePolicyDocument": {"Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
         "Action": "s3:GetObject"}]}}, "/AssumeRolePolicyDocument/Statement/0"),
    ("managed policy not an ARN", {"ManagedPolicyArns": ["ReadOnlyAccess"]},
     "/ManagedPolicyArns/0"),
    ("role name too long", {"RoleName": "r" * 65}, "/RoleName"),
    ("path without slashes", {"Path": "app"}, "/Path"),
]


def test_validate_accepts_a_sound_role() -> None:
    assert IamRole.validate(VALID) == []
    as_text = {**VALID, "AssumeRolePolicyDocument": json.dumps(TRUST)}
    assert IamRole.validate(as_text) == []
    with_intrinsics = {**VALID, "MaxSessionDuration": {"Ref": "Session"},
                       "Policies": [{"PolicyName": "p", "PolicyDocument": {
                           "Version": "2012-10-17", "Statement": [
                           {"Effect": "Allow", "Action": "s3:*",
                            "Resource": {"Fn::GetAtt": ["B", "Arn"]}}]}}]}
    assert IamRole.validate(with_intrinsics) == []


@pytest.mark.parametrize(("change", "pointer"), [(c, p) for _, c, p in INVALID],
                         ids=[name for name, _, _ in INVALID])
def test_validate_rejects_what_iam_would(change: dict[str, Any], pointer: str) -> None:
    """Through the whole property check: the schema's limits, then the kind's own."""
    issues = [str(i) for i in check_properties("R", "AWS::IAM::Role", {**VALID, **change},
                                               IamRole, "f.yaml", 1)]
    where = ".".join(f"[{p}]" if p.isdigit() else p for p in pointer.strip("/").split("/"))
    assert any(f"R (AWS::IAM::Role) {where.replace('.[', '[')}:" in i for i in issues), issues


# --- the round trip through the CLI ---------------------------------------------------------

ROLE_YAML = """
Resources:
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      Description: the app
      MaxSessionDuration: 7200
      AssumeRolePolicyDocument:
        Statement:
          - Action: sts:AssumeRole
            Principal: {Service: lambda.amazonaws.com}
            Effect: Allow
        Version: "2012-10-17"
      Policies:
        - PolicyName: logs
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: logs:GetLogEvents, Resource: "*"}
      Tags:
        - {Key: team, Value: core}
"""
EC2_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def _add_inline_policy(iam: Any) -> None:
    iam.put_role_policy(RoleName="app-role", PolicyName="sneaky",
                        PolicyDocument=json.dumps(READ_LOGS))


def _change_trust(iam: Any) -> None:
    iam.update_assume_role_policy(RoleName="app-role", PolicyDocument=json.dumps(EC2_TRUST))


def _change_description(iam: Any) -> None:
    iam.update_role(RoleName="app-role", Description="changed", MaxSessionDuration=7200)


DRIFTS = [
    ("inline policy added", _add_inline_policy, ["/Policies"]),
    ("trust policy changed", _change_trust, ["/AssumeRolePolicyDocument/Statement"]),
    ("description changed", _change_description, ["/Description"]),
]


def assert_in_sync(result: Any) -> None:
    assert result.code == 0, result.out + result.err
    assert {c["resource"]: c["status"] for c in result.json["changes"]} == {"AppRole": "InSync"}


@pytest.mark.parametrize(("drift", "paths"), [(d, p) for _, d, p in DRIFTS],
                         ids=[name for name, _, _ in DRIFTS])
def test_cli_round_trip_corrects_drift(stack: Any, iam: Any, drift: Any,
                                       paths: list[str]) -> None:
    stack.write("role.yaml", ROLE_YAML)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert_in_sync(stack.plan())

    drift(iam)
    plan = stack.plan()
    assert plan.code == 2, plan.out + plan.err
    change = plan.change("AppRole")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert [d["path"] for d in change["diff"]] == paths
    if paths == ["/Description"]:
        assert change["diff"] == [{"path": "/Description", "old": "changed", "new": "the app"}]

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    assert_in_sync(stack.plan())
    assert iam.list_role_policies(RoleName="app-role")["PolicyNames"] == ["logs"]


def test_cli_trust_policy_spelled_differently_is_in_sync(stack: Any, iam: Any) -> None:
    """Single values versus lists, key order and JSON spacing are not drift."""
    stack.write("role.yaml", ROLE_YAML)
    assert stack.apply().code == 0
    same = ('{"Statement":[{"Principal":{"Service":["lambda.amazonaws.com"]},'
            '"Effect":"Allow","Action":["sts:AssumeRole"]}],   "Version":"2012-10-17"}')
    iam.update_assume_role_policy(RoleName="app-role", PolicyDocument=same)
    assert_in_sync(stack.plan())


def test_an_inline_policy_without_version_is_valid_and_converges(stack: Any, iam: Any) -> None:
    """IAM takes a missing Version as 2008-10-17, which differs from 2012-10-17 in policy
    variables only: without any, the policy is sent stated as 2012-10-17 (moto, unlike IAM,
    refuses a version-less one) and reads back in sync."""
    assert IamRole.validate({"Policies": [{"PolicyName": "vars", "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                       "Resource": "arn:aws:s3:::b/${aws:username}/*"}]}}]}) == []
    stack.write("role.yaml", """
        Resources:
          AppRole:
            Type: AWS::IAM::Role
            Properties:
              RoleName: unversioned-role
              AssumeRolePolicyDocument:
                Statement:
                  - {Effect: Allow, Principal: {Service: lambda.amazonaws.com},
                     Action: sts:AssumeRole}
              Policies:
                - PolicyName: logs
                  PolicyDocument:
                    Statement:
                      - {Effect: Allow, Action: logs:PutLogEvents, Resource: "*"}
        """)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    assert_in_sync(stack.plan())
    iam.put_role_policy(RoleName="unversioned-role", PolicyName="logs", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:*", '
        '"Resource": "*"}]}'))
    drifted = stack.plan()
    assert [d["path"] for d in drifted.change("AppRole")["diff"]] == ["/Policies"]
