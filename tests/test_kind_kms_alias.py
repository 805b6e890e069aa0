"""AWS::KMS::Alias against the moto server over HTTP: the kind alone, then through the CLI."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from reconciler.aws.clients import AwsClients
from reconciler.aws.normalize import same_identifier
from reconciler.kinds.kms_alias import KmsAlias

needs_cli = pytest.mark.skipif(importlib.util.find_spec("reconciler.cli") is None,
                               reason="reconciler.cli is not written yet")


def _key(clients: AwsClients, description: str = "k") -> dict[str, Any]:
    return dict(clients.client("kms").create_key(Description=description)["KeyMetadata"])


# --- the kind on its own -------------------------------------------------------------------

def test_create_observe_update_delete(clients: AwsClients) -> None:
    first, second = _key(clients, "first"), _key(clients, "second")
    kind = KmsAlias(clients)
    desired = {"AliasName": "alias/app/data", "TargetKeyId": first["Arn"]}

    created = kind.create(desired, tags={"reconciler:owner": "t"})
    assert created.physical_id == "alias/app/data" == kind.physical_id(desired)
    assert created.attributes["Ref"] == "alias/app/data"

    observed = kind.observe("alias/app/data", desired)
    assert observed is not None
    assert observed.tags is None
    assert observed.attributes == {"Ref": "alias/app/data"}
    # Declared as an ARN, reported as the ID: the same key.
    assert observed.properties == {"AliasName": "alias/app/data", "TargetKeyId": first["KeyId"]}
    assert same_identifier(desired["TargetKeyId"], observed.properties["TargetKeyId"])

    moved = {"AliasName": "alias/app/data", "TargetKeyId": second["KeyId"]}
    kind.update("alias/app/data", moved, observed, frozenset({"TargetKeyId"}))
    after = kind.observe("alias/app/data", moved)
    assert after is not None and after.properties["TargetKeyId"] == second["KeyId"]

    kind.set_tags("alias/app/data", {"a": "b"}, ["c"])  # not taggable: a no-op, no error

    kind.delete("alias/app/data", moved)
    assert kind.observe("alias/app/data", moved) is None
    kind.delete("alias/app/data", moved)  # already gone: still fine


def test_observe_missing_alias_is_none(clients: AwsClients) -> None:
    assert KmsAlias(clients).observe("alias/never-made", {}) is None


def test_no_generated_name_and_no_find(clients: AwsClients) -> None:
    kind = KmsAlias(clients)
    assert kind.generated_name("Alias", "me") == {}
    assert kind.find("me", "Alias") is None


def test_declarations() -> None:
    assert KmsAlias.taggable is False
    assert KmsAlias.create_only() == frozenset({"AliasName"})
    assert KmsAlias.identifier_paths == frozenset({"/TargetKeyId"})
    assert KmsAlias.attributes == frozenset()


KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(("props", "paths"), [
    ({"AliasName": "alias/app", "TargetKeyId": KEY_ID}, []),
    ({"AliasName": "alias/a:b/c_d-e", "TargetKeyId": f"arn:aws:kms:us-east-1:1:key/{KEY_ID}"},
     []),
    ({"AliasName": "app", "TargetKeyId": KEY_ID}, ["/AliasName"]),
    ({"AliasName": "alias/has space", "TargetKeyId": KEY_ID}, ["/AliasName"]),
    ({"AliasName": "alias/" + "x" * 251, "TargetKeyId": KEY_ID}, ["/AliasName"]),
    ({"AliasName": "alias/aws/s3", "TargetKeyId": KEY_ID}, ["/AliasName"]),
    ({"AliasName": "alias/app", "TargetKeyId": "alias/other"}, ["/TargetKeyId"]),
    ({"AliasName": "alias/app", "TargetKeyId": "arn:aws:kms:us-east-1:1:alias/other"},
     ["/TargetKeyId"]),
    ({"AliasName": {"Fn::Sub": "alias/${Env}"}, "TargetKeyId": {"Ref": "Key"}}, []),
], ids=["id", "arn", "no-prefix", "space", "too-long", "reserved", "alias-target",
        "alias-arn-target", "intrinsics"])
def test_validate(props: dict[str, Any], paths: list[str]) -> None:
    assert [path for path, _ in KmsAlias.validate(props)] == paths


# --- through the CLI -----------------------------------------------------------------------

TEMPLATE = """\
Resources:
  FirstKey:
    Type: AWS::KMS::Key
    Properties:
      Description: first
  SecondKey:
    Type: AWS::KMS::Key
    Properties:
      Description: second
  DataAlias:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/roundtrip/data
      TargetKeyId: !GetAtt FirstKey.Arn
"""


def _statuses(result: Any) -> dict[str, str]:
    return {c["resource"]: c["status"] for c in result.json["changes"]}


@needs_cli
def test_round_trip_alias_drift_is_found_and_corrected(stack: Any, clients: AwsClients) -> None:
    stack.write("kms.yaml", TEMPLATE)
    applied = stack.apply()
    assert applied.code == 0, applied.out + applied.err

    # Declared as the key ARN, read back as the key ID: in sync.
    clean = stack.plan()
    assert clean.code == 0, clean.out + clean.err
    assert set(_statuses(clean).values()) == {"InSync"}

    kms = clients.client("kms")
    first = kms.describe_key(KeyId="alias/roundtrip/data")["KeyMetadata"]
    second = next(k for k in (kms.describe_key(KeyId=i["KeyId"])["KeyMetadata"]
                              for i in kms.list_keys()["Keys"])
                  if k.get("Description") == "second")
    kms.update_alias(AliasName="alias/roundtrip/data", TargetKeyId=second["KeyId"])

    drifted = stack.plan()
    assert drifted.code == 2, drifted.out + drifted.err
    change = drifted.change("DataAlias")
    assert (change["status"], change["action"]) == ("Drifted", "update")
    assert change["diff"] == [
        {"path": "/TargetKeyId", "old": second["KeyId"], "new": first["Arn"]},
    ]
    assert _statuses(drifted)["FirstKey"] == "InSync"

    fixed = stack.apply()
    assert fixed.code == 0, fixed.out + fixed.err
    assert kms.describe_key(KeyId="alias/roundtrip/data")["KeyMetadata"]["KeyId"] == \
        first["KeyId"]
    again = stack.plan()
    assert again.code == 0, again.out + again.err
