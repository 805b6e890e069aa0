"""A create is never repeated blindly: replies lost after AWS carried the create out (through a
fault-injecting proxy on loopback, tests/faulty_proxy.py) leave exactly one resource each."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from tests.faulty_proxy import faulty_proxy
from tests.harness import Stack


def _owned_keys() -> dict[str, str]:
    kms = boto3.client("kms")
    owned = {}
    for key in kms.list_keys()["Keys"]:
        tags = {t["TagKey"]: t["TagValue"]
                for t in kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]}
        if "reconciler:logical-id" in tags:
            owned[key["KeyId"]] = tags["reconciler:logical-id"]
    return owned


def test_lost_create_replies_make_no_second_key(stack: Stack, aws: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Half the CreateKey replies are lost: before, botocore's retry made 24 keys for 12."""
    stack.write("keys.yaml", "Resources:\n" + "".join(
        f"  Key{i}:\n    Type: AWS::KMS::Key\n    Properties: {{Description: key {i}}}\n"
        for i in range(12)))
    with faulty_proxy(aws.endpoint, lambda op, nth: op == "CreateKey" and nth % 2 == 1) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        applied = stack.apply()
        assert proxy.lost.count("CreateKey") == 6
        assert proxy.calls["CreateKey"] == 12  # one call per key: nothing sent twice
        plan = stack.plan()
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    assert applied.code == 0, applied.out
    assert plan.code == 0, plan.out
    owned = _owned_keys()
    assert sorted(owned.values()) == sorted(f"Key{i}" for i in range(12))


def test_a_failed_create_that_made_nothing_is_an_error_and_the_next_run_creates_it(
        stack: Stack, aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    stack.write("key.yaml", "Resources:\n  Key:\n    Type: AWS::KMS::Key\n")
    # A 500 before AWS did anything looks the same to the client as a lost reply.
    with faulty_proxy(aws.endpoint, lambda op, nth: False) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
        proxy.upstream = ("127.0.0.1", 9)  # nothing listens there: the call never reaches AWS
        failed = stack.apply()
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    assert failed.code == 1
    assert _owned_keys() == {}
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    assert stack.apply().code == 0
    assert list(_owned_keys().values()) == ["Key"]
