"""AWS::KMS::Key particulars: MultiRegion (create-only: a change is a replace) and
BypassPolicyLockoutSafetyCheck (write-only, sent along with the policy). The round trip
comes from the contract example."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from reconciler.aws.clients import AwsClients
from reconciler.kinds.base import Observation
from reconciler.kinds.kms_key import KmsKey
from tests.stubbing import OneClient

TAGS = {"reconciler:owner": "test", "reconciler:logical-id": "Key"}
POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "root", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*", "Resource": "*"}]}


def test_multi_region_is_created_and_read_back(clients: AwsClients) -> None:
    kind = KmsKey(clients)
    created = kind.create({"Description": "mrk", "MultiRegion": True}, TAGS)
    assert created.physical_id.startswith("mrk-")
    observed = kind.observe(created.physical_id, {"MultiRegion": True})
    assert observed is not None and observed.properties["MultiRegion"] is True
    plain = kind.create({"Description": "single"}, TAGS)
    observed = kind.observe(plain.physical_id, {"MultiRegion": False})
    assert observed is not None and observed.properties["MultiRegion"] is False


def test_declarations() -> None:
    assert "MultiRegion" in KmsKey.create_only()
    assert "/BypassPolicyLockoutSafetyCheck" in KmsKey.unobservable
    assert set(KmsKey.refused) == {"Origin", "RotationPeriodInDays"}


def test_policy_update_carries_the_lockout_bypass_stubbed() -> None:
    """Stubber (the flag is write-only: nothing to read back): the declared flag goes with
    a changed policy, in the one PutKeyPolicy call."""
    client = boto3.client("kms", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")
    kind = KmsKey(OneClient(client))
    desired = {"KeyPolicy": POLICY, "BypassPolicyLockoutSafetyCheck": True}
    observed = Observation("k-1", {"KeyPolicy": {}})
    with Stubber(client) as stub:
        stub.add_response("put_key_policy", {}, {
            "KeyId": "k-1", "PolicyName": "default", "Policy": ANY,
            "BypassPolicyLockoutSafetyCheck": True})
        kind.update("k-1", desired, observed, frozenset({"KeyPolicy"}))
        stub.assert_no_pending_responses()


TEMPLATE = """\
Resources:
  GlobalKey:
    Type: AWS::KMS::Key
    DeletionPolicy: Delete
    Properties:
      Description: global data key
      MultiRegion: MULTI
      BypassPolicyLockoutSafetyCheck: true
      KeyPolicy: POLICY
"""


def test_cli_multi_region_round_trip_and_a_change_is_a_replace(stack: Any,
                                                               clients: AwsClients) -> None:
    """MultiRegion cannot change out of band (KMS has no call for it): the drift is a changed
    declaration, planned as a replace and blocked without AllowReplace."""
    policy = json.dumps(POLICY)
    stack.write("key.yaml", TEMPLATE.replace("MULTI", "true").replace("POLICY", policy))
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err
    clean = stack.plan()
    assert clean.code == 0, clean.out
    keys = clients.client("kms").list_keys()["Keys"]
    assert [k["KeyId"][:4] for k in keys] == ["mrk-"]

    stack.write("key.yaml", TEMPLATE.replace("MULTI", "false").replace("POLICY", policy))
    plan = stack.plan()
    assert plan.code == 2, plan.out
    change = plan.change("GlobalKey")
    assert (change["status"], change["action"], change["blocked"]) == (
        "Blocked", "replace", True)
    assert change["diff"] == [{"path": "/MultiRegion", "old": True, "new": False}]
