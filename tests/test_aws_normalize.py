"""Shared normalization: which identifiers name the same resource, which policies are equal."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.aws.normalize import canonical_policy, policy_partition, same_identifier

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(("a", "b", "same"), [
    (KEY_ID, f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}", True),
    ("alias/team-a/data", "arn:aws:kms:us-east-1:123456789012:alias/team-a/data", True),
    ("alias/data", "arn:aws:kms:us-east-1:123456789012:alias/data", True),
    ("alias/team-a/data", "alias/team-b/data", False),
    ("alias/team-a/data", "arn:aws:kms:us-east-1:123456789012:alias/team-b/data", False),
    ("alias/data", "arn:aws:kms:us-east-1:123456789012:alias/team-a/data", False),
    ("alias/data", "data", False),
    ("alias/data", f"arn:aws:kms:us-east-1:123456789012:key/{KEY_ID}", False),
    ("key-a", "arn:aws:kms:us-east-1:1:key/key-b", False),
    ("my-secret", "arn:aws:secretsmanager:us-east-1:1:secret:my-secret", True),
])
def test_same_identifier(a: str, b: str, same: bool) -> None:
    assert same_identifier(a, b) is same
    assert same_identifier(b, a) is same


def _statement(**fields: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **fields}]}


@pytest.mark.parametrize(("a", "b"), [
    (_statement(Principal={"AWS": "123456789012"}, Action="s3:GetObject", Resource="*"),
     _statement(Principal={"AWS": "arn:aws:iam::123456789012:root"}, Action="s3:GetObject",
                Resource="*")),
    (_statement(Principal={"AWS": ["123456789012", "arn:aws:iam::210987654321:role/x"]},
                Action="sts:AssumeRole"),
     _statement(Principal={"AWS": ["arn:aws:iam::210987654321:role/x",
                                   "arn:aws:iam::123456789012:root"]},
                Action="sts:AssumeRole")),
    (_statement(NotPrincipal={"AWS": 123456789012}, Action="s3:*", Resource="*"),
     _statement(NotPrincipal={"AWS": "arn:aws:iam::123456789012:root"}, Action="s3:*",
                Resource="*")),
    (_statement(Action=["s3:GetObject", "s3:PutObject"], Resource="*"),
     _statement(Action=["S3:getobject", "s3:putObject"], Resource="*")),
    (_statement(NotAction="IAM:*", Resource="*"), _statement(NotAction="iam:*", Resource="*")),
])
def test_equal_policies_have_one_canonical_form(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert canonical_policy(a) == canonical_policy(b)


@pytest.mark.parametrize(("a", "b"), [
    (_statement(Action="s3:GetObject", Resource="arn:aws:s3:::Bucket/*"),
     _statement(Action="s3:GetObject", Resource="arn:aws:s3:::bucket/*")),
    (_statement(Action="s3:GetObject", Resource="*",
                Condition={"StringEquals": {"aws:PrincipalTag/team": "Data"}}),
     _statement(Action="s3:GetObject", Resource="*",
                Condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})),
    (_statement(Principal={"AWS": "123456789012"}, Action="s3:*", Resource="*"),
     _statement(Principal={"AWS": "arn:aws:iam::210987654321:root"}, Action="s3:*",
                Resource="*")),
    (_statement(Principal={"AWS": "123456789012"}, Action="s3:*", Resource="*"),
     _statement(Principal={"AWS": "arn:aws:iam::123456789012:user/x"}, Action="s3:*",
                Resource="*")),
])
def test_different_policies_stay_different(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert canonical_policy(a) != canonical_policy(b)


def test_an_account_principal_takes_the_partition_given() -> None:
    gov = _statement(Principal={"AWS": "arn:aws-us-gov:iam::123456789012:root"}, Action="s3:*")
    bare = _statement(Principal={"AWS": "123456789012"}, Action="s3:*")
    assert policy_partition(gov) == "aws-us-gov"
    assert policy_partition(bare) is None
    assert canonical_policy(bare, partition="aws-us-gov") == canonical_policy(gov)
    assert canonical_policy(bare)["Statement"][0]["Principal"] == {
        "AWS": ["arn:aws:iam::123456789012:root"]}
