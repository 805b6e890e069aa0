"""Shared normalization: which identifiers name the same resource, which policies are equal."""

from __future__ import annotations

import pytest

from reconciler.aws.normalize import same_identifier

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
